"""Helpers for the Docker Compose course.

The raw Docker SDK stays visible in the notebooks (``client.containers.run(...)``); these helpers add what a lesson
needs on top of it: connecting with a clear message, namespacing and labelling, waiting on events, cleaning up.
A lesson opens with ``client, project = h.open_lesson("04-health", learner=LEARNER)``. Importing does nothing else.
"""

from __future__ import annotations

from typing import Any

import docker

from .containers import state_of, summary
from .engine import client, connect, use_client
from .errors import CourseError, EngineUnavailable, ImageUnavailable, WaitTimeout
from .faults import crash
from .naming import learner, project_name, set_learner
from .ports import course_ports
from .project import Project, clean_course, down
from .wait import wait_exited, wait_healthy, wait_log, wait_restarted, wait_running, wait_until

__all__ = [
    "CourseError",
    "EngineUnavailable",
    "ImageUnavailable",
    "Project",
    "WaitTimeout",
    "clean_course",
    "client",
    "connect",
    "course_ports",
    "crash",
    "down",
    "learner",
    "open_lesson",
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


def open_lesson(lesson: str, learner: str | None = None) -> tuple[docker.DockerClient, Project]:
    """Open a lesson: set the learner (None: ``$COURSE_LEARNER``, else the user name), show course errors briefly in
    IPython, connect to the engine (:class:`EngineUnavailable`, saying how to start one, when none answers), make
    that client the helpers' own, and return it with the lesson's :class:`Project` (whose creation removes what a
    crashed earlier run of the lesson left)."""
    set_learner(learner)
    _show_course_errors_briefly()  # first: a missing engine is already a course error
    engine = connect()
    use_client(engine)
    return engine, Project(lesson)


def _show_course_errors_briefly() -> None:
    """In IPython, show a :class:`CourseError` as its message and hint, without the traceback frames."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell: Any, etype: type[BaseException], value: BaseException, tb: Any,
                tb_offset: int | None = None) -> list[str]:
        lines = [f"{etype.__name__}: {value}"]
        shell._showtraceback(etype, value, lines)  # noqa: SLF001 - IPython's own way to show a short error
        return lines

    shell.set_custom_exc((CourseError,), handler)
