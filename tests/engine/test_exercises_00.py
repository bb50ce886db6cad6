"""The exercise of notebook 00, checked on a real engine: the committed cell (NOT YET, hint without the answer),
two near misses, and the solution (PASSED). Each runs the cell's code as committed, or with one line changed."""
from __future__ import annotations

import pytest
from exercise_sources import changed, exercise_cell, first_attempt, solution_code  # noqa: F401 - autouse fixture

import helpers as h
from helpers.checks import ex00_hello_learner

pytestmark = pytest.mark.engine

COMMAND = r"""^ *command=\["python", "-c", "print\('hello again'\)"\]\)   # <- .*$"""


@pytest.fixture
def scope00(client):
    project = h.Project("zz-ex00")
    try:
        yield {"h": h, "client": client, "project": project}
    finally:
        project.down(volumes=True)
    assert not project.containers()


def test_00_untouched_then_solution(scope00):
    project = scope00["project"]
    assert "no second hello container" in ex00_hello_learner.check(project).seen   # before the cell ran
    exec(exercise_cell("00_preflight.ipynb"), scope00)  # noqa: S102 - the committed exercise
    before = ex00_hello_learner.check(project)
    assert not before.passed and "printed 'hello again'" in before.seen, str(before)
    assert "h.learner()" in before.hint and "f-string" not in before.hint and "f-string" in before.answer
    assert "Answer" not in str(before)
    again = ex00_hello_learner.check(project)                 # asked again, nothing tried yet: the hint alone
    assert "Answer" not in str(again)
    quoted = """command=["python", "-c", "print('h.learner()')"])"""
    exec(changed(exercise_cell("00_preflight.ipynb"), COMMAND, "                     " + quoted), scope00)  # noqa: S102
    assert "Answer" not in str(ex00_hello_learner.check(project))                  # a first try: the hint
    assert "Answer (asked again)" in str(ex00_hello_learner.check(project))        # the same again: the answer

    exec(solution_code("00_preflight.md"), scope00)  # noqa: S102 - the committed solution
    after = ex00_hello_learner.check(project)
    assert after.passed, str(after)
    assert repr(h.learner()) in after.seen and "finds 2 containers" in after.seen


@pytest.mark.parametrize(
    ("new", "seen", "hint"),
    [
        ("""command=["python", "-c", "print(h.learner())"])""", "NameError", "never heard of `h`"),
        ("""command=["python", "-c", "print('h.learner()')"])""", "printed 'h.learner()', not your learner id",
         "as a value"),
    ],
    ids=["name-not-value", "quoted-call"],
)
def test_00_near_misses(scope00, new, seen, hint):
    exec(changed(exercise_cell("00_preflight.ipynb"), COMMAND, "                     " + new), scope00)  # noqa: S102
    result = ex00_hello_learner.check(scope00["project"])
    assert not result.passed and seen in result.seen and hint in result.hint, str(result)
    assert "Answer" not in str(result) and "f-string" in result.answer
