"""Read compose files with Docker Compose itself: ``docker compose -p P -f F [-f OVERRIDE] config --format json``.

Compose reads the YAML, ``.env``, ``${VARIABLES}``, ``env_file:``, profiles, ``include`` and ``extends``, merges the
``-f`` files, checks them and prints its canonical model (one form per key: ports and volumes as mappings, Go
durations such as ``1m30s``). :func:`load` returns it as a :class:`ComposeFile`; when Compose refuses a file,
:class:`ComposeError` carries Compose's message and a hint from :data:`HINTS`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dotenv
import yaml

from .compose_cli import compose
from .errors import CourseError
from .naming import learner


class ComposeError(CourseError):
    """A compose file that Compose refuses (its message), or that the course cannot translate."""


# Compose's error texts (v2.40) -> what to do about them. The first pattern that matches gives the hint.
_YAML_RULES = ("YAML goes by indentation: keys of one mapping line up exactly (spaces, never tabs), and every "
               "`key:` is followed by a space (or the line's end).")

HINTS: list[tuple[str, str]] = [
    (r"refers to undefined volume (\S+?):",
     "a named volume must be declared: add a top-level `volumes:` key (level with `services:`) and below it, "
     "indented, the volume's name followed by a colon."),
    (r"depends on undefined service",
     "depends_on names services of the same file: check the spelling, or add that service."),
    (r"dependency cycle",
     "depends_on goes round in a circle: one service of the cycle must not wait for the other; remove one link."),
    (r"already defined",
     "a key appears twice in one mapping: keep one of them (YAML allows each key once per mapping)."),
    (r"yaml: line \d+",
     f"{_YAML_RULES} Compose's line number is where YAML gave up: often the slip's own line, sometimes the "
     "first line of the block that holds it, counted in the file it names (for a lesson's snippet: from the line "
     "of its opening quotes)."),
    (r"required variable (\S+) is missing a value",
     "set that variable in the .env beside the compose file (NAME=value), or in the environment."),
    (r"additional propert(y|ies) '([^']+)' not allowed",
     "that key is not in the Compose specification where it stands: check its spelling and its indentation "
     "(the indent says whose key it is: one level too deep, it belongs to the key above it; too little, to the "
     "level around it, e.g. the service instead of its `environment:`)."),
    (r"must be one of", "the value is not one of those Compose accepts: use one of the values it lists."),
    (r"services\.[\w-]+ must be a mapping",
     "Compose read that key as the name of a service: it stands directly under `services:`. A key of a service "
     "goes one level deeper, under the service's name (`  NAME:`, then `    the_key: ...`)."),
    (r"must be a (array|mapping|string|number|boolean)",
     "this key takes another shape: look at how the same key is written in the stack's compose file."),
    (r"neither an image nor a build context",
     "give the service an `image:` to run, or a `build:` folder with a Dockerfile."),
    (r"no such file or directory|empty compose file",
     "check the path (relative paths start from the notebook's folder) and that the file is not empty."),
]
_DEFAULT_HINT = "read Compose's message: it names the file, the service and the key."


def hint_for(message: str) -> str:
    """The course's hint for one of Compose's error messages (:data:`HINTS`)."""
    return next((hint for pattern, hint in HINTS if re.search(pattern, message)), _DEFAULT_HINT)


@dataclass(repr=False)
class ComposeFile:
    """Compose's model of a project: ``docker compose config --format json`` of ``files`` (values may be secrets:
    the repr never shows them)."""

    files: list[Path]
    model: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # how load() was called (env_file, environ, profiles)

    @property
    def path(self) -> Path:
        """The first compose file (Compose's project folder is its folder)."""
        return self.files[0]

    @property
    def project_dir(self) -> Path:
        return self.path.parent

    @property
    def project_name(self) -> str:
        return str(self.model["name"])

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        return self.model.setdefault("services", {})

    @property
    def volumes(self) -> dict[str, dict[str, Any]]:
        return self.model.get("volumes") or {}

    @property
    def networks(self) -> dict[str, dict[str, Any]]:
        return self.model.get("networks") or {}

    def __repr__(self) -> str:
        return (f"ComposeFile(files={[f.name for f in self.files]}, project_name={self.project_name!r}, "
                f"services={list(self.services)}, volumes={list(self.volumes)}, networks={list(self.networks)})")


def load(path: str | Path, *overrides: str | Path, project: str | None = None, env_file: str | Path | bool = True,
         environ: dict[str, str] | None = None, profiles: tuple[str, ...] = ()) -> ComposeFile:
    """Compose's model of ``path`` merged with ``overrides`` (``-f path -f override ...``), for ``project`` (``-p``).

    ``env_file``: the ``.env`` beside the file (default), another file (``--env-file``), or ``False`` for none.
    ``environ``: the shell environment Compose interpolates from (default ``os.environ``; ``APP_TAG``, the app
    image's tag, is the learner id unless set: :func:`helpers.stack.app_image`). ``profiles``: the profiles to
    enable (``--profile NAME``).
    """
    files = [Path(p).absolute() for p in (path, *overrides)]
    options = [] if env_file is True else ["--env-file", os.devnull if env_file is False else str(env_file)]
    options += [arg for profile in profiles for arg in ("--profile", profile)]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR", "SYSTEMROOT")}
    env.update(os.environ if environ is None else environ)
    env.setdefault("APP_TAG", learner())
    done = compose(*options, "config", "--format", "json", project=project, files=files, check=False, timeout=60,
                   env=env)
    warnings = [m.group(1).replace('\\"', '"') for m in re.finditer(r'level=warning msg="(.*)"', done.stderr)]
    if done.returncode != 0:
        message = "\n".join(line for line in done.stderr.strip().splitlines() if "level=warning" not in line)
        raise ComposeError(f"Compose refuses {', '.join(f.name for f in files)}: {message}", hint_for(message))
    return ComposeFile(files=files, model=json.loads(done.stdout), warnings=warnings,
                       options={"env_file": env_file, "environ": environ, "profiles": profiles})


def merged(base: ComposeFile, override_text: str, override_path: str | Path) -> ComposeFile:
    """``base`` with a compose snippet merged over it as Compose merges ``-f base -f override``: the snippet is
    written to ``override_path`` (relative paths in it still start from ``base``'s folder, as in Compose)."""
    override = Path(override_path)
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(override_text, encoding="utf-8")
    return load(base.path, *base.files[1:], override, project=base.project_name, **base.options)


def snippet(text: str, name: str = "SNIPPET") -> Any:
    """A YAML snippet of a lesson's exercise cell, read with PyYAML; a slip in it is a :class:`ComposeError` that
    says where, counting the line of the opening quotes as line 1 (the snippet starts on the line after them)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ComposeError(f"{name} is not valid YAML: {problem}{where} (the line of the opening quotes is line 1).",
                           f"{_YAML_RULES} Quotes come in pairs. Compare with the lines around it as the lesson "
                           "wrote them.") from None


def parse_env_file(path: str | Path) -> dict[str, str]:
    """The variables of a ``.env`` file (python-dotenv reads it as Compose does: quotes, comments, ``export``)."""
    return {k: v or "" for k, v in dotenv.dotenv_values(path, interpolate=False).items()}


_UNITS = {"h": 3600 * 10**9, "m": 60 * 10**9, "s": 10**9, "ms": 10**6, "us": 10**3, "µs": 10**3, "ns": 1}


def duration_ns(value: str | int | float) -> int:
    """A Go duration as Compose writes it (``"5s"``, ``"1m30s"``, ``"300ms"``) in nanoseconds (as the Engine API
    takes them); a number is seconds."""
    if isinstance(value, (int, float)):
        return int(value * 10**9)
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)", str(value))
    if not parts or "".join(n + u for n, u in parts) != str(value).strip():
        raise ComposeError(f"{value!r} is not a duration.", "write it as Compose does: 5s, 300ms, 1m30s, 2h.")
    return int(sum(float(number) * _UNITS[unit] for number, unit in parts))


def depends_on_conditions(spec: dict[str, Any]) -> dict[str, str]:
    """``{dependency: condition}`` of one service of the model (Compose writes the long form of each)."""
    return {dep: str((entry or {}).get("condition", "service_started"))
            for dep, entry in (spec.get("depends_on") or {}).items()}
