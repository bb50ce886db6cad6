"""Hints that teach, without an engine: a check's first NOT YET gives the idea and where the lesson teaches it, a
repeated NOT YET of the same exercise adds the answer; every place a hint names is a real heading of its notebook."""
from __future__ import annotations

import ast
import json
import pkgutil
import re
from pathlib import Path

import pytest

from helpers import checks
from helpers.checks import Verdict, reset_attempts, verdict
from helpers.checks.ex03_db_port import binding_problem

ROOT = Path(__file__).resolve().parents[2]
EXERCISE_MODULES = [m.name for m in pkgutil.iter_modules(checks.__path__) if re.fullmatch(r"ex\d\d_\w+", m.name)]


@pytest.fixture(autouse=True)
def no_records(monkeypatch):
    """Verdicts are not recorded on an engine here; each test starts with nothing counted."""
    monkeypatch.setenv("COURSE_RECORD_VERDICTS", "0")
    reset_attempts()
    yield
    reset_attempts()


def test_the_first_not_yet_gives_the_hint_a_repeated_one_adds_the_answer():
    first = verdict(False, "no alias", "see «4. Names» above", exercise="zz_one", answer="net.connect(...)")
    assert (first.attempt, first.shows_answer) == (1, False)
    assert str(first) == "NOT YET: no alias\nHint: see «4. Names» above"
    again = verdict(False, "no alias", "see «4. Names» above", exercise="zz_one", answer="net.connect(...)")
    assert (again.attempt, again.repeat, again.shows_answer) == (2, True, True)  # the same state, checked again
    assert str(again) == ("NOT YET: no alias\nHint: see «4. Names» above\n"
                          "Answer (asked again): net.connect(...)")


def test_the_untouched_exercise_then_a_first_wrong_change_each_get_the_hint_alone():
    """Run All checks the untouched exercise: that must not use up the learner's hint-only try."""
    untouched = verdict(False, "no working_dir", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    wrong = verdict(False, "WorkingDir /app/api", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    assert not untouched.shows_answer and not wrong.shows_answer and wrong.attempt == 2
    third = verdict(False, "WorkingDir /apps", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    assert (third.attempt, third.repeat, third.shows_answer) == (3, False, True)  # a third try: stuck, so answer


def test_the_count_is_per_exercise():
    verdict(False, "x", "h", exercise="zz_one", answer="a")
    other = verdict(False, "x", "h", exercise="zz_two", answer="b")
    assert other.attempt == 1 and not other.shows_answer and not other.repeat
    assert verdict(False, "x", "h", exercise="zz_one", answer="a").shows_answer


def test_run_the_cell_first_is_not_a_try_and_has_nothing_to_answer():
    verdict(False, "x", "h", exercise="zz_one", answer="a")
    first = verdict(False, "no container", "run the exercise cell, then this check.", exercise="zz_one")
    assert first.attempt == 0 and not first.shows_answer and "Answer" not in str(first)
    assert verdict(False, "x", "h", exercise="zz_one", answer="a").attempt == 2  # the count went on


def test_a_pass_starts_the_count_over():
    verdict(False, "x", "h", exercise="zz_one", answer="a")
    assert verdict(True, "fine", "never shown", exercise="zz_one", answer="never shown") == Verdict(True, "fine")
    assert verdict(False, "broke it", "h", exercise="zz_one", answer="a").attempt == 1


def test_reset_forgets_one_exercise_or_all():
    for exercise in ("zz_one", "zz_two"):
        verdict(False, "x", "h", exercise=exercise, answer="a")
    reset_attempts("zz_one")
    assert verdict(False, "x", "h", exercise="zz_one", answer="a").attempt == 1
    assert verdict(False, "x", "h", exercise="zz_two", answer="a").attempt == 2
    reset_attempts()
    assert verdict(False, "x", "h", exercise="zz_two", answer="a").attempt == 1


def test_the_answer_shows_in_html_only_when_asked_again():
    answer = "volumes:\n  celerybeat_data:   # <project>_celerybeat_data"
    first = verdict(False, "undefined volume", "«1. Named volumes»", exercise="zz_one", answer=answer)
    assert "Hint:" in first._repr_html_() and "Answer" not in first._repr_html_()
    page = verdict(False, "undefined volume", "«1. Named volumes»", exercise="zz_one", answer=answer)._repr_html_()
    assert "<b>Answer (asked again):</b> volumes:\n  celerybeat_data:" in page
    assert "&lt;project&gt;_celerybeat_data" in page and page.index("Hint:") < page.index("Answer")


def test_a_check_outside_an_exercise_module_is_counted_under_no_id():
    assert verdict(False, "x", "h", answer="a").attempt == 1
    assert verdict(False, "x", "h", answer="a").shows_answer


def _strings(module: str) -> list[str]:
    """Every string literal of ``helpers/checks/<module>.py`` (an f-string with ``{}`` for its fields)."""
    tree = ast.parse((ROOT / "helpers" / "checks" / f"{module}.py").read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def _headings(notebook: Path) -> set[str]:
    cells = json.loads(notebook.read_text())["cells"]
    lines = ("".join(c["source"]).splitlines() for c in cells if c["cell_type"] == "markdown")
    return {m.group(1).strip() for ls in lines for line in ls if (m := re.match(r"#{1,6} (.+)", line))}


@pytest.mark.parametrize("module", EXERCISE_MODULES)
def test_every_place_a_hint_names_is_a_heading_of_its_notebook(module):
    notebook = next((ROOT / "notebooks").glob(f"{module[2:4]}_*.ipynb"))
    named = {place for text in _strings(module) for place in re.findall(r"«([^»]+)»", text)}
    assert named, f"{module}: no hint names a place in {notebook.name} (a heading, in «»)"
    assert named <= _headings(notebook), f"{module}: not headings of {notebook.name}: {named - _headings(notebook)}"


@pytest.mark.parametrize("module", EXERCISE_MODULES)
def test_every_exercise_check_keeps_an_answer_for_a_second_not_yet(module):
    tree = ast.parse((ROOT / "helpers" / "checks" / f"{module}.py").read_text())
    answers = [k for node in ast.walk(tree) if isinstance(node, ast.Call) for k in node.keywords if k.arg == "answer"]
    assert answers, f"{module}: no verdict(..., answer=...)"


@pytest.mark.parametrize(
    "ports",
    [{"5432/tcp": None}, {"5432/tcp": None, "5433/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5433"}]},
     {"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "5433"}]},
     {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5432"}]}],
)
def test_03_hints_point_at_the_lesson_and_keep_the_tuple_for_the_answer(ports):
    seen, hint, answer = binding_problem(ports, 5433)
    assert "«4. `ports:` — who can reach the database»" in hint
    assert "ALT_PORT)" not in hint and "ALT_PORT)" in answer
