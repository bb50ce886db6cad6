"""Exercise of ``09_whole_file``: declare the named volume ``celerybeat_data`` that ``celery-beat`` mounts at /data.
Compose reads the file, then *creates* the service (nothing starts, ``down -v`` after): is the volume mounted?"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

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
_KEEP = f"keep the service's `- {VOLUME}:{TARGET}`"
_DECLARED = "«1. Named volumes are declared at the top level»"
_TOP_LEVEL = ("Compose creates and mounts only the named volumes the file declares, under a top-level `volumes:` "
              f"key (level with `services:`), and the names must match exactly: {_DECLARED}.")
_ANSWER = (f"the file ends with these two lines, `volumes:` at the very start of its line and the volume's name "
           f"indented below it (and no other line starts with `volumes:`):\nvolumes:\n  {VOLUME}:\n(nothing after "
           f"the colon: the defaults give a local volume that Compose names <project>_{VOLUME}).")
_NOT_A_MAPPING = r"(^|: )volumes must be a mapping"  # an empty `volumes:` (null), or a list of names
_REFUSALS = (  # (what Compose says, the hint for that slip)
    (rf"undefined volume {VOLUME}", _TOP_LEVEL),
    (r"already defined", "a key appears twice in one mapping - typically a second `volumes:` inside the service. "
     "The declaration is a separate key, at the top level: " + _DECLARED + "."),
    (r"services\.volumes\b|service \"volumes\"", "`volumes:` is indented under `services:`, so Compose reads it as "
     "a service named `volumes`. The declaration belongs to the top level: start `volumes:` at the very beginning "
     f"of its line (no spaces before it), as in {_DECLARED}."),
    (_NOT_A_MAPPING, f"`{VOLUME}:` is a top-level key of its own, beside an empty `volumes:`: "
     f"it must be an entry of the declaration, indented under `volumes:` ({_DECLARED})."),
)


def _created(name: str, path: Path) -> Verdict:
    """``docker compose create``, then: is the volume Compose made for ``celerybeat_data`` mounted at /data?"""
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
                       f"the beat schedule must live on the volume: {_KEEP}.", answer=_ANSWER)
    volume = engine.volumes.get(mounts[0]["Name"])
    labels = volume.attrs.get("Labels") or {}
    if labels.get(naming.VOLUME_LABEL) != VOLUME or labels.get(naming.PROJECT_LABEL) != name:
        return verdict(False, f"{TARGET} is the volume {volume.name}, which Compose did not create for `{VOLUME}` of "
                       "this project.", _TOP_LEVEL, answer=_ANSWER)
    return verdict(True, f"Compose accepted the file and created the volume {volume.name} (labels: project {name}, "
                   f"volume {VOLUME}), mounted at {TARGET} in {found[0].name}.", "")


def _top_level(path: Path) -> object:
    """The value of the file's top-level ``volumes:`` as YAML reads it (None where it cannot be read)."""
    try:
        return (yaml.safe_load(path.read_text()) or {}).get("volumes")
    except (yaml.YAMLError, AttributeError):
        return None


def check(path: str | Path, project: Project | str) -> Verdict:
    """The exercise file: accepted by Compose, it mounts the declared volume, and Compose creates that volume."""
    path, name = Path(path), project.name if isinstance(project, Project) else project
    if not path.is_file():
        return verdict(False, "there is no exercise file yet.", "run the exercise cell (it writes the file), "
                       "then this check.")
    try:
        model = compose_file.load(path, env_file=False, project=name).model
    except ComposeError as err:
        hint = next((h for pattern, h in _REFUSALS if re.search(pattern, err.message)), None)
        declared = _top_level(path) if re.search(_NOT_A_MAPPING, err.message) else None
        if isinstance(declared, str):
            hint = (f"under `volumes:` YAML reads the text `{declared}`, not a key: a volume's name is a key, so it "
                    f"ends with a colon (`{VOLUME}:`), as in {_DECLARED}.")
        if isinstance(declared, list):
            hint = (f"the declaration is a list (`- {VOLUME}`); Compose wants a mapping: each volume is a key "
                    f"(`{VOLUME}:`, with a colon) indented under `volumes:`, as in {_DECLARED}. (A service's "
                    "`volumes:` is a list of mounts; the top-level one is not.)")
        return verdict(False, f"Compose refuses the file: {err.message.split(': ', 1)[-1]}",
                       hint or compose_file.hint_for(err.message), answer=_ANSWER)
    spec = (model.get("services") or {}).get(SERVICE)
    mount = next((m for m in (spec or {}).get("volumes") or [] if m["target"].rstrip("/") == TARGET), None)
    if spec is None:
        return verdict(False, f"the file has no service `{SERVICE}` under `services:`.",
                       "run the exercise cell again to get the original file back, then add only the declaration.",
                       answer=_ANSWER)
    if mount is None:
        return verdict(False, f"`{SERVICE}` no longer mounts anything at {TARGET}.", f"{_KEEP}: the beat schedule "
                       "must live on the volume. Fix the file by declaring the volume, not by removing its use.",
                       answer=_ANSWER)
    if mount["type"] == "bind":
        return verdict(False, f"{TARGET} is now a bind mount of a host folder, not a named volume.",
                       f"a source that starts with . / or ~ is a host path, not a volume's name ({_DECLARED}). Keep "
                       f"`{VOLUME}:{TARGET}` as it was and declare the volume instead.", answer=_ANSWER)
    if mount.get("source") != VOLUME:
        return verdict(False, f"{TARGET} now uses the volume `{mount.get('source') or '(anonymous)'}`, not "
                       f"`{VOLUME}`.", f"{_KEEP} as it was; only add the declaration ({_DECLARED}).", answer=_ANSWER)
    if (model.get("volumes") or {}).get(VOLUME, {}).get("external"):
        return verdict(False, f"`{VOLUME}` is declared `external: true`.",
                       "external means: the volume was made outside this project, Compose must neither create "
                       "nor delete it (and fails when it does not exist): the note under the fix in "
                       f"{_DECLARED}.", answer=f"leave the declaration empty: `  {VOLUME}:`, nothing below it.")
    fixed = ((model.get("volumes") or {}).get(VOLUME) or {}).get("name")
    if fixed and not str(fixed).startswith(f"{name}_"):
        return verdict(False, f"`{VOLUME}` is declared with `name: {fixed}`: one fixed volume for the whole engine.",
                       f"a fixed name leaves the project out of the volume's name ({_DECLARED} says what Compose "
                       "names it): the trap of `container_name` in lesson 02, section 3. Every copy of the project "
                       "(and every learner on this engine) would share one beat schedule.",
                       answer=f"leave the declaration empty: `  {VOLUME}:`, nothing below it.")
    try:
        return _created(name, path)
    finally:
        compose("down", "-v", "--remove-orphans", project=name, files=[path], check=False)
