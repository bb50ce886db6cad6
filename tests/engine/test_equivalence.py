"""The helper's ``up`` builds the cryphos stack as ``docker compose up`` builds it: compared container by container.

The stack comes up twice on the real engine, one project after the other (two stacks of one file cannot both
publish their host ports, and a 2-core machine is happier with one at a time):

1. by hand: ``helpers.up.up(helpers.stack.load(P), P, build=False)``, then every healthchecked service awaited
   healthy (build=False: the image exists, and `docker compose up` without --build does not build it either);
2. by Compose: ``docker compose -p P2 up -d --wait``.

Each stack is inspected once all-healthy, then removed (``helpers.down(P, volumes=True)`` and
``docker compose down -v``), and must leave nothing behind. Then, per service, the two are compared on what makes
the container: image, command, entrypoint, environment, working dir, mounts, restart policy, healthcheck, stop
timeout, port bindings, network aliases and Compose's labels. A difference fails with a per-service diff.

Normalised, because it is not a difference in what was built:
* the project name inside values (``eq-helper-learner_venv_data`` and ``eq-compose-learner_venv_data`` are both
  ``{project}_venv_data``);
* orders that Compose itself takes from Go maps, so they change from run to run: Config.Env (compared as a
  mapping), the entries of the ``com.docker.compose.depends_on`` label (as a set), the mounts (by target);
* the engine's random names: an anonymous volume's 64-hex name, the container's short id among its network
  aliases (the engine adds it when the container starts);
* ``com.docker.compose.image`` is compared as "the id of the image this container runs" (checked on each side
  against the container's own ``Image``), so a rebuild of the shared ``cryphos-app:latest`` tag between the two
  runs (other developers share the engine) does not read as a translation difference.
"""
from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from docker.errors import NotFound

import helpers as h
from helpers import compose_cli, naming, stack, translate
from helpers import up as helper_up
from helpers.compose_file import ComposeFile

pytestmark = pytest.mark.engine

TIMEOUT = 240  # seconds for a stack to be all-healthy (backend's start_period alone is 30 s)
LABEL_PREFIX = "com.docker.compose."
# Two Compose labels cannot match, by construction:
# * com.docker.compose.config-hash: Compose hashes its own (Go, compose-go) model of the service; the helper hashes
#   the parsed YAML (helpers.naming.config_hash). Both only serve to tell "changed since created"; reproducing
#   Compose's hash would mean reproducing compose-go's model and serialisation byte for byte.
# * com.docker.compose.version: the version of the Compose that made the container. The helpers are not Compose
#   and do not claim a version (writing the installed Compose's version would be a lie about who made it).
NOT_COMPARED_LABELS = {f"{LABEL_PREFIX}config-hash", f"{LABEL_PREFIX}version"}
_ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")


# --- fixtures and small helpers -----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Free host ports for db and backend, in the environment: the shell beats stack/.env, for Compose and for
    helpers.compose_file.load alike, so both paths publish the same ports (one after the other)."""
    chosen = {"DB_PORT": str(_free_port()), "BACKEND_PORT": str(_free_port())}
    for key, value in chosen.items():
        monkeypatch.setenv(key, value)
    return chosen


def _compose(*args: str, project: str, check: bool = True) -> Any:
    return compose_cli.compose(*args, project=project, files=[stack.COMPOSE_PATH], check=check, timeout=TIMEOUT + 60)


def _by_project(project: str) -> dict[str, list[str]]:
    """What the engine holds for ``project``, found by Compose's project label (the course label is not needed:
    Compose's own resources do not carry it)."""
    engine = h.client()
    label = {"label": f"{naming.PROJECT_LABEL}={project}"}
    return {"containers": [c.name for c in engine.containers.list(all=True, filters=label)],
            "networks": [n.name for n in engine.networks.list(filters=label)],
            "volumes": [v.name for v in engine.volumes.list(filters=label)]}


def _left_behind(project: str, anonymous: set[str]) -> dict[str, list[str]]:
    """What is left of ``project`` after a down: containers, networks, volumes by label, and which of
    ``anonymous`` (the containers' anonymous volumes, which carry no label) still exist."""
    left = {kind: names for kind, names in _by_project(project).items() if names}
    if still := sorted(v for v in anonymous if h.client().volumes.list(filters={"name": v})):
        left["anonymous volumes"] = still
    return left


def _anonymous_volumes(project: str) -> set[str]:
    """The anonymous volumes (the image's VOLUME /data of redis:8, for one) mounted by the project's containers."""
    engine = h.client()
    found = set()
    for container in engine.containers.list(all=True, filters={"label": f"{naming.PROJECT_LABEL}={project}"}):
        found |= {m["Name"] for m in container.attrs["Mounts"] if m["Type"] == "volume" and _ANONYMOUS.match(m["Name"])}
    return found


def _remove_volumes(names: set[str]) -> None:
    engine = h.client()
    for name in names:
        try:
            engine.volumes.get(name).remove(force=True)
        except NotFound:
            pass


def _remove_everything(project: str) -> None:
    """Best effort, for a clean start and for the finally-clause: Compose's down (sees both kinds of stack), then
    the helper's down (the course label) for whatever Compose did not see."""
    anonymous = _anonymous_volumes(project)
    _compose("down", "-v", "--remove-orphans", "--timeout", "5", project=project, check=False)
    h.down(project, volumes=True)
    _remove_volumes(anonymous)


def _has_healthcheck(spec: dict[str, Any]) -> bool:
    check = spec.get("healthcheck")
    return bool(check) and not check.get("disable")


def _wait_all_ready(project: str, compose: ComposeFile) -> None:
    """What ``up --wait`` waits for: healthy where there is a healthcheck, running elsewhere."""
    engine = h.client()
    for service in compose.services:
        (container,) = engine.containers.list(all=True, filters={"label": [f"{naming.PROJECT_LABEL}={project}",
                                                                          f"{naming.SERVICE_LABEL}={service}"]})
        if _has_healthcheck(compose.services[service]):
            h.wait_healthy(container, timeout=TIMEOUT)
        else:
            h.wait_running(container, timeout=TIMEOUT)


# --- what is compared ---------------------------------------------------------------------------------------------

def _normalise(value: Any, project: str) -> Any:
    if isinstance(value, str):
        return value.replace(project, "{project}")
    if isinstance(value, dict):
        return {_normalise(k, project): _normalise(v, project) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, project) for v in value]
    return value


def _environment(env: list[str] | None) -> dict[str, str | None]:
    pairs = [item.partition("=") for item in env or []]
    return {key: value if sep else None for key, sep, value in pairs}


def _mounts(mounts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``{target: {type, source, rw}}``: by target, so a diff names the mount (Compose's order is a map's)."""
    out = {}
    for m in mounts:
        source = m.get("Name") if m["Type"] == "volume" else m.get("Source")
        if m["Type"] == "volume" and _ANONYMOUS.match(source or ""):
            source = "<anonymous volume>"
        out[m["Destination"]] = {"type": m["Type"], "source": source, "rw": m["RW"]}
    return out


def _labels(attrs: dict[str, Any]) -> dict[str, Any]:
    labels = {k: v for k, v in (attrs["Config"].get("Labels") or {}).items()
              if k.startswith(LABEL_PREFIX) and k not in NOT_COMPARED_LABELS}
    depends = labels.get(translate.DEPENDS_ON_LABEL)
    if depends is not None:  # Compose writes the entries in Go map order: a set
        labels[translate.DEPENDS_ON_LABEL] = sorted(filter(None, depends.split(",")))
    image = labels.get(translate.IMAGE_LABEL)
    if image is not None and image == attrs["Image"]:
        labels[translate.IMAGE_LABEL] = "<the id of the image the container runs>"
    return labels


def _aliases(attrs: dict[str, Any]) -> dict[str, list[str]]:
    short_id = attrs["Id"][:12]
    return {net: sorted("<container short id>" if a == short_id else a for a in (cfg.get("Aliases") or []))
            for net, cfg in attrs["NetworkSettings"]["Networks"].items()}


def _container_view(attrs: dict[str, Any], project: str) -> dict[str, Any]:
    """What makes the container, from ``docker inspect``, project name normalised."""
    config, host = attrs["Config"], attrs["HostConfig"]
    view = {
        "name": attrs["Name"].lstrip("/"),
        "image": config["Image"],
        "command": config.get("Cmd"),
        "entrypoint": config.get("Entrypoint"),
        "environment": _environment(config.get("Env")),
        "working_dir": config.get("WorkingDir"),
        "user": config.get("User"),
        "mounts": _mounts(attrs["Mounts"]),
        "restart_policy": host.get("RestartPolicy"),
        "healthcheck": config.get("Healthcheck"),
        "stop_timeout": config.get("StopTimeout"),
        "stop_signal": config.get("StopSignal"),
        "port_bindings": host.get("PortBindings") or {},  # {"5432/tcp": [{"HostIp": ..., "HostPort": ...}]}
        "network_mode": host.get("NetworkMode"),
        "network_aliases": _aliases(attrs),
        "compose_labels": _labels(attrs),
    }
    return _normalise(view, project)


def _snapshot(project: str) -> dict[str, Any]:
    """The project as the engine has it: each service's container view, its state, and the project's networks and
    volumes (names and Compose labels)."""
    engine = h.client()
    label = {"label": f"{naming.PROJECT_LABEL}={project}"}
    containers, states = {}, {}
    for container in engine.containers.list(all=True, filters=label):
        attrs = engine.api.inspect_container(container.id)
        service = attrs["Config"]["Labels"][naming.SERVICE_LABEL]
        assert service not in containers, f"{project}: two containers for service {service}"
        containers[service] = _container_view(attrs, project)
        states[service] = h.summary(attrs["State"])

    def compose_labels(labels: dict[str, str] | None) -> dict[str, str]:
        return {k: v for k, v in (labels or {}).items() if k.startswith(LABEL_PREFIX) and k not in NOT_COMPARED_LABELS}

    resources = {
        "networks": {n.name: compose_labels(n.attrs.get("Labels")) for n in engine.networks.list(filters=label)},
        "volumes": {v.name: compose_labels(v.attrs.get("Labels")) for v in engine.volumes.list(filters=label)},
    }
    return {"containers": containers, "states": states, "resources": _normalise(resources, project)}


def _show(key: str, value: Any) -> str:
    """A value for the diff, secrets masked (the environment holds the database password)."""
    if key.startswith("environment.") and translate.is_secret(key.split(".", 1)[1]):
        return repr(translate.MASK if value is not None else None)
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", rf"\g<1>{translate.MASK}@", text)


def _differences(helper: Any, compose: Any, path: str = "") -> list[str]:
    """``key: helper=... compose=...`` lines, descending into dicts so a diff names the exact key."""
    if isinstance(helper, dict) and isinstance(compose, dict):
        lines = []
        for key in sorted(set(helper) | set(compose), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in helper:
                lines.append(f"{sub}: only from Compose: {_show(sub, compose[key])}")
            elif key not in compose:
                lines.append(f"{sub}: only from the helper: {_show(sub, helper[key])}")
            else:
                lines += _differences(helper[key], compose[key], sub)
        return lines
    if helper != compose:
        return [f"{path}:\n      helper:  {_show(path, helper)}\n      compose: {_show(path, compose)}"]
    return []


def _report(helper: dict[str, Any], compose: dict[str, Any]) -> str:
    parts = []
    for service in sorted(set(helper["containers"]) | set(compose["containers"])):
        if service not in helper["containers"] or service not in compose["containers"]:
            side = "the helper" if service in helper["containers"] else "Compose"
            parts.append(f"service {service}: only {side} made a container")
            continue
        lines = _differences(helper["containers"][service], compose["containers"][service])
        if lines:
            parts.append(f"service {service}:\n" + "\n".join(f"  {line}" for line in lines))
    lines = _differences(helper["resources"], compose["resources"])
    if lines:
        parts.append("project networks and volumes:\n" + "\n".join(f"  {line}" for line in lines))
    return "\n".join(parts)


def _not_ready(states: dict[str, str], compose_file: ComposeFile) -> dict[str, str]:
    """The services that are NOT as ``up --wait`` leaves them (healthy, or running without a healthcheck)."""
    wanted = {s: "running, health=healthy" if _has_healthcheck(spec) else "running"
              for s, spec in compose_file.services.items()}
    return {s: states.get(s, "no container") for s, want in wanted.items() if states.get(s) != want}


# --- the tests ------------------------------------------------------------------------------------------------------

@pytest.fixture
def projects(ports: dict[str, str]) -> Iterator[tuple[str, str]]:
    helper_project, compose_project = naming.project_name("eq-helper"), naming.project_name("eq-compose")
    for project in (helper_project, compose_project):
        _remove_everything(project)  # what a crashed earlier run left
    try:
        yield helper_project, compose_project
    finally:
        for project in (helper_project, compose_project):
            _remove_everything(project)


def test_helper_up_builds_what_compose_up_builds(projects: tuple[str, str]) -> None:
    helper_project, compose_project = projects
    compose_file = stack.load(helper_project)
    services = sorted(compose_file.services)
    problems: list[str] = []  # reported together at the end, with the diff
    timings = {}

    # 1. By hand. build=False: `docker compose up` (no --build) does not build an image that exists either; and
    #    building would re-tag cryphos-app:latest, which the other developers on this engine use.
    started = time.monotonic()
    helper_up.up(compose_file, helper_project, build=False, timeout=TIMEOUT, progress=lambda _msg: None)
    _wait_all_ready(helper_project, compose_file)
    timings["helper"] = time.monotonic() - started
    by_helper = _snapshot(helper_project)
    assert not _not_ready(by_helper["states"], compose_file), f"helper stack not all-healthy: {by_helper['states']}"

    # Compose's labels on hand-made containers: `docker compose ps` lists the helper's stack, with its health.
    listed = _compose("ps", "--all", "--format", "json", project=helper_project).stdout
    rows = [json.loads(line) for line in listed.splitlines() if line.strip()]
    if sorted(r["Service"] for r in rows) != services or any(
            r["Health"] != "healthy" for r in rows if _has_healthcheck(compose_file.services[r["Service"]])):
        problems.append(f"`docker compose -p {helper_project} ps` does not list the helper's stack as built:\n"
                        + "\n".join(f"  {r['Service']}: {r['State']} {r['Health']}" for r in rows))

    anonymous = _anonymous_volumes(helper_project)  # none with the current redis:8; redis up to 8.2 declared /data
    h.down(helper_project, volumes=True)
    if left := _left_behind(helper_project, anonymous):
        problems.append(f"helpers.down({helper_project!r}, volumes=True) left behind: {left}")

    # 2. By Compose, with the same host ports (the helper's stack is gone). --pull never: the images are local.
    started = time.monotonic()
    _compose("up", "-d", "--wait", "--wait-timeout", str(TIMEOUT), "--pull", "never", project=compose_project)
    timings["compose"] = time.monotonic() - started
    by_compose = _snapshot(compose_project)
    assert not _not_ready(by_compose["states"], compose_file), f"Compose stack not all-healthy: {by_compose['states']}"
    anonymous = _anonymous_volumes(compose_project)
    _compose("down", "-v", project=compose_project)
    if left := _left_behind(compose_project, anonymous):
        problems.append(f"docker compose -p {compose_project} down -v left behind: {left}")

    print(f"\ntime to all-healthy: helper {timings['helper']:.1f} s, compose {timings['compose']:.1f} s")
    if differences := _report(by_helper, by_compose):
        problems.append("the helper's stack differs from Compose's (helper vs compose, per service):\n" + differences)
    assert not problems, "\n\n".join(problems)


def test_compose_down_removes_a_stack_the_helper_built(projects: tuple[str, str]) -> None:
    """Hand-made, but labelled as Compose labels: `docker compose down -v` finds it all (db's named volume, the
    network, and the anonymous volumes, where an image declares one) and removes it."""
    helper_project, _ = projects
    helper_up.up(stack.load(helper_project), helper_project, ["db", "redis"], build=False, progress=lambda _m: None)
    made = _by_project(helper_project)
    assert len(made["containers"]) == 2 and made["networks"] and made["volumes"], made
    anonymous = _anonymous_volumes(helper_project)  # redis up to 8.2 declared VOLUME /data; the current one not

    _compose("down", "-v", project=helper_project)
    left = _left_behind(helper_project, anonymous)
    assert not left, f"docker compose down -v (on the helper's stack) left behind: {left}"
