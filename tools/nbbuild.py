"""Write a notebook from a list of cells (used by authors; the .ipynb in notebooks/ is what learners open).

A cell is ("md", text) or ("code", source) or ("code", source, ["tag", ...]). Text is dedented and stripped.
"""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def build(path: str | Path, cells: list[tuple]) -> None:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for cell in cells:
        kind, src, *rest = cell
        src = textwrap.dedent(src).strip("\n")
        made = new_markdown_cell(src) if kind == "md" else new_code_cell(src)
        if rest:
            made.metadata["tags"] = list(rest[0])
        nb.cells.append(made)
    nbformat.write(nb, str(path))
    print(f"wrote {path} ({len(nb.cells)} cells)", file=sys.stderr)
