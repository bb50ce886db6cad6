"""Exercise of ``05_backend``: the ``klines_socket`` collector must import its own package (``PYTHONPATH: /app``);
read from its ``Config``, mounts and log, and from Redis database 1, where its records must arrive."""

from __future__ import annotations

import re
from contextlib import suppress

from ..containers import env_of, run_in, state_of
from ..errors import WaitTimeout
from ..project import Project
from ..wait import wait_exited, wait_log
from . import Verdict, again, container_of, running_container, verdict

SERVICE = "klines_socket"
WORKING_DIR = "/app/apis"
LIST_KEY = "collected:klines_socket"
STARTED = "pushing to " + LIST_KEY  # the collector's first log line: "pid 1 pushing to collected:... (URL) ..."
_RETRY = again()
_IMPORTS = "«3. `working_dir`, and where Python looks for a package»"
_ADD = "add `PYTHONPATH: /app` under the service's `environment:` (next to REDIS_URL)."


def _records_in_db1(project: Project) -> int:
    """LLEN of the collector's list in Redis database 1 (3 s allowed for the first push); 0 without a running redis."""
    redis = running_container(project, "redis")
    script = f'for i in $(seq 30); do n=$(redis-cli -n 1 LLEN {LIST_KEY}); [ "$n" -gt 0 ] && break; sleep 0.1; done'
    output = run_in(redis, ["sh", "-c", script + "; echo $n"])[1].split() if redis else []
    return int(output[-1]) if output and output[-1].isdigit() else 0


def _last_error(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return ([line for line in lines if re.search(r"\w+Error\b", line)] or lines or ["(no output)"])[-1]


def check(project: Project, timeout: float = 30) -> Verdict:
    """PASSED when ``klines_socket`` runs from /app/apis with PYTHONPATH=/app and its records reach Redis db 1."""
    container = container_of(project, SERVICE, "the service with its dependencies")
    if isinstance(container, Verdict):
        return container
    try:
        log = wait_log(container, re.escape(STARTED), timeout)
    except WaitTimeout:  # the line never came: the process is ending (let the engine record how), or is stuck
        log = container.logs().decode(errors="replace")
        with suppress(WaitTimeout):
            wait_exited(container, timeout=10)
    state = state_of(container)
    workdir = container.attrs["Config"].get("WorkingDir") or "/"
    pythonpath = env_of(container).get("PYTHONPATH")
    if state.get("Status") != "running":
        log = container.logs().decode(errors="replace")
        seen = f"{container.name} exited with code {state.get('ExitCode')}: {_last_error(log)}"
        venv = any(m.get("Type") == "volume" and m.get("Destination") == "/app/.venv"
                   for m in container.attrs.get("Mounts") or [])
        if "No module named 'apis'" in log and pythonpath is None:
            return verdict(False, f"{seen} (working dir {workdir}, no PYTHONPATH).",
                           "`python -m apis.collectors...` searches the working dir /app/apis first, and the "
                           "package `apis` is that folder itself: Python must also search the folder that contains "
                           f"it. {_IMPORTS} shows where Python looks, and which setting adds a folder." + _RETRY,
                           answer=_ADD)
        if "No module named 'apis'" in log:
            return verdict(False, f"{seen} (working dir {workdir}, PYTHONPATH={pythonpath}).",
                           "PYTHONPATH must name the folder that CONTAINS the package `apis`, not the package "
                           f"itself: {_IMPORTS}." + _RETRY, answer=f"`PYTHONPATH: /app`, not {pythonpath}.")
        if "No module named" in log and not venv:
            return verdict(False, f"{seen}: the app's packages are missing (no volume at /app/.venv).",
                           "the bind mount `.:/app` hides the image's /app/.venv, and `python` falls back to the "
                           "base image's, without the app's packages: «5. `venv_data:/app/.venv`: a named volume on "
                           "top of the bind mount»." + _RETRY,
                           answer="keep `- venv_data:/app/.venv` under `volumes:`, after `- .:/app`.")
        return verdict(False, seen + ".", "read the error above (`docker logs` shows the whole log) and compare the "
                       "service with the stack's `klines_socket` in stack/docker-compose.yaml: only PYTHONPATH "
                       "should be missing." + _RETRY,
                       answer="start again from the exercise cell as committed, and " + _ADD)
    if STARTED not in log:
        return verdict(False, f"{container.name} runs, but did not start collecting within {timeout:.0f} s "
                       f"(last log line: {_last_error(log)}).",
                       f"look at its whole log (`docker logs {container.name}`); is Redis up?" + _RETRY)
    url = re.search(re.escape(STARTED) + r" \(([^)]*)\)", log)
    if not url or not url.group(1).endswith("/1"):
        return verdict(False, f"{container.name} runs, but pushes to Redis database "
                       f"{url.group(1).rsplit('/', 1)[-1] if url else '?'} ({url.group(1) if url else 'unknown URL'}), "
                       "not to database 1.", "the collectors' lists belong in database 1, and `.env` says database "
                       "0: the service's `environment:` must override it, as «2. `env_file:` and `environment:`: "
                       "which value wins» shows." + _RETRY, answer="keep `REDIS_URL: redis://redis:6379/1` under "
                       "`environment:`, and add `PYTHONPATH: /app` beside it.")
    if not _records_in_db1(project):
        return verdict(False, f"{container.name} runs, but no record of it is in Redis database 1 ({LIST_KEY}).",
                       "is the project's redis container running? The exercise cell starts it." + _RETRY)
    if workdir != WORKING_DIR:
        return verdict(False, f"{container.name} collects, but from working dir {workdir}, where `apis` is found "
                       "without PYTHONPATH.",
                       f"every app service of the stack works in {WORKING_DIR} (manage.py is there): {_IMPORTS} says "
                       "why, and how `apis` is imported from there." + _RETRY,
                       answer=f"keep `working_dir: {WORKING_DIR}`, and " + _ADD)
    if "/app" not in (pythonpath or "").split(":"):
        return verdict(False, f"{container.name} collects, but its PYTHONPATH is {pythonpath or 'not set'}.",
                       f"the stack's app services import `apis` through PYTHONPATH: {_IMPORTS}." + _RETRY,
                       answer=_ADD)
    return verdict(True, f"{container.name} runs in {workdir} with PYTHONPATH={pythonpath}, imported `apis`, and "
                   f"its records arrive in Redis database 1 ({LIST_KEY}).", "")
