"""Names and labels: what lets several learners share one engine."""
from __future__ import annotations

import pytest

from helpers import naming


@pytest.fixture(autouse=True)
def _no_override():
    naming.set_learner(None)
    yield
    naming.set_learner(None)


def test_sanitize_keeps_only_what_compose_allows():
    assert naming.sanitize("Jane.Doe@Lab 3") == "janedoelab3"
    assert naming.sanitize("--x_y-") == "x_y-"
    assert naming.sanitize("!!!") == "learner"


def test_learner_precedence(monkeypatch):
    monkeypatch.setenv("COURSE_LEARNER", "Alice")
    assert naming.learner() == "alice"
    naming.set_learner("Bob 2")          # papermill parameter beats the environment
    assert naming.learner() == "bob2"
    naming.set_learner(None)
    monkeypatch.delenv("COURSE_LEARNER")
    monkeypatch.setattr(naming.getpass, "getuser", lambda: "Carol")
    assert naming.learner() == "carol"


def test_two_learners_get_disjoint_names_and_labels(monkeypatch):
    monkeypatch.setenv("COURSE_LEARNER", "alice")
    a = naming.project_name("05-db"), naming.container_labels(naming.project_name("05-db"), "db")
    monkeypatch.setenv("COURSE_LEARNER", "bob")
    b = naming.project_name("05-db"), naming.container_labels(naming.project_name("05-db"), "db")
    assert a[0] == "05-db-alice" and b[0] == "05-db-bob"
    assert a[1][naming.PROJECT_LABEL] != b[1][naming.PROJECT_LABEL]
    assert a[1][naming.LEARNER_LABEL] == "alice" and b[1][naming.LEARNER_LABEL] == "bob"


def test_compose_v2_names_and_labels():
    labels = naming.container_labels("cryphos-x", "db", 2)
    assert labels[naming.SERVICE_LABEL] == "db"
    assert labels[naming.NUMBER_LABEL] == "2"
    assert labels[naming.ONEOFF_LABEL] == "False"
    assert labels[naming.COURSE_LABEL] == "true"
    assert len(labels[naming.CONFIG_HASH_LABEL]) == 64  # without it `docker compose ps/down` ignore the container
    other = naming.container_labels("p", "s", config={"a": 1})
    assert other[naming.CONFIG_HASH_LABEL] != labels[naming.CONFIG_HASH_LABEL]
    assert naming.container_name("cryphos-x", "db", 2) == "cryphos-x-db-2"
    assert naming.resource_name("cryphos-x", "pgdata") == "cryphos-x_pgdata"
