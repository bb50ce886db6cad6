"""Test-session setup shared by the unit tests, the engine tests and the notebooks (nbval).

The suite runs as learner ``learner`` (committed notebook outputs were recorded under that id) unless
COURSE_LEARNER is set. When the run includes engine tests, browser tests or notebooks, it first removes what a
crashed earlier run of the suite left (that learner's course resources only), and at the end it checks that
nothing with the course label is left behind, failing the run if anything is. A run of unit tests alone never
touches the engine. (Two test runs as the same learner on one engine would remove each other's work: give each
its own COURSE_LEARNER.)
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


def _uses_engine(session: pytest.Session) -> bool:
    """Only a run with engine tests, browser tests or notebooks touches the engine (unit tests alone never do)."""
    if session.config.option.collectonly:
        return False
    return any("/tests/unit/" not in str(item.path) for item in session.items)


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config._course_uses_engine = _uses_engine(session)  # type: ignore[attr-defined]
    engine = _engine() if session.config._course_uses_engine else None  # type: ignore[attr-defined]
    if engine is None:
        return
    import helpers

    for learner in TEST_LEARNERS:
        report = helpers.cleanup(learner=learner, engine=engine)
        if report.containers or report.networks or report.volumes:
            print(f"\nremoved leftovers of an earlier run ({learner}): {report}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    engine = _engine() if getattr(session.config, "_course_uses_engine", False) else None
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
