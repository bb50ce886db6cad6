"""Where the exercise tests read what a learner would run: the notebook's exercise cell and the solution's code."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def exercise_cell(notebook: str) -> str:
    """The source of the one cell tagged ``exercise`` in ``notebooks/<notebook>``, exactly as committed."""
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    cells = [c for c in nb.cells if "exercise" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{notebook}: expected one cell tagged 'exercise', found {len(cells)}"
    return str(cells[0].source)


def solution_code(solution: str) -> str:
    """The first ```python block of ``solutions/<solution>``."""
    found = re.search(r"```python\n(.*?)```", (ROOT / "solutions" / solution).read_text(), re.DOTALL)
    assert found, f"{solution}: no ```python block"
    return found.group(1)


def cell_defining(notebook: str, name: str) -> str:
    """The source of the code cell of ``notebooks/<notebook>`` that defines the function ``name`` (lesson code the
    exercise cell uses, e.g. 05's ``with_service``)."""
    nb = nbformat.read(ROOT / "notebooks" / notebook, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and re.search(rf"^def {name}\(", c.source, re.MULTILINE)]
    assert len(cells) == 1, f"{notebook}: expected one cell defining {name}(), found {len(cells)}"
    return str(cells[0].source)
