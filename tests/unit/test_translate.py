"""helpers.translate: one compose service -> the Docker SDK call that creates it. No engine needed.

What each expected value is was measured with `docker compose create` + `docker inspect` (Compose v2.40,
Engine 20.10): see the module docstring of helpers.translate.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import docker
import pytest

from helpers import compose_file as cf
from helpers import naming
from helpers import translate as tr
from helpers.compose_file import ComposeError

DATA = Path(__file__).parent / "data"
PROJECT = "lesson-x"
PASSWORD = "not-a-real-password"  # the seed sample's .env


@pytest.fixture
def seed(tmp_path: Path) -> cf.ComposeFile:
    shutil.copytree(DATA / "seed", tmp_path / "seed")
    (tmp_path / "seed" / "dotenv").rename(tmp_path / "seed" / ".env")
    return cf.load(tmp_path / "seed" / "docker-compose.yml", environ={}, project=PROJECT)


def service(tmp_path: Path, body: str, tail: str = "", **environ: str) -> cf.ComposeFile:
    """A file with one service `web` (keys in `body`, indented by 4), loaded for PROJECT."""
    text = "services:\n  web:\n" + "".join(f"    {line}\n" for line in body.strip("\n").split("\n")) + tail
    (tmp_path / "compose.yaml").write_text(text)
    return cf.load(tmp_path / "compose.yaml", environ=environ, project=PROJECT)


def network_config(name: str, service_name: str) -> dict:
    return {f"{PROJECT}_default": {"Aliases": [name, service_name]}}


# --- the seed's services ------------------------------------------------------------------------------------------

def test_db(seed: cf.ComposeFile) -> None:
    kwargs = tr.sdk_kwargs(seed, "db", PROJECT)
    assert kwargs == {
        "image": "postgres:17",
        "name": f"{PROJECT}-db-1",
        "environment": {"POSTGRES_DB": "cryphos", "POSTGRES_USER": "cryphos_user", "POSTGRES_PASSWORD": PASSWORD},
        "labels": {**naming.container_labels(PROJECT, "db", config=seed.services["db"]),
                   tr.WORKING_DIR_LABEL: str(seed.project_dir), tr.CONFIG_FILES_LABEL: str(seed.path),
                   tr.DEPENDS_ON_LABEL: ""},  # Compose writes the label, empty, when there is no depends_on
        "ports": {"5432/tcp": ("127.0.0.1", 5432)},
        "volumes": [f"{PROJECT}_cryphos_pgdata:/var/lib/postgresql/data:rw"],
        "restart_policy": {"Name": "always", "MaximumRetryCount": 0},
        "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U cryphos_user -d cryphos"],
                        "interval": 5_000_000_000, "timeout": 3_000_000_000, "retries": 20},
        "network": f"{PROJECT}_default",
        "networking_config": network_config(f"{PROJECT}-db-1", "db"),
    }
    assert isinstance(kwargs["networking_config"][f"{PROJECT}_default"], docker.types.EndpointConfig)


def test_backend(seed: cf.ComposeFile) -> None:
    kwargs = tr.sdk_kwargs(seed, "backend", PROJECT)
    folder = str(seed.project_dir)
    assert kwargs["image"] == "cryphos-app:latest"  # build + image: the image is the tag
    assert kwargs["name"] == f"{PROJECT}-backend-1"
    assert kwargs["command"] == ["sh", "-c", "python manage.py migrate &&\n"
                                 "       exec daphne -b 0.0.0.0 -p 8000 apis.asgi:application"]
    assert kwargs["working_dir"] == "/app/apis"
    assert kwargs["environment"] == {  # env_file first, then environment:
        "DB_PASSWORD": PASSWORD, "DJANGO_SECRET_KEY": "dev only, not secret", "REDIS_URL": "redis://redis:6379/0",
        "DATABASE_URL": f"postgres://cryphos_user:{PASSWORD}@db:5432/cryphos", "DJANGO_DEBUG": "1",
        "PYTHONPATH": "/app"}
    assert kwargs["volumes"] == [f"{folder}/staticfiles:/app/staticfiles:rw", f"{folder}:/app:rw",
                                 f"{PROJECT}_venv_data:/app/.venv:rw"]
    assert "mounts" not in kwargs
    assert kwargs["ports"] == {"8000/tcp": ("127.0.0.1", 8000)}
    assert kwargs["networking_config"] == network_config(f"{PROJECT}-backend-1", "backend")
    assert not {"depends_on", "restart_policy", "healthcheck", "stop_timeout", "entrypoint"} & set(kwargs)


def test_environment_wins_over_env_file(seed: cf.ComposeFile) -> None:
    assert tr.sdk_kwargs(seed, "liquidations", PROJECT)["environment"]["REDIS_URL"] == "redis://redis:6379/1"


def test_container_name_and_the_project_name(seed: cf.ComposeFile) -> None:
    kwargs = tr.sdk_kwargs(seed, "liquidations", PROJECT)
    assert kwargs["name"] == f"{PROJECT}-liquidations"
    assert kwargs["networking_config"] == network_config(f"{PROJECT}-liquidations", "liquidations")
    with pytest.raises(ComposeError, match=r"was read for project .lesson-x., not") as info:
        tr.sdk_kwargs(seed, "liquidations", "another-project")
    assert "project='another-project'" in info.value.hint


def test_stop_grace_period_is_stop_timeout_in_whole_seconds(seed: cf.ComposeFile, tmp_path: Path) -> None:
    assert tr.sdk_kwargs(seed, "tg", PROJECT)["stop_timeout"] == 20
    assert tr.sdk_kwargs(service(tmp_path, "image: x\nstop_grace_period: 1m20.9s"), "web", PROJECT)[
        "stop_timeout"] == 80  # Compose truncates, as Go's int(d.Seconds()) does


def test_a_build_only_service_runs_composes_default_tag(tmp_path: Path) -> None:
    assert tr.sdk_kwargs(service(tmp_path, "build: ."), "web", PROJECT)["image"] == f"{PROJECT}-web"


def test_an_unknown_service(seed: cf.ComposeFile) -> None:
    with pytest.raises(ComposeError, match="has no service 'nope'") as info:
        tr.sdk_kwargs(seed, "nope", PROJECT)
    assert "db" in info.value.hint and "redis" in info.value.hint


# --- key by key ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("restart, policy", [
    ('"no"', {"Name": "no", "MaximumRetryCount": 0}),   # Compose sends "no"; the engine's default is ""
    ("always", {"Name": "always", "MaximumRetryCount": 0}),
    ("unless-stopped", {"Name": "unless-stopped", "MaximumRetryCount": 0}),
    ("on-failure", {"Name": "on-failure", "MaximumRetryCount": 0}),
    ('"on-failure:3"', {"Name": "on-failure", "MaximumRetryCount": 3}),
])
def test_restart(tmp_path: Path, restart: str, policy: dict) -> None:
    assert tr.sdk_kwargs(service(tmp_path, f"image: x\nrestart: {restart}"), "web", PROJECT)["restart_policy"] == policy


def test_no_restart_key_no_restart_policy(tmp_path: Path) -> None:
    assert "restart_policy" not in tr.sdk_kwargs(service(tmp_path, "image: x"), "web", PROJECT)


@pytest.mark.parametrize("healthcheck, expected", [
    ('{test: "pg_isready", interval: 1m30s, timeout: 1.5s, start_period: 500ms, retries: "3"}',
     {"test": ["CMD-SHELL", "pg_isready"], "interval": 90_000_000_000, "timeout": 1_500_000_000,
      "start_period": 500_000_000, "retries": 3}),
    ("{test: [CMD, redis-cli, ping]}", {"test": ["CMD", "redis-cli", "ping"]}),
    ("{disable: true}", {"test": ["NONE"]}),
])
def test_healthcheck(tmp_path: Path, healthcheck: str, expected: dict) -> None:
    kwargs = tr.sdk_kwargs(service(tmp_path, f"image: x\nhealthcheck: {healthcheck}"), "web", PROJECT)
    assert kwargs["healthcheck"] == expected


def test_ports_in_docker_py_form(tmp_path: Path) -> None:
    compose = service(tmp_path, 'image: x\nports: ["5432", "127.0.0.1:5433:5432", "127.0.0.1::5434", "8000:8000/udp",'
                                ' "9000-9001:9000-9001", 8080]')
    assert tr.sdk_kwargs(compose, "web", PROJECT)["ports"] == {
        "5432/tcp": [None, ("127.0.0.1", 5433)], "5434/tcp": ("127.0.0.1", None), "8000/udp": 8000,
        "9000/tcp": 9000, "9001/tcp": 9001, "8080/tcp": None}


def test_volumes_go_as_binds_unless_compose_needs_the_mount_api(tmp_path: Path) -> None:
    compose = service(tmp_path, """
image: x
volumes:
  - ./src:/src
  - data:/data:ro
  - ./labelled:/l:z
  - {type: bind, source: ./long, target: /long, read_only: true}
  - /anonymous
  - data:/nocopy:nocopy
  - ./shared:/shared:rshared
  - {type: bind, source: /must/exist, target: /strict, bind: {create_host_path: false}}
  - {type: tmpfs, target: /scratch, tmpfs: {size: 1000}}
""", tail="volumes:\n  data:\n")
    kwargs = tr.sdk_kwargs(compose, "web", PROJECT)
    assert kwargs["volumes"] == [f"{tmp_path}/src:/src:rw", f"{PROJECT}_data:/data:ro", f"{tmp_path}/labelled:/l:rw,z",
                                 f"{tmp_path}/long:/long:ro"]
    assert [dict(m) for m in kwargs["mounts"]] == [
        {"Target": "/anonymous", "Source": None, "Type": "volume", "ReadOnly": False, "VolumeOptions": {}},
        {"Target": "/nocopy", "Source": f"{PROJECT}_data", "Type": "volume", "ReadOnly": False,
         "VolumeOptions": {"NoCopy": True}},
        {"Target": "/shared", "Source": f"{tmp_path}/shared", "Type": "bind", "ReadOnly": False,
         "BindOptions": {"Propagation": "rshared", "CreateMountpoint": True}},
        {"Target": "/strict", "Source": "/must/exist", "Type": "bind", "ReadOnly": False, "BindOptions": {}},
        {"Target": "/scratch", "Source": None, "Type": "tmpfs", "ReadOnly": False,
         "TmpfsOptions": {"SizeBytes": 1000}},
    ]
    assert all(isinstance(m, docker.types.Mount) for m in kwargs["mounts"])


def test_named_and_external_volumes(tmp_path: Path) -> None:
    # (names of one letter would read as Windows drives: Compose takes `a:/a` for a path)
    compose = service(tmp_path, "image: x\nvolumes: [va:/a, vb:/b, vc:/c]",
                      tail="volumes:\n  va:\n  vb: {name: exact-name}\n  vc: {external: true}\n")
    assert tr.sdk_kwargs(compose, "web", PROJECT)["volumes"] == [f"{PROJECT}_va:/a:rw", "exact-name:/b:rw",
                                                                 "vc:/c:rw"]


def test_the_small_keys(tmp_path: Path) -> None:
    compose = service(tmp_path, """
image: x
entrypoint: /usr/bin/env -- "a b"
user: "999"
hostname: web-host
stop_signal: SIGINT
tty: true
init: true
tmpfs: [/run, "/cache:size=1000"]
labels: [team=course, flag]
""")
    kwargs = tr.sdk_kwargs(compose, "web", PROJECT)
    assert kwargs["entrypoint"] == ["/usr/bin/env", "--", "a b"]
    assert (kwargs["user"], kwargs["hostname"], kwargs["stop_signal"]) == ("999", "web-host", "SIGINT")
    assert (kwargs["tty"], kwargs["init"]) == (True, True)
    assert kwargs["tmpfs"] == {"/run": "", "/cache": "size=1000"}
    assert kwargs["labels"] == {"flag": "", "team": "course",
                                **naming.container_labels(PROJECT, "web", config=compose.services["web"]),
                                **tr.project_labels(compose, "web")}


def test_the_labels_compose_derives_from_the_file(seed: cf.ComposeFile) -> None:
    labels = tr.sdk_kwargs(seed, "backend", PROJECT)["labels"]
    assert labels[tr.WORKING_DIR_LABEL] == str(seed.project_dir)  # absolute: the folder of the file
    assert labels[tr.CONFIG_FILES_LABEL] == str(seed.project_dir / "docker-compose.yml")
    assert labels[tr.DEPENDS_ON_LABEL] == "db:service_healthy:false,redis:service_healthy:false"
    assert tr.sdk_kwargs(seed, "tg", PROJECT)["labels"][tr.DEPENDS_ON_LABEL] == (  # the list form
        "db:service_started:false,redis:service_started:false")
    assert tr.IMAGE_LABEL not in labels  # the image id comes from the engine: create_container adds it


def test_the_depends_on_label_in_composes_format(tmp_path: Path) -> None:
    # As `docker compose create` (v2.40) wrote it for this file: `restart:` is the third field, `required:`
    # is not in the label. (Compose's order of the entries is Go's map order, i.e. random: here the file's.)
    compose = service(tmp_path, "image: x\ndepends_on:\n  a: {condition: service_started, restart: true}\n"
                                "  b: {condition: service_completed_successfully, required: false}",
                      tail="  a: {image: y}\n  b: {image: y}\n")
    assert tr.sdk_kwargs(compose, "web", PROJECT)["labels"][tr.DEPENDS_ON_LABEL] == (
        "a:service_started:true,b:service_completed_successfully:false")


def test_composes_labels_win_over_the_services_own(tmp_path: Path) -> None:
    compose = service(tmp_path, f"image: x\nlabels: {{{naming.SERVICE_LABEL}: fake}}")
    assert tr.sdk_kwargs(compose, "web", PROJECT)["labels"][naming.SERVICE_LABEL] == "web"


def test_a_variable_named_without_a_value(tmp_path: Path) -> None:
    compose = service(tmp_path, "image: x\nenvironment: [FROM_SHELL, NOWHERE]", FROM_SHELL="s")
    assert tr.sdk_kwargs(compose, "web", PROJECT)["environment"] == {"FROM_SHELL": "s", "NOWHERE": None}


def test_the_default_network_with_extra_aliases(tmp_path: Path) -> None:
    compose = service(tmp_path, "image: x\nnetworks: {default: {aliases: [www]}}")
    assert tr.sdk_kwargs(compose, "web", PROJECT)["networking_config"] == {
        f"{PROJECT}_default": {"Aliases": [f"{PROJECT}-web-1", "web", "www"]}}
    compose = service(tmp_path, "image: x\nnetworks: [default]", tail="networks:\n  default: {name: shared-net}\n")
    assert tr.sdk_kwargs(compose, "web", PROJECT)["network"] == "shared-net"


@pytest.mark.parametrize("body, named", [
    ("image: x\nexpose: [80]", "expose"),
    ("image: x\nnetwork_mode: host", "network_mode"),
    ("image: x\nnetworks: [front, back]", "networks (other than default)"),
    ("image: x\ncap_add: [NET_ADMIN]", "cap_add"),
    ("image: x\nhealthcheck: {test: [CMD, x], start_period: 5s, start_interval: 1s}", "healthcheck.start_interval"),
])
def test_what_is_not_translated_is_refused_not_dropped(tmp_path: Path, body: str, named: str) -> None:
    compose = service(tmp_path, body, tail="networks:\n  front:\n  back:\n" if "front" in body else "")
    with pytest.raises(ComposeError) as info:
        tr.sdk_kwargs(compose, "web", PROJECT)
    assert f'service "web": the course\'s translation does not handle {named}' in info.value.message
    assert "Hint: " in str(info.value) and "docker compose up" in info.value.hint


def test_keys_that_do_not_shape_the_container_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: x\n    pull_policy: never\n"
                                           "    profiles: [debug]\n    depends_on: [db]\n    x-note: hi\n"
                                           "  db: {image: y}\n")
    compose = cf.load(tmp_path / "compose.yaml", environ={}, project=PROJECT, profiles=("debug",))
    assert set(tr.sdk_kwargs(compose, "web", PROJECT)) == {"image", "name", "labels", "network", "networking_config"}


def test_a_service_of_a_profile_not_enabled_is_not_in_the_model(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  web: {image: x, profiles: [debug]}\n  db: {image: y}\n")
    assert list(cf.load(tmp_path / "compose.yaml", environ={}, project=PROJECT).services) == ["db"]


# --- creating the container (the request is captured: no engine) --------------------------------------------------

IMAGE_ID = "sha256:" + "ab" * 32


@pytest.fixture
def offline_client(monkeypatch: pytest.MonkeyPatch) -> tuple[docker.DockerClient, list]:
    """A real docker-py client whose last step, the HTTP request, is captured instead of sent."""
    client = docker.DockerClient(base_url="unix:///nonexistent/docker.sock", version=tr.API_VERSION)
    sent: list = []
    monkeypatch.setattr(client.api, "inspect_image", lambda image: {"Id": IMAGE_ID})
    monkeypatch.setattr(client.api, "create_container_from_config",
                        lambda config, name=None, platform=None: sent.append((config, name)) or {"Id": "abc123"})
    monkeypatch.setattr(docker.models.containers.ContainerCollection, "get",
                        lambda self, container_id: f"<container {container_id}>")
    return client, sent


def test_create_container_sends_what_compose_sends(seed: cf.ComposeFile, offline_client) -> None:
    client, sent = offline_client
    kwargs = tr.sdk_kwargs(seed, "tg", PROJECT)
    assert tr.create_container(client, kwargs) == "<container abc123>"
    config, name = sent[0]
    assert name == f"{PROJECT}-tg-1"
    assert config["StopTimeout"] == 20
    assert config.get("Volumes") is None  # docker-py's containers.create would list the bind targets here
    assert config["Cmd"] == ["python", "manage.py", "tg"]
    assert f"DB_PASSWORD={PASSWORD}" in config["Env"]
    assert config["HostConfig"]["NetworkMode"] == f"{PROJECT}_default"
    assert config["NetworkingConfig"] == {"EndpointsConfig": network_config(f"{PROJECT}-tg-1", "tg")}
    assert (config["AttachStdout"], config["AttachStderr"], config["AttachStdin"]) == (True, True, False)
    assert config["Labels"][tr.IMAGE_LABEL] == IMAGE_ID  # Compose's label: the id of the image, from the engine
    assert config["Labels"][tr.DEPENDS_ON_LABEL] == "db:service_started:false,redis:service_started:false"
    assert "labels" in kwargs and tr.IMAGE_LABEL not in kwargs["labels"]  # the caller's kwargs are not changed


def test_create_container_without_the_image_leaves_the_error_to_the_engine(
        seed: cf.ComposeFile, offline_client, monkeypatch: pytest.MonkeyPatch) -> None:
    client, sent = offline_client

    def missing(image: str) -> dict:
        raise docker.errors.ImageNotFound(f"No such image: {image}")

    monkeypatch.setattr(client.api, "inspect_image", missing)
    tr.create_container(client, tr.sdk_kwargs(seed, "tg", PROJECT))
    assert tr.IMAGE_LABEL not in sent[0][0]["Labels"]  # no label, and the create request still goes out


def test_create_container_ports_mounts_and_healthcheck(tmp_path: Path, offline_client) -> None:
    client, sent = offline_client
    compose = service(tmp_path, 'image: x\nports: ["127.0.0.1::5432", "8000:8000/udp"]\nvolumes: [/anon, ./src:/src]\n'
                                'healthcheck: {test: "true", interval: 5s}\nenvironment: [BARE]')
    tr.create_container(client, tr.sdk_kwargs(compose, "web", PROJECT))
    config, _ = sent[0]
    assert config["ExposedPorts"] == {"5432/tcp": {}, "8000/udp": {}}
    assert config["HostConfig"]["PortBindings"] == {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
                                                    "8000/udp": [{"HostIp": "", "HostPort": "8000"}]}
    assert config["HostConfig"]["Binds"] == [f"{tmp_path}/src:/src:rw"]
    assert config["HostConfig"]["Mounts"] == [{"Target": "/anon", "Source": None, "Type": "volume",
                                               "ReadOnly": False, "VolumeOptions": {}}]
    assert config["Healthcheck"]["Test"] == ["CMD-SHELL", "true"] and config["Healthcheck"]["Interval"] == 5 * 10**9
    assert config["Env"] == ["BARE"]  # a bare name: the engine then sets no BARE, as with Compose


def test_why_create_container_exists(seed: cf.ComposeFile, offline_client) -> None:
    client, _ = offline_client
    with pytest.raises(TypeError, match="stop_timeout"):
        client.containers.create(**tr.sdk_kwargs(seed, "tg", PROJECT))


# --- showing it, secrets masked -----------------------------------------------------------------------------------

def test_side_by_side_for_db(seed: cf.ComposeFile) -> None:
    rows = {key: (written, sdk) for key, written, sdk in tr.side_by_side(seed, "db", PROJECT)}
    assert rows["image"] == ("postgres:17", "image='postgres:17'")
    assert rows["restart"] == ("always", "restart_policy={'Name': 'always', 'MaximumRetryCount': 0}")
    written, sdk = rows["environment"]
    assert "POSTGRES_PASSWORD: '******'" in written.splitlines() and PASSWORD not in written  # interpolated, masked
    assert "'POSTGRES_PASSWORD': '******'" in sdk and PASSWORD not in sdk
    assert rows["ports"][1] == "ports={'5432/tcp': ('127.0.0.1', 5432)}"
    assert "host_ip: 127.0.0.1" in rows["ports"][0] and "target: 5432" in rows["ports"][0]  # Compose's long form
    assert rows["healthcheck"][1].startswith("healthcheck={'test': ['CMD-SHELL', 'pg_isready")
    added = [(written, sdk) for key, written, sdk in tr.side_by_side(seed, "db", PROJECT) if key == "(not in the file)"]
    assert [sdk.split("=")[0] for _, sdk in added] == ["name", "labels"]  # the network: Compose's model has it
    assert rows["networks"][1].startswith("network='lesson-x_default'")
    labels = next(sdk for _, sdk in added if sdk.startswith("labels="))
    assert naming.SERVICE_LABEL in labels  # shown without the labels naming this machine's paths
    assert tr.WORKING_DIR_LABEL not in labels and str(seed.project_dir) not in labels


def test_side_by_side_for_backend(seed: cf.ComposeFile) -> None:
    rows = tr.side_by_side(seed, "backend", PROJECT)
    keys = [key for key, _, _ in rows]
    assert keys[:2] == ["build", "command"] and "env_file" not in keys  # Compose's model: sorted, env_file read
    text = repr(rows)
    assert PASSWORD not in text
    assert "dev only, not secret" not in text          # DJANGO_SECRET_KEY
    assert "postgres://cryphos_user:******@db" in text  # a password inside a URL
    depends = next(sdk for key, _, sdk in rows if key == "depends_on")
    assert depends.startswith("no argument: Compose starts the dependencies first")


def test_a_literal_secret_in_the_file_is_masked_where_it_is_written(tmp_path: Path) -> None:
    compose = service(tmp_path, 'image: x\nenvironment: [API_TOKEN=tok-123, MODE=dev, "Db_Password=${PW:-hunter2}"]')
    rows = tr.side_by_side(compose, "web", PROJECT)
    assert "tok-123" not in repr(rows) and "hunter2" not in repr(rows)
    written = next(w for key, w, _ in rows if key == "environment")
    assert written == "API_TOKEN: '******'\nDb_Password: '******'\nMODE: dev"
    assert tr.sdk_kwargs(compose, "web", PROJECT)["environment"]["API_TOKEN"] == "tok-123"  # kwargs stay real


@pytest.mark.parametrize("name, secret", [("DB_PASSWORD", True), ("api_token", True), ("SECRET_KEY", True),
                                          ("AWS_ACCESS_KEY_ID", True), ("PYTHONPATH", False), ("MODE", False)])
def test_is_secret(name: str, secret: bool) -> None:
    assert tr.is_secret(name) is secret


def test_render_text_and_html(seed: cf.ComposeFile) -> None:
    rows = tr.side_by_side(seed, "db", PROJECT)
    text = tr.render_text(rows)
    assert text.splitlines()[0].split(" | ")[0].strip() == "compose key"
    assert PASSWORD not in text and "******" in text
    page = tr.render_html([("k", "<b>&", "x='<y>'\nz=/a/b")])
    assert "&lt;b&gt;&amp;" in page and "x=<wbr>&#x27;&lt;y&gt;&#x27;" in page and page.startswith("<table ")
    assert "<br>z=<wbr>/<wbr>a/<wbr>b" in page   # it wraps where a viewer drops the styles (untrusted, GitHub)


def test_show_prints_plain_text_outside_jupyter(seed: cf.ComposeFile, capsys: pytest.CaptureFixture[str]) -> None:
    tr.show(seed, "db", PROJECT)
    out = capsys.readouterr().out
    assert "restart_policy=" in out and PASSWORD not in out


def test_show_displays_html_in_jupyter(seed: cf.ComposeFile, monkeypatch: pytest.MonkeyPatch) -> None:
    display = pytest.importorskip("IPython.display")
    shown: list = []
    monkeypatch.setattr(tr, "_in_notebook", lambda: True)
    monkeypatch.setattr(display, "display", lambda obj: shown.append(obj))
    tr.show(seed, "db", PROJECT)
    assert isinstance(shown[0], display.HTML)
    assert "<table " in shown[0].data and PASSWORD not in shown[0].data


def test_side_by_side_with_only_an_env_file(seed: cf.ComposeFile) -> None:
    rows = tr.side_by_side(seed, "tg", PROJECT)
    env_row = next((written, sdk) for key, written, sdk in rows if key == "environment")  # env_file read into it
    assert "DB_PASSWORD: '******'" in env_row[0] and "'DB_PASSWORD': '******'" in env_row[1]
    assert PASSWORD not in repr(rows) and not any(key == "env_file" for key, _, _ in rows)
    assert next(sdk for key, _, sdk in rows if key == "stop_grace_period") == "stop_timeout=20"


def test_the_config_hash_label_follows_the_service(tmp_path: Path) -> None:
    first = tr.sdk_kwargs(service(tmp_path, "image: x\ncommand: a"), "web", PROJECT)["labels"]
    second = tr.sdk_kwargs(service(tmp_path, "image: x\ncommand: b"), "web", PROJECT)["labels"]
    assert first[naming.CONFIG_HASH_LABEL] != second[naming.CONFIG_HASH_LABEL]


def test_a_secret_that_reaches_another_key_is_masked_there_too(tmp_path: Path) -> None:
    body = ('image: x\ncommand: ["pg_dump", "--password=${DB_PASSWORD}", "postgres://u:pw@db/x"]\n'
            'healthcheck: {test: "check ${API_TOKEN}"}')
    compose = service(tmp_path, body, DB_PASSWORD="s3cret-pw", API_TOKEN="tok-999")
    text = repr(tr.side_by_side(compose, "web", PROJECT))
    assert "s3cret-pw" not in text and "tok-999" not in text and ":pw@" not in text
    assert "--password=******" in text and "check ******" in text and "postgres://u:******@db/x" in text
