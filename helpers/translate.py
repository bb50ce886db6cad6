"""One service of Compose's model -> the Docker SDK call that creates its container, as Compose v2 creates it.

"As Compose creates it" was measured with ``docker compose create`` (v2.40) + ``docker inspect``
(tests/engine/test_equivalence.py compares the two). Keys not handled here raise a :class:`ComposeError`.
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
from docker.types import EndpointConfig, Mount

from . import naming
from .compose_file import ComposeError, ComposeFile, depends_on_conditions, duration_ns, parse_env_file

HEADER = ("compose key", "as Compose reads it", "SDK argument")
WIDTHS = ("18%", "41%", "41%")  # of the page, in render_html
API_VERSION = "1.41"  # the oldest Engine API the course supports (Docker 20.10): one network at create
MASK = "******"

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


def image_name(compose: ComposeFile, service: str, project: str) -> str:
    """The image a service runs: ``image:``, else (build only) Compose's default tag ``<project>-<service>``."""
    spec = compose.services[service]
    return str(spec["image"]) if spec.get("image") else f"{project}-{service}"


def volume_name(compose: ComposeFile, project: str, key: str) -> str:
    """The engine's name for the file's volume ``key``: its ``name:`` if any, else ``<project>_<key>``."""
    return str((compose.volumes.get(key) or {}).get("name") or naming.resource_name(project, key))


def _mounts(compose: ComposeFile, spec: Mapping[str, Any], project: str) -> tuple[list[str], list[Mount]]:
    """(binds, mounts). Compose sends a mount as a ``Binds`` string when it can, and as a ``Mounts`` object only
    when it must: a bind that must not create its host folder or sets propagation, a named volume with options,
    an anonymous volume, a tmpfs."""
    binds: list[str] = []
    mounts: list[Mount] = []
    for m in spec.get("volumes") or []:
        kind, target, read_only = m["type"], m["target"], bool(m.get("read_only"))
        source = volume_name(compose, project, m["source"]) if kind == "volume" and m.get("source") else m.get("source")
        bind, volume, mode = m.get("bind") or {}, m.get("volume") or {}, "ro" if read_only else "rw"
        if kind == "bind" and ("bind" not in m or bind.get("create_host_path") and not bind.get("propagation")):
            binds.append(f"{source}:{target}:{mode}" + (f",{bind['selinux']}" if bind.get("selinux") else ""))
        elif kind == "volume" and source and not volume:
            binds.append(f"{source}:{target}:{mode}")
        elif kind == "tmpfs":
            tmpfs = m.get("tmpfs") or {}
            mounts.append(Mount(target, None, type="tmpfs", read_only=read_only,
                                tmpfs_size=tmpfs.get("size"), tmpfs_mode=tmpfs.get("mode")))
        else:  # the same options object Compose sends (an empty one too)
            mount = Mount(target, source or None, type=kind, read_only=read_only)
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


def project_labels(compose: ComposeFile, service: str) -> dict[str, str]:
    """The labels Compose v2.40 derives from the files: its folder, the files, the service's depends_on.

    depends_on is ``dep:condition:restart`` per dependency, in the model's order (Compose uses Go map order, which
    changes between runs). Compose's ``com.docker.compose.version`` is left out: the helpers are not Compose."""
    deps = compose.services[service].get("depends_on") or {}
    depends_on = ",".join(f"{dep}:{condition}:{'true' if (deps[dep] or {}).get('restart') else 'false'}"
                          for dep, condition in depends_on_conditions(compose.services[service]).items())
    return {WORKING_DIR_LABEL: str(compose.project_dir), CONFIG_FILES_LABEL: ",".join(map(str, compose.files)),
            DEPENDS_ON_LABEL: depends_on}


def sdk_kwargs(compose: ComposeFile, service: str, project: str) -> dict[str, Any]:
    """The keyword arguments that create ``service``'s container as Compose would; pass them to
    :func:`create_container`. Only keys the service sets appear, plus what Compose always adds: the name, the
    labels, the project's default network with the aliases that make the service name resolve."""
    if service not in compose.services:
        raise ComposeError(f"{compose.path.name} has no service {service!r}.",
                           f"its services are: {', '.join(compose.services)}.")
    if project != compose.project_name:
        raise ComposeError(
            f"{compose.path.name} was read for project {compose.project_name!r}, not {project!r}: values such as "
            "${COMPOSE_PROJECT_NAME} and the volumes' names would not be what Compose makes.",
            f"read it for this project: compose_file.load(path, project={project!r}).")
    spec = compose.services[service]
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

    name = str(spec.get("container_name") or naming.container_name(project, service))
    kwargs: dict[str, Any] = {"image": image_name(compose, service, project), "name": name}
    for key in ("command", "entrypoint"):
        if isinstance(spec.get(key), str):  # a lesson's edit written as in YAML; Compose's model has a list
            kwargs[key] = shlex.split(spec[key])
        elif spec.get(key) is not None:
            kwargs[key] = [str(word) for word in spec[key]]
    if environment := dict(spec.get("environment") or {}):  # None: a name without a value (the engine sets none)
        kwargs["environment"] = environment
    kwargs.update({key: str(spec[key]) for key in ("working_dir", "user", "hostname", "stop_signal")
                   if spec.get(key) is not None})
    kwargs["labels"] = {**(spec.get("labels") or {}), **naming.container_labels(project, service, config=spec),
                        **project_labels(compose, service)}  # Compose's labels win over the file's
    ports: dict[str, list[Any]] = {}  # docker-py's form: {"5432/tcp": ("127.0.0.1", 5432)}; None: a free port
    for p in spec.get("ports") or []:
        published = int(p["published"]) if p.get("published") else None
        ports.setdefault(f"{p['target']}/{p.get('protocol', 'tcp')}", []).append(
            (p["host_ip"], published) if p.get("host_ip") else published)
    if ports:
        kwargs["ports"] = {key: values[0] if len(values) == 1 else values for key, values in ports.items()}
    binds, mounts = _mounts(compose, spec, project)
    kwargs.update({arg: value for arg, value in (("volumes", binds), ("mounts", mounts)) if value})
    if spec.get("tmpfs"):
        kwargs["tmpfs"] = dict((str(p).split(":", 1) + [""])[:2] for p in spec["tmpfs"])
    if spec.get("restart") is not None:
        policy, _, retries = str(spec["restart"]).partition(":")
        kwargs["restart_policy"] = {"Name": policy, "MaximumRetryCount": int(retries or 0)}
    if (check := spec.get("healthcheck")) is not None:  # the test as a list, durations in nanoseconds
        kwargs["healthcheck"] = {"test": ["NONE"] if check.get("disable") else check.get("test"),
                                 **{k: duration_ns(check[k]) for k in ("interval", "timeout", "start_period")
                                    if check.get(k) is not None},
                                 **({"retries": int(check["retries"])} if check.get("retries") is not None else {})}
    if spec.get("stop_grace_period") is not None:
        kwargs["stop_timeout"] = duration_ns(spec["stop_grace_period"]) // 10**9
    kwargs.update({key: bool(spec[key]) for key in ("tty", "stdin_open", "init") if spec.get(key) is not None})
    network = str((compose.networks.get("default") or {}).get("name") or naming.resource_name(project, "default"))
    aliases = [name, service, *((spec.get("networks") or {}).get("default") or {}).get("aliases", [])]
    kwargs["network"] = network
    kwargs["networking_config"] = {network: EndpointConfig(API_VERSION, aliases=aliases)}
    return kwargs


def create_container(client: docker.DockerClient, kwargs: Mapping[str, Any]) -> Container:
    """Create the container :func:`sdk_kwargs` describes, adding Compose's ``com.docker.compose.image`` label.

    Not ``client.containers.create(**kwargs)``: docker-py 7.1's high-level ``create`` has no ``stop_timeout``, and
    lists every bind target under ``Config.Volumes``, which Compose does not; the low-level API does neither. (For
    ``stdin_open: true`` docker-py also sets AttachStdin and StdinOnce, which ``docker compose up`` does not.)"""
    args = dict(kwargs)
    try:
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
    return any(word in name.upper() for word in ("PASSWORD", "SECRET", "TOKEN", "KEY"))


def _mask_url(text: str) -> str:
    """``postgres://user:******@db/x``: the password part of a URL masked."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", rf"\g<1>{MASK}@", text)


def masked(environment: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an environment with secret values replaced by ``******``, for display only."""
    return {k: None if v is None else MASK if is_secret(k) else _mask_url(str(v)) for k, v in environment.items()}


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
    if arg in ("mounts", "networking_config"):
        value = [dict(m) for m in value] if arg == "mounts" else {net: dict(cfg) for net, cfg in value.items()}
    if arg == "labels":  # shown without project_labels(): a machine's absolute paths, and depends_on has its row
        value = {k: v for k, v in value.items() if k not in (WORKING_DIR_LABEL, CONFIG_FILES_LABEL, DEPENDS_ON_LABEL)}
    return f"{arg}={value!r}"


def side_by_side(compose: ComposeFile, service: str, project: str) -> list[tuple[str, str, str]]:
    """Rows (key, value in Compose's model, SDK argument=value) for one service, secrets masked.

    Compose's model has no ``env_file:``: Compose has read those files into ``environment:`` already."""
    kwargs = sdk_kwargs(compose, service, project)
    rows: list[tuple[str, str, str]] = []
    shown: set[str] = set()
    for key, value in compose.services[service].items():
        if value is None:  # Compose writes `entrypoint: null` where the file sets none
            continue
        if key in SDK_ARGS_FOR:
            args = [a for a in SDK_ARGS_FOR[key] if a in kwargs]
            shown.update(args)
            sdk = "\n".join(_sdk_text(a, kwargs[a]) for a in args)
        else:
            sdk = NOT_IN_THE_CONTAINER.get(key, "no argument")
        rows.append((key, _model_text(masked(value) if key == "environment" else value), sdk))
    rows += [("(not in the file)", _ADDED_BY_COMPOSE[a], _sdk_text(a, kwargs[a])) for a in kwargs if a not in shown]
    # A secret can also reach other keys through ${VARIABLES} (a command, a healthcheck): mask it wherever it is.
    # Its sources: the shell's variables, the .env's, the container's.
    environ = compose.options.get("environ")
    dotenv = compose.project_dir / ".env"
    variables = {**(os.environ if environ is None else environ),
                 **(parse_env_file(dotenv) if dotenv.is_file() else {}), **(kwargs.get("environment") or {})}
    secrets = sorted({str(v) for k, v in variables.items()
                      if v and is_secret(k) and len(str(v)) >= 4 and str(v).lower() not in ("true", "false")},
                     key=len, reverse=True)

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, MASK)
        return _mask_url(text)

    return [(scrub(key), scrub(text), scrub(sdk)) for key, text, sdk in rows]


def render_text(rows: list[tuple[str, str, str]], width: int = 110) -> str:
    """The rows as a plain-text table, each cell wrapped."""
    widths = (20, (width - 26) * 2 // 5, (width - 26) * 3 // 5)
    lines = []
    for row in [HEADER, *rows]:
        cells = [[piece for part in str(text).split("\n") for piece in textwrap.wrap(part, w) or [""]]
                 for text, w in zip(row, widths, strict=True)]
        for i in range(max(len(cell) for cell in cells)):
            parts = [(cell[i] if i < len(cell) else "").ljust(w) for cell, w in zip(cells, widths, strict=True)]
            lines.append(" | ".join(parts).rstrip())
        lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def render_html(rows: list[tuple[str, str, str]]) -> str:
    """The rows as an HTML table, for a notebook."""
    cell = ('<td style="text-align:left; vertical-align:top"><code style="white-space:pre-wrap; '
            'overflow-wrap:anywhere">{}</code></td>')
    def text(value: str) -> str:  # <wbr> and <br>: it still wraps where a viewer drops the styles (untrusted, GitHub)
        marked = re.sub(r"([/,=:_.-])", "\\1\0", value)              # a break after a separator,
        marked = re.sub(r"([^\s\0]{20})(?=[^\s\0])", "\\1\0", marked)  # and inside a long run (a hash)
        return html.escape(marked).replace("\0", "<wbr>").replace("\n", "<br>")

    body = "".join("<tr>" + "".join(cell.format(text(str(c))) for c in row) + "</tr>" for row in rows)
    head = "".join(f'<th style="text-align:left; width:{w}">{h}</th>' for h, w in zip(HEADER, WIDTHS, strict=True))
    # a fixed layout at the page's width: long values wrap inside their column instead of widening the page
    return f'<table style="table-layout:fixed; width:100%"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


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
