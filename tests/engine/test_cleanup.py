"""Cleanup removes what the course made, selected by label, and never anything else."""
from __future__ import annotations

import pytest

import helpers as h
from helpers import naming

pytestmark = pytest.mark.engine



def test_learners_own_lookalikes_survive(client):
    """A container, volume and network made by hand with course-like names but no course label survive."""
    project = h.Project("zz-cleanup")
    name = naming.container_name(project.name, "db")
    own_net = client.networks.create(naming.resource_name(project.name, "backend"))
    own_vol = client.volumes.create(naming.resource_name(project.name, "pgdata"))
    own = client.containers.create(
        "python:3.13-slim", ["sleep", "60"], name=name,
        labels={naming.PROJECT_LABEL: project.name},  # even Compose's label, but not the course's
    )
    try:
        made = project.run("db", "python:3.13-slim", name=name + "-course", command=["sleep", "60"])
        project.volume("data")
        report = h.clean_course(h.learner())  # all of this learner's course resources (others' are not ours)
        assert made.name in report.containers
        for kind, obj in (("containers", own), ("networks", own_net), ("volumes", own_vol)):
            obj.reload()  # raises NotFound if it was removed
            assert obj.name not in getattr(report, kind)
    finally:
        own.remove(force=True)
        own_vol.remove()
        own_net.remove()


def test_project_cleanup_is_scoped_to_one_learner(client, monkeypatch):
    mine = h.Project("zz-scope")
    c1 = mine.run("app", "python:3.13-slim", command=["sleep", "60"])
    monkeypatch.setenv("COURSE_LEARNER", "learner2")
    theirs = h.Project("zz-scope")
    assert theirs.name != mine.name
    c2 = theirs.run("app", "python:3.13-slim", command=["sleep", "60"])
    try:
        assert str(theirs.down(volumes=True)) == "removed 1 container(s), 1 network(s), 0 volume(s)"
        c1.reload()
        assert c1.status == "running"
    finally:
        mine.down(volumes=True)
    assert not client.containers.list(all=True, filters={"id": c2.id})


def test_a_new_project_removes_a_crashed_runs_leftovers(client):
    first = h.Project("zz-crash")
    first.run("app", "python:3.13-slim", command=["sleep", "60"])
    first.volume("data")
    again = h.Project("zz-crash")  # what the top of a notebook does
    assert again.containers() == []
    assert not client.volumes.list(filters={"label": f"{naming.PROJECT_LABEL}={again.name}"})


def test_a_same_named_resource_of_the_learner_is_refused_not_used(client):
    project = h.Project("zz-refuse")
    own_vol = client.volumes.create(naming.resource_name(project.name, "pgdata"))
    own_net = client.networks.create(naming.resource_name(project.name, "default"))
    try:
        with pytest.raises(h.CourseError, match="the course did not create it") as err:
            project.volume("pgdata")
        assert "Hint:" in str(err.value)
        with pytest.raises(h.CourseError, match=f"network named {project.name}_default exists"):
            project.run("app", "python:3.13-slim", command=["true"])
        project.down(volumes=True)
        own_vol.reload()
        own_net.reload()
    finally:
        own_vol.remove()
        own_net.remove()


def test_cleanup_removes_the_anonymous_volumes_of_course_containers(client):
    """postgres:17 declares VOLUME /var/lib/postgresql/data: a container with nothing mounted there gets an
    anonymous volume (no name, no labels). The course's cleanup (./course clean) removes it with the container."""
    project = h.Project("zz-anon")
    db = client.containers.create("postgres:17", labels=project.labels(**{naming.SERVICE_LABEL: "db"}))
    anonymous = [m["Name"] for m in db.attrs["Mounts"] if m["Type"] == "volume"]
    try:
        assert len(anonymous) == 1 and len(anonymous[0]) == 64, db.attrs["Mounts"]
        assert "removed 1 container(s)" in str(h.clean_course(h.learner()))
        assert not client.volumes.list(filters={"name": anonymous[0]})
    finally:
        for volume in client.volumes.list(filters={"name": anonymous[0]}) if anonymous else []:
            volume.remove(force=True)
