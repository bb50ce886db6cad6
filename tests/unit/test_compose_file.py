"""helpers.compose_file: Compose itself reads the files (`docker compose config --format json`); the course adds
hints to Compose's messages, merges overrides as `-f base -f override`, and reads .env files with python-dotenv.
No engine needed: `docker compose config` does not talk to one."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import compose_file as cf
from helpers.compose_file import ComposeError


def write(folder: Path, text: str, name: str = "compose.yaml") -> Path:
    (folder / name).write_text(text)
    return folder / name


# Compose's message for each usual slip, and the start of the course's hint for it.
SLIPS = {
    "undefined volume": ("services:\n  a:\n    image: x\n    volumes: [data:/d]\n", "a named volume must be declared"),
    "undefined service": ("services:\n  a: {image: x, depends_on: [b]}\n", "depends_on names services"),
    "bad YAML": ("services:\n  a:\n    image: x\n   command: y\n", "YAML goes by indentation"),
    "missing variable": ("services:\n  a: {image: '${NOPE:?set NOPE}'}\n", "set that variable in the .env"),
    "unknown key": ("services:\n  a: {image: x, imagee: y}\n", "that key is not in the Compose specification"),
    "duplicate key": ("services:\n  a:\n    image: x\n    image: y\n", "a key appears twice"),
    "no image": ("services:\n  a: {command: x}\n", "give the service an `image:`"),
    "cycle": ("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n",
              "depends_on goes round"),
}


@pytest.mark.parametrize("slip", SLIPS)
def test_composes_message_comes_with_the_courses_hint(tmp_path: Path, slip: str) -> None:
    text, hint = SLIPS[slip]
    with pytest.raises(ComposeError) as info:
        cf.load(write(tmp_path, text), env_file=False, environ={})
    assert info.value.message.startswith("Compose refuses compose.yaml: ")
    assert info.value.hint.startswith(hint), (slip, info.value.message, info.value.hint)


def test_messages_of_other_shapes_get_their_own_hints() -> None:
    reached = {cf.hint_for(message) for message in [
        'service "a" refers to undefined volume data: invalid compose project',
        "validating x.yaml: services.a.depends_on.b.condition value must be one of 'service_started', ...",
        "validating x.yaml: services.a.ports must be a array", "open x.yaml: no such file or directory"]}
    assert len(reached) == 4 and cf.hint_for("something new") == cf._DEFAULT_HINT
    # a service's key written level with the services: Compose takes it for a service's name
    assert "name of a service" in cf.hint_for("validating x.yaml: services.stop_grace_period must be a mapping")
    assert "name of a service" not in cf.hint_for("validating x.yaml: services.bot.environment must be a mapping")


def test_the_model_is_composes_canonical_form(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=8080\nSECRET_KEY='q uoted'\n")
    compose = cf.load(write(tmp_path, "services:\n  web:\n    image: x\n    ports: ['${PORT}:80']\n"
                                      "    env_file: .env\n    stop_grace_period: 90s\n"), project="p1")
    web = compose.services["web"]
    assert web["ports"] == [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}]
    assert web["environment"] == {"PORT": "8080", "SECRET_KEY": "q uoted"} and "env_file" not in web
    assert web["stop_grace_period"] == "1m30s" and cf.duration_ns(web["stop_grace_period"]) == 90 * 10**9
    assert compose.project_name == "p1" and compose.networks["default"]["name"] == "p1_default"
    assert "q uoted" not in repr(compose)  # values may be secrets


def test_the_shell_wins_over_dotenv_and_env_file_false_reads_none(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TAG=from-dotenv\n")
    path = write(tmp_path, "services:\n  web: {image: 'x:${TAG:-default}'}\n")
    assert cf.load(path, environ={}).services["web"]["image"] == "x:from-dotenv"
    assert cf.load(path, environ={"TAG": "shell"}).services["web"]["image"] == "x:shell"
    assert cf.load(path, environ={}, env_file=False).services["web"]["image"] == "x:default"


def test_overrides_merge_as_compose_merges(tmp_path: Path) -> None:
    base = cf.load(write(tmp_path, "services:\n  web:\n    image: x\n    ports: ['80:80']\n"
                                   "    environment: {A: '1', B: '2'}\n"), project="p1")
    merged = cf.merged(base, "services:\n  web:\n    ports: !reset []\n    environment: {B: '3'}\n",
                       tmp_path / "work" / "override.yaml")
    assert merged.services["web"]["environment"] == {"A": "1", "B": "3"} and not merged.services["web"].get("ports")
    replaced = cf.merged(base, "services:\n  web: !override\n    image: y\n", tmp_path / "work" / "o2.yaml")
    assert "environment" not in replaced.services["web"] and replaced.project_name == "p1"


def test_profiles_include_and_extends_work(tmp_path: Path) -> None:
    write(tmp_path, "services:\n  common: {image: x, environment: {A: '1'}}\n", "common.yaml")
    path = write(tmp_path, "include: [common.yaml]\nservices:\n  web: {extends: {file: common.yaml, service: common}}\n"
                           "  debug: {image: y, profiles: [debug]}\n")
    assert sorted(cf.load(path, environ={}).services) == ["common", "web"]
    assert cf.load(path, environ={}).services["web"]["environment"] == {"A": "1"}
    assert "debug" in cf.load(path, environ={}, profiles=("debug",)).services


def test_warnings_are_kept(tmp_path: Path) -> None:
    compose = cf.load(write(tmp_path, "services:\n  web: {image: 'x${UNSET_VAR}'}\n"), environ={}, env_file=False)
    assert any('"UNSET_VAR" variable is not set' in w for w in compose.warnings)


def test_parse_env_file_and_duration(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# a comment\nexport A=1\nB=\"two words\" # trailing\nC=\n")
    assert cf.parse_env_file(tmp_path / ".env") == {"A": "1", "B": "two words", "C": ""}
    assert [cf.duration_ns(d) for d in ("5s", "300ms", "1m30s", 2)] == [5 * 10**9, 3 * 10**8, 90 * 10**9, 2 * 10**9]
    with pytest.raises(ComposeError, match="not a duration"):
        cf.duration_ns("10 seconds")


def test_a_snippet_with_a_yaml_slip_says_where_with_a_hint():
    from helpers.compose_file import ComposeError, snippet

    assert snippet("\ndepends_on:\n  db:\n    condition: service_healthy\n") == {
        "depends_on": {"db": {"condition": "service_healthy"}}}
    with pytest.raises(ComposeError) as tab:
        snippet("\ndepends_on:\n  db:\n\tcondition: service_healthy\n")
    assert "SNIPPET is not valid YAML" in tab.value.message and "line 4" in tab.value.message
    assert "never tabs" in tab.value.hint
