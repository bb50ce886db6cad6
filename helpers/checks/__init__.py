"""Exercise checks: one module ``exNN_what.py`` per exercise, whose ``check`` inspects the live engine and answers
with a :class:`Verdict`; the exercise id, as the room view shows it, is the module's name without ``ex``.

A NOT YET teaches before it tells. Its ``hint`` names the idea and where the lesson teaches it (a heading of the
notebook, in «»). Its ``answer`` says what to write, and is shown only once the learner has tried something (run
other code, or reached another state, since the exercise's first check): when the check then finds a wrong state
again after the same code (in a notebook: nothing run since the last check, or the same cells again), or at the
third different wrong state since the exercise was first changed, in the same process (the notebook's kernel). So
the untouched exercise, checked as often as Run All checks it, and the first two different wrong changes get the
hint alone. A
PASSED starts the count over; :func:`reset_attempts` does too. A NOT YET that only says to run the exercise cell
first has no answer, and is not counted."""

from __future__ import annotations

import html
import itertools
import re
import sys
import threading
import traceback
from dataclasses import dataclass
from typing import Any

from docker.models.containers import Container

from ..containers import newest
from ..project import Project

_attempts: dict[str, dict[str, int]] = {}  # exercise id -> {what was seen: NOT YETs} since its last PASSED
ANSWER_AFTER = 3  # the how-many-th different wrong state of an exercise shows the answer
_attempts_lock = threading.Lock()
_checked: dict[str, tuple[int, list[str]]] = {}  # exercise id -> (cell count at its last check, the cells run)
_tried: set[str] = set()  # exercise ids whose learner changed something since the exercise's first check


@dataclass(frozen=True)
class Verdict:
    """The answer of a check: passed or not, what was seen, what to think about (``hint``) and, when asked again
    (the same ``seen`` again: ``repeat``; or ``attempt`` :data:`ANSWER_AFTER` or more), what to write (``answer``)."""

    passed: bool
    seen: str
    hint: str = ""
    answer: str = ""  # kept from the first attempt on; shown when asked again
    attempt: int = 0  # how many different wrong states (with an answer) the exercise's check has seen (0: not counted)
    repeat: bool = False  # the exercise's check saw this same wrong state before

    @property
    def shows_answer(self) -> bool:
        """Whether the answer is part of the text: a NOT YET with an answer, asked again."""
        return not self.passed and bool(self.answer) and (self.repeat or self.attempt >= ANSWER_AFTER)

    @property
    def _why_answer(self) -> str:
        """Why the answer shows: the same state checked again, or the how-many-th different wrong state."""
        return "asked again" if self.repeat else f"{self.attempt} different NOT YETs of this exercise so far"

    def __str__(self) -> str:
        if self.passed:
            return f"PASSED: {self.seen}"
        answer = f"\nAnswer ({self._why_answer}): {self.answer}" if self.shows_answer else ""
        return f"NOT YET: {self.seen}\nHint: {self.hint}{answer}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """The text exactly (escaped: ``<project>`` stays; `code` in a code font; an answer of several lines, such
        as YAML, as a block that keeps its indent), coloured."""
        colour, word = ("#1a7f37", "PASSED") if self.passed else ("#9a6700", "NOT YET")
        hint = "" if self.passed else f"\n<b>Hint:</b> {_html(self.hint)}"
        answer = ""
        if self.shows_answer:
            answer = (f"\n<b>Answer ({self._why_answer}):</b>\n{_blocks(self.answer)}" if "\n" in self.answer.strip()
                      else f"\n<b>Answer ({self._why_answer}):</b> {_html(self.answer)}")
        return (f'<div style="border-left:4px solid {colour};padding:4px 8px;white-space:pre-wrap">'
                f"<b>{word}</b>: {_html(self.seen)}{hint}{answer}</div>")


def _html(text: str) -> str:
    """``text`` escaped for HTML, with its `code` spans in a code font."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", html.escape(text))


def _blocks(text: str) -> str:
    """An answer of several lines: its lines of prose (those with `code` spans) as text, the other lines (YAML,
    code) as blocks in a code font that keep their indent."""
    out: list[str] = []
    for prose, lines in itertools.groupby(text.strip("\n").splitlines(), key=lambda line: "`" in line):
        part = "\n".join(lines)
        out.append(_html(part) if prose else f'<pre style="margin:0">{html.escape(part)}</pre>')
    return "\n".join(out)


def exercise_of(module: str) -> str | None:
    """The exercise id of a check module: ``"03_db_port"`` for ``helpers.checks.ex03_db_port``, else None."""
    prefix, _, short = module.rpartition(".")
    return short[2:] if prefix == __name__ and short.startswith("ex") and short[2:4].isdigit() else None


def reset_attempts(exercise: str | None = None) -> None:
    """Forget the NOT YETs counted for ``exercise`` (None: for every exercise): its next NOT YET gives the hint
    alone again. Tests call it; a learner never needs to."""
    with _attempts_lock:
        if exercise is None:
            _attempts.clear()
            _checked.clear()
            _tried.clear()
            _last_cell.clear()
            _asked.clear()
        else:
            _attempts.pop(exercise, None)
            _checked.pop(exercise, None)
            _tried.discard(exercise)


def _same_code_again(key: str) -> bool:
    """Whether the learner ran the same code as before this exercise's previous check (or nothing since it): in a
    notebook, IPython's ``In`` says what ran. Outside one (a test, a script), True: the state alone tells."""
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    inputs = shell.user_ns.get("In") if shell is not None else None
    if not isinstance(inputs, list) or not inputs:
        return True
    now = len(inputs) - 1  # the running cell, the one that asks for the check
    before, then = _checked.get(key, (0, []))
    ran = [str(cell) for cell in inputs[before + 1:now + 1]]
    _checked[key] = (now, ran)
    return ran == then or (ran == ran[-1:] and then[-1:] == ran)  # or only the check's cell again, unchanged


_last_cell: list[tuple[int, str]] = []  # the last cell that ended and asked for no check: (In [n], its error or "")
_asked: list[bool] = []  # the running cell asked for a check (known to IPython only when the cell ends)


def follow_cells(shell: Any) -> None:
    """Called by :func:`helpers.open_lesson`: remember how each cell of the kernel ended (once per shell)."""
    if _cell_ended not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", _cell_ended)


def _cell_ended(result: Any) -> None:
    if _asked:  # a check's own cell: the cell before it stays the one that counts
        _asked.clear()
        return
    error = result.error_before_exec or result.error_in_exec
    text = f"{type(error).__name__}: {error}".strip() if error else ""
    if isinstance(error, SyntaxError):  # without IPython's name of the cell's temporary file
        text = f"SyntaxError: {error.msg}" + (f" (line {error.lineno})" if error.lineno else "")
    _last_cell[:] = [(result.execution_count, text)]


def _failed_before_check() -> tuple[int, str] | None:
    """The last cell run before this check (not a check itself) and its error, if it ended with one: what the
    engine has may then come from an earlier run. None outside IPython, or when that cell ended well."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    if get_ipython() is None or not _last_cell:
        return None
    _asked[:] = [True]
    count, error = _last_cell[0]
    if not error:
        return None
    first = error.splitlines()[0]
    return count, first if len(first) <= 100 else first[:100].rsplit(" ", 1)[0] + " …"


def verdict(passed: bool, seen: str, hint: str = "", exercise: str | None = None, *, answer: str = "") -> Verdict:
    """The answer of a check, recorded for the instructor's room view (:func:`helpers.records.record_verdict`:
    never fails, under a second) under ``exercise``, else under the nearest calling check module.

    Not passed: ``hint`` is the idea and where the lesson teaches it; ``answer`` (if any) is what to write, shown
    when this process's check of the exercise sees the same ``seen`` again, or from its :data:`ANSWER_AFTER`-th
    different ``seen`` with an answer on. Passed: neither, and the count restarts."""
    if exercise is None:
        frames = traceback.walk_stack(sys._getframe(1))  # noqa: SLF001 - who asked: a check, maybe through a helper
        exercise = next(filter(None, (exercise_of(str(f.f_globals.get("__name__", ""))) for f, _ in frames)), None)
    failed = _failed_before_check()
    if failed is not None and not passed:  # a NOT YET judges what is there: it stands, and says so
        seen = (f"(the last cell run before this check, In [{failed[0]}], ended with {failed[1]}, so what follows "
                f"may come from an earlier run) {seen}")
    if failed is not None and passed:  # e.g. a SyntaxError: the cell never ran, and a PASS would be an earlier run's
        passed, seen, hint, answer = False, (
            f"the last cell run before this check, In [{failed[0]}], ended with {failed[1]}. What the engine has "
            "may come from an earlier run, so this check does not pass it."), (
            "mend what that error names (the cell's last lines), run the exercise cell again until it ends "
            "without an error, then this check."), ""
    if exercise:
        from ..records import record_verdict

        record_verdict(exercise, passed, seen)
    key = exercise or ""
    with _attempts_lock:
        if passed:
            _attempts.pop(key, None)
            _checked.pop(key, None)
            _tried.discard(key)
            return Verdict(True, seen)
        attempt, repeat = 0, False
        if answer and failed is None:  # after a cell that failed, the check judged an earlier run: no try of it
            tries = _attempts.setdefault(key, {})
            had, same = key in _checked, _same_code_again(key)  # always: it keeps track of what ran
            if (had and not same) or (tries and seen not in tries):  # other code, or another state: a try
                if key not in _tried:  # the first: what came before was the untouched exercise, which counts not
                    tries.clear()
                _tried.add(key)
            repeat = same and seen in tries and key in _tried  # nothing tried yet (untouched): never a repeat
            tries[seen] = tries.get(seen, 0) + 1
            attempt = len(tries)  # different wrong states since the first change of the exercise
    return Verdict(False, seen, hint, answer, attempt, repeat)


def again(before: str = "Then") -> str:
    """The end of a hint: (``before``, e.g. what the check did to the containers) run the exercise cell again."""
    return f" {before} run the exercise cell again, and this check."


def running_container(project: Project, service: str) -> Container | None:
    """The newest running container of ``service`` in ``project``, or None."""
    return newest(c for c in project.containers(service) if c.status == "running")


def container_of(project: Project, service: str, starts: str, running: bool = False) -> Container | Verdict:
    """The newest (``running``: running) container of ``service``, or the NOT YET that says to run the cell."""
    found = running_container(project, service) if running else newest(project.containers(service))
    if found is not None:
        return found
    return verdict(False, f"there is no {'running ' if running else ''}{service} container in project "
                   f"{project.name}.", f"run the exercise cell (it starts {starts}), then this check. If the cell "
                   "ended with an error, its last lines say what to change first.")
