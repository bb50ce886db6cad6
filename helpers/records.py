"""Course records: small facts (kinds ``ports`` and ``verdict``) in the labels of an empty volume, replaced, never
edited. A learner's, in no project: a lesson's cleanup (by project) keeps it, ``./course clean`` (by learner) removes
it, the instructor's ``./course room`` reads everyone's."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time

import docker
from docker.errors import NotFound

from . import naming
from .engine import client

RECORD_LABEL = naming.RECORD_LABEL
VERDICT = "io.compose-course.verdict."  # label prefix: exercise, passed, at, seen, attempts, first-passed
RECORD_SECONDS = 1.0  # a check never waits longer than this for its verdict to be recorded


def volume_name(kind: str, learner: str, key: str) -> str:
    """``course-record-verdict-ana-03_db_port``: unique per learner, kind and key (a volume name's characters)."""
    return re.sub(r"[^a-zA-Z0-9_.-]", "_", f"course-record-{kind}-{learner}-{key}")


def get(kind: str, key: str, learner: str | None = None,
        engine: docker.DockerClient | None = None) -> dict[str, str] | None:
    """The labels of one record, or None."""
    try:
        volume = (engine or client()).volumes.get(volume_name(kind, learner or naming.learner(), key))
    except NotFound:
        return None
    return dict(volume.attrs.get("Labels") or {})


def put(kind: str, key: str, labels: dict[str, str], learner: str | None = None,
        engine: docker.DockerClient | None = None) -> None:
    """Create (or replace) a record of ``learner`` (default: the current one) holding ``labels``."""
    engine = engine or client()
    learner = learner or naming.learner()
    name = volume_name(kind, learner, key)
    with contextlib.suppress(NotFound):
        engine.volumes.get(name).remove(force=True)
    engine.volumes.create(name, labels={naming.COURSE_LABEL: "true", naming.LEARNER_LABEL: learner,
                                        RECORD_LABEL: kind, **labels})


def find(kind: str, engine: docker.DockerClient | None = None) -> list[dict[str, str]]:
    """The labels of every record of ``kind``, of every learner on the engine."""
    labels = [f"{naming.COURSE_LABEL}=true", f"{RECORD_LABEL}={kind}"]
    return [dict(v.attrs.get("Labels") or {}) for v in (engine or client()).volumes.list(filters={"label": labels})]


def forget(learner: str, engine: docker.DockerClient | None = None) -> None:
    """Remove every record of ``learner`` (the test suite's end, before it looks for leftovers)."""
    labels = [f"{naming.COURSE_LABEL}=true", RECORD_LABEL, f"{naming.LEARNER_LABEL}={learner}"]
    for volume in (engine or client()).volumes.list(filters={"label": labels}):
        with contextlib.suppress(NotFound):  # gone meanwhile
            volume.remove(force=True)


def _verdict_labels(exercise: str, passed: bool, seen: str, earlier: dict[str, str] | None, now: str) -> dict[str, str]:
    """The labels of a verdict record: this answer, and what the earlier record of the exercise carried forward."""
    earlier = earlier or {}
    attempts = int(earlier.get(VERDICT + "attempts", "0") or 0) + 1
    first_passed = earlier.get(VERDICT + "first-passed", "") or (now if passed else "")
    return {VERDICT + "exercise": exercise, VERDICT + "passed": "true" if passed else "false",
            VERDICT + "at": now, VERDICT + "seen": seen[:300], VERDICT + "attempts": str(attempts),
            VERDICT + "first-passed": first_passed}


def record_verdict(exercise: str, passed: bool, seen: str) -> None:
    """Keep the learner's latest answer of ``exercise`` for the room view. Never raises, never waits more than
    RECORD_SECONDS (a slow engine finishes in the background); off with COURSE_REPLAY or COURSE_RECORD_VERDICTS=0."""
    if os.environ.get("COURSE_REPLAY") or os.environ.get("COURSE_RECORD_VERDICTS", "1") == "0":
        return
    learner = naming.learner()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def write() -> None:
        with contextlib.suppress(Exception):  # a record must never break a check
            engine = client()
            earlier = get("verdict", exercise, learner, engine)
            put("verdict", exercise, _verdict_labels(exercise, passed, seen, earlier, now), learner, engine)

    worker = threading.Thread(target=write, name="course-verdict-record", daemon=True)
    worker.start()
    worker.join(RECORD_SECONDS)
