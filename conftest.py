"""Test-session setup shared by the unit tests, the engine tests and the notebooks (nbval).

The suite runs as learner ``learner`` (committed notebook outputs were recorded under that id) unless
COURSE_LEARNER is set. At the start it removes what a crashed earlier run left; at the end it checks that the
notebooks and tests left nothing with the course label behind, and fails the run if they did.
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("COURSE_LEARNER", "learner")
TEST_LEARNERS = (os.environ["COURSE_LEARNER"], "learner2")


def _engine():
    try:
        import helpers

        return helpers.connect(timeout=10)
    except Exception:  # noqa: BLE001 - unit tests run without an engine
        return None


def pytest_sessionstart(session: pytest.Session) -> None:
    engine = _engine()
    if engine is None:
        return
    import helpers

    for learner in TEST_LEARNERS:
        report = helpers.cleanup(learner=learner, engine=engine)
        if report.containers or report.networks or report.volumes:
            print(f"\nremoved leftovers of an earlier run ({learner}): {report}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    engine = _engine()
    if engine is None:
        return
    import helpers

    leftovers = [helpers.cleanup(learner=learner, engine=engine) for learner in TEST_LEARNERS]
    left = [str(r) for r in leftovers if r.containers or r.networks or r.volumes]
    if left:
        print(f"\nFAILED: the suite left course resources behind (now removed): {'; '.join(left)}")
        for r in leftovers:
            print("  ", r.containers, r.networks, r.volumes)
        session.exitstatus = 1
