"""One service of Compose's model -> the Docker SDK call that creates its container, as Compose v2 creates it.

The model is what ``docker compose config --format json`` prints (:func:`helpers.compose_file.load`): every key
in one canonical form. :func:`sdk_kwargs` gives the keyword arguments of ``client.containers.create(**kwargs)``;
:func:`create_container` makes the container from them (what :mod:`helpers.up` does); :func:`show` puts the
service as Compose read it and the SDK call side by side (the "Compose is an SDK client" lesson), with passwords
and tokens masked.

What "as Compose creates it" means was measured, not guessed: ``docker compose create`` (Compose v2.40), then
``docker inspect``, for each key handled here (tests/engine/test_equivalence.py compares the two on the engine).
Keys this module does not handle raise a :class:`ComposeError` instead of being dropped without a word.
"""

from __future__ import annotations

import html
import os
import re
import shlex
import textwrap
from collections.abc import Mapping
from typing import Any

import docker
import yaml
from docker.errors import ImageNotFound
from docker.models.containers import Container
from docker.types import EndpointConfig

from . import naming
from .compose_file import ComposeError, ComposeFile, depends_on_conditions, duration_ns, parse_env_file

HEADER = ("compose key", "as Compose reads it", "SDK argument")
API_VERSION = "1.41"  # the oldest Engine API the course supports (Docker 20.10): one network at create
MASK = "******"
_SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")

# Compose's labels that follow from the file alone (helpers.naming holds the project/service/number ones).
WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
DEPENDS_ON_LABEL = "com.docker.compose.depends_on"
IMAGE_LABEL = "com.docker.compose.image"  # the image id: known to the engine, so set by create_container

# The service keys translated here, and the SDK arguments each one becomes.
SDK_ARGS_FOR: dict[str, tuple[str, ...]] = {
    "image": ("image",), "build": ("image",), "container_name": ("name",), "command": ("command",),
    "entrypoint": ("entrypoint",), "environment": ("environment",),
    "working_dir": ("working_dir",), "user": ("user",), "hostname": ("hostname",), "labels": ("labels",),
    "ports": ("ports",), "volumes": ("volumes", "mounts"), "tmpfs": ("tmpfs",), "restart": ("restart_policy",),
    "healthcheck": ("healthcheck",), "stop_signal": ("stop_signal",), "stop_grace_period": ("stop_timeout",),
    "tty": ("tty",), "stdin_open": ("stdin_open",), "init": ("init",), "networks": ("network", "networking_config"),
}
_ADDED_BY_COMPOSE = {
    "name": "Compose names it project-service-1",
    "labels": "Compose labels it (the course adds its own labels)",
    "network": "Compose attaches it to the project's default network",
    "networking_config": "Compose gives it aliases there: the service name resolves",
    "image": "Compose's tag for a built image: project-service",
}
# Service keys that change nothing in the container itself: they steer what Compose does around it.
NOT_IN_THE_CONTAINER = {
    "depends_on": "no argument: Compose starts the dependencies first, and waits for their condition",
    "pull_policy": "no argument: it decides whether Compose pulls the image before creating the container",
    "profiles": "no argument: it decides whether Compose starts the service at all",
}


# --- names --------------------------------------------------------------------------------------------------------

def image_name(compose: ComposeFile, service: str, project: str) -> str:
    """The image a service runs: ``image:``, else (build only) Compose's default tag ``<project>-<service>``."""
    spec = compose.services[service]
    return str(spec["image"]) if spec.get("image") else f"{project}-{service}"


def volume_name(compose: ComposeFile, project: str, key: str) -> str:
    """The engine's name for the file's volume ``key`` (Compose's model names it: ``<project>_<key>`` unless the
    file gives a ``name:`` or the volume is external)."""
    return str((compose.volumes.get(key) or {}).get("name") or naming.resource_name(project, key))


def network_name(compose: ComposeFile, project: str, key: str = "default") -> str:
    """The engine's name for the file's network ``key`` (``<project>_default`` for the default network)."""
    return str((compose.networks.get(key) or {}).get("name") or naming.resource_name(project, key))


# --- the translation ----------------------------------------------------------------------------------------------

def _refuse_what_is_not_handled(compose: ComposeFile, service: str, spec: Mapping[str, Any]) -> None:
    unhandled = [k for k in spec if k not in SDK_ARGS_FOR and k not in NOT_IN_THE_CONTAINER and not k.startswith("x-")]
    if list(spec.get("networks") or {"default": None}) != ["default"]:
        unhandled.append("networks (other than default)")
    if (spec.get("healthcheck") or {}).get("start_interval") is not None:
        unhandled.append("healthcheck.start_interval (needs Engine API 1.44)")
    if unhandled:
        raise ComposeError(
            f'service "{service}": the course\'s translation does not handle '
            f"{', '.join(unhandled)}; its SDK call would not be the container Compose makes.",
            f"run this service with `docker compose up` instead, or remove {', '.join(unhandled)} for the exercise.")


def _mounts(compose: ComposeFile, spec: Mapping[str, Any], project: str) -> tuple[list[str], list[docker.types.Mount]]:
    """(binds, mounts): ``volumes=`` strings like ``/abs/src:/target:rw`` and ``mounts=`` objects.

    Compose hands a mount to the engine as a ``Binds`` string when it can, and as a ``Mounts`` object (the newer
    API) only when it must: a bind that must not create its host folder or sets propagation, a named volume with
    options, an anonymous volume, a tmpfs."""
    binds: list[str] = []
    mounts: list[docker.types.Mount] = []
    for m in spec.get("volumes") or []:
        kind, target, read_only = m["type"], m["target"], bool(m.get("read_only"))
        source = volume_name(compose, project, m["source"]) if kind == "volume" and m.get("source") else m.get("source")
        bind, volume = m.get("bind") or {}, m.get("volume") or {}
        if kind == "bind" and ("bind" not in m or bind.get("create_host_path") and not bind.get("propagation")):
            selinux = f",{bind['selinux']}" if bind.get("selinux") else ""
            binds.append(f"{source}:{target}:{'ro' if read_only else 'rw'}{selinux}")
        elif kind == "volume" and source and not volume:
            binds.append(f"{source}:{target}:{'ro' if read_only else 'rw'}")
        elif kind == "tmpfs":
            tmpfs = m.get("tmpfs") or {}
            mounts.append(docker.types.Mount(target, None, type="tmpfs", read_only=read_only,
                                             tmpfs_size=tmpfs.get("size"), tmpfs_mode=tmpfs.get("mode")))
        else:  # the same options object Compose sends (an empty one too)
            mount = docker.types.Mount(target, source or None, type=kind, read_only=read_only)
            if kind == "bind":
                mount["BindOptions"] = {"Propagation": bind["propagation"]} if bind.get("propagation") else {}
                if bind.get("create_host_path"):
                    mount["BindOptions"]["CreateMountpoint"] = True
            else:
                mount["VolumeOptions"] = {"NoCopy": True} if volume.get("nocopy") else {}
                if volume.get("subpath"):
                    mount["VolumeOptions"]["Subpath"] = str(volume["subpath"])
            mounts.append(mount)
    return binds, mounts


def _ports(spec: Mapping[str, Any]) -> dict[str, Any]:
    """docker-py's ``ports=``: ``{"5432/tcp": ("127.0.0.1", 5432)}``; a bare port number, or None for a free port."""
    ports: dict[str, list[Any]] = {}
    for p in spec.get("ports") or []:
        published = int(p["published"]) if p.get("published") else None
        ports.setdefault(f"{p['target']}/{p.get('protocol', 'tcp')}", []).append(
            (p["host_ip"], published) if p.get("host_ip") else published)
    return {key: values[0] if len(values) == 1 else values for key, values in ports.items()}


def _healthcheck(check: Mapping[str, Any]) -> dict[str, Any]:
    """docker-py's ``healthcheck=``: the test as a list, durations in nanoseconds."""
    result: dict[str, Any] = {"test": ["NONE"] if check.get("disable") else check.get("test")}
    for key in ("interval", "timeout", "start_period"):
        if check.get(key) is not None:
            result[key] = duration_ns(check[key])
    if check.get("retries") is not None:
        result["retries"] = int(check["retries"])
    return result


def depends_on_label(spec: Mapping[str, Any]) -> str:
    """Compose's ``com.docker.compose.depends_on``: ``dep:condition:restart`` per dependency, comma-joined.

    No dependency gives "". Compose writes the entries in Go map order, which changes from one run to the next;
    this writes them in the model's order."""
    deps = spec.get("depends_on") or {}
    return ",".join(f"{dep}:{condition}:{'true' if (deps[dep] or {}).get('restart') else 'false'}"
                    for dep, condition in depends_on_conditions(dict(spec)).items())


def project_labels(compose: ComposeFile, service: str) -> dict[str, str]:
    """The labels Compose v2.40 derives from the files: its folder, the files themselves, the service's depends_on.

    (Compose also writes ``com.docker.compose.version``, its own version: the helpers are not Compose, so they
    do not claim one; and ``com.docker.compose.image``, which :func:`create_container` adds.)
    """
    return {WORKING_DIR_LABEL: str(compose.project_dir), CONFIG_FILES_LABEL: ",".join(map(str, compose.files)),
            DEPENDS_ON_LABEL: depends_on_label(compose.services[service])}


def sdk_kwargs(compose: ComposeFile, service: str, project: str) -> dict[str, Any]:
    """The keyword arguments that create ``service``'s container as Compose would (the SDK lesson, helpers.up).

    Make the container with :func:`create_container` (``client.containers.create(**kwargs)`` cannot take
    ``stop_timeout``). Only keys the service sets appear, plus what Compose always adds: the name, the labels,
    the project's default network with the aliases that make the service name resolve.
    """
    if service not in compose.services:
        raise ComposeError(f"{compose.path.name} has no service {service!r}.",
                           f"its services are: {', '.join(compose.services)}.")
    if project != compose.project_name:
        raise ComposeError(
            f"{compose.path.name} was read for project {compose.project_name!r}, not {project!r}: values such as "
            "${COMPOSE_PROJECT_NAME} and the volumes' names would not be what Compose makes.",
            f"read it for this project: compose_file.load(path, project={project!r}).")
    spec = compose.services[service]
    _refuse_what_is_not_handled(compose, service, spec)

    name = str(spec.get("container_name") or naming.container_name(project, service))
    kwargs: dict[str, Any] = {"image": image_name(compose, service, project), "name": name}
    for key in ("command", "entrypoint"):
        if isinstance(spec.get(key), str):  # a lesson's edit written as in YAML; Compose's model has a list
            kwargs[key] = shlex.split(spec[key])
        elif spec.get(key) is not None:
            kwargs[key] = [str(word) for word in spec[key]]
    if environment := dict(spec.get("environment") or {}):  # None: a name without a value (the engine sets none)
        kwargs["environment"] = environment
    for key in ("working_dir", "user", "hostname", "stop_signal"):
        if spec.get(key) is not None:
            kwargs[key] = str(spec[key])
    kwargs["labels"] = {**(spec.get("labels") or {}), **naming.container_labels(project, service, config=spec),
                        **project_labels(compose, service)}  # Compose's labels win over the file's
    if ports := _ports(spec):
        kwargs["ports"] = ports
    binds, mounts = _mounts(compose, spec, project)
    if binds:
        kwargs["volumes"] = binds
    if mounts:
        kwargs["mounts"] = mounts
    if spec.get("tmpfs"):
        kwargs["tmpfs"] = dict((str(p).split(":", 1) + [""])[:2] for p in spec["tmpfs"])
    if spec.get("restart") is not None:
        policy, _, retries = str(spec["restart"]).partition(":")
        kwargs["restart_policy"] = {"Name": policy, "MaximumRetryCount": int(retries or 0)}
    if spec.get("healthcheck") is not None:
        kwargs["healthcheck"] = _healthcheck(spec["healthcheck"])
    if spec.get("stop_grace_period") is not None:
        kwargs["stop_timeout"] = duration_ns(spec["stop_grace_period"]) // 10**9
    for key in ("tty", "stdin_open", "init"):
        if spec.get(key) is not None:
            kwargs[key] = bool(spec[key])
    network = network_name(compose, project)
    aliases = [name, service, *((spec.get("networks") or {}).get("default") or {}).get("aliases", [])]
    kwargs["network"] = network
    kwargs["networking_config"] = {network: EndpointConfig(API_VERSION, aliases=aliases)}
    return kwargs


def create_container(client: docker.DockerClient, kwargs: Mapping[str, Any]) -> Container:
    """Create the container :func:`sdk_kwargs` describes, with docker-py's public API; used by :mod:`helpers.up`.

    Not ``client.containers.create(**kwargs)``: docker-py 7.1's high-level ``create`` has no ``stop_timeout``, and
    it lists every bind target under ``Config.Volumes``, which Compose does not. The low-level
    ``client.api.create_container`` takes both, with a host config from ``client.api.create_host_config``. (For
    ``stdin_open: true`` docker-py also sets AttachStdin and StdinOnce, which ``docker compose up`` does not.)
    The label Compose takes from the engine, ``com.docker.compose.image`` (the image's id), is added here.
    """
    args = dict(kwargs)
    try:  # Compose labels the container with the id of the image it was created from
        image_id = client.api.inspect_image(args["image"])["Id"]
    except ImageNotFound:  # the create below fails with the engine's own "No such image"
        image_id = None
    if image_id:  # as in Compose, its label wins over one of the same name in the file
        args["labels"] = {**(args.get("labels") or {}), IMAGE_LABEL: image_id}
    ports = args.pop("ports", None) or {}
    host_config = client.api.create_host_config(
        binds=args.pop("volumes", None), mounts=args.pop("mounts", None), port_bindings=ports or None,
        restart_policy=args.pop("restart_policy", None), tmpfs=args.pop("tmpfs", None), init=args.pop("init", None),
        network_mode=args.pop("network"))
    networking = args.pop("networking_config")
    created = client.api.create_container(
        args.pop("image"), host_config=host_config, ports=[tuple(p.split("/")) for p in ports] or None,
        networking_config=client.api.create_networking_config(networking), **args)
    return client.containers.get(created["Id"])


# --- showing it ---------------------------------------------------------------------------------------------------

def is_secret(name: str) -> bool:
    """Whether a variable's value must not be shown: its name holds PASSWORD, SECRET, TOKEN or KEY."""
    return any(word in name.upper() for word in _SECRET_WORDS)


def _mask_url(text: str) -> str:
    """``postgres://user:******@db/x``: the password part of a URL masked."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", rf"\g<1>{MASK}@", text)


def _mask_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    return MASK if is_secret(name) else _mask_url(str(value))


def masked(environment: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an environment with secret values replaced by ``******``, for display only."""
    return {k: _mask_value(k, v) for k, v in environment.items()}


def _model_text(value: Any) -> str:
    """A value of Compose's model as ``docker compose config`` prints it (YAML, block style)."""
    if isinstance(value, list) and not any(isinstance(item, (dict, list)) for item in value):
        return yaml.safe_dump(value, default_flow_style=True, width=10**6).rstrip("\n")  # [python, manage.py, tg]
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=False, width=10**6, sort_keys=False).rstrip("\n")
    return str(value).lower() if isinstance(value, bool) else str(value)


def _sdk_text(arg: str, value: Any) -> str:
    if arg == "environment":
        value = masked(value)
    if arg == "mounts":
        value = [dict(m) for m in value]
    if arg == "networking_config":
        value = {net: dict(cfg) for net, cfg in value.items()}
    if arg == "labels":  # shown without project_labels(): a machine's absolute paths, and depends_on has its row
        value = {k: v for k, v in value.items() if k not in (WORKING_DIR_LABEL, CONFIG_FILES_LABEL, DEPENDS_ON_LABEL)}
    return f"{arg}={value!r}"


def side_by_side(compose: ComposeFile, service: str, project: str) -> list[tuple[str, str, str]]:
    """Rows (key, value in Compose's model, SDK argument=value) for one service, secrets masked (the SDK lesson).

    Compose's model has no ``env_file:``: Compose has read those files into ``environment:`` already."""
    kwargs = sdk_kwargs(compose, service, project)
    rows: list[tuple[str, str, str]] = []
    shown: set[str] = set()
    for key, value in compose.services[service].items():
        if value is None:  # Compose writes `entrypoint: null` where the file sets none
            continue
        if key == "environment":
            value = masked(value)
        if key in SDK_ARGS_FOR:
            args = [a for a in SDK_ARGS_FOR[key] if a in kwargs]
            shown.update(args)
            sdk = "\n".join(_sdk_text(a, kwargs[a]) for a in args)
        else:
            sdk = NOT_IN_THE_CONTAINER.get(key, "no argument")
        rows.append((key, _model_text(value), sdk))
    for arg in kwargs:
        if arg not in shown:
            rows.append(("(not in the file)", _ADDED_BY_COMPOSE[arg], _sdk_text(arg, kwargs[arg])))
    # A secret can also reach other keys through ${VARIABLES} (a command, a healthcheck): mask it wherever it is.
    secrets = {str(v) for k, v in _variables(compose, kwargs).items()
               if v and is_secret(k) and len(str(v)) >= 4 and str(v).lower() not in ("true", "false")}
    return [(_scrub(key, secrets), _scrub(text, secrets), _scrub(sdk, secrets)) for key, text, sdk in rows]


def _variables(compose: ComposeFile, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Every variable whose value may have reached the model: the shell's, the ``.env``'s, the container's."""
    environ = compose.options.get("environ")
    dotenv_path = compose.project_dir / ".env"
    dotenv_values = parse_env_file(dotenv_path) if dotenv_path.is_file() else {}
    return {**(os.environ if environ is None else environ), **dotenv_values, **(kwargs.get("environment") or {})}


def _scrub(text: str, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _mask_url(text)


def render_text(rows: list[tuple[str, str, str]], width: int = 110) -> str:
    """The rows as a plain-text table, each cell wrapped."""
    widths = (20, (width - 26) * 2 // 5, (width - 26) * 3 // 5)

    def cell_lines(text: str, w: int) -> list[str]:
        return [piece for part in text.split("\n") for piece in textwrap.wrap(part, w) or [""]]

    lines = []
    for row in [HEADER, *rows]:
        cells = [cell_lines(str(text), w) for text, w in zip(row, widths, strict=True)]
        for i in range(max(len(cell) for cell in cells)):
            parts = [(cell[i] if i < len(cell) else "").ljust(w) for cell, w in zip(cells, widths, strict=True)]
            lines.append(" | ".join(parts).rstrip())
        lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def render_html(rows: list[tuple[str, str, str]]) -> str:
    """The rows as an HTML table, for a notebook."""
    cell = '<td style="text-align:left; vertical-align:top"><code style="white-space:pre-wrap">{}</code></td>'
    body = "".join("<tr>" + "".join(cell.format(html.escape(str(c))) for c in row) + "</tr>" for row in rows)
    head = "".join(f'<th style="text-align:left">{h}</th>' for h in HEADER)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show(compose: ComposeFile, service: str, project: str) -> None:
    """Show the service's YAML and its SDK call side by side: a table in Jupyter, plain text elsewhere."""
    rows = side_by_side(compose, service, project)
    if _in_notebook():
        from IPython.display import HTML, display
        display(HTML(render_html(rows)))
    else:
        print(render_text(rows))
