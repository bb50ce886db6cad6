"""The cross-talk analysis of the multi-learner runs, on made-up engine events (no engine)."""
from __future__ import annotations

from helpers import naming
from workshop.load import cross_talk, owner

LEARNERS = ["learner", "learner2"]


def test_owner_reads_the_namespace_of_every_kind_of_name():
    who = set(LEARNERS)
    assert owner("03-db-learner_pgdata", who) == "learner"
    assert owner("03-db-learner2_pgdata", who) == "learner2"
    assert owner("05-backend-learner2-klines_socket", who) == "learner2"
    assert owner("05-backend-learner-db-1", who) == "learner"
    assert owner("course-record-verdict-learner2-03_db", who) == "learner2"
    assert owner("bridge", who) is None and owner("a" * 64, who) is None


def _create(cid, name, learner, project):
    return {"Type": "container", "Action": "create", "Actor": {"ID": cid, "Attributes": {
        "name": name, naming.COURSE_LABEL: "true", naming.LEARNER_LABEL: learner, naming.PROJECT_LABEL: project}}}


def _mount(cid, volume):
    return {"Type": "volume", "Action": "mount", "Actor": {"ID": volume, "Attributes": {"container": cid}}}


def _connect(cid, network):
    return {"Type": "network", "Action": "connect", "Actor": {"ID": "n1", "Attributes": {"container": cid,
                                                                                         "name": network}}}


def test_a_clean_run_has_no_cross_talk():
    events = [_create("c1", "03-db-learner-db-1", "learner", "03-db-learner"),
              _create("c2", "03-db-learner2-db-1", "learner2", "03-db-learner2"),
              _mount("c1", "03-db-learner_pgdata"), _mount("c2", "03-db-learner2_pgdata"), _mount("c1", "f" * 64),
              _connect("c1", "03-db-learner_default"), _connect("c2", "bridge")]
    assert cross_talk(events, {"learner": {20000}, "learner2": {21000}}, LEARNERS) == []


def test_every_kind_of_cross_talk_is_named():
    events = [_create("c1", "03-db-learner-db-1", "learner", "03-db-learner"),
              _create("c2", "03-db-learner-db-2", "learner2", "03-db-learner"),    # learner2 in learner's project
              _mount("c1", "03-db-learner2_pgdata"), _connect("c1", "05-backend-learner2_default")]
    problems = cross_talk(events, {"learner": {20000, 20001}, "learner2": {20001}}, LEARNERS)
    assert problems == [
        "container 03-db-learner-db-2 of learner2 is named in learner's namespace",
        "container 03-db-learner-db-2 of learner2 is named in learner's namespace",
        "a container of learner mounted 03-db-learner2_pgdata, learner2's volume",
        "a container of learner joined 05-backend-learner2_default, learner2's network",
        "host port 20001 published by learner and learner2",
    ]
