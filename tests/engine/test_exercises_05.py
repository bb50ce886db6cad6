"""The exercise of 05_backend, checked on a real engine.

The exercise cell (tag ``exercise``) is run exactly as committed: the check must say NOT YET with its hint. Then
the first Python block of ``solutions/05_backend.md``: the check must say PASSED. Near misses (the table in the
solution) must each get their own hint. Each test uses a project of its own and removes it at the end.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import helpers as h
from helpers import stack
from helpers.exercises import n05_backend
from helpers.up import down, up

from exercise_sources import exercise_cell, solution_code

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120






def lesson_compose(project: h.Project):
    """What the notebook's setup cell makes: the stack's file for the project, without host ports."""
    return stack.load(project.name, stack.NO_HOST_PORTS)


@pytest.fixture
def project():
    h.use_client(h.client())
    with h.Project("zz-ex05") as proj:
        yield proj
    assert not proj.containers()


def test_05_no_container_yet(project):
    result = n05_backend.check(project, timeout=TIMEOUT)
    assert not result.passed and "run the exercise cell" in result.hint


def test_05_exercise_then_solution(project):
    scope = {"h": h, "n05_backend": n05_backend, "cf": lesson_compose(project), "project": project,
             "up": up, "down": down, "TIMEOUT": TIMEOUT}
    exec(exercise_cell("05_backend.ipynb"), scope)  # noqa: S102 - the committed exercise
    before = n05_backend.check(project, timeout=TIMEOUT)
    assert not before.passed, str(before)
    assert "exited with code 1" in before.seen and "No module named 'apis'" in before.seen
    assert "no PYTHONPATH" in before.seen
    assert "Add `PYTHONPATH: /app` under the service's `environment:`" in before.hint
    assert str(before).startswith("NOT YET") and "\nHint: " in str(before)

    exec(solution_code("05_backend.md"), scope)  # noqa: S102 - the committed solution
    after = n05_backend.check(project, timeout=TIMEOUT)
    assert after.passed, str(after)
    assert str(after) == (f"PASSED: {project.name}-klines_socket runs in /app/apis with PYTHONPATH=/app, imported "
                          "`apis`, and its records arrive in Redis database 1 (collected:klines_socket).")


def _fixed_service() -> str:
    """The solution's KLINES_SOCKET snippet, depending on redis only (the near misses need no db or backend)."""
    text = re.search(r'KLINES_SOCKET = """(.*?)"""', solution_code("05_backend.md"), re.DOTALL).group(1)
    return text.replace("    backend:\n      condition: service_started\n", "")


@pytest.fixture(scope="module")
def shared():
    """One project for the near misses: its venv_data is filled once (a first fill copies the whole venv)."""
    h.use_client(h.client())
    with h.Project("zz-ex05-near") as proj:
        yield proj
    assert not proj.containers()


@pytest.mark.parametrize(
    ("old", "new", "seen", "hint"),
    [
        ("PYTHONPATH: /app\n", "PYTHONPATH: /app/apis\n", "PYTHONPATH=/app/apis", "CONTAINS the package `apis`"),
        ("working_dir: /app/apis\n", "working_dir: /app\n", "from working dir /app, where", "keep `working_dir"),
        ("    - venv_data:/app/.venv\n", "", "the app's packages are missing", "hides the image's /app/.venv"),
        ("REDIS_URL: redis://redis:6379/1\n", "DJANGO_DEBUG: '1'\n", "pushes to Redis database 0",
         "keep `REDIS_URL: redis://redis:6379/1`"),
    ],
)
def test_05_near_misses(shared, old, new, seen, hint):
    service = _fixed_service()
    assert old in service
    exercise = n05_backend.with_service(lesson_compose(shared), service.replace(old, new))
    down(shared.name)  # as the exercise cell does: start over, the volumes stay
    up(exercise, shared.name, services=["klines_socket"], build=False, progress=lambda _: None, timeout=TIMEOUT)
    result = n05_backend.check(shared, timeout=TIMEOUT)
    assert not result.passed, str(result)
    assert seen in result.seen and hint in result.hint, str(result)


def test_05_snippet_errors_are_explained(project):
    cf = lesson_compose(project)
    with pytest.raises(h.CourseError, match="yaml: line") as info:
        n05_backend.with_service(cf, "klines_socket:\n  image: x\n   command: y\n")
    assert "YAML goes by indentation" in info.value.hint
    with pytest.raises(h.CourseError, match="additional properties 'workdir' not allowed") as info:
        n05_backend.with_service(cf, "klines_socket:\n  image: cryphos-app:latest\n  workdir: /app\n")
    assert "not in the Compose specification" in info.value.hint
