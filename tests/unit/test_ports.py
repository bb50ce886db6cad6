"""Automatic host ports per learner (helpers.ports), without an engine: derivation, search, claims, overrides."""
from __future__ import annotations

import socket

import pytest

from helpers import naming, ports, preflight
from helpers.errors import CourseError


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    for var in ports.PORT_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("COURSE_REPLAY", "unit")  # as in a replay: unit tests never reach an engine
    ports.forget_choice()
    yield
    ports.forget_choice()
    naming.set_learner(None)


def test_a_learner_always_starts_from_the_same_block():
    assert ports.first_block("ana") == ports.first_block("ana")
    assert ports.block_ports(0) == {"DB_PORT": 20000, "BACKEND_PORT": 20002}
    assert ports.block_ports(ports.BLOCKS - 1)["BACKEND_PORT"] <= 29999


def test_the_test_learners_start_from_different_blocks():
    # the 2-learner test and the benchmark run these at once: their first blocks must not overlap
    ids = ["learner", "learner2", *(f"bench{i}" for i in range(1, 5))]
    assert len({ports.first_block(i) for i in ids}) == len(ids)


def test_a_taken_port_moves_the_learner_to_the_next_block():
    first = ports.block_ports(ports.first_block("ana"))
    assert ports.choose("ana", taken=lambda p: False) == first
    moved = ports.choose("ana", taken=lambda p: p == first["DB_PORT"] + 1)  # the exercise's port counts too
    assert moved["DB_PORT"] == first["DB_PORT"] + ports.BLOCK or moved["DB_PORT"] == ports.FIRST_PORT


def test_no_free_block_says_how_to_choose_ports():
    with pytest.raises(CourseError, match="No free block") as err:
        ports.choose("ana", taken=lambda p: True)
    assert "DB_PORT" in err.value.hint


def test_environment_wins_each_variable_on_its_own(monkeypatch):
    naming.set_learner("ana")
    monkeypatch.setenv("BACKEND_PORT", "18000")
    chosen = ports.course_ports()
    assert chosen["BACKEND_PORT"] == 18000
    assert chosen["DB_PORT"] == ports.choose("ana", lambda p: not ports.bindable(p))["DB_PORT"]
    assert ports.source("BACKEND_PORT") == "set by you (BACKEND_PORT)"
    assert ports.source("DB_PORT") == "automatic for learner ana"


def test_a_port_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("DB_PORT", "five")
    with pytest.raises(CourseError, match="not a port number"):
        ports.course_ports()


def test_the_choice_is_kept_for_the_process_and_differs_per_learner():
    naming.set_learner("ana")
    ana = ports.course_ports()
    naming.set_learner("bob")
    bob = ports.course_ports()
    naming.set_learner("ana")
    assert ports.course_ports() == ana and ana != bob
    assert preflight.course_ports() == ana  # the preflight shows the same


def test_a_port_held_on_this_machine_is_skipped():
    naming.set_learner("carol")
    first = ports.block_ports(ports.first_block("carol"))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", first["BACKEND_PORT"]))
        holder.listen()
        assert ports.course_ports() != first


class _Summary:
    """The bits of the engine _engine_view reads: records (volumes) and running course containers."""

    def __init__(self, claims, running):
        self._claims, self._running = claims, running
        outer = self

        class Volumes:
            def list(self, filters=None):
                return [type("V", (), {"attrs": {"Labels": labels}})() for labels in outer._claims]

        class Api:
            def containers(self, filters=None):
                return outer._running

        self.volumes, self.api = Volumes(), Api()


def _claim(learner, db):
    return {naming.LEARNER_LABEL: learner, "io.compose-course.ports.db": str(db),
            "io.compose-course.ports.backend": str(db + 2)}


def test_engine_view_splits_mine_from_the_others():
    engine = _Summary([_claim("ana", 20000), _claim("bob", 20004)],
                      [{"Labels": {naming.LEARNER_LABEL: "ana"}, "Ports": [{"PublicPort": 20000}]},
                       {"Labels": {naming.LEARNER_LABEL: "eve"}, "Ports": [{"PublicPort": 23000}, {"PrivatePort": 1}]}])
    mine, others, own = ports._engine_view(engine, "ana")
    assert mine == {"DB_PORT": 20000, "BACKEND_PORT": 20002}
    assert others == {20004, 20005, 20006, 23000}
    assert own == {20000}


def test_claims_keep_a_learner_on_its_ports_and_others_off_them(monkeypatch):
    monkeypatch.delenv("COURSE_REPLAY")
    first = ports.block_ports(ports.first_block("dan"))
    claimed: list[dict] = []
    monkeypatch.setattr(ports.records, "put", lambda kind, key, labels, learner, engine: claimed.append(labels))
    monkeypatch.setattr(ports, "bindable", lambda port: True)

    # someone else claims dan's first block: dan gets the next one, and claims it
    monkeypatch.setattr(ports, "_engine_view", lambda engine, learner: (None, set(ports.ports_of_block(first)), set()))
    moved = ports._decide("dan", engine=object())
    assert moved != first and claimed == [{"io.compose-course.ports.db": str(moved["DB_PORT"]),
                                           "io.compose-course.ports.backend": str(moved["BACKEND_PORT"])}]

    # dan's own claim wins over the derived block, even while dan's own stack publishes it
    monkeypatch.setattr(ports, "bindable", lambda port: False)
    monkeypatch.setattr(ports, "_engine_view", lambda engine, learner: (moved, set(), set(ports.ports_of_block(moved))))
    assert ports._decide("dan", engine=object()) == moved and len(claimed) == 1
