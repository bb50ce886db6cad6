"""The exercises of notebooks 01 and 02, checked on a real engine.

Each test runs the exercise cell exactly as committed in the notebook (cell tag ``exercise``): the check must say
NOT YET with a hint. Then it runs the first Python block of the solution in ``solutions/``: the check must say
PASSED. Each test uses a project of its own and removes it at the end.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from docker.errors import ImageNotFound
from exercise_sources import exercise_cell, solution_code

import helpers as h
from helpers.checks import ex01_collector_workdir, ex02_cache_alias

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60







@pytest.fixture
def app_image(client):
    """cryphos-app:latest, built from stack/ the way notebook 01 builds it when it is not there yet."""
    try:
        return client.images.get(ex01_collector_workdir.IMAGE)
    except ImageNotFound:
        image, _ = client.images.build(path=str(ROOT / "stack"), tag=ex01_collector_workdir.IMAGE, rm=True,
                                       timeout=1800)
        return image


def test_01_collector_workdir(client, app_image):
    project = h.Project("zz-ex01")
    scope = {"h": h, "client": client, "project": project, "IMAGE": ex01_collector_workdir.IMAGE, "TIMEOUT": TIMEOUT}
    try:
        exec(exercise_cell("01_image_and_container.ipynb"), scope)  # noqa: S102 - the committed exercise
        before = ex01_collector_workdir.check(project)
        assert not before.passed, str(before)
        assert "WorkingDir /app" in before.seen and "working_dir=\"/app/apis\"" in before.hint
        assert str(before).startswith("NOT YET") and "\nHint: " in str(before)

        exec(solution_code("01_image_and_container.md"), scope)  # noqa: S102 - the committed solution
        after = ex01_collector_workdir.check(project)
        assert after.passed, str(after)
        assert str(after).startswith("PASSED") and "/app/apis" in after.seen
    finally:
        project.down(volumes=True)
    assert not project.containers()


def test_01_check_without_container_says_what_to_run(client):
    project = h.Project("zz-ex01-empty")
    result = ex01_collector_workdir.check(project)
    assert not result.passed and "run the exercise cell" in result.hint
    project.down(volumes=True)


def test_02_cache_alias(client):
    project = h.Project("zz-ex02")
    net = project.network()
    scope = {"h": h, "client": client, "project": project, "net": net, "TIMEOUT": TIMEOUT}
    try:
        exec(exercise_cell("02_names_and_dns.ipynb"), scope)  # noqa: S102 - the committed exercise
        before = ex02_cache_alias.check(project, timeout=TIMEOUT)
        assert not before.passed, str(before)
        assert "is on bridge only" in before.seen and "net.connect(kv, aliases=[\"cache\"])" in before.hint
        assert str(before).startswith("NOT YET") and "\nHint: " in str(before)

        exec(solution_code("02_names_and_dns.md"), scope)  # noqa: S102 - the committed solution
        after = ex02_cache_alias.check(project, timeout=TIMEOUT)
        assert after.passed, str(after)
        assert f"resolves to {project.name}-kv-1" in after.seen
    finally:
        project.down(volumes=True)
    assert not project.containers()


def test_02_alias_on_the_wrong_container_is_not_accepted(client):
    """`cache` must name the kv container, not any container on the network."""
    project = h.Project("zz-ex02-other")
    try:
        decoy = project.run("cache", "redis:8")  # service `cache`: its service name is the alias
        h.wait_running(decoy, timeout=TIMEOUT)
        kv = project.run("kv", "redis:8", network=None)
        h.wait_running(kv, timeout=TIMEOUT)
        result = ex02_cache_alias.check(project, timeout=TIMEOUT)
        assert not result.passed and "not to the container of service 'kv'" in result.seen
    finally:
        project.down(volumes=True)


@pytest.mark.parametrize("how", ["rename", "fixed name"])
def test_02_a_container_named_cache_is_not_an_alias(client, how):
    """The solution rejects `kv.rename("cache")` (and a fixed name): the check must too."""
    project = h.Project("zz-ex02-name")
    net = project.network()
    try:
        kv = project.run("kv", "redis:8", network=None, **({"name": "cache"} if how == "fixed name" else {}))
        h.wait_running(kv, timeout=TIMEOUT)
        if how == "rename":
            kv.rename("cache")
        net.connect(kv)
        result = ex02_cache_alias.check(project, timeout=TIMEOUT)
        assert not result.passed and "itself is now named 'cache'" in result.seen, str(result)
        assert "add the alias 'cache'" in result.hint
    finally:
        project.down(volumes=True)
