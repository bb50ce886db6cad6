"""The checks of the Compose commands typed by hand (helpers/checks/cli.py), against the real Compose CLI.

Each check: the right command -> PASSED; nothing done -> NOT YET with its hint; a near miss (a wrong -p, a
container the helpers made, a failed exec) -> NOT YET that names what went wrong.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

import helpers as h
from helpers import events, naming
from helpers.checks import cli
from helpers.compose_cli import by_hand, compose, course_labels_file

pytestmark = pytest.mark.engine

FILE = """\
services:
  cache:
    image: redis:8
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 1s
      timeout: 3s
      retries: 30
    volumes:
      - data:/data
volumes:
  data:
"""


@pytest.fixture
def lesson(tmp_path: Path):
    """A project ``zz-cli-<learner>`` (lesson "zz-cli") and its compose files; everything removed at the end."""
    project = h.Project("zz-cli")
    (tmp_path / "docker-compose.yaml").write_text(FILE)
    files = [tmp_path / "docker-compose.yaml", course_labels_file(tmp_path, project.name, ["cache"], ("data",))]
    wrong = f"{project.name}-wrong"
    yield project, files, wrong
    for name in (project.name, wrong):
        compose("down", "-v", project=name, files=files, check=False)
    project.down(volumes=True)


def test_up_nothing_done_is_not_yet(lesson):
    project, files, _ = lesson
    result = cli.check_up(project, "cache", files)
    assert not result.passed and "no cache container" in result.seen and "docker compose" in result.hint


def test_up_by_hand_passes_and_down_is_seen(lesson):
    project, files, _ = lesson
    done = by_hand("up", "-d", "--wait", "cache", project=project.name, files=files)
    assert done.returncode == 0
    result = cli.check_up(project, "cache", files)
    assert result.passed, result
    assert "created by Compose" in result.seen and "healthy" in result.seen
    assert not cli.check_down(project).passed                       # it is still up
    assert [c.name for c in project.containers("cache")]            # the labels file: the lesson's cleanup sees it
    by_hand("down", project=project.name, files=files)
    result = cli.check_down(project, keeps_volumes=True)
    assert result.passed and "no container" in result.seen and "volumes kept: 1" in result.seen, result
    by_hand("down", "-v", project=project.name, files=files)          # the near miss: down -v where down was asked
    result = cli.check_down(project, keeps_volumes=True)
    assert not result.passed and "`down -v`" in result.hint, result
    assert cli.check_down(project).passed                            # where the volumes do not matter


def test_the_lessons_cleanup_removes_the_volume_compose_made(lesson):
    project, files, _ = lesson
    by_hand("up", "-d", "cache", project=project.name, files=files)   # Compose makes <project>_data itself
    by_hand("down", project=project.name, files=files)                # and keeps it
    name = f"{project.name}_data"
    assert h.client().volumes.get(name).attrs["Labels"]["io.compose-course.managed"] == "true"
    assert project.down(volumes=True).volumes == [name]


def test_up_in_another_project_is_named(lesson):
    project, files, wrong = lesson
    by_hand("up", "-d", "cache", project=wrong, files=files)
    result = cli.check_up(project, "cache", files)
    assert not result.passed and wrong in result.seen and f"-p {project.name}" in result.hint, result


def test_up_made_by_the_helpers_is_not_compose(lesson):
    project, files, _ = lesson
    h.wait_running(project.run("cache", "redis:8"))
    result = cli.check_up(project, "cache", files)
    assert not result.passed and "made by the helpers" in result.seen, result


def test_stop_start_exec_and_output(lesson):
    project, files, _ = lesson
    by_hand("up", "-d", "--wait", "cache", project=project.name, files=files)
    (cache,) = cli.of_service(project, "cache")
    before = cache.attrs["State"]["StartedAt"]
    assert not cli.check_running(project, "cache", started_before=before).passed   # not started again yet
    assert not cli.check_stopped(project, "cache").passed            # running: not yet stopped
    by_hand("stop", "cache", project=project.name, files=files)
    result = cli.check_stopped(project, "cache", exit_code=0)
    assert result.passed, result
    assert not cli.check_running(project, "cache").passed
    by_hand("start", "cache", project=project.name, files=files)
    result = cli.check_running(project, "cache", started_before=before)
    assert result.passed and "new State.StartedAt" in result.seen, result
    pong = by_hand("exec", "-T", "cache", "redis-cli", "ping", project=project.name, files=files)
    assert cli.check_output(project, pong, r"^PONG$", "PONG").passed
    wrong = by_hand("exec", "-T", "cache", "redis-cli", "echo", "hello", project=project.name, files=files)
    result = cli.check_output(project, wrong, r"^PONG$", "PONG")
    assert not result.passed and "did not print PONG" in result.seen, result
    missing = by_hand("exec", "-T", "nosuch", "true", project=project.name, files=files)
    result = cli.check_output(project, missing, r"^PONG$", "PONG")
    assert not result.passed and "failed" in result.seen and project.name in result.hint, result
    by_hand("stop", "cache", project=project.name, files=files)
    stopped = by_hand("exec", "-T", "cache", "redis-cli", "ping", project=project.name, files=files)
    result = cli.check_output(project, stopped, r"^PONG$", "PONG")
    assert not result.passed and "it does not run now" in result.hint, result


def test_run_rm_is_seen_in_the_engines_events(lesson):
    project, files, wrong = lesson
    runs = cli.OneOffRuns(project, "cache")
    try:
        result = cli.check_run_rm(runs)
        assert not result.passed and "ran 0 one-off" in result.seen and project.name in result.hint, result
        by_hand("run", "--rm", "cache", "redis-cli", "--version", project=wrong, files=files)  # another -p
        assert not cli.check_run_rm(runs).passed
        by_hand("run", "--rm", "cache", "sh", "-c", "exit 3", project=project.name, files=files)  # exits 3
        result = cli.check_run_rm(runs)
        assert not result.passed and "exit codes 3" in result.seen, result
        by_hand("run", "--rm", "cache", "redis-cli", "--version", project=project.name, files=files)
        result = cli.check_run_rm(runs)
        assert result.passed and "ran 1 one-off" in result.seen and "1 other(s) did not" in result.seen, result
        # a busy engine: 300 events of others push the runs out of the engine's own record (its last 256 events)
        for i in range(150):
            noise = f"zz-noise-{h.learner()}-{i}"
            h.client().networks.create(noise, labels=naming.course_labels(noise)).remove()
        kept = events.history(runs.filters, runs.since_ns, time.time_ns())
        assert not kept, f"the engine still keeps {len(kept)} of the runs' events: this test shows nothing"
        result = cli.check_run_rm(runs)
        assert result.passed and "ran 1 one-off" in result.seen, result
    finally:
        runs.close()
    assert not cli.of_service(project, "cache")  # --rm: nothing left of them
