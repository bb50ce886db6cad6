"""Faults on purpose: crash a container the way a real crash (or the OOM killer) would.

``docker stop`` and ``docker kill`` go through the API, and the engine then treats the container as stopped by
hand: no restart policy brings it back. A real crash is the main process dying on its own. :func:`crash` does that:
a short-lived helper container in the host's PID namespace sends SIGKILL to the container's main process.
It works on Linux and on Docker Desktop (where "the host" is the engine's VM).

Used in the restart notebooks and by the live dashboard's "crash" button.
"""

from __future__ import annotations

from docker.errors import APIError, ContainerError
from docker.models.containers import Container

from . import naming
from .engine import client
from .errors import CourseError

KILLER_IMAGE = "python:3.13-slim"


def main_pid(container: Container) -> int:
    """The host PID of the container's main process (``State.Pid``); 0 when it is not running."""
    container.reload()
    return int(container.attrs["State"]["Pid"])


def crash(container: Container, signal: int = 9) -> int:
    """Kill the container's main process from outside the Docker API; returns the PID that was killed."""
    pid = main_pid(container)
    if pid <= 0:
        raise CourseError(f"{container.name} is not running, so it cannot crash.", "start it first.")
    project = container.labels.get(naming.PROJECT_LABEL, "course")
    try:
        client().containers.run(
            KILLER_IMAGE,
            ["python3", "-c", f"import os; os.kill({pid}, {signal})"],
            pid_mode="host",
            remove=True,
            labels={**naming.course_labels(project), naming.SERVICE_LABEL: "crasher", naming.ONEOFF_LABEL: "True"},
        )
    except (APIError, ContainerError) as exc:
        raise CourseError(
            f"Could not crash {container.name}: the engine refused a helper container in its PID namespace.\n"
            f"({str(getattr(exc, 'explanation', None) or exc).splitlines()[0][:200]})",
            "Docker Desktop with Enhanced Container Isolation (set by an administrator) forbids `--pid=host`, and "
            "so do rootless engines; there the crash demonstrations cannot run. Read the committed outputs of "
            "those cells instead, or use an engine without that restriction.",
        ) from None
    return pid
