"""Exercise of ``10_beyond_the_seed``: a production override that publishes no host port of ``db``.

The check writes its own base file (``db`` published on ``127.0.0.1::6379``) beside the learner's override, lets
Compose merge the two (``docker compose -f base -f override config``), brings the result up and reads the ``db``
container's published ports; it removes what it started (``down -v``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from .. import naming
from ..compose_cli import compose
from ..errors import CourseError
from ..project import Project
from . import Verdict, verdict

SERVICE = "db"
BASE_NAME = "docker-compose.yaml"
BASE = f"""\
# Written by the check of exercise 10 (helpers/checks/ex10_prod_ports.py): the base file, as in the lesson.
services:
  {SERVICE}:
    image: redis:8
    ports:
      - "127.0.0.1::6379"
    labels:
      {naming.COURSE_LABEL}: "true"
      {naming.LEARNER_LABEL}: "{{learner}}"
networks:
  default:
    labels:
      {naming.COURSE_LABEL}: "true"
      {naming.LEARNER_LABEL}: "{{learner}}"
"""
_SECTION = "«6. One base file, several environments: overrides and profiles»"
_ANSWER = f"services:\n  {SERVICE}:\n    ports: !reset []"


def _published(name: str) -> list[str] | None:
    """The host bindings of the project's running ``db`` container (``ip:port``), None if it does not run."""
    from ..engine import client

    found = client().containers.list(filters={"label": [f"{naming.PROJECT_LABEL}={name}",
                                                        f"{naming.SERVICE_LABEL}={SERVICE}"]})
    if not found:
        return None
    ports = found[0].attrs["NetworkSettings"].get("Ports") or {}
    return [f"{b['HostIp']}:{b['HostPort']}" for bindings in ports.values() for b in (bindings or [])]


class _AnyTag(yaml.SafeLoader):
    """YAML with Compose's tags (``!reset``, ``!override``) read as plain values: only the shape matters here."""


_AnyTag.add_multi_constructor("!", lambda loader, suffix, node: None)


def _service_names(override: Path) -> list[str]:
    """The keys directly under ``services:`` in the learner's override (what Compose takes for service names)."""
    try:
        services = (yaml.load(override.read_text(), _AnyTag) or {}).get("services")
    except (yaml.YAMLError, AttributeError):
        return []  # Compose's own message says what is wrong
    return [str(key) for key in services] if isinstance(services, dict) else []


def write_base(folder: str | Path) -> Path:
    """Write the exercise's base file (``db`` published on the host) into ``folder``; return its path."""
    base = Path(folder) / BASE_NAME
    base.write_text(BASE.format(learner=naming.learner()))
    return base


def check(override: str | Path, project: Project | str) -> Verdict:
    """The override file merged over the base: Compose accepts it, ``db`` keeps its image, and publishes nothing."""
    override, name = Path(override), project.name if isinstance(project, Project) else project
    if not override.is_file():
        return verdict(False, "there is no override file yet.", "run the exercise cell (it writes the file), "
                       "then this check.")
    base = write_base(override.parent)
    files = [base, override]
    try:
        try:
            merged = json.loads(compose("config", "--format", "json", project=name, files=files).stdout)
        except CourseError as err:
            return verdict(False, "Compose refuses the two files: " + err.message.splitlines()[-1],
                           f"keep the override's shape: `services:`, then `  {SERVICE}:`, then the key to change "
                           f"below it, indented ({_SECTION}).", answer=_ANSWER)
        stray = [key for key in _service_names(override) if key != SERVICE]
        if stray:
            return verdict(False, f"Compose read `{stray[0]}` as the name of a service: in the override it stands "
                           f"directly under `services:`, level with `{SERVICE}:`, so it changes nothing of "
                           f"`{SERVICE}`.",
                           f"a key of `{SERVICE}` goes one level deeper, under `  {SERVICE}:` ({_SECTION}).",
                           answer=_ANSWER)
        spec = (merged.get("services") or {}).get(SERVICE)
        if spec is None:
            return verdict(False, f"after the merge the project has no `{SERVICE}` service: Compose left it out "
                           "(a `profiles:` that is not active, or a `!reset` of the whole service, does that).",
                           "production still needs its database; it only must not be reachable from the host. "
                           f"Change the one key that publishes it ({_SECTION}).", answer=_ANSWER)
        if spec.get("image") != "redis:8":
            return verdict(False, f"after the merge `{SERVICE}` runs {spec.get('image') or 'no image'}, not redis:8.",
                           "the override changes one key of the service; everything else comes from the base file.",
                           answer=_ANSWER)
        ports, written = spec.get("ports") or [], override.read_text()
        unknown = sorted(set(re.findall(r"(?<![\w'\"])!(\w+)", written)) - {"reset", "override"})
        if ports and unknown:
            return verdict(False, f"after the merge `{SERVICE}` still publishes {len(ports)} port(s) on the host: "
                           f"Compose ignores the tag `!{unknown[0]}`, which it does not know.",
                           f"Compose knows two merge tags, `!reset` and `!override` ({_SECTION}): check the "
                           "spelling.", answer=_ANSWER)
        if ports and re.search(r"!(override|reset)\b", written):  # a tag that kept a port
            return verdict(False, f"after the merge `{SERVICE}` publishes {len(ports)} port(s) on the host: the "
                           "tag replaced the base file's list, with one that still has a port.",
                           f"production publishes none of db's ports: what is left in the list ({_SECTION})?",
                           answer=_ANSWER)
        if ports:
            return verdict(False, f"after the merge `{SERVICE}` still publishes {len(ports)} port(s) on the host.",
                           "when files are merged, a list like `ports:` is added to, not replaced: an empty list "
                           "adds nothing, and a new list comes on top of the old one. A YAML tag tells Compose to "
                           f"empty the key instead ({_SECTION}).", answer=_ANSWER)
        try:
            compose("up", "-d", "--wait", "--pull", "never", project=name, files=files, timeout=120)
        except CourseError as err:
            return verdict(False, "Compose could not start the merged file: " + err.message.splitlines()[-1],
                           "read Compose's message; `docker compose config` shows what the merge made.")
        bindings = _published(name)
        if bindings is None:
            return verdict(False, f"`{SERVICE}` is not running after `up`.", "read `docker compose logs db`.")
        if bindings:
            return verdict(False, f"the running `{SERVICE}` container is published on the host ({len(bindings)} "
                           "binding(s)).", f"the merged file must list no `ports:` for `{SERVICE}`.",
                           answer=_ANSWER)
        return verdict(True, f"Compose merged the two files, `{SERVICE}` runs redis:8 and publishes no port on the "
                       "host: only containers on the project's network reach it.", "")
    finally:
        compose("down", "-v", "--remove-orphans", project=name, files=files, check=False)
