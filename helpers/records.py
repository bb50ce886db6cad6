"""Course records on the engine: small facts kept in the labels of an empty, labelled volume.

A record belongs to one learner (the course label and the learner label, as everything of the course) but to no
project, so a lesson's cleanup (by project) never selects it, while ``./course clean`` (by learner) removes it.
The instructor reads every learner's records through the engine (``./course room``). Kinds in use:
``ports`` (the host ports chosen for a learner, :mod:`helpers.ports`) and ``verdict`` (the last answer of each
exercise check, :mod:`helpers.checks`). A volume's labels cannot change: a record is replaced, not edited.
"""

from __future__ import annotations

import re

import docker
from docker.errors import NotFound

from . import naming
from .engine import client

RECORD_LABEL = naming.RECORD_LABEL


def volume_name(kind: str, learner: str, key: str) -> str:
    """``course-record-verdict-ana-03_db_port``: unique per learner, kind and key (a volume name's characters)."""
    return re.sub(r"[^a-zA-Z0-9_.-]", "_", f"course-record-{kind}-{learner}-{key}")


def get(kind: str, key: str, learner: str | None = None,
        engine: docker.DockerClient | None = None) -> dict[str, str] | None:
    """The labels of one record, or None."""
    engine = engine or client()
    try:
        return dict(engine.volumes.get(volume_name(kind, learner or naming.learner(), key)).attrs.get("Labels") or {})
    except NotFound:
        return None


def put(kind: str, key: str, labels: dict[str, str], learner: str | None = None,
        engine: docker.DockerClient | None = None) -> None:
    """Create (or replace) a record of ``learner`` (default: the current one) holding ``labels``."""
    engine = engine or client()
    learner = learner or naming.learner()
    name = volume_name(kind, learner, key)
    try:
        engine.volumes.get(name).remove(force=True)
    except NotFound:
        pass
    engine.volumes.create(name, labels={naming.COURSE_LABEL: "true", naming.LEARNER_LABEL: learner,
                                        RECORD_LABEL: kind, **labels})


def find(kind: str | None = None, learner: str | None = None,
         engine: docker.DockerClient | None = None) -> list[dict[str, str]]:
    """The labels of every record (of one kind, of one learner), from every learner on the engine by default."""
    engine = engine or client()
    labels = [f"{naming.COURSE_LABEL}=true", RECORD_LABEL + (f"={kind}" if kind else "")]
    if learner:
        labels.append(f"{naming.LEARNER_LABEL}={learner}")
    return [dict(v.attrs.get("Labels") or {}) for v in engine.volumes.list(filters={"label": labels})]


def forget(learner: str, engine: docker.DockerClient | None = None) -> int:
    """Remove every record of ``learner``; returns how many (the test suite's end, before it looks for leftovers)."""
    engine = engine or client()
    labels = [f"{naming.COURSE_LABEL}=true", RECORD_LABEL, f"{naming.LEARNER_LABEL}={learner}"]
    gone = 0
    for volume in engine.volumes.list(filters={"label": labels}):
        try:
            volume.remove(force=True)
            gone += 1
        except NotFound:
            pass
    return gone


# --- exercise verdicts -------------------------------------------------------------------------------------------

VERDICT = "io.compose-course.verdict."  # label prefix: exercise, passed, at, seen, attempts, first-passed
RECORD_SECONDS = 1.0  # a check never waits longer than this for its verdict to be recorded


def _verdict_labels(exercise: str, passed: bool, seen: str, earlier: dict[str, str] | None, now: str) -> dict[str, str]:
    """The labels of a verdict record: this answer, and what the earlier record of the exercise carried forward."""
    earlier = earlier or {}
    attempts = int(earlier.get(VERDICT + "attempts", "0") or 0) + 1
    first_passed = earlier.get(VERDICT + "first-passed", "") or (now if passed else "")
    return {VERDICT + "exercise": exercise, VERDICT + "passed": "true" if passed else "false",
            VERDICT + "at": now, VERDICT + "seen": seen[:300], VERDICT + "attempts": str(attempts),
            VERDICT + "first-passed": first_passed}


def record_verdict(exercise: str, passed: bool, seen: str) -> None:
    """Keep the current learner's latest answer of ``exercise`` on the engine, for the instructor's room view.

    Never raises and never takes more than :data:`RECORD_SECONDS` (the check's answer matters, not its record):
    engine errors are swallowed, and a slow engine finishes the record in the background. Off in a replay
    (``COURSE_REPLAY``) and with ``COURSE_RECORD_VERDICTS=0``.
    """
    import os
    import threading
    import time

    if os.environ.get("COURSE_REPLAY") or os.environ.get("COURSE_RECORD_VERDICTS", "1") == "0":
        return
    learner = naming.learner()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def write() -> None:
        try:
            engine = client()
            earlier = get("verdict", exercise, learner, engine)
            put("verdict", exercise, _verdict_labels(exercise, passed, seen, earlier, now), learner, engine)
        except Exception:  # noqa: BLE001 - a record must never break a check
            pass

    worker = threading.Thread(target=write, name="course-verdict-record", daemon=True)
    worker.start()
    worker.join(RECORD_SECONDS)
