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
    verdict(False, "no network", "see «4. Names» above", exercise="zz_one", answer="net.connect(...)")  # untouched
    first = verdict(False, "no alias", "see «4. Names» above", exercise="zz_one", answer="net.connect(...)")
    assert (first.attempt, first.shows_answer) == (1, False)  # the untouched state is no try
    assert str(first) == "NOT YET: no alias\nHint: see «4. Names» above"
    again = verdict(False, "no alias", "see «4. Names» above", exercise="zz_one", answer="net.connect(...)")
    assert (again.attempt, again.repeat, again.shows_answer) == (1, True, True)  # the same state, checked again
    assert str(again) == ("NOT YET: no alias\nHint: see «4. Names» above\n"
                          "Answer (asked again): net.connect(...)")


def test_the_untouched_exercise_asked_again_gives_the_hint_alone():
    """Nothing tried yet (the cell as committed, Run All twice): the hint, never the answer."""
    for _ in range(4):
        untouched = verdict(False, "no working_dir", "«3. ...»", exercise="zz_one", answer="working_dir=...")
        assert not untouched.repeat and not untouched.shows_answer


def test_the_untouched_exercise_then_a_first_wrong_change_each_get_the_hint_alone():
    """Run All checks the untouched exercise: that must not use up the learner's hint-only try."""
    untouched = verdict(False, "no working_dir", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    wrong = verdict(False, "WorkingDir /app/api", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    assert not untouched.shows_answer and not wrong.shows_answer and wrong.attempt == 1
    second = verdict(False, "WorkingDir /apps", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    assert (second.attempt, second.repeat, second.shows_answer) == (2, False, False)  # two real tries: hint only
    third = verdict(False, "WorkingDir /", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    assert (third.attempt, third.repeat, third.shows_answer) == (3, False, True)  # a third try: stuck, so answer


def test_the_untouched_exercise_checked_again_and_again_counts_once():
    """Run All, Restart and Run All, a check of the untouched cell: one state, so a first wrong change gets the hint."""
    for _ in range(3):
        verdict(False, "no working_dir", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    wrong = verdict(False, "WorkingDir /app/api", "«3. ...»", exercise="zz_one", answer="working_dir=...")
    assert (wrong.attempt, wrong.shows_answer) == (1, False)


def test_the_count_is_per_exercise():
    verdict(False, "x", "h", exercise="zz_one", answer="a")
    other = verdict(False, "x", "h", exercise="zz_two", answer="b")
    assert other.attempt == 1 and not other.shows_answer and not other.repeat
    verdict(False, "y", "h", exercise="zz_one", answer="a")
    assert verdict(False, "y", "h", exercise="zz_one", answer="a").shows_answer


def test_run_the_cell_first_is_not_a_try_and_has_nothing_to_answer():
    verdict(False, "x", "h", exercise="zz_one", answer="a")
    first = verdict(False, "no container", "run the exercise cell, then this check.", exercise="zz_one")
    assert first.attempt == 0 and not first.shows_answer and "Answer" not in str(first)
    assert verdict(False, "y", "h", exercise="zz_one", answer="a").attempt == 1  # the first try: counted
    assert verdict(False, "z", "h", exercise="zz_one", answer="a").attempt == 2  # the count goes on


def test_a_pass_starts_the_count_over():
    verdict(False, "x", "h", exercise="zz_one", answer="a")
    assert verdict(True, "fine", "never shown", exercise="zz_one", answer="never shown") == Verdict(True, "fine")
    assert verdict(False, "broke it", "h", exercise="zz_one", answer="a").attempt == 1


def test_reset_forgets_one_exercise_or_all():
    for exercise in ("zz_one", "zz_two"):
        verdict(False, "x", "h", exercise=exercise, answer="a")
    reset_attempts("zz_one")
    assert verdict(False, "x", "h", exercise="zz_one", answer="a").attempt == 1
    assert verdict(False, "y", "h", exercise="zz_two", answer="a").attempt == 1  # the first try after untouched
    assert verdict(False, "z", "h", exercise="zz_two", answer="a").attempt == 2
    reset_attempts()
    assert verdict(False, "x", "h", exercise="zz_two", answer="a").attempt == 1


def test_the_answer_shows_in_html_only_when_asked_again():
    answer = "volumes:\n  celerybeat_data:   # <project>_celerybeat_data"
    verdict(False, "no volume", "«1. Named volumes»", exercise="zz_one", answer=answer)  # untouched
    first = verdict(False, "undefined volume", "«1. Named volumes»", exercise="zz_one", answer=answer)
    assert "Hint:" in first._repr_html_() and "Answer" not in first._repr_html_()
    page = verdict(False, "undefined volume", "«1. Named volumes»", exercise="zz_one", answer=answer)._repr_html_()
    # a YAML answer: a block of its own, from its first line, in a code font, indent kept
    assert '<b>Answer (asked again):</b>\n<pre style="margin:0">volumes:\n  celerybeat_data:' in page
    assert "&lt;project&gt;_celerybeat_data" in page and page.index("Hint:") < page.index("Answer")
    mixed = "the file ends with `volumes:`:\nvolumes:\n  celerybeat_data:"
    verdict(False, "untouched", "«1. Named volumes»", exercise="zz_three", answer=mixed)
    verdict(False, "undefined", "«1. Named volumes»", exercise="zz_three", answer=mixed)
    page = verdict(False, "undefined", "«1. Named volumes»", exercise="zz_three", answer=mixed)._repr_html_()
    assert ('the file ends with <code>volumes:</code>:\n<pre style="margin:0">volumes:\n  celerybeat_data:</pre>'
            in page)  # prose as text, the YAML as a block
    code = verdict(False, "no alias", "see `net.connect`", exercise="zz_two", answer="`aliases=[\"cache\"]`")
    assert "see <code>net.connect</code>" in code._repr_html_()


def test_a_check_outside_an_exercise_module_is_counted_under_no_id():
    assert verdict(False, "x", "h", answer="a").attempt == 1
    assert verdict(False, "y", "h", answer="a").attempt == 1  # the first change: "x" was the untouched state
    assert verdict(False, "z", "h", answer="a").attempt == 2
    assert verdict(False, "y", "h", answer="a").shows_answer


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


class FakeShell:
    """What ``_same_code_again`` reads of IPython: ``user_ns["In"]``, the cells run so far (``In[-1]`` is running)."""

    def __init__(self) -> None:
        self.user_ns: dict[str, list[str]] = {"In": [""]}

    def run(self, cell: str) -> None:
        self.user_ns["In"].append(cell)


def test_in_a_notebook_the_same_state_after_changed_code_is_no_repeat(monkeypatch):
    import IPython

    shell = FakeShell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)

    def check(cell: str = "print(check())") -> Verdict:
        shell.run(cell)
        return verdict(False, "still 1 port", "see «7. Profiles»", exercise="zz_code", answer="ports: []")

    shell.run("setup()")
    shell.run("exercise = 'untouched'")
    assert not check().shows_answer                      # Run All: the untouched exercise
    shell.run("exercise = 'first change'")
    assert not check().repeat                            # the same state, but after other code: the hint alone
    shell.run("exercise = 'first change'")
    assert check().repeat                                # the same code and the same state: asked again
    reset_attempts()
    shell.run("exercise = 'a change'")
    assert not check().shows_answer
    assert not check().repeat                            # the check's cell again, nothing tried since: the hint
    shell.run("exercise = 'another change'")
    assert not check().repeat                            # a try
    assert check().repeat                                # only the check's cell again: asked again
    reset_attempts()
    assert not check("exercise = 1; print(check())").repeat  # the exercise and its check in one cell
    assert not check("exercise = 2; print(check())").repeat  # changed: the hint alone
    assert check("exercise = 2; print(check())").repeat      # unchanged, run again: the answer


def test_a_check_after_a_cell_that_failed_judges_nothing(monkeypatch):
    """A SyntaxError (or any error) in the exercise cell: the engine still has an earlier run's containers, so the
    check says so instead of judging them, also when asked again, until the exercise cell ends well."""
    import types

    import IPython

    shell = types.SimpleNamespace(execution_count=0, events=types.SimpleNamespace(callbacks={"post_run_cell": []}))
    shell.events.register = lambda name, fn: shell.events.callbacks[name].append(fn)
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    checks.follow_cells(shell)
    checks.follow_cells(shell)
    assert shell.events.callbacks["post_run_cell"] == [checks._cell_ended]  # once per shell

    def cell(error: BaseException | None = None, check: bool = False) -> Verdict | None:
        shell.execution_count += 1
        got = verdict(True, "REDIS_URL=redis://redis:6379/1", exercise="zz_stale") if check else None
        result = types.SimpleNamespace(execution_count=shell.execution_count, error_before_exec=error,
                                       error_in_exec=None)
        for callback in shell.events.callbacks["post_run_cell"]:
            callback(result)
        return got

    cell()                                              # the exercise cell, right: the container is made
    assert cell(check=True).passed
    cell(SyntaxError("invalid syntax"))                 # a typo: the cell never ran
    first = cell(check=True)
    assert not first.passed and "In [3], ended with SyntaxError: invalid syntax" in first.seen, first
    stands = verdict(False, "database 0", "hint", exercise="zz_stale", answer="a")  # a NOT YET stands, and says
    assert stands.seen.endswith(" database 0") and "In [3], ended with SyntaxError" in stands.seen, stands
    assert stands.attempt == 0 and not stands.shows_answer  # it judged an earlier run: no try, no step to the answer
    assert not cell(check=True).passed                  # the check alone again: still the earlier run's state
    cell()                                              # mended
    assert cell(check=True).passed


def test_in_a_real_kernel_a_syntax_error_before_the_check_holds_back_its_pass():
    """The same through IPython itself (nbclient), where a cell's execution count is only known when it ends."""
    import nbformat
    from nbclient import NotebookClient

    cells = ["import os\nos.environ['COURSE_RECORD_VERDICTS'] = '0'\nimport IPython\nimport helpers.checks as c\n"
             "c.follow_cells(IPython.get_ipython())",
             "x = 1", "print(c.verdict(True, 'ok', exercise='zz'))",        # right: PASSED
             "x = 2\nprint('x'", "print(c.verdict(True, 'ok', exercise='zz'))",  # a SyntaxError, then the check
             "print(c.verdict(True, 'ok', exercise='zz'))",                   # the check alone again
             "x = 3", "print(c.verdict(True, 'ok', exercise='zz'))"]        # mended
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells])
    NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=60).execute()
    said = ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]
    assert said[2].startswith("PASSED") and said[7].startswith("PASSED"), said
    assert "In [4], ended with SyntaxError" in said[4] and "In [4], ended with SyntaxError" in said[5], said


def test_in_a_real_kernel_a_name_error_gets_a_hint_from_the_first_cell_on():
    """The helpers' IPython extension (which ./course has its venv's kernels load): a cell run before the cells
    it needs, in a fresh kernel, shows the NameError and says what to run."""
    import nbformat
    from nbclient import NotebookClient

    cells = ["%load_ext helpers", "print(project.name)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells])
    NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=60).execute()
    error = nb.cells[1].outputs[0]
    assert error["output_type"] == "error" and error["ename"] == "NameError", error
    assert "Run All Above Selected Cell" in "\n".join(error["traceback"]), error["traceback"]


def test_course_setup_has_its_kernels_load_the_extension():
    course = (ROOT / "course").read_text()
    assert 'c.InteractiveShellApp.extensions = ["helpers"]' in course and "etc/ipython" in course
