"""The exercises of notebooks 01 and 02, checked on a real engine.

Each test runs the exercise cell exactly as committed in the notebook (cell tag ``exercise``): the check must say
NOT YET with a hint that points at the lesson, and keep the answer for a second NOT YET. Then it runs the first
Python block of the solution in ``solutions/``: the check must say PASSED. Near misses are the committed cell or
solution with one line changed. Each test uses a project of its own and removes it at the end.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from exercise_sources import changed, exercise_cell, first_attempt, solution_code  # noqa: F401 - autouse fixture

import helpers as h
from helpers import stack
from helpers.checks import ex01_collector_workdir, ex02_cache_alias

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
CHANGE_01 = r"^ *# YOUR CHANGE:.*$"  # the exercise cell's placeholder line, where the learner's override goes


@pytest.fixture
def scope01(client, app_image):  # app_image: tests/engine/conftest.py builds the learner's
    project = h.Project("zz-ex01")
    try:
        yield {"h": h, "client": client, "project": project, "IMAGE": stack.app_image(),
               "TIMEOUT": TIMEOUT}
    finally:
        project.down(volumes=True)
    assert not project.containers()


def test_01_collector_workdir(scope01):
    project = scope01["project"]
    exec(exercise_cell("01_image_and_container.ipynb"), scope01)  # noqa: S102 - the committed exercise
    before = ex01_collector_workdir.check(project)
    assert not before.passed, str(before)
    assert "WorkingDir /app; the image's WORKDIR (not overridden" in before.seen
    assert "«3. The Dockerfile bakes, the compose file overrides»" in before.hint
    assert 'working_dir="/app/apis"' not in before.hint and 'working_dir="/app/apis"' in before.answer
    assert str(before).startswith("NOT YET") and "\nHint: " in str(before) and "Answer" not in str(before)

    exec(solution_code("01_image_and_container.md"), scope01)  # noqa: S102 - the committed solution
    after = ex01_collector_workdir.check(project)
    assert after.passed, str(after)
    assert str(after).startswith("PASSED") and "/app/apis" in after.seen


def test_01_a_repeated_not_yet_gives_the_answer(scope01):
    """The untouched exercise, checked again, gets the hint alone (nothing tried yet); once the learner has tried
    something, the same NOT YET again adds what to write."""
    exec(exercise_cell("01_image_and_container.ipynb"), scope01)  # noqa: S102 - the committed exercise
    untouched = [ex01_collector_workdir.check(scope01["project"]) for _ in range(2)]
    assert all("Answer" not in str(v) for v in untouched), untouched
    typo = changed(exercise_cell("01_image_and_container.ipynb"), CHANGE_01, '    working_dir="/app/api",')
    exec(typo, scope01)  # noqa: S102 - a first try
    first, second = (ex01_collector_workdir.check(scope01["project"]) for _ in range(2))
    assert first.hint == second.hint and first.answer == second.answer
    assert "Answer" not in str(first) and 'working_dir="/app/apis"' not in str(first)
    assert str(second) == f"{first}\nAnswer (asked again): {first.answer}"
    assert 'working_dir="/app/apis"' in str(second) and "Answer (asked again):" in second._repr_html_()


@pytest.mark.parametrize(
    ("pattern", "new", "seen", "hint", "answer"),
    [
        (CHANGE_01, '    working_dir="/app/api",', "has WorkingDir /app/api; the seed's collectors run from /app/apis",
         "created empty", 'working_dir="/app/apis", exactly'),          # the solution's trap: a typo
        (r'^ *command=\["sleep", "infinity"\],', '    command=["sh", "-c", "cd /app/apis && exec sleep infinity"],',
         "only because the command changes directory", "a `cd` in the command", 'working_dir="/app/apis"'),
        (r'"collector", IMAGE,', '"collector", "python:3.13-slim",',
         f"runs python:3.13-slim, not {stack.app_image()}", "one image and different containers",
         f'keep IMAGE ("{stack.app_image()}")'),
    ],
    ids=["typo", "cd-in-command", "other-image"],
)
def test_01_near_misses(scope01, pattern, new, seen, hint, answer):
    exec(changed(exercise_cell("01_image_and_container.ipynb"), pattern, new), scope01)  # noqa: S102 - a near miss
    result = ex01_collector_workdir.check(scope01["project"])
    assert not result.passed, str(result)
    assert seen in result.seen and hint in result.hint and answer in result.answer, str(result)
    assert "Answer" not in str(result)


def test_01_check_without_container_says_what_to_run(client):
    project = h.Project("zz-ex01-empty")
    result = ex01_collector_workdir.check(project)
    assert not result.passed and "run the exercise cell" in result.hint
    assert result.answer == "" and result.attempt == 0  # nothing to answer yet, and not counted as a try
    project.down(volumes=True)


def test_02_cache_alias(client):
    project = h.Project("zz-ex02")
    net = project.network()
    scope = {"h": h, "client": client, "project": project, "net": net, "TIMEOUT": TIMEOUT}
    try:
        exec(exercise_cell("02_names_and_dns.ipynb"), scope)  # noqa: S102 - the committed exercise
        before = ex02_cache_alias.check(project, timeout=TIMEOUT)
        assert not before.passed, str(before)
        assert "is on bridge only" in before.seen
        assert "«4. Service names are DNS names — on the project's network»" in before.hint
        assert 'net.connect(kv, aliases=["cache"])' in before.answer and "aliases=" not in before.hint
        assert str(before).startswith("NOT YET") and "\nHint: " in str(before)

        exec(solution_code("02_names_and_dns.md"), scope)  # noqa: S102 - the committed solution
        after = ex02_cache_alias.check(project, timeout=TIMEOUT)
        assert after.passed, str(after)
        assert f"resolves to {project.name}-kv-1" in after.seen
    finally:
        project.down(volumes=True)
    assert not project.containers()


def test_02_on_the_network_without_the_alias(client):
    """The solution without its alias: kv joins the project network under its service name only."""
    project = h.Project("zz-ex02-noalias")
    scope = {"h": h, "client": client, "project": project, "net": project.network(), "TIMEOUT": TIMEOUT}
    try:
        exec(changed(solution_code("02_names_and_dns.md"), r'net\.connect\(kv, aliases=\["cache"\]\)',  # noqa: S102
                     "net.connect(kv)"), scope)
        result = ex02_cache_alias.check(project, timeout=TIMEOUT)
        assert not result.passed and "is there, known as" in result.seen, str(result)
        assert "not under the name 'cache'" in result.hint and "net.disconnect(kv)" in result.answer
    finally:
        project.down(volumes=True)


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
        assert "another container on the network answers to 'cache'" in result.hint
        assert "remove the other container" in result.answer
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
        assert "a container name is not an alias" in result.hint and "«3. Two copies of a project" in result.hint
        assert 'net.connect(kv, aliases=["cache"])' in result.answer
    finally:
        project.down(volumes=True)
