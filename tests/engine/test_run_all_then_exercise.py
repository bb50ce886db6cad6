"""A learner's "Run All" ends with the lesson's clean-up, and the exercise must still work after it: the exercise
cell sets up what it needs (the project network, Redis). Here each notebook runs whole in one kernel, then its
solution goes into a new cell with the check after it, as a learner does after Run All: the check says PASSED
(never a raw traceback from a network or container that the clean-up removed)."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from exercise_sources import solution_code
from nbclient import NotebookClient

import helpers as h

pytestmark = pytest.mark.engine

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") or out.get("data", {}).get("text/plain", ""))
        parts.append("\n".join(out.get("traceback", [])))
    return "".join(parts)


@pytest.mark.parametrize("lesson", ["02_names_and_dns", "07_collectors_and_celery", "08_bot_grace_period"])
def test_after_run_all_the_solution_then_the_check_passes(lesson: str) -> None:
    nb = nbformat.read(NOTEBOOKS / f"{lesson}.ipynb", as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    exercise = next(i for i in code if "exercise" in nb.cells[i].get("metadata", {}).get("tags", []))
    check = next(i for i in code if i > exercise)
    cleanup = code[-1]
    assert "down(" in nb.cells[cleanup].source, f"{lesson}: the last cell is not the clean-up"
    after = [nbformat.v4.new_code_cell(source) for source in (
        solution_code(f"{lesson}.md"), nb.cells[check].source, nb.cells[cleanup].source)]
    nb.cells.extend(after)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()  # Run All (its clean-up included), then the solution, the check, the clean-up again
    except Exception:
        h.clean_course()  # a cell failed before the notebook's own clean-up: remove what it left
        raise
    verdict = _text(after[1])
    assert "PASSED" in verdict and "Traceback" not in verdict, verdict
    assert "Error" not in _text(after[0]), _text(after[0])
