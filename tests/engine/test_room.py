"""The instructor's room view on a real engine: two learners, their containers, their recorded verdicts, the
instructor's notebook executed against the engine, and a reset of one learner that leaves the other alone.

The learners are the suite's two (COURSE_LEARNER and COURSE_LEARNER + "2"), so the session's own cleanup covers
whatever a failure leaves.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import papermill as pm
import pytest

import helpers as h
from helpers import records
from helpers.checks import ex03_db_port
from workshop import room

pytestmark = pytest.mark.engine
ROOT = Path(__file__).resolve().parents[2]
FIRST = os.environ["COURSE_LEARNER"]
SECOND = FIRST + "2"


@pytest.fixture
def two_learners(client):
    made = {}
    for learner in (FIRST, SECOND):
        h.clean_course(learner)  # records of earlier tests too: the counts below are this test's own
        h.set_learner(learner)
        project = h.Project("99-room")
        project.run("sleeper", "python:3.13-slim", command=["sleep", "300"], stop_signal="SIGKILL")
        made[learner] = project
    h.set_learner(None)
    yield made
    h.set_learner(None)
    for learner in (FIRST, SECOND):
        h.clean_course(learner)


def test_verdicts_are_recorded_by_the_checks_and_survive_lesson_cleanups(two_learners):
    h.set_learner(FIRST)
    started = time.monotonic()
    answer = ex03_db_port.check(two_learners[FIRST], port=1)  # no db in that project: NOT YET, through verdict()
    assert not answer.passed and time.monotonic() - started < 5
    again = ex03_db_port.check(two_learners[FIRST], port=1)
    assert not again.passed
    label = records.get("verdict", "03_db_port", FIRST)
    assert label is not None and label[records.VERDICT + "attempts"] == "2"
    assert label[records.VERDICT + "passed"] == "false"

    report = two_learners[FIRST].down(volumes=True)  # a lesson's cleanup: by project
    assert report.containers and not report.records
    assert records.get("verdict", "03_db_port", FIRST) is not None
    h.set_learner(None)


def test_room_shows_both_learners_and_reset_takes_only_one(two_learners, client, tmp_path, monkeypatch):
    h.set_learner(FIRST)
    ex03_db_port.check(two_learners[FIRST], port=1)
    h.set_learner(SECOND)
    records.record_verdict("03_db_port", True, "published on 127.0.0.1 only")
    h.set_learner(None)

    seen = room.snapshot(client)
    for learner in (FIRST, SECOND):
        item = seen.get(learner)
        assert item is not None, room.render_text(seen)
        services = [(s.project, s.service, s.state) for s in item.services]
        assert services == [(f"99-room-{learner}", "sleeper", "running")]
        assert item.memory > 0 and item.services[0].restarts == 0
    assert [(a.exercise, a.passed) for a in seen.get(FIRST).answers] == [("03_db_port", False)]
    assert [(a.exercise, a.passed) for a in seen.get(SECOND).answers] == [("03_db_port", True)]
    text = room.render_text(seen)
    assert f"99-room-{FIRST}" in text and "03_db_port NOT YET" in text and "03_db_port PASSED" in text

    # the instructor's notebook, executed against the engine, then resetting the second learner
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    out = pm.execute_notebook(str(ROOT / "instructor" / "room.ipynb"), str(tmp_path / "room.ipynb"),
                              parameters={"RESET": SECOND}, cwd=str(ROOT / "instructor"), kernel_name="python3",
                              progress_bar=False)
    shown = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/html", ""))
                      for cell in out.cells for o in cell.get("outputs", []))
    assert f"<h4>{FIRST}:" in shown and f"<h4>{SECOND}:" in shown and "NOT YET" in shown
    assert f"{SECOND}: removed 1 container(s), 1 network(s), 0 volume(s), 1 course record(s)" in shown

    after = room.snapshot(client, stats=False)
    assert after.get(SECOND) is None
    assert after.get(FIRST) is not None and after.get(FIRST).running == 1
