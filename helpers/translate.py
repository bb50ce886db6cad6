"""One service of a compose file -> the Docker SDK call that creates its container, as Compose v2 creates it.

:func:`sdk_kwargs` gives the keyword arguments of ``client.containers.create(**kwargs)``; :func:`create_container`
makes the container from them (what :mod:`helpers.up` does); :func:`show` puts the YAML and the SDK call side by
side (the "Compose is an SDK client" lesson), with passwords and tokens masked.

What "as Compose creates it" means was measured, not guessed: ``docker compose create`` (Compose v2.40, Engine
20.10, API 1.41), then ``docker inspect``, for each key handled here. Keys this module does not handle raise a
:class:`ComposeError` instead of being dropped without a word.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Mapping
from typing import Any

import docker
import yaml
from docker.errors import ImageNotFound
from docker.models.containers import Container, _create_container_args
from docker.types import EndpointConfig

from . import naming
from .compose_file import (
    ComposeError,
    ComposeFile,
    Mount,
    as_mapping,
    command_list,
    depends_on_conditions,
    duration_ns,
    env_files,
    environment_dict,
    go_string,
    parse_env_file,
    parse_ports,
    parse_volumes,
)

HEADER = ("compose key", "as written", "SDK argument")
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
    "entrypoint": ("entrypoint",), "env_file": ("environment",), "environment": ("environment",),
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


def _resource_name(declared: Mapping[str, Any], project: str, key: str) -> str:
    """A volume's or network's name on the engine: its ``name:``, an external one's own key, else project_key."""
    entry = declared.get(key) or {}
    if entry.get("name"):
        return str(entry["name"])
    return key if go_string(entry.get("external", False)) == "true" else naming.resource_name(project, key)


def volume_name(compose: ComposeFile, project: str, key: str) -> str:
    """The engine's name for the file's volume ``key``: ``naming.resource_name(project, key)`` unless renamed."""
    return _resource_name(compose.volumes, project, key)


def network_name(compose: ComposeFile, project: str, key: str = "default") -> str:
    """The engine's name for the file's network ``key`` (``<project>_default`` for the default network)."""
    return _resource_name(compose.networks, project, key)


# --- the translation ----------------------------------------------------------------------------------------------

def _refuse_what_is_not_handled(compose: ComposeFile, service: str, spec: Mapping[str, Any]) -> None:
    unhandled = [k for k in spec if k not in SDK_ARGS_FOR and k not in NOT_IN_THE_CONTAINER and not k.startswith("x-")]
    nets = spec.get("networks")
    if nets is not None and list(nets) != ["default"]:
        unhandled.append("networks (other than default)")
    healthcheck = spec.get("healthcheck") or {}
    if healthcheck.get("start_interval") is not None:
        unhandled.append("healthcheck.start_interval (needs Engine API 1.44)")
    if unhandled:
        raise ComposeError(
            f'{compose.path.name}: service "{service}": the course\'s translation does not handle '
            f"{', '.join(unhandled)}; its SDK call would not be the container Compose makes.",
            f"run this service with `docker compose up` instead, or remove {', '.join(unhandled)} for the exercise.")


def _as_bool(value: Any) -> bool:
    return go_string(value).lower() == "true"


def _needs_mount_api(mount: Mount) -> bool:
    """Compose hands a mount to the engine as a ``Binds`` string when it can, and as a ``Mounts`` object (the
    newer API) only when it must: a bind that must not create its host folder or sets propagation, a named
    volume with options, an anonymous volume, a tmpfs."""
    if mount.type == "bind":
        return bool(mount.options) and (not _as_bool(mount.options.get("create_host_path", False))
                                        or bool(mount.options.get("propagation")))
    if mount.type == "volume":
        return not mount.source or _as_bool(mount.options.get("nocopy", False)) or bool(mount.options.get("subpath"))
    return True


def _sdk_mount(mount: Mount, source: str) -> docker.types.Mount:
    """A ``docker.types.Mount`` with the same options object Compose sends (empty ones too, as Compose does)."""
    opts = mount.options
    if mount.type == "tmpfs":
        return docker.types.Mount(mount.target, None, type="tmpfs", read_only=mount.read_only,
                                  tmpfs_size=opts.get("size"), tmpfs_mode=opts.get("mode"))
    result = docker.types.Mount(mount.target, source or None, type=mount.type, read_only=mount.read_only)
    if mount.type == "bind":
        result["BindOptions"] = {"Propagation": opts["propagation"]} if opts.get("propagation") else {}
        if _as_bool(opts.get("create_host_path", False)):
            result["BindOptions"]["CreateMountpoint"] = True
    else:
        result["VolumeOptions"] = {"NoCopy": True} if _as_bool(opts.get("nocopy", False)) else {}
        if opts.get("subpath"):
            result["VolumeOptions"]["Subpath"] = str(opts["subpath"])
    return result


def _mounts(compose: ComposeFile, spec: Mapping[str, Any], project: str) -> tuple[list[str], list[docker.types.Mount]]:
    """(binds, mounts): ``volumes=`` strings like ``/abs/src:/target:rw`` and ``mounts=`` objects."""
    binds: list[str] = []
    mounts: list[docker.types.Mount] = []
    for mount in parse_volumes(spec.get("volumes") or [], compose.project_dir):
        source = volume_name(compose, project, mount.source) if mount.type == "volume" and mount.source \
            else mount.source
        if _needs_mount_api(mount):
            mounts.append(_sdk_mount(mount, source))
        else:
            selinux = f",{mount.options['selinux']}" if mount.options.get("selinux") else ""
            binds.append(f"{source}:{mount.target}:{'ro' if mount.read_only else 'rw'}{selinux}")
    return binds, mounts


def _ports(spec: Mapping[str, Any]) -> dict[str, Any]:
    """docker-py's ``ports=``: ``{"5432/tcp": ("127.0.0.1", 5432)}``; a bare port number, or None for a free port."""
    ports: dict[str, list[Any]] = {}
    for b in parse_ports(spec.get("ports") or []):
        ports.setdefault(f"{b.container_port}/{b.protocol}", []).append((b.host_ip, b.host_port) if b.host_ip
                                                                        else b.host_port)
    return {key: values[0] if len(values) == 1 else values for key, values in ports.items()}


def _healthcheck(check: Mapping[str, Any]) -> dict[str, Any]:
    """docker-py's ``healthcheck=``: the test as a list, durations in nanoseconds."""
    test = check.get("test")
    if _as_bool(check.get("disable", False)):
        test = ["NONE"]
    elif isinstance(test, str):
        test = ["CMD-SHELL", test]
    result: dict[str, Any] = {"test": test}
    for key in ("interval", "timeout", "start_period"):
        if check.get(key) is not None:
            result[key] = duration_ns(check[key], f"healthcheck.{key}")
    if check.get("retries") is not None:
        result["retries"] = int(go_string(check["retries"]))
    return result


def depends_on_label(spec: Mapping[str, Any]) -> str:
    """Compose's ``com.docker.compose.depends_on``: ``dep:condition:restart`` per dependency, comma-joined.

    ``restart`` is the long syntax's ``restart:`` (default false); no dependency gives "". Compose writes the
    entries in Go map order, which changes from one run to the next; this writes them in the file's order.
    """
    deps = spec.get("depends_on") or {}
    restart = {str(d): _as_bool((s or {}).get("restart", False)) for d, s in deps.items()} if isinstance(
        deps, dict) else {}  # the list form: restart false
    return ",".join(f"{dep}:{condition}:{'true' if restart.get(dep) else 'false'}"
                    for dep, condition in depends_on_conditions(spec).items())


def project_labels(compose: ComposeFile, service: str) -> dict[str, str]:
    """The labels Compose v2.40 derives from the file: its folder, the file itself, the service's depends_on.

    (Compose also writes ``com.docker.compose.version``, its own version: the helpers are not Compose, so they
    do not claim one; and ``com.docker.compose.image``, which :func:`create_container` adds.)
    """
    return {WORKING_DIR_LABEL: str(compose.project_dir), CONFIG_FILES_LABEL: str(compose.path),
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
    if project != compose.project_name and "COMPOSE_PROJECT_NAME" in compose.referenced:
        raise ComposeError(
            f"{compose.path.name} uses ${{COMPOSE_PROJECT_NAME}} and was loaded for project "
            f"{compose.project_name!r}, not {project!r}: its values would not be what Compose makes.",
            f"load it for this project: compose_file.load(path, project={project!r}).")
    spec = compose.services[service]
    _refuse_what_is_not_handled(compose, service, spec)

    name = str(spec.get("container_name") or naming.container_name(project, service))
    kwargs: dict[str, Any] = {"image": image_name(compose, service, project), "name": name}
    for key in ("command", "entrypoint"):
        if (words := command_list(spec.get(key))) is not None:
            kwargs[key] = words
    if environment := environment_dict(spec, compose.project_dir, compose.env):
        kwargs["environment"] = environment
    for key in ("working_dir", "user", "hostname", "stop_signal"):
        if spec.get(key) is not None:
            kwargs[key] = go_string(spec[key])
    own_labels = {k: v or "" for k, v in as_mapping(spec.get("labels")).items()}
    kwargs["labels"] = {**own_labels, **naming.container_labels(project, service, config=spec),  # Compose's win
                        **project_labels(compose, service)}
    if ports := _ports(spec):
        kwargs["ports"] = ports
    binds, mounts = _mounts(compose, spec, project)
    if binds:
        kwargs["volumes"] = binds
    if mounts:
        kwargs["mounts"] = mounts
    if spec.get("tmpfs"):
        paths = [spec["tmpfs"]] if isinstance(spec["tmpfs"], str) else spec["tmpfs"]
        kwargs["tmpfs"] = dict((str(p).split(":", 1) + [""])[:2] for p in paths)
    if spec.get("restart") is not None:
        policy, _, retries = go_string(spec["restart"]).partition(":")
        kwargs["restart_policy"] = {"Name": policy, "MaximumRetryCount": int(retries or 0)}
    if spec.get("healthcheck") is not None:
        kwargs["healthcheck"] = _healthcheck(spec["healthcheck"])
    if spec.get("stop_grace_period") is not None:
        kwargs["stop_timeout"] = duration_ns(spec["stop_grace_period"], "stop_grace_period") // 10**9
    for key in ("tty", "stdin_open", "init"):
        if spec.get(key) is not None:
            kwargs[key] = _as_bool(spec[key])
    network = network_name(compose, project)
    extra = (spec.get("networks") or {}).get("default") if isinstance(spec.get("networks"), dict) else None
    aliases = [name, service, *[str(a) for a in (extra or {}).get("aliases", [])]]  # Compose's order
    kwargs["network"] = network
    kwargs["networking_config"] = {network: EndpointConfig(API_VERSION, aliases=aliases)}
    return kwargs


def create_container(client: docker.DockerClient, kwargs: Mapping[str, Any]) -> Container:
    """Create the container :func:`sdk_kwargs` describes; used by :mod:`helpers.up`.

    ``client.containers.create(**kwargs)`` nearly does it, but docker-py 7.1's high-level ``create`` has no
    ``stop_timeout`` argument, and it also lists every bind target under ``Config.Volumes``, which Compose does
    not. So this makes the same request one level down: docker-py's own conversion of the arguments, then
    ``client.api.create_container`` without Config.Volumes and with stop_timeout. (One difference remains, for
    ``stdin_open: true`` only: docker-py also sets AttachStdin and StdinOnce, which ``docker compose up`` does not.)
    It also adds the label Compose takes from the engine, ``com.docker.compose.image``: the id of the image.
    """
    args = dict(kwargs)
    stop_timeout = args.pop("stop_timeout", None)
    try:  # Compose labels the container with the id of the image it was created from
        image_id = client.api.inspect_image(args["image"])["Id"]
    except ImageNotFound:  # the create below fails with the engine's own "No such image"
        image_id = None
    if image_id:  # as in Compose, its label wins over one of the same name in the file
        args["labels"] = {**(args.get("labels") or {}), IMAGE_LABEL: image_id}
    args["version"] = client.api.api_version
    create_args = _create_container_args(args)
    create_args.pop("volumes", None)  # Config.Volumes: Compose leaves that to the image
    if stop_timeout is not None:
        create_args["stop_timeout"] = stop_timeout
    created = client.api.create_container(**create_args)
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


def _mask_written(environment: Any) -> Any:
    """The ``environment:`` value as written, masked; a bare ``${VAR}`` reference shows (it holds no secret)."""
    reference = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")

    def one(key: str, value: Any) -> Any:
        return value if value is None or reference.fullmatch(str(value)) else _mask_value(key, value)

    if isinstance(environment, dict):
        return {k: one(str(k), v) for k, v in environment.items()}
    items = []
    for item in environment or []:
        key, sep, value = str(item).partition("=")
        items.append(f"{key}={one(key, value)}" if sep else item)
    return items


def _yaml_text(value: Any) -> str:
    """A value as YAML would write it (block style), for the "as written" column."""
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=False, width=10**6, sort_keys=False).rstrip("\n")
    return value.rstrip("\n") if isinstance(value, str) else go_string(value)


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
    """Rows (YAML key, value as written, SDK argument=value) for one service, secrets masked (the SDK lesson)."""
    kwargs = sdk_kwargs(compose, service, project)
    written = (compose.written.get("services") or {}).get(service) or compose.services[service]
    rows: list[tuple[str, str, str]] = []
    shown: set[str] = set()
    for key, value in written.items():
        if key == "environment":
            value = _mask_written(value)
        if key == "env_file":
            from_files: dict[str, str] = {}
            for path, _ in env_files(compose.services[service], compose.project_dir):
                from_files.update(parse_env_file(path, compose.env.get) if path.is_file() else {})
            sdk = f"environment gets {masked(from_files)!r} from the file(s); `environment:` wins"
            shown.add("environment")
        elif key in SDK_ARGS_FOR:
            args = [a for a in SDK_ARGS_FOR[key] if a in kwargs]
            shown.update(args)
            sdk = "\n".join(_sdk_text(a, kwargs[a]) for a in args)
        else:
            sdk = NOT_IN_THE_CONTAINER.get(key, "no argument")
        rows.append((key, _yaml_text(value), sdk))
    for arg in kwargs:
        if arg not in shown:
            rows.append(("(not in the file)", _ADDED_BY_COMPOSE[arg], _sdk_text(arg, kwargs[arg])))
    # A secret can also reach other keys through ${VARIABLES} (a command, a healthcheck): mask it wherever it is.
    secrets = {str(v) for k, v in [*compose.env.items(), *(kwargs.get("environment") or {}).items()]
               if v and is_secret(k) and len(str(v)) >= 4 and str(v).lower() not in ("true", "false")}
    return [(_scrub(key, secrets), _scrub(written, secrets), _scrub(sdk, secrets)) for key, written, sdk in rows]


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
        cells = [cell_lines(str(text), w) for text, w in zip(row, widths)]
        for i in range(max(len(cell) for cell in cells)):
            parts = [(cell[i] if i < len(cell) else "").ljust(w) for cell, w in zip(cells, widths)]
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
