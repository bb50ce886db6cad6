"""``helpers.up.up`` run twice, as a learner re-runs a lesson's cell: it does what ``docker compose up`` does with a
service's container that exists (07: re-running the cell that starts the collectors gave a raw 409 name conflict)."""
from __future__ import annotations

from pathlib import Path

import pytest

import helpers as h
from helpers.compose_file import load
from helpers.up import up

pytestmark = pytest.mark.engine

FILE = """\
services:
  cache:
    image: redis:8
    container_name: ${COMPOSE_PROJECT_NAME}-cache
"""


@pytest.fixture
def lesson(tmp_path: Path):
    project = h.Project("zz-up-again")
    (tmp_path / "docker-compose.yaml").write_text(FILE)
    yield project, tmp_path / "docker-compose.yaml"
    project.down(volumes=True)


def test_up_again_keeps_the_same_configuration_and_starts_it(lesson) -> None:
    project, path = lesson
    first = up(load(path, project=project.name), project.name, build=False)["cache"]
    again = up(load(path, project=project.name), project.name, build=False)["cache"]
    assert again.id == first.id                                   # kept, as Compose keeps it
    first.stop()
    third = up(load(path, project=project.name), project.name, build=False)["cache"]
    assert third.id == first.id and h.state_of(third)["Status"] == "running"   # a stopped one is started
    assert len(project.containers("cache")) == 1


def test_up_again_replaces_another_configuration(lesson) -> None:
    project, path = lesson
    first = up(load(path, project=project.name), project.name, build=False)["cache"]
    path.write_text(FILE + "    command: [\"redis-server\", \"--save\", \"\"]\n")
    second = up(load(path, project=project.name), project.name, build=False)["cache"]
    assert second.id != first.id and [c.id for c in project.containers("cache")] == [second.id]
    assert h.state_of(second)["Status"] == "running"
