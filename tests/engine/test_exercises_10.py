"""The exercise of notebook 10 (a production override without host ports), checked against real Compose.

The exercise cell as committed (``ports: []``) must get NOT YET (lists are merged, the port stays) with a hint that
names the merge rule; near misses get NOT YET too; the first Python block of ``solutions/10_beyond_the_seed.md``
must get PASSED. The check starts the merged file and removes it again: nothing of the project may be left.
"""
from __future__ import annotations

import pytest
from exercise_sources import exercise_cell, first_attempt, left_behind, run_cell, solution_code  # noqa: F401 - first_attempt: an autouse fixture

import helpers as h
from helpers.checks import ex10_prod_ports

pytestmark = pytest.mark.engine


@pytest.fixture
def project():
    h.use_client(h.client())
    with h.Project("zz-ex10") as proj:
        yield proj


def test_untouched_exercise_is_not_yet(project, tmp_path):
    path = run_cell(exercise_cell("10_beyond_the_seed.ipynb"), tmp_path, "override", project=project)
    result = ex10_prod_ports.check(path, project)
    assert not result.passed, result
    assert "still publishes 1 port(s)" in result.seen
    assert "added to, not replaced" in result.hint
    assert left_behind(project) == 0


def test_no_file_yet(project, tmp_path):
    result = ex10_prod_ports.check(tmp_path / "nothing.yaml", project)
    assert not result.passed and "run the exercise cell" in result.hint


@pytest.mark.parametrize("change, expected", [
    (lambda t: t.replace("ports: []", 'ports: !override ["127.0.0.1::6379"]'), "the tag replaced the base file's list"),
    (lambda t: t.replace("ports: []", 'ports: ["127.0.0.1::6380"]'), "still publishes 2 port(s)"),
    (lambda t: t.replace("  db:\n    ports: []", "  db: !reset {}"), "has no `db` service"),
    (lambda t: t.replace("ports: []", "profiles: [never]"), "has no `db` service"),
    (lambda t: t.replace("  db:\n    ports: []", "  db: {}\n  ports: !reset []"),
     "read `ports` as the name of a service"),
    (lambda t: t.replace("ports: []", "ports: !rest []"), "ignores the tag `!rest`"),
])
def test_near_misses_are_not_yet(project, tmp_path, change, expected):
    path = run_cell(exercise_cell("10_beyond_the_seed.ipynb"), tmp_path, "override", project=project)
    path.write_text(change(path.read_text()))
    result = ex10_prod_ports.check(path, project)
    assert not result.passed, result
    assert expected in result.seen
    assert left_behind(project) == 0


def test_solution_passes_and_leaves_nothing(project, tmp_path):
    path = run_cell(solution_code("10_beyond_the_seed.md"), tmp_path, "override", project=project)
    result = ex10_prod_ports.check(path, project)
    assert result.passed, result
    assert "publishes no port on the host" in result.seen
    assert left_behind(project) == 0
