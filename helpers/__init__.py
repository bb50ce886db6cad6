"""Helpers for the Docker Compose course.

The raw Docker SDK stays visible in the notebooks (``client.containers.run(...)``); these helpers add what a lesson
needs on top of it: connecting with a clear message, namespacing and labelling, waiting on events, cleaning up.

``import helpers as h`` inside Jupyter also makes the course's own errors show as a message with a hint instead of
a long traceback (see :func:`_show_course_errors_briefly`).
"""

from __future__ import annotations

from .engine import client, connect, use_client
from .errors import CourseError, EngineUnavailable, ImageUnavailable, WaitTimeout
from .faults import crash
from .naming import learner, project_name, set_learner
from .ports import course_ports
from .project import Project, cleanup
from .wait import state_of, summary, wait_exited, wait_healthy, wait_log, wait_restarted, wait_running, wait_until

__all__ = [
    "CourseError",
    "EngineUnavailable",
    "ImageUnavailable",
    "Project",
    "WaitTimeout",
    "cleanup",
    "client",
    "connect",
    "course_ports",
    "crash",
    "learner",
    "project_name",
    "set_learner",
    "state_of",
    "summary",
    "use_client",
    "wait_exited",
    "wait_healthy",
    "wait_log",
    "wait_restarted",
    "wait_running",
    "wait_until",
]


def _show_course_errors_briefly() -> None:
    """In IPython, show a :class:`CourseError` as its message and hint, without the traceback frames."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell, etype, value, tb, tb_offset=None):  # type: ignore[no-untyped-def]
        lines = [f"{etype.__name__}: {value}"]
        shell._showtraceback(etype, value, lines)
        return lines

    shell.set_custom_exc((CourseError,), handler)


_show_course_errors_briefly()
