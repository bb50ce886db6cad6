"""Where the exercise tests read what a learner would run: the notebook's exercise cell and the solution's code,
and how a near miss is made from them (:func:`changed`: one committed line altered, as a learner would)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from helpers.checks import reset_attempts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def first_attempt():
    """Each test starts as a learner's first try: the next NOT YET of any exercise gives its hint alone. (Imported
    by each exercise test module; an autouse fixture applies in every module that has it.)"""
    reset_attempts()
    yield
    reset_attempts()


def _code_cells(notebook: str) -> list:
    return [c for c in nbformat.read(ROOT / "notebooks" / notebook, as_version=4).cells if c.cell_type == "code"]


def exercise_cell(notebook: str) -> str:
    """The source of the one cell tagged ``exercise`` in ``notebooks/<notebook>``, exactly as committed."""
    cells = _code_cells(notebook)
    tagged = [c for c in cells if "exercise" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{notebook}: expected one cell tagged 'exercise', found {len(tagged)}"
    return str(tagged[0].source)


def solution_code(solution: str) -> str:
    """The first ```python block of ``solutions/<solution>``."""
    found = re.search(r"```python\n(.*?)```", (ROOT / "solutions" / solution).read_text(), re.DOTALL)
    assert found, f"{solution}: no ```python block"
    return found.group(1)


def cell_defining(notebook: str, name: str) -> str:
    """The source of the code cell of ``notebooks/<notebook>`` that defines the function ``name`` (lesson code the
    exercise cell uses, e.g. 05's ``with_service``)."""
    cells = [c for c in _code_cells(notebook) if re.search(rf"^def {name}\(", c.source, re.MULTILINE)]
    assert len(cells) == 1, f"{notebook}: expected one cell defining {name}(), found {len(cells)}"
    return str(cells[0].source)


def cell_containing(notebook: str, text: str) -> str:
    """The source of the one code cell of ``notebooks/<notebook>`` that contains ``text`` (e.g. 03's cell that writes
    the compose file the exercise's ``up_db`` reads)."""
    cells = [c for c in _code_cells(notebook) if text in c.source]
    assert len(cells) == 1, f"{notebook}: expected one code cell containing {text!r}, found {len(cells)}"
    return str(cells[0].source)


def changed(source: str, pattern: str, new: str) -> str:
    """``source`` with the one match of the regex ``pattern`` replaced by ``new`` (taken literally): a near miss made
    from the committed cell. Fails when the committed cell no longer has exactly one such place."""
    found = re.findall(pattern, source, re.MULTILINE)
    assert len(found) == 1, f"expected one match of {pattern!r} in the cell, found {len(found)}"
    return re.sub(pattern, lambda _: new, source, flags=re.MULTILINE)


def run_cell(source: str, work: Path, result: str, **names: object) -> Path:
    """Run an exercise cell (or a solution's code) that writes a compose file into ``work`` (``names``: the other
    names of the notebook it uses, e.g. 10's ``project``); return the path it names ``result`` (09's ``exercise``,
    10's ``override``)."""
    scope = {"work": work, **names}
    exec(source, scope)  # noqa: S102 - the notebook's own cell
    return scope[result]


def left_behind(project) -> int:
    """How many containers, volumes and networks carry ``project``'s Compose label (a check must leave none)."""
    import helpers as h

    label = {"label": f"com.docker.compose.project={project.name}"}
    engine = h.client()
    return sum(len(x) for x in (engine.containers.list(all=True, filters=label),
                                engine.volumes.list(filters=label), engine.networks.list(filters=label)))
