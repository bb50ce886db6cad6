"""The exercise of 07_collectors_and_celery, checked on a real engine.

The exercise cell (tag ``exercise``) is run exactly as committed: the check must say NOT YET with a hint that
points at the lesson (its answer kept for a second NOT YET). Then
the Python block of ``solutions/07_collectors_and_celery.md``: the check must say PASSED. The near misses of the
solution's table each get their own answer. The check needs only the project's Redis (service ``redis``) and the
spare collector, so that is all these tests start.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from exercise_sources import exercise_cell, first_attempt, solution_code  # noqa: F401 - autouse fixture

import helpers as h
from helpers import stack
from helpers.checks import ex07_redis_url
from helpers.checks.ex07_redis_url import parse_monitor_line
from helpers.compose_file import duration_ns, parse_env_file

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def with_environment(source: str, environment: str) -> str:
    """The exercise cell with its `environment = {...}` replaced."""
    changed, count = re.subn(r"environment = \{[^}]*\}", lambda _: f"environment = {environment}", source)
    assert count == 1, "the exercise cell has no `environment = {...}`"
    return changed


@pytest.fixture
def project():
    h.use_client(h.client())
    with h.Project("zz-ex07") as proj:
        redis = proj.run("redis", "redis:8", healthcheck={
            "test": ["CMD", "redis-cli", "ping"], "interval": duration_ns("500ms"),
            "timeout": duration_ns("3s"), "retries": 40})
        h.wait_healthy(redis, timeout=TIMEOUT)
        yield proj
    assert not proj.containers()


def run(source: str, project: h.Project) -> None:
    scope = {"h": h, "project": project, "stack": stack, "parse_env_file": parse_env_file, "TIMEOUT": TIMEOUT}
    exec(source, scope)  # noqa: S102 - the committed exercise or solution


def test_07_no_spare_yet(project):
    result = ex07_redis_url.check(project)
    assert not result.passed and "run the exercise cell" in result.hint


def test_07_exercise_then_solution(project):
    run(exercise_cell("07_collectors_and_celery.ipynb"), project)
    before = ex07_redis_url.check(project)
    assert not before.passed, str(before)
    assert before.seen == ("REDIS_URL=redis://redis:6379/0: its LPUSH collected:liquidations goes to database 0, "
                           "Celery's database. The move task reads database 1 and never sees these records.")
    assert "comes from the env file" in before.hint and "wins over `env_file:`" in before.hint
    assert "«1. One Redis server, numbered databases»" in before.hint and "redis://redis:6379/1" not in before.hint
    assert '"REDIS_URL": "redis://redis:6379/1" in the `environment` dict' in before.answer
    assert str(before).startswith("NOT YET") and "\nHint: " in str(before)

    run(solution_code("07_collectors_and_celery.md"), project)
    after = ex07_redis_url.check(project)
    assert after.passed, str(after)
    assert str(after) == ("PASSED: REDIS_URL=redis://redis:6379/1: its LPUSH collected:liquidations goes to "
                          "database 1, with the other collectors' records, where the move task collects them.")
    assert len(project.containers(ex07_redis_url.SERVICE)) == 1  # the cell replaced the spare, as it says


@pytest.mark.parametrize(
    ("environment", "seen", "hint"),
    [
        ('{"REDIS_URL": "redis://redis:6379"}', "goes to database 0, Celery's database", "names no database"),
        ('{"REDIS_URL": "redis://redis:6379/3"}', "goes to database 3, which nobody reads", "share one database"),
        ('{"REDIS_URL": "redis://localhost:6379/1"}', "Redis saw no LPUSH from spare-liquidations",
         "a name Docker's DNS resolves"),
    ],
    ids=["no-number", "database-3", "localhost"],
)
def test_07_near_misses(project, environment, seen, hint):
    run(with_environment(exercise_cell("07_collectors_and_celery.ipynb"), environment), project)
    result = ex07_redis_url.check(project)
    assert not result.passed, str(result)
    assert seen in result.seen and hint in result.hint, str(result)
    assert "«1. One Redis server, numbered databases»" in result.hint and "redis://redis:6379/1" in result.answer


def test_07_a_spare_that_exited_is_reported(project):
    spare = project.run(ex07_redis_url.SERVICE, stack.app_image(), command=["python", "-c", "print('bye')"])
    h.wait_exited(spare, timeout=TIMEOUT)
    result = ex07_redis_url.check(project)
    assert not result.passed and "exited, exit code 0" in result.seen and "bye" in result.seen, str(result)
    assert "must keep running" in result.hint and "apis.collectors.liquidations" in result.answer


def test_07_no_redis_is_reported(project):
    run(solution_code("07_collectors_and_celery.md"), project)
    for redis in project.containers("redis"):
        redis.remove(force=True, v=True)
    result = ex07_redis_url.check(project)
    assert not result.passed and result.seen == "no Redis container of this project is running.", str(result)


def test_07_monitor_lines_are_parsed():
    line = '1764150000.123456 [1 172.18.0.5:40112] "LPUSH" "collected:collector" "{\\"a\\": 1}"'
    assert parse_monitor_line(line) == ex07_redis_url.RedisCommand(1, "172.18.0.5", "LPUSH", "collected:collector")
    assert parse_monitor_line('1764150000.1 [0 unix:/run/redis.sock] "PING"').key == ""
    assert parse_monitor_line("OK") is None
