"""The exercise of 05_backend, checked on a real engine.

The exercise cell (tag ``exercise``) is run exactly as committed: the check must say NOT YET with a hint that points
at the lesson (the answer kept for a second NOT YET). Then the first Python block of ``solutions/05_backend.md``:
the check must say PASSED. Near misses (the table in the solution) must each get their own hint and answer. Each
test uses a project of its own and removes it at the end.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from exercise_sources import cell_defining, exercise_cell, first_attempt, solution_code  # noqa: F401 - autouse

import helpers as h
from helpers import stack
from helpers.checks import ex05_pythonpath
from helpers.up import up

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def with_service(base, text):
    """The notebook's own with_service (the cell before the exercise), as the learner runs it."""
    scope: dict = {}
    exec(cell_defining("05_backend.ipynb", "with_service"), scope)  # noqa: S102 - the committed lesson code
    return scope["with_service"](base, text)


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
    result = ex05_pythonpath.check(project, timeout=TIMEOUT)
    assert not result.passed and "run the exercise cell" in result.hint


def test_05_exercise_then_solution(project):
    scope = {"h": h, "cf": lesson_compose(project), "project": project, "up": up, "TIMEOUT": TIMEOUT}
    exec(cell_defining("05_backend.ipynb", "with_service"), scope)  # noqa: S102 - the cell before the exercise
    exec(exercise_cell("05_backend.ipynb"), scope)  # noqa: S102 - the committed exercise
    before = ex05_pythonpath.check(project, timeout=TIMEOUT)
    assert not before.passed, str(before)
    assert "exited with code 1" in before.seen and "No module named 'apis'" in before.seen
    assert "no PYTHONPATH" in before.seen
    assert "«3. `working_dir`, and where Python looks for a package»" in before.hint
    assert "add `PYTHONPATH: /app` under the service's `environment:`" in before.answer
    assert "under the service's `environment:`" not in before.hint and "Answer" not in str(before)
    assert str(before).startswith("NOT YET") and "\nHint: " in str(before)

    exec(solution_code("05_backend.md"), scope)  # noqa: S102 - the committed solution
    after = ex05_pythonpath.check(project, timeout=TIMEOUT)
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
    ("old", "new", "seen", "hint", "answer"),
    [
        ("PYTHONPATH: /app\n", "PYTHONPATH: /app/apis\n", "PYTHONPATH=/app/apis", "CONTAINS the package `apis`",
         "`PYTHONPATH: /app`, not /app/apis"),
        ("working_dir: /app/apis\n", "working_dir: /app\n", "from working dir /app, where",
         "every app service of the stack works in /app/apis", "keep `working_dir: /app/apis`"),
        ("    - venv_data:/app/.venv\n", "", "the app's packages are missing", "hides the image's /app/.venv",
         "keep `- venv_data:/app/.venv`"),
        ("REDIS_URL: redis://redis:6379/1\n", "DJANGO_DEBUG: '1'\n", "pushes to Redis database 0",
         "`.env` says database 0", "keep `REDIS_URL: redis://redis:6379/1`"),
    ],
    ids=["pythonpath-apis", "working-dir-app", "no-venv", "no-redis-url"],
)
def test_05_near_misses(shared, old, new, seen, hint, answer):
    service = _fixed_service()
    assert old in service
    exercise = with_service(lesson_compose(shared), service.replace(old, new))
    shared.down()  # as the exercise cell does: start over, the volumes stay
    up(exercise, shared.name, services=["klines_socket"], build=False, progress=lambda _: None, timeout=TIMEOUT)
    result = ex05_pythonpath.check(shared, timeout=TIMEOUT)
    assert not result.passed, str(result)
    assert seen in result.seen and hint in result.hint and answer in result.answer, str(result)
    assert answer not in result.hint


def test_05_snippet_errors_are_explained(project):
    cf = lesson_compose(project)
    with pytest.raises(h.CourseError, match="yaml: line") as info:
        with_service(cf, "klines_socket:\n  image: x\n   command: y\n")
    assert "YAML goes by indentation" in info.value.hint
    with pytest.raises(h.CourseError, match="additional properties 'workdir' not allowed") as info:
        with_service(cf, "klines_socket:\n  image: cryphos-app:latest\n  workdir: /app\n")
    assert "not in the Compose specification" in info.value.hint
