"""Exercise check for ``09_whole_file.ipynb``: declare the named volume a service uses.

The exercise's compose file gives ``celery-beat`` the named volume ``celerybeat_data`` at ``/data`` (as the cryphos
stack does), but has no top-level ``volumes:`` key, so Compose refuses the file. :func:`check` reads the learner's
file as Compose would (the course's loader, then the real ``docker compose config``), and then lets Compose
*create* the service on the engine (``docker compose create``: nothing starts): the engine must then have the
volume, labelled by Compose, mounted at ``/data``. Whatever Compose created is removed again (``down -v``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .. import naming
from ..compose_cli import compose
from ..compose_file import (
    ComposeError,
    _ComposeYAMLLoader,
    go_string,
    load,
    parse_volumes,
)
from ..engine import client
from ..errors import CourseError
from ..project import Project
from . import Verdict, verdict

SERVICE = "celery-beat"
VOLUME = "celerybeat_data"
TARGET = "/data"

_TOP_LEVEL = (f"add a top-level `volumes:` key - at the very start of a line, level with `services:` - and below it, "
              f"indented, `  {VOLUME}:` (nothing after the colon: the defaults give a local volume that Compose "
              f"names <project>_{VOLUME}).")


def _mount(doc: dict[str, Any], project_dir: Path) -> Any:
    """The ``celery-beat`` service's mount at /data (parsed), or None."""
    spec = (doc.get("services") or {}).get(SERVICE) or {}
    try:
        mounts = parse_volumes(spec.get("volumes") or [], project_dir)
    except ComposeError:
        return None
    return next((m for m in mounts if m.target.rstrip("/") == TARGET), None)


def _shape(doc: Any, path: Path) -> Verdict | None:
    """NOT YET for a file whose structure shows the usual slips; None when it looks right."""
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict) or SERVICE not in doc["services"]:
        return verdict(False, f"the file has no service `{SERVICE}` under `services:`.",
                       "run the exercise cell again to get the original file back, then add only the declaration.")
    if "volumes" in doc["services"]:
        return verdict(False, "`volumes:` is indented under `services:`, so Compose reads it as a service named "
                       "`volumes`.", "the declaration belongs to the top level: start `volumes:` at the very "
                       f"beginning of its line (no spaces before it), then `  {VOLUME}:` below it.")
    mount = _mount(doc, path.parent)
    if mount is None:
        return verdict(False, f"`{SERVICE}` no longer mounts anything at {TARGET}.",
                       f"keep the service's `- {VOLUME}:{TARGET}`: the beat schedule must live on the volume. "
                       "Fix the file by declaring the volume, not by removing its use.")
    if mount.type == "bind":
        return verdict(False, f"{TARGET} is now a bind mount of a host folder, not a named volume.",
                       f"a source that starts with . / or ~ is a host path. Keep `{VOLUME}:{TARGET}` as it was "
                       "and declare the volume at the top level instead: " + _TOP_LEVEL)
    if mount.source != VOLUME:
        return verdict(False, f"{TARGET} now uses the volume `{mount.source or '(anonymous)'}`, not `{VOLUME}`.",
                       f"keep the service's `- {VOLUME}:{TARGET}` as it was; only add the declaration.")
    declared = doc.get("volumes")
    if VOLUME in doc:
        return verdict(False, f"`{VOLUME}:` is a top-level key of its own, beside `volumes:`.",
                       f"indent it under `volumes:` (two spaces: `  {VOLUME}:`), so it is an entry of the "
                       "declaration.")
    if "volumes" in doc and not declared:
        return verdict(False, "the top-level `volumes:` is there, but empty.",
                       f"put `  {VOLUME}:` on the next line, indented by two spaces.")
    if isinstance(declared, dict) and VOLUME in declared:
        spec = declared[VOLUME] or {}
        if isinstance(spec, dict) and go_string(spec.get("external", False)) == "true":
            return verdict(False, f"`{VOLUME}` is declared `external: true`.",
                           "external means: the volume was made outside this project, Compose must neither create "
                           "nor delete it (and fails when it does not exist). Leave the declaration empty: "
                           f"`  {VOLUME}:`.")
    elif isinstance(declared, dict) and declared:
        return verdict(False, f"the top level declares {sorted(declared)}, but the service uses `{VOLUME}`.",
                       f"the names must match exactly: declare `{VOLUME}:`.")
    return None


def _cleanup(project: str, path: Path) -> None:
    compose("down", "-v", "--remove-orphans", project=project, files=[path], check=False)


def check(path: str | Path, project: Project | str) -> Verdict:
    """The exercise file: accepted by the course's loader and by Compose, and Compose creates the volume."""
    path = Path(path)
    name = str(getattr(project, "name", project))
    if not path.is_file():
        return verdict(False, "there is no exercise file yet.", "run the exercise cell (it writes the file), "
                       "then this check.")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_ComposeYAMLLoader)  # a SafeLoader
    except yaml.YAMLError:
        doc = None  # the course's loader says where and why, below
    if doc is not None and (shape := _shape(doc, path)) is not None:
        return shape

    try:
        load(path, env_file=False, project=name)
    except ComposeError as err:
        message = err.message
        if "already defined" in message:
            hint = ("a key appears twice in one mapping - typically a second `volumes:` inside the service. The "
                    "declaration is a separate, top-level key: " + _TOP_LEVEL)
        elif f"undefined volume {VOLUME}" in message:
            hint = "Compose mounts only the named volumes the file declares: " + _TOP_LEVEL
        else:
            hint = err.hint
        return verdict(False, f"the course's loader refuses the file: {message}", hint)

    try:
        listed = compose("config", "--volumes", project=name, files=[path]).stdout.split()
    except CourseError as err:
        return verdict(False, "`docker compose config` refuses the file: " + err.message.splitlines()[-1],
                       "read Compose's message: it names the service and the key.")
    if VOLUME not in listed:
        return verdict(False, f"`docker compose config --volumes` lists {listed}, not `{VOLUME}`.", _TOP_LEVEL)

    try:  # on the engine: Compose creates the volume and the (not started) container
        try:
            compose("create", "--pull", "never", project=name, files=[path])
        except CourseError as err:
            return verdict(False, "`docker compose create` failed: " + err.message.splitlines()[-1],
                           "read Compose's message above.")
        engine = client()
        found = engine.containers.list(all=True, filters={"label": [f"{naming.PROJECT_LABEL}={name}",
                                                                    f"{naming.SERVICE_LABEL}={SERVICE}"]})
        mounts = [m for c in found for m in c.attrs.get("Mounts", []) if m.get("Destination") == TARGET]
        if not mounts or mounts[0].get("Type") != "volume":
            return verdict(False, f"Compose created `{SERVICE}`, but nothing is mounted at {TARGET}.",
                           f"keep `- {VOLUME}:{TARGET}` in the service.")
        volume = engine.volumes.get(mounts[0]["Name"])
        labels = volume.attrs.get("Labels") or {}
        if labels.get(naming.VOLUME_LABEL) != VOLUME or labels.get(naming.PROJECT_LABEL) != name:
            return verdict(False, f"{TARGET} is the volume {volume.name}, which Compose did not create for "
                           f"`{VOLUME}` of this project.", "declare the volume in the file: " + _TOP_LEVEL)
        return verdict(True, f"Compose accepted the file and created the volume {volume.name} (labels: project "
                       f"{name}, volume {VOLUME}), mounted at {TARGET} in {found[0].name}.", "")
    finally:
        _cleanup(name, path)


__all__ = ["SERVICE", "TARGET", "VOLUME", "check"]
