"""The exercise of notebook 09 (declare the volume), checked against real Compose and a real engine.

The exercise cell as committed (cell tag ``exercise``) must get NOT YET with a hint that points at the lesson's
top-level declaration, and the two lines to add as its answer (shown from a second NOT YET on); the usual slips
get their own hint; the first Python block of ``solutions/09_whole_file.md`` must get
PASSED. The check lets Compose create the service and removes it again: nothing of the project may be left.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from exercise_sources import exercise_cell, first_attempt, left_behind, run_cell, solution_code  # noqa: F401 - first_attempt: an autouse fixture

import helpers as h
from helpers.checks import ex09_volume_declaration

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project():
    h.use_client(h.client())
    with h.Project("zz-ex09") as proj:
        yield proj


def test_untouched_exercise_is_not_yet(project, tmp_path):
    path = run_cell(exercise_cell("09_whole_file.ipynb"), tmp_path, "exercise")
    result = ex09_volume_declaration.check(path, project)
    assert not result.passed
    assert "undefined volume celerybeat_data" in result.seen
    assert "top-level `volumes:`" in result.hint and "«1. Named volumes are declared at the top level»" in result.hint
    assert "\nvolumes:\n  celerybeat_data:\n" in result.answer and "celerybeat_data:\n" not in result.hint


def test_no_file_yet(project, tmp_path):
    result = ex09_volume_declaration.check(tmp_path / "nothing.yaml", project)
    assert not result.passed and "run the exercise cell" in result.hint


@pytest.mark.parametrize("change, expected", [
    (lambda t: t + "  volumes:\n    celerybeat_data:\n", "(no spaces before it)"),
    (lambda t: t + "    volumes:\n      celerybeat_data:\n", "a key appears twice"),
    (lambda t: t + "volumes:\ncelerybeat_data:\n", "indented under `volumes:`"),
    (lambda t: t + "volumes:\n  - celerybeat_data\n", "Compose wants a mapping"),
    (lambda t: t + "volumes:\n  celerybeat_data\n", "ends with a colon"),
    (lambda t: t.replace("- celerybeat_data:/data", "- ./celerybeat_data:/data"), "a host path"),
    (lambda t: t + "volumes:\n  celerybeat-data:\n", "the names must match exactly"),
    (lambda t: t + "volumes:\n  celerybeat_data:\n    external: true\n", "external means"),
    (lambda t: t + "volumes:\n  celerybeat_data:\n    name: celerybeat_data\n", "the trap of `container_name`"),
])
def test_slips_get_their_own_hint(project, tmp_path, change, expected):
    path = run_cell(exercise_cell("09_whole_file.ipynb"), tmp_path, "exercise")
    path.write_text(change(path.read_text()))
    result = ex09_volume_declaration.check(path, project)
    assert not result.passed
    assert expected in result.hint and "«1. Named volumes are declared at the top level»" in result.hint
    assert "celerybeat_data:" in result.answer
    assert left_behind(project) == 0


def test_solution_passes_and_leaves_nothing(project, tmp_path):
    path = run_cell(solution_code("09_whole_file.md"), tmp_path, "exercise")
    result = ex09_volume_declaration.check(path, project)
    assert result.passed, result
    assert f"created the volume {project.name}_celerybeat_data" in result.seen
    assert "mounted at /data" in result.seen
    assert left_behind(project) == 0
