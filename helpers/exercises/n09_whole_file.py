"""Exercise check for ``09_whole_file.ipynb``: declare the named volume a service uses.

The exercise's compose file gives ``celery-beat`` the named volume ``celerybeat_data`` at ``/data`` (as the cryphos
stack does), but has no top-level ``volumes:`` key, so Compose refuses the file. :func:`check` reads the learner's
file with Compose (``docker compose config``: its message when it refuses the file, with the course's hint for the
usual slips; its model when it accepts it), and then lets Compose
*create* the service on the engine (``docker compose create``: nothing starts): the engine must then have the
volume, labelled by Compose, mounted at ``/data``. Whatever Compose created is removed again (``down -v``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .. import compose_file, naming
from ..compose_cli import compose
from ..compose_file import ComposeError
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


def _mount(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The ``celery-beat`` service's mount at /data in Compose's model, or None."""
    return next((m for m in spec.get("volumes") or [] if m["target"].rstrip("/") == TARGET), None)


def _refused(message: str) -> Verdict:
    """NOT YET for a file Compose refuses: its message, and the hint for the usual slips."""
    if f"undefined volume {VOLUME}" in message:
        hint = ("Compose mounts only the named volumes the file declares, and the names must match exactly: "
                + _TOP_LEVEL)
    elif "already defined" in message:
        hint = ("a key appears twice in one mapping - typically a second `volumes:` inside the service. The "
                "declaration is a separate, top-level key: " + _TOP_LEVEL)
    elif re.search(r"services\.volumes\b|service \"volumes\"", message):
        hint = ("`volumes:` is indented under `services:`, so Compose reads it as a service named `volumes`. The "
                f"declaration belongs to the top level: start `volumes:` at the very beginning of its line (no "
                f"spaces before it), then `  {VOLUME}:` below it.")
    elif re.search(r"(^|: )volumes must be a mapping", message):  # `celerybeat_data:` level with `volumes:`
        hint = (f"`{VOLUME}:` is a top-level key of its own, beside an empty `volumes:`: indent it under `volumes:` "
                f"(two spaces: `  {VOLUME}:`), so it is an entry of the declaration.")
    else:
        hint = compose_file.hint_for(message)
    return verdict(False, f"Compose refuses the file: {message.split(': ', 1)[-1]}", hint)


def _shape(model: dict[str, Any]) -> Verdict | None:
    """NOT YET for a file Compose accepts but that does not do what the exercise asks; None when it does."""
    spec = (model.get("services") or {}).get(SERVICE)
    if spec is None:
        return verdict(False, f"the file has no service `{SERVICE}` under `services:`.",
                       "run the exercise cell again to get the original file back, then add only the declaration.")
    mount = _mount(spec)
    if mount is None:
        return verdict(False, f"`{SERVICE}` no longer mounts anything at {TARGET}.",
                       f"keep the service's `- {VOLUME}:{TARGET}`: the beat schedule must live on the volume. "
                       "Fix the file by declaring the volume, not by removing its use.")
    if mount["type"] == "bind":
        return verdict(False, f"{TARGET} is now a bind mount of a host folder, not a named volume.",
                       f"a source that starts with . / or ~ is a host path. Keep `{VOLUME}:{TARGET}` as it was "
                       "and declare the volume at the top level instead: " + _TOP_LEVEL)
    if mount.get("source") != VOLUME:
        return verdict(False, f"{TARGET} now uses the volume `{mount.get('source') or '(anonymous)'}`, not "
                       f"`{VOLUME}`.", f"keep the service's `- {VOLUME}:{TARGET}` as it was; only add the declaration.")
    if (model.get("volumes") or {}).get(VOLUME, {}).get("external"):
        return verdict(False, f"`{VOLUME}` is declared `external: true`.",
                       "external means: the volume was made outside this project, Compose must neither create "
                       "nor delete it (and fails when it does not exist). Leave the declaration empty: "
                       f"`  {VOLUME}:`.")
    return None


def _cleanup(project: str, path: Path) -> None:
    compose("down", "-v", "--remove-orphans", project=project, files=[path], check=False)


def check(path: str | Path, project: Project | str) -> Verdict:
    """The exercise file: accepted by Compose, it mounts the declared volume, and Compose creates that volume."""
    path = Path(path)
    name = str(getattr(project, "name", project))
    if not path.is_file():
        return verdict(False, "there is no exercise file yet.", "run the exercise cell (it writes the file), "
                       "then this check.")
    try:
        model = compose_file.load(path, env_file=False, project=name).model
    except ComposeError as err:
        return _refused(err.message)
    if (shape := _shape(model)) is not None:
        return shape

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
