"""Helpers for the Docker Compose course, on top of the raw Docker SDK the notebooks show: connecting with a clear
message, namespacing and labelling, waiting on events, cleaning up. A lesson opens with
``client, project = h.open_lesson("04-health", learner=LEARNER)``; importing does nothing else."""

from __future__ import annotations

import contextlib
from typing import Any

import docker

from .containers import state_of, summary
from .engine import client, connect, on_host, use_client
from .errors import CourseError, EngineUnavailable, ImageUnavailable, WaitTimeout
from .faults import crash
from .naming import learner, project_name, set_learner
from .ports import course_ports
from .project import Project, clean_course, down
from .wait import wait_exited, wait_healthy, wait_log, wait_restarted, wait_running, wait_until

__all__ = [
    "CourseError", "EngineUnavailable", "ImageUnavailable", "Project", "WaitTimeout", "clean_course", "client",
    "connect", "course_ports", "crash", "down", "learner", "on_host", "open_lesson", "project_name", "set_learner",
    "state_of", "summary", "use_client", "wait_exited", "wait_healthy", "wait_log", "wait_restarted", "wait_running",
    "wait_until",
]


def open_lesson(lesson: str, learner: str | None = None) -> tuple[docker.DockerClient, Project]:
    """Set the learner (None: ``$COURSE_LEARNER``, else the user name), show course errors briefly in IPython, connect
    (the helpers' client from now on); return it and the lesson's :class:`Project` (which clears a crashed run's)."""
    set_learner(learner)
    with contextlib.suppress(ImportError):  # before connecting: a missing engine is already a course error
        from IPython import get_ipython

        if (shell := get_ipython()) is not None:
            load_ipython_extension(shell)
            from .checks import follow_cells

            follow_cells(shell)
    engine = connect()
    use_client(engine)
    return engine, Project(lesson)


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext helpers``; ``./course`` has its virtualenv's kernels load it at start (``etc/ipython``), so a
    fresh kernel already shows course errors briefly, and a NameError with a hint (a cell run before the cells it
    needs). :func:`open_lesson` loads it too."""
    shell.set_custom_exc((CourseError, docker.errors.APIError, TypeError, NameError), _show_briefly)


_SDK_DOCS = "https://docker-py.readthedocs.io/en/stable/ (one page per kind: containers, networks, volumes, images)"


def _show_briefly(shell: Any, etype: type[BaseException], value: BaseException, tb: Any,
                  tb_offset: int | None = None) -> list[str]:
    """IPython's custom handler: a :class:`CourseError` shows as its message and hint, without traceback frames; so
    do the engine's refusals (docker-py's ``APIError``: what the engine said, and what it means here) and a keyword
    an SDK call does not take. A NameError: its traceback and a hint. Any other error: IPython's full traceback."""
    if isinstance(value, CourseError):
        lines = [f"{etype.__name__}: {value}"]
    elif isinstance(value, docker.errors.NotFound):
        lines = [f"{etype.__name__}: {value.explanation}",
                 "Hint: the engine has no such object now: a later cell or the lesson's Clean up removed it. Run "
                 "the cells of this section again from its first one (or Restart and Run All)."]
    elif isinstance(value, docker.errors.APIError):
        lines = [f"{etype.__name__} {value.status_code}: {value.explanation}",
                 "Hint: the engine refused the request; its message names the value it could not use. Compare the "
                 f"call with the lesson's, or with the SDK reference: {_SDK_DOCS}"]
    elif isinstance(value, TypeError) and "unexpected keyword argument" in str(value):
        lines = [f"TypeError: {value}", "Hint: the SDK call takes no argument of that name (a compose key is often "
                 f"spelt differently in the SDK): see the lesson's calls, or the SDK reference: {_SDK_DOCS}"]
    elif isinstance(value, TypeError) and str(value).startswith("Invalid type for"):  # docker-py's own check
        lines = [f"TypeError: {value}", "Hint: the SDK takes this argument in another shape than the compose file "
                 "(e.g. restart_policy={\"Name\": \"always\"}, not a string): see the lesson's calls, or the SDK "
                 f"reference: {_SDK_DOCS}"]
    else:
        lines = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        if isinstance(value, NameError):
            lines = [*lines, "Hint: if the name is the lesson's, a cell above defines it and this kernel has not run "
                     "that cell (a restarted kernel forgets everything): Run > Run All Above Selected Cell, then "
                     "this one. If it is your own, check its spelling."]
    shell._showtraceback(etype, value, lines)  # noqa: SLF001 - IPython's own way to show a short error
    return lines
