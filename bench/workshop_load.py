#!/usr/bin/env python
"""Proof of load: N learners through the course at once on one engine, for N = 1, 2, 4 (see bench/README.md).

Each learner (ids ``bench1`` .. ``benchN``) has a checkout of their own and runs the notebooks one after the other
under papermill (``LEARNER`` set, ports chosen automatically per learner); all learners run at the same time.
Reported per N: wall time, the peak total memory of the learners' containers (``docker stats`` samples), the peak
of the heaviest learner, whether every notebook ran without an error, and any cross-talk seen (a learner's
container, volume, network or port touched by another: :func:`workshop.load.cross_talk`). Each round starts and
ends with the learners' ``./course clean``. Run it on an otherwise idle machine: the figures are the sizing of
docs/instructor.md.

    python bench/workshop_load.py                                  # N = 1, 2, 4, notebooks 00 to 09
    python bench/workshop_load.py --learners 1 --notebooks 00 03   # a quick check that it works
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, without installing

import helpers as h
from workshop import load

NOTEBOOKS = sorted(p.name for p in (load.ROOT / "notebooks").glob("0[0-9]_*.ipynb"))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pick(prefixes: list[str]) -> list[str]:
    """Notebook files for ``["00", "03"]`` (all course notebooks 00-09 when empty)."""
    if not prefixes:
        return NOTEBOOKS
    chosen = [name for prefix in prefixes for name in NOTEBOOKS if name.startswith(prefix.zfill(2) + "_")]
    missing = [p for p in prefixes if not any(n.startswith(p.zfill(2) + "_") for n in NOTEBOOKS)]
    if missing:
        raise SystemExit(f"no notebook {', '.join(missing)} in notebooks/ (have: {', '.join(NOTEBOOKS)})")
    return chosen


def round_of(n: int, notebooks: list[str], timeout: int, interval: float) -> dict:
    """One round: n learners at once; returns its figures."""
    engine = h.connect()
    learners = [f"bench{i}" for i in range(1, n + 1)]
    for learner in learners:
        h.clean_course(learner, engine=engine)
    with tempfile.TemporaryDirectory(prefix="course-bench-") as workdir:
        started = time.monotonic()
        with load.Watch(engine, learners, stats=True, interval=interval) as watch:
            runs = load.run_room(learners, notebooks, Path(workdir), timeout)
        wall = time.monotonic() - started
    problems = load.cross_talk(watch.seen.events, watch.seen.ports, learners)
    for learner in learners:
        h.clean_course(learner, engine=engine)
    failed = [f"{r.learner} {r.notebook}: {r.error}" for r in runs if not r.passed]
    return {"learners": n, "wall_s": round(wall, 1), "peak_total_mib": round(watch.seen.memory_peak / 2**20),
            "peak_per_learner_mib": round(max(watch.seen.memory_peak_by.values(), default=0) / 2**20),
            "all_passed": not failed, "failed": failed, "cross_talk": problems,
            "notebook_s": {f"{r.learner} {r.notebook}": round(r.seconds, 1) for r in runs}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[1, 2, 4], help="the N of each round")
    parser.add_argument("--notebooks", nargs="*", default=[], help="notebook numbers (default: 00 to 09)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a notebook cell may take")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between memory samples")
    parser.add_argument("--json", type=Path, help="also write the results there")
    args = parser.parse_args()
    notebooks = pick(args.notebooks)
    results = []
    for n in args.learners:
        _log(f"round: {n} learner(s) x {len(notebooks)} notebook(s) ({', '.join(notebooks)})")
        results.append(round_of(n, notebooks, args.timeout, args.interval))
        r = results[-1]
        _log(f"  {r['wall_s']} s, peak {r['peak_total_mib']} MiB, all passed: {r['all_passed']}")
        for line in r["failed"] + r["cross_talk"]:
            _log(f"  ! {line}")
    print(f"{'N':>3} {'wall s':>8} {'peak total MiB':>15} {'peak/learner MiB':>17} "
          f"{'all passed':>11} {'cross-talk':>11}")
    for r in results:
        print(f"{r['learners']:>3} {r['wall_s']:>8} {r['peak_total_mib']:>15} {r['peak_per_learner_mib']:>17} "
              f"{str(r['all_passed']):>11} {len(r['cross_talk']):>11}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(r["all_passed"] and not r["cross_talk"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
