"""Two learners through the stack notebooks at once on one engine, with automatic ports: no cross-talk.

Notebooks 03 and 05, because together they exercise what learners could share by mistake: 03 publishes host ports
(DB_PORT, then DB_PORT + 1 in its exercise) and keeps data in a named volume; 05 brings up part of the stack with
its own network, named volumes (database, venv) and bind mounts of the learner's checkout, and builds a variant
image under a learner-named tag. (06-09 repeat those mechanisms at greater length.) Each learner has a checkout of
their own, as on a JupyterHub. The test fails on any notebook error, on any container, volume or network of one
learner touched by the other (from the engine's events), and on any host port published by both.
"""
from __future__ import annotations

import os

import pytest

import helpers as h
from helpers import ports, records
from workshop import load

pytestmark = pytest.mark.engine
NOTEBOOKS = ["03_db.ipynb", "05_backend.ipynb"]


def test_two_learners_at_once_through_03_and_05_without_cross_talk(client, tmp_path):
    learners = [os.environ["COURSE_LEARNER"], os.environ["COURSE_LEARNER"] + "2"]  # the session's two
    for learner in learners:
        h.clean_course(learner)
    try:
        with load.Watch(client, learners, stats=False, interval=0.5) as watch:
            runs = load.run_room(learners, NOTEBOOKS, tmp_path, timeout=600)
        claims = {labels[h.naming.LEARNER_LABEL]: labels for labels in records.find("ports")
                  if labels.get(h.naming.LEARNER_LABEL) in learners}
    finally:
        reports = [h.clean_course(learner) for learner in learners]
    assert [(r.learner, r.notebook, r.passed) for r in runs] == [
        (who, name, True) for who in learners for name in NOTEBOOKS], [r.error for r in runs if not r.passed]
    created = {(e.get("Actor") or {}).get("Attributes", {}).get(h.naming.LEARNER_LABEL)
               for e in watch.seen.events if e.get("Type") == "container" and e.get("Action") == "create"}
    assert set(learners) <= created, "the engine's events were not followed"
    assert load.cross_talk(watch.seen.events, watch.seen.ports, learners) == []

    # automatic ports: each learner published only within its own claimed block, and the blocks differ
    assert set(claims) == set(learners)
    blocks = {who: set(ports.ports_of_block({var: int(claims[who][f"io.compose-course.ports.{short}"])
                                             for var, short in (("DB_PORT", "db"), ("BACKEND_PORT", "backend"))}))
              for who in learners}
    assert not blocks[learners[0]] & blocks[learners[1]]
    for who in learners:
        assert watch.seen.ports[who] and watch.seen.ports[who] <= blocks[who], (who, watch.seen.ports[who])
    # what each learner's notebooks left: nothing but course records (verdicts, the port claim)
    assert all(not (r.containers or r.networks or r.volumes) for r in reports), [str(r) for r in reports]
