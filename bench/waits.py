#!/usr/bin/env python
"""Per notebook: wall time against the time its waits took (the waits the lesson demonstrates).

Each notebook is executed in memory (its file is not written), as learner ``bench``, with ``COURSE_WAITS_FILE``
set: every wait of the helpers (``wait_running``, ``wait_healthy``, ``wait_log``, ``up``'s ``depends_on`` waits,
the checks' waits, ``docker compose up --wait``) appends one JSON line to that file (:data:`helpers.wait.WAITS`).
The table gives, per notebook: wall time, the number of waits, their sum, and the time covered by at least one
wait (waits run in parallel in ``up``: the sum can exceed the wall time; the covered time cannot). What the
notebook spends outside any wait is wall minus covered. See bench/README.md.

    python bench/waits.py                          # every lesson notebook, one after the other
    python bench/waits.py notebooks/04_health_and_restart.ipynb --json bench/waits.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent


def covered(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by the union of ``(start, end)`` intervals."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def run(path: Path) -> dict[str, object]:
    """Execute one notebook with its waits recorded; its figures."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as log:
        waits_file = Path(log.name)
    os.environ["COURSE_WAITS_FILE"] = str(waits_file)
    notebook = nbformat.read(path, as_version=4)
    began = time.monotonic()
    ExecutePreprocessor(timeout=900, kernel_name="python3").preprocess(
        notebook, {"metadata": {"path": str(path.parent)}})
    wall = time.monotonic() - began
    waits = [json.loads(line) for line in waits_file.read_text().splitlines() if line.strip()]
    waits_file.unlink()
    spans = [(w["started"], w["ended"]) for w in waits]
    return {"notebook": path.name, "wall_s": round(wall, 1), "waits": len(waits),
            "sum_s": round(sum(b - a for a, b in spans), 1), "covered_s": round(covered(spans), 1),
            "longest": max(waits, key=lambda w: w["ended"] - w["started"])["awaited"] if waits else ""}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_LEARNER", "bench")
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows = []
    print(f"{'notebook':34} {'wall s':>7} {'waits':>5} {'sum s':>7} {'covered s':>9}  outside waits")
    for path in paths:
        row = run(path)
        rows.append(row)
        print(f"{row['notebook']:34} {row['wall_s']:7.1f} {row['waits']:5d} {row['sum_s']:7.1f} "
              f"{row['covered_s']:9.1f}  {row['wall_s'] - row['covered_s']:6.1f}", flush=True)
    wall = sum(float(r["wall_s"]) for r in rows)
    cover = sum(float(r["covered_s"]) for r in rows)
    print(f"{'all':34} {wall:7.1f} {sum(int(r['waits']) for r in rows):5d} "
          f"{sum(float(r['sum_s']) for r in rows):7.1f} {cover:9.1f}  {wall - cover:6.1f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
