"""Exercise checks for ``05_backend.ipynb``: a collector service that cannot import its own package.

The exercise gives the ``klines_socket`` service of the stack as a YAML snippet with one key missing
(``PYTHONPATH: /app`` under ``environment:``). The learner fixes the snippet; :func:`with_service` merges it over the
stack's compose file, as Compose merges ``-f base -f override``, and ``helpers.up.up`` starts it with its dependencies.

:func:`check` inspects the live ``klines_socket`` container: its ``Config.Env``, ``Config.WorkingDir`` and mounts,
its log (the collector's first line names the Redis it pushes to; a failed import ends the log with
``ModuleNotFoundError``), and Redis database 1, where its records must arrive.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docker.models.containers import Container

from .. import compose_file
from ..compose_file import ComposeFile
from ..errors import WaitTimeout
from ..project import Project
from ..wait import state_of, wait_exited, wait_log
from . import Verdict, verdict

SERVICE = "klines_socket"
WORKING_DIR = "/app/apis"
LIST_KEY = "collected:klines_socket"
STARTED = "pushing to " + LIST_KEY  # the collector's first log line: "pid 1 pushing to collected:... (URL) ..."
_RETRY = " Then run the exercise cell again, and this check."


def with_service(base: ComposeFile, text: str, override_path: str | Path | None = None) -> ComposeFile:
    """``base`` with the service(s) of ``text`` (YAML: the service name, then its keys) in place of its own.

    Compose merges it: the snippet goes under ``services:`` in an override file (``override_path``), each service
    tagged ``!override`` (Compose's tag that replaces a whole entry instead of merging into it), and Compose reads
    ``-f <stack's file> -f <override>``: the same ``.env``, paths from the stack's folder, Compose's own checks.
    ``override_path`` defaults to ``_work/<project>/klines_socket.override.yaml`` (beside the notebooks: git-ignored).
    """
    if override_path is None:
        override_path = Path("_work") / base.project_name / "klines_socket.override.yaml"
    lines = ["services:"]
    for line in text.strip("\n").splitlines():
        top = re.fullmatch(r"([A-Za-z0-9._-]+):\s*(#.*)?", line)
        lines.append(f"  {top.group(1)}: !override" if top else f"  {line}")
    return compose_file.merged(base, "\n".join(lines) + "\n", override_path)


def _env(container: Container) -> dict[str, str]:
    return dict(item.partition("=")[::2] for item in container.attrs["Config"].get("Env") or [])


def _wait_for_log(container: Container, needle: str, timeout: float) -> str:
    """The log line with ``needle`` (following the log stream); when it never comes, the whole log so far."""
    try:
        return wait_log(container, re.escape(needle), timeout)
    except WaitTimeout:
        return container.logs().decode(errors="replace")


def _llen(project: Project, database: int) -> int | None:
    """LLEN of the collector's list in Redis ``database``, asked inside the project's redis container.

    The first push follows the collector's first log line at once; a few tenths of a second are allowed for it.
    None when no redis container runs.
    """
    redis = [c for c in project.containers("redis") if c.status == "running"]
    if not redis:
        return None
    script = (f"for i in $(seq 30); do n=$(redis-cli -n {database} LLEN {LIST_KEY}); "
              '[ "$n" -gt 0 ] && break; sleep 0.1; done; echo "$n"')
    result = redis[-1].exec_run(["sh", "-c", script])
    try:
        return int(result.output.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def _last_error(log: str) -> str:
    lines = [line.strip() for line in log.strip().splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"\w+Error\b", line)]
    return (errors or lines or ["(no output)"])[-1]


def _has_venv(container: Container) -> bool:
    return any(m.get("Type") == "volume" and m.get("Destination") == "/app/.venv"
               for m in container.attrs.get("Mounts") or [])


def _failed(container: Container, state: dict[str, Any], log: str) -> Verdict:
    """NOT YET for a collector that stopped: say which import failed and which key fixes it."""
    env = _env(container)
    code = state.get("ExitCode")
    error = _last_error(log)
    pythonpath = env.get("PYTHONPATH")
    workdir = container.attrs["Config"].get("WorkingDir") or "/"
    seen = f"{container.name} exited with code {code}: {error}"
    if "No module named 'apis'" in log:
        if pythonpath is None:
            return verdict(False, f"{seen} (working dir {workdir}, no PYTHONPATH).",
                           "`python -m apis.collectors...` searches the working dir /app/apis first, and the "
                           "package `apis` is that folder itself: Python must search its parent, /app. Add "
                           "`PYTHONPATH: /app` under the service's `environment:` (next to REDIS_URL)." + _RETRY)
        return verdict(False, f"{seen} (working dir {workdir}, PYTHONPATH={pythonpath}).",
                       f"PYTHONPATH must name the folder that CONTAINS the package `apis`: /app, not "
                       f"{pythonpath}." + _RETRY)
    if "No module named" in log and not _has_venv(container):
        return verdict(False, f"{seen}: the app's packages are missing (no volume at /app/.venv).",
                       "the bind mount `.:/app` hides the image's /app/.venv, and `python` falls back to the base "
                       "image's, without the app's packages. Keep `- venv_data:/app/.venv` under `volumes:`, after "
                       "`- .:/app`." + _RETRY)
    return verdict(False, seen + ".",
                   "read the error above (`docker logs` shows the whole log) and compare the service with the "
                   "stack's `klines_socket` in stack/docker-compose.yaml: only PYTHONPATH should be missing." + _RETRY)


def check(project: Project, timeout: float = 30) -> Verdict:
    """PASSED when ``klines_socket`` runs from /app/apis with PYTHONPATH=/app and its records reach Redis db 1."""
    found = project.containers(SERVICE)
    if not found:
        return verdict(False, f"there is no {SERVICE} container in this project.",
                       "run the exercise cell (it starts the service with its dependencies), then this check.")
    container = found[-1]
    log = _wait_for_log(container, STARTED, timeout)
    if STARTED not in log:  # the log ended early: the process is ending; let the engine record how
        try:
            wait_exited(container, timeout=10)
        except WaitTimeout:
            pass
    state = state_of(container)
    if state.get("Status") != "running":
        return _failed(container, state, log)
    if STARTED not in log:
        return verdict(False, f"{container.name} runs, but did not start collecting within {timeout:.0f} s "
                       f"(last log line: {_last_error(log)}).",
                       "look at its whole log (`docker logs " + container.name + "`); is Redis up?" + _RETRY)
    url = re.search(re.escape(STARTED) + r" \(([^)]*)\)", log)
    database = url.group(1).rsplit("/", 1)[-1] if url else "?"
    if database != "1":
        return verdict(False, f"{container.name} runs, but pushes to Redis database {database} "
                       f"({url.group(1) if url else 'unknown URL'}), not to database 1.",
                       "the collectors' lists belong in database 1: keep `REDIS_URL: redis://redis:6379/1` under "
                       "`environment:` (it overrides the REDIS_URL of .env, which is database 0)." + _RETRY)
    pushed = _llen(project, 1)
    if not pushed:
        return verdict(False, f"{container.name} runs, but no record of it is in Redis database 1 "
                       f"({LIST_KEY}).",
                       "is the project's redis container running? The exercise cell starts it." + _RETRY)
    env = _env(container)
    workdir = container.attrs["Config"].get("WorkingDir") or "/"
    pythonpath = env.get("PYTHONPATH", "")
    if workdir != WORKING_DIR:
        return verdict(False, f"{container.name} collects, but from working dir {workdir}, where `apis` is found "
                       "without PYTHONPATH.",
                       f"keep `working_dir: {WORKING_DIR}` as every app service of the stack has it (manage.py is "
                       "there), and make `apis` importable with `PYTHONPATH: /app` instead." + _RETRY)
    if "/app" not in pythonpath.split(":"):
        return verdict(False, f"{container.name} collects, but its PYTHONPATH is {pythonpath or 'not set'}.",
                       "set `PYTHONPATH: /app` under `environment:`." + _RETRY)
    return verdict(True, f"{container.name} runs in {workdir} with PYTHONPATH={pythonpath}, imported `apis`, and "
                   f"its records arrive in Redis database 1 ({LIST_KEY}).", "")


__all__ = ["LIST_KEY", "SERVICE", "check", "with_service"]
