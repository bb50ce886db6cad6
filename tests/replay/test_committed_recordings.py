"""CI, no engine: each committed recording (``binder/recordings/NN_topic.jsonl.gz``, or ``$COURSE_RECORDINGS``)
still matches what its notebook does. The notebook runs against a replay of its recording; the test fails when a
call is not in the recording (the notebook changed) or when recorded calls that change something were not made."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from course_replay import ReplayEngine, metadata

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = sorted(Path(os.environ.get("COURSE_RECORDINGS", ROOT / "binder" / "recordings")).glob("*.jsonl.gz"))


def execute(notebook: Path, docker_host: str, learner: str, replay: str | None = None) -> None:
    """Run ``notebook`` in its folder (as nbval does) against ``docker_host``, as ``learner``."""
    import nbformat
    from nbclient import NotebookClient

    env = {"DOCKER_HOST": docker_host, "COURSE_LEARNER": learner,
           "PYTHONPATH": os.environ.get("TEST_PYTHONPATH", str(ROOT)),
           **({"COURSE_REPLAY": replay} if replay else {"COURSE_RECORD": "1"})}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        nb = nbformat.read(notebook, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


CASES = [pytest.param(r, id=r.name.split(".")[0]) for r in RECORDINGS]


@pytest.mark.parametrize("recording", CASES or [pytest.param(None, marks=pytest.mark.skip(
    reason="no recordings committed yet"))])
def test_the_notebook_still_does_what_was_recorded(recording: Path | Any) -> None:
    name = recording.name.split(".")[0]
    learner = metadata(recording)["names"]["learner"]
    engine = ReplayEngine(recording, speed=float(os.environ.get("COURSE_REPLAY_SPEED", "10")),
                          names={"learner": learner})
    engine.start()
    try:
        execute(ROOT / "notebooks" / f"{name}.ipynb", engine.docker_host, learner, str(recording))
    finally:
        engine.stop()
    assert engine.status()["divergences"] == []
    rec = engine.recordings[0]
    # the course's records (port claims, exercise verdicts: helpers.records) are written on a real engine only
    missed = [rec.describe(i) for i, e in enumerate(rec.ex)
              if not rec.consumed[i] and e["method"] not in ("GET", "HEAD")
              and "course-record-" not in json.dumps([e["path"], e.get("req_body")])]
    assert missed == [], "the notebook no longer makes these recorded calls"
