"""Record notebooks: execute them on the engine that answers and write their outputs into the .ipynb files.

    .venv/bin/python tools/record.py notebooks/03_db.ipynb [...]     (no argument: every lesson notebook)

Runs as learner ``learner`` (the id the committed outputs name), without widget state (it would add hundreds of
KB per dashboard). Cells tagged ``engine-details`` show the learner's own engine (version, OS, memory, whether an
image is a local stand-in): their outputs are dropped from the recording, so a reader of the committed notebook
is never told what the recording machine had. Check afterwards with ``pytest NOTEBOOK`` (twice: idempotent).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
DETAILS_TAG = "engine-details"


def record(path: Path, timeout: int = 900) -> None:
    """Execute ``path`` in its folder and write it back with the new outputs."""
    nb = nbformat.read(path, as_version=4)
    runner = ExecutePreprocessor(timeout=timeout, kernel_name="python3", store_widget_state=False)
    runner.preprocess(nb, {"metadata": {"path": str(path.parent)}})
    for cell in nb.cells:
        if cell.cell_type == "code" and DETAILS_TAG in cell.metadata.get("tags", []):
            cell.outputs = []
    nbformat.write(nb, path)
    print(f"recorded {path.relative_to(ROOT)}", file=sys.stderr)


def main(argv: list[str]) -> int:
    os.environ["COURSE_LEARNER"] = "learner"
    paths = [Path(a).resolve() for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        record(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
