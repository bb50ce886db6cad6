"""Test-session setup shared by the unit tests, the engine tests and the notebooks (nbval).

The suite runs as learner ``learner`` (committed notebook outputs were recorded under that id) unless
COURSE_LEARNER is set. When the run includes engine tests, browser tests or notebooks, it first removes what a
crashed earlier run of the suite left (that learner's course resources only), and at the end it removes the
course records its checks and notebooks made (verdicts, port claims: helpers.records), then checks that nothing
with the course label is left behind, failing the run if anything is. A run of unit tests alone never
touches the engine. (Two test runs as the same learner on one engine would remove each other's work: give each
its own COURSE_LEARNER.)
"""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("COURSE_LEARNER", "learner")
# The second learner of the suite (the 2-learner tests) is derived from the first: "learner" -> "learner2". A session
# run as another COURSE_LEARNER (e.g. ws1 -> ws12) then never cleans up a concurrent default session's learners.
TEST_LEARNERS = (os.environ["COURSE_LEARNER"], os.environ["COURSE_LEARNER"] + "2")

# What pytest_collection_finish learns for pytest_sessionfinish, kept in the config's stash
USES_ENGINE = pytest.StashKey[bool]()
SNAPSHOT = pytest.StashKey[dict[str, dict[str, str]]]()


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


def _is_course_image(tags: list[str]) -> bool:
    """A course image: an official image the course uses (or its stand-in), the stand-ins' base, the app image."""
    from helpers import images

    course = {*images.course_refs(), images.BASE_IMAGE}
    app_repo = images.course_refs()[-1].split(":")[0]  # and every tag of the app image (lesson 05's variant)
    return any(tag in course or tag.split(":")[0] == app_repo for tag in tags)


def engine_snapshot(engine) -> dict[str, dict[str, str]]:
    """Everything on the engine by id -> a readable name: containers, volumes (anonymous too), networks, images."""
    return {
        "container": {c.id: c.name for c in engine.containers.list(all=True, ignore_removed=True)},
        "volume": {v.id: v.name for v in engine.volumes.list()},
        "network": {n.id: n.name for n in engine.networks.list()},
        "image": {i.id: ",".join(i.tags) or "<untagged>" for i in engine.images.list()},  # no build cache layers
    }


def new_on_engine(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]],
                  engine) -> list[str]:
    """What ``after`` has that ``before`` had not, except tagged course images (built or rebuilt by the run).

    An image left untagged by a rebuild counts: it is disk space the learner never asked for."""
    found = []
    for kind, items in after.items():
        for key, name in items.items():
            if key in before[kind]:
                continue
            if kind == "image":
                try:
                    image = engine.images.get(key)
                except Exception:  # noqa: BLE001 - removed meanwhile
                    continue
                if _is_course_image(image.tags):
                    continue
            found.append(f"{kind} {name if kind != 'volume' or len(name) < 64 else name[:12] + '… (anonymous)'}")
    return found


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[USES_ENGINE] = _uses_engine(session)
    engine = _engine() if session.config.stash[USES_ENGINE] else None
    if engine is None:
        return
    import helpers

    for learner in TEST_LEARNERS:
        report = helpers.clean_course(learner, engine=engine)
        if report.containers or report.networks or report.volumes:
            print(f"\nremoved leftovers of an earlier run ({learner}): {report}")
    session.config.stash[SNAPSHOT] = engine_snapshot(engine)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    engine = _engine() if session.config.stash.get(USES_ENGINE, False) else None
    if engine is None:
        return
    import helpers
    from helpers import records

    before = session.config.stash.get(SNAPSHOT, None)
    for learner in TEST_LEARNERS:  # the suite's own course records (verdicts of the checks it ran, port claims)
        records.forget(learner, engine)
    # Anything new on the engine, labelled or not (an anonymous volume, a helper container, a build's leftovers)
    new = new_on_engine(before, engine_snapshot(engine), engine) if before is not None else []
    if new:
        print(f"\nFAILED: the suite left {len(new)} new thing(s) on the engine:")
        for line in new:
            print("  ", line)
        session.exitstatus = 1
    leftovers = [helpers.clean_course(learner, engine=engine) for learner in TEST_LEARNERS]
    left = [str(r) for r in leftovers if r.containers or r.networks or r.volumes]
    if left:
        print(f"\nFAILED: the suite left course resources behind (now removed): {'; '.join(left)}")
        for r in leftovers:
            print("  ", r.containers, r.networks, r.volumes)
        session.exitstatus = 1
