"""Faults on purpose: crash a container the way a real crash (or the OOM killer) would.

``docker stop``/``docker kill`` go through the API, and the engine then treats the container as stopped by hand: no
restart policy brings it back. :func:`crash` instead has a short-lived helper container in the host's PID namespace
(on Docker Desktop: the engine's VM) SIGKILL the container's main process, which then dies "on its own".
"""

from __future__ import annotations

from docker.errors import APIError, ContainerError
from docker.models.containers import Container

from . import naming
from .engine import client
from .errors import CourseError

KILLER_IMAGE = "python:3.13-slim"


def crash(container: Container, signal: int = 9) -> int:
    """Kill the container's main process from outside the Docker API; returns the PID that was killed."""
    container.reload()
    pid = int(container.attrs["State"]["Pid"])  # the host PID of its main process; 0 when it is not running
    if pid <= 0:
        raise CourseError(f"{container.name} is not running, so it cannot crash.", "start it first.")
    project = container.labels.get(naming.PROJECT_LABEL, "course")
    labels = {**naming.course_labels(project), naming.SERVICE_LABEL: "crasher", naming.ONEOFF_LABEL: "True"}
    try:  # a one-off, so the dashboard and the timeline leave it out
        client().containers.run(KILLER_IMAGE, ["python3", "-c", f"import os; os.kill({pid}, {signal})"],
                                pid_mode="host", remove=True, labels=labels)
    except (APIError, ContainerError) as exc:
        raise CourseError(
            f"Could not crash {container.name}: the engine refused a helper container in its PID namespace.\n"
            f"({str(getattr(exc, 'explanation', None) or exc).splitlines()[0][:200]})",
            "Docker Desktop with Enhanced Container Isolation (set by an administrator) forbids `--pid=host`, and "
            "so do rootless engines; there the crash demonstrations cannot run. Read the committed outputs of "
            "those cells instead, or use an engine without that restriction.",
        ) from None
    return pid
