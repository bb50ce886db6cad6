"""Test-session setup shared by the unit tests, the engine tests and the notebooks (nbval).

The suite runs as learner ``learner`` (committed notebook outputs were recorded under that id) unless
COURSE_LEARNER is set. When the run includes engine tests, browser tests or notebooks, it first removes what a
crashed earlier run of the suite left (that learner's course resources only), and at the end it removes the
course records its checks and notebooks made (verdicts, port claims: helpers.records), then checks that nothing
with the course label is left behind, failing the run if anything is. A run of unit tests alone never
touches the engine. (Two test runs as the same learner on one engine would remove each other's work: give each
its own COURSE_LEARNER.)

``--replay`` (Binder's mode, no engine needed): the notebooks run against a replay engine serving
binder/recordings/ (or $COURSE_RECORDINGS) on a socket of its own: ``DOCKER_HOST`` points at it, ``COURSE_REPLAY``
is set, the real engine is never asked (no cleanup, no snapshot), a notebook without a recording and every
non-notebook test except the unit tests are skipped, and the replay's banner line is left out of the comparison.
The run plays ``--replay-speed`` (default $COURSE_REPLAY_SPEED, else 1) times as fast as recorded. A request the
recordings do not have fails the run, and so does a recorded change (not a GET) that a notebook which ran did not
make: the notebook changed since it was recorded (``./course record NN``).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("COURSE_LEARNER", "learner")
# The second learner of the suite (the 2-learner tests) is derived from the first: "learner" -> "learner2". A session
# run as another COURSE_LEARNER (e.g. ws1 -> ws12) then never cleans up a concurrent default session's learners.
TEST_LEARNERS = (os.environ["COURSE_LEARNER"], os.environ["COURSE_LEARNER"] + "2")

# What pytest_collection_finish learns for pytest_sessionfinish, kept in the config's stash
USES_ENGINE = pytest.StashKey[bool]()
SNAPSHOT = pytest.StashKey[dict[str, dict[str, str]]]()
REPLAY = pytest.StashKey[Any]()  # the ReplayEngine of a --replay run
ROOT = Path(__file__).resolve().parent
BANNER = r"No Docker engine here: this is a replay of the run recorded on [^\n]*\n"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("course replay")
    group.addoption("--replay", action="store_true",
                    help="run the notebooks against a replay of binder/recordings/ (no Docker engine needed)")
    group.addoption("--replay-speed", type=float, default=float(os.environ.get("COURSE_REPLAY_SPEED") or 1),
                    help="play the recorded streams this many times as fast (default $COURSE_REPLAY_SPEED or 1)")


def recordings_dir() -> Path:
    return Path(os.environ.get("COURSE_RECORDINGS") or ROOT / "binder" / "recordings")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("replay", False):
        return
    from course_replay import ReplayEngine

    engine = ReplayEngine(recordings_dir(), config.getoption("replay_speed"),
                          names={"learner": os.environ["COURSE_LEARNER"]})
    engine.start()
    config.stash[REPLAY] = engine
    os.environ.pop("DOCKER_CONTEXT", None)
    os.environ.update(DOCKER_HOST=engine.docker_host, COURSE_REPLAY=str(recordings_dir()))
    # the banner h.connect() prints under a replay is not in the outputs recorded on the real engine
    base = config.option.nbval_sanitize_with if hasattr(config.option, "nbval_sanitize_with") else None
    text = Path(ROOT / base).read_text() if base else ""
    merged = tempfile.NamedTemporaryFile("w", suffix=".cfg", prefix="replay-sanitize-", delete=False)
    merged.write(f"{text}\n[the replay's banner]\nregex: {BANNER}\nreplace: \n")
    merged.close()
    config.option.nbval_sanitize_with = merged.name
    config.add_cleanup(lambda: os.unlink(merged.name))
    config.add_cleanup(engine.stop)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if REPLAY not in config.stash:
        return
    have = {p.name.split(".")[0] for p in recordings_dir().glob("*.jsonl.gz")}
    for item in items:
        path = Path(str(item.path))
        if path.suffix == ".ipynb":
            if path.stem not in have:
                item.add_marker(pytest.mark.skip(reason=f"no recording of {path.stem} in {recordings_dir()} "
                                                 f"(./course record {path.stem} makes it)"))
        elif "/tests/unit/" not in str(path):
            item.add_marker(pytest.mark.skip(reason="needs a real Docker engine (this run is --replay)"))


def _engine():
    try:
        import helpers

        return helpers.connect(timeout=10)
    except Exception:  # noqa: BLE001 - unit tests run without an engine
        return None


def _uses_engine(session: pytest.Session) -> bool:
    """Only a run with engine tests, browser tests or notebooks touches the engine (unit tests alone never do)."""
    if session.config.option.collectonly or REPLAY in session.config.stash:
        return False  # a replay is no engine: nothing to clean or to snapshot
    return any("/tests/unit/" not in str(item.path) for item in session.items)


def _is_course_image(tags: list[str]) -> bool:
    """A course image: an official image the course uses (or its stand-in), the stand-ins' base, the app image."""
    from helpers import images
    from workshop.standins import BASE_IMAGE

    course = {*images.course_refs(), BASE_IMAGE}
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
    replay = session.config.stash.get(REPLAY, None)
    if replay is not None:
        done = replay.status()
        print(f"\nreplay: served {done['served']} exchanges from {recordings_dir()}")
        if done["divergences"]:
            print(f"FAILED: {len(done['divergences'])} request(s) are not in the recordings:")
            for line in done["divergences"]:
                print("  ", line)
            session.exitstatus = 1
        # a notebook that ran must still make every change its recording has (else it changed since recorded)
        ran = {Path(str(item.fspath)).stem for item in session.items}
        missed = {name: rec["not_replayed"] for name, rec in done["recordings"].items()
                  if name in ran and rec["consumed"] and rec["not_replayed"]}
        for name, calls in missed.items():
            print(f"FAILED: {name} no longer makes {len(calls)} recorded call(s) (./course record {name}):")
            for line in calls[:10]:
                print("  ", line)
            session.exitstatus = 1
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
