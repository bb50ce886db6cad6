"""The exercises of notebooks 06 (depends_on) and 08 (stop_grace_period), checked on a real engine.

Each test runs the exercise cell as committed in the notebook (cell tag ``exercise``): the check must say NOT YET
with a hint that points at the lesson (its answer kept for a second NOT YET). Then it runs the first Python block
of the solution in ``solutions/``: the check must say PASSED.
Near misses (another condition, another grace period) are the exercise cell with one line changed. Each test
uses a project of its own and removes it at the end.
"""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from exercise_sources import cell_defining, changed, exercise_cell, first_attempt, solution_code  # noqa: F401

import helpers as h
from helpers.checks import ex06_depends_on, ex08_grace_period
from helpers.compose_file import duration_ns
from helpers.timeline import Timeline

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def _cells(notebook: str) -> list:
    return nbformat.read(ROOT / "notebooks" / notebook, as_version=4).cells


def notebook_string(notebook: str, name: str) -> str:
    """The triple-quoted string assigned to ``name`` in a code cell of the notebook (e.g. the compose file BASE)."""
    for cell in _cells(notebook):
        found = re.search(rf'^{name} = """\\\n(.*?)"""', cell.source, re.DOTALL | re.MULTILINE)
        if cell.cell_type == "code" and found:
            return found.group(1)
    raise AssertionError(f"{notebook}: no cell defines {name} = \"\"\"...\"\"\"")


# --- 06: backend waits for a healthy db -----------------------------------------------------------------------------

@pytest.fixture
def scope06(client, tmp_path):
    project = h.Project("zz-ex06")
    (tmp_path / ".env").write_text(f"DB_PASSWORD={secrets.token_urlsafe(18)}\n")
    scope = {"h": h, "client": client, "project": project, "work": tmp_path, "yaml": yaml, "TIMEOUT": TIMEOUT,
             "BASE": notebook_string("06_depends_on.ipynb", "BASE")}
    exec(cell_defining("06_depends_on.ipynb", "settle"), scope)  # noqa: S102 - the notebook's settle and status
    try:
        yield scope
    finally:
        project.down(volumes=True)
    assert not project.containers()


def test_06_check_without_containers_says_what_to_run(client):
    project = h.Project("zz-ex06-empty")
    result = ex06_depends_on.check(project, Timeline(project))
    assert not result.passed and "run the exercise cell" in result.hint
    project.down(volumes=True)


CONDITION_06 = r"^ *condition: service_started .*$"  # the SNIPPET's line to change
DB_ENTRY_06 = r"^  db:\n *condition: service_started .*$"  # the SNIPPET's whole entry for db


def test_06_exercise_then_solution(scope06):
    project = scope06["project"]
    exec(exercise_cell("06_depends_on.ipynb"), scope06)  # noqa: S102 - the committed exercise
    before = ex06_depends_on.check(project, scope06["exercise_tl"])
    assert not before.passed, str(before)
    assert before.seen == "backend started before db was healthy (db start -> backend start -> db healthy)."
    assert "service_started" in before.hint and "«4. The three conditions, and the real Compose»" in before.hint
    assert "service_healthy" not in before.hint and "condition: service_healthy" in before.answer
    assert str(before).startswith("NOT YET") and "\nHint: " in str(before) and "Answer" not in str(before)

    exec(solution_code("06_depends_on.md"), scope06)  # noqa: S102 - the committed solution
    after = ex06_depends_on.check(project, scope06["exercise_tl"])
    assert after.passed, str(after)
    assert str(after) == ("PASSED: backend started after db was healthy (db start -> db healthy -> backend start); "
                          "its migrate applied market.0001_initial and it is healthy.")


def test_06_the_short_form_is_service_started(scope06):
    """`depends_on: [db]`, the list form: the same as service_started, and the hint says so."""
    exec(changed(exercise_cell("06_depends_on.ipynb"), DB_ENTRY_06, "  - db"), scope06)  # noqa: S102 - a near miss
    result = ex06_depends_on.check(scope06["project"], scope06["exercise_tl"])
    assert not result.passed and "backend started before db was healthy" in result.seen, str(result)
    assert "the short form `depends_on: [db]`" in result.hint


def test_06_completed_successfully_on_a_database_says_so_at_once(scope06, capsys):
    """A wait for a database to exit never ends: `up` says what it waits for at once, and gives up as soon as db
    is healthy (a service that serves), long before TIMEOUT. Then the check explains the condition."""
    cell = changed(exercise_cell("06_depends_on.ipynb"), CONDITION_06,
                   "    condition: service_completed_successfully")
    began = time.monotonic()
    exec(cell, scope06)  # noqa: S102 - the exercise with another condition
    took, printed = time.monotonic() - began, capsys.readouterr().out
    project = scope06["project"]
    waits = f"[backend] waits for {project.name}-db-1 to exit with code 0 (service_completed_successfully), at most"
    assert waits in printed, printed
    assert f"WaitTimeout: Stopped waiting for {project.name}-db-1 to be exited after" in printed, printed
    assert "it is healthy, a service that runs until it is stopped, not a job that ends" in printed
    assert took < TIMEOUT / 2, f"the exercise cell took {took:.0f} s: up() waited for the timeout"
    result = ex06_depends_on.check(project, scope06["exercise_tl"])
    assert not result.passed
    assert result.seen == "db exists but there is no backend container: `up` never started it."
    assert "service_completed_successfully" in result.hint and "one-shot" in result.hint
    assert "condition: service_healthy" in result.answer


def test_06_a_wait_for_a_job_that_keeps_running_reports_as_it_goes(client):
    """No healthcheck to give up on: the wait for the job to end reports how it is doing until its timeout."""
    project = h.Project("zz-ex06-job")
    try:
        job = project.run("job", "python:3.13-slim", command=["sleep", "60"])
        h.wait_running(job)
        reports: list[tuple[str, float]] = []
        began = time.monotonic()
        with pytest.raises(h.WaitTimeout, match="Timed out after 2 s waiting for .* to be exited") as err:
            h.wait_until(job, lambda s: s["Status"] == "exited", "exited", timeout=2.2,
                         report=lambda state, waited: reports.append((state["Status"], waited)), every=0.5)
        assert time.monotonic() - began < 5
        assert len(reports) >= 3 and all(status == "running" for status, _ in reports), reports
        assert [round(w * 2) for _, w in reports[:3]] == [1, 2, 3]  # every 0.5 s
        assert "Hint:" in str(err.value)
    finally:
        project.down(volumes=True)


# --- 08: a grace period for 12 s updates ----------------------------------------------------------------------------

@pytest.fixture
def scope08(client, tmp_path):
    project = h.Project("zz-ex08")
    try:
        redis = project.run("redis", "redis:8", healthcheck={
            "test": ["CMD", "redis-cli", "ping"], "interval": duration_ns("500ms"), "retries": 30})
        h.wait_healthy(redis, timeout=TIMEOUT)
        yield {"h": h, "client": client, "project": project, "work": tmp_path, "TIMEOUT": TIMEOUT}
    finally:
        project.down(volumes=True)
    assert not project.containers()


def _exercise08(grace_line: str | None) -> str:
    """The exercise cell with its stop_grace_period line replaced (``None``: removed)."""
    cell = exercise_cell("08_bot_grace_period.ipynb")
    line = re.search(r"^ *stop_grace_period: 5s.*\n", cell, re.MULTILINE)
    assert line, "the exercise cell no longer has `stop_grace_period: 5s`"
    return cell.replace(line.group(0), "" if grace_line is None else f"    stop_grace_period: {grace_line}\n")


def test_08_check_without_bot_says_what_to_run(scope08):
    result = ex08_grace_period.check(scope08["project"])
    assert not result.passed and "run the exercise cell" in result.hint


def test_08_exercise_then_solution(scope08):
    project = scope08["project"]
    exec(exercise_cell("08_bot_grace_period.ipynb"), scope08)  # noqa: S102 - the committed exercise
    before = ex08_grace_period.check(project)
    assert not before.passed, str(before)
    assert before.seen == ("stop_grace_period 5 s (Config.StopTimeout 5): SIGTERM came just after a 12 s update "
                           "started; 5 s later the engine sent SIGKILL: exit 137, no 'done' line.")
    assert "What must the grace period cover" in before.hint and "above 12 s" not in before.hint
    assert "run the exercise cell again" in before.hint
    assert "«3. The same with 2 s: SIGKILL»" in before.hint and "stop_grace_period: 15s" in before.answer
    assert "Answer" not in str(before)

    again = ex08_grace_period.check(project)  # the check left the bot stopped
    assert not again.passed and "not running" in again.seen and again.attempt == 0  # not counted as a try

    exec(solution_code("08_bot_grace_period.md"), scope08)  # noqa: S102 - the committed solution
    after = ex08_grace_period.check(project)
    assert after.passed, str(after)
    assert str(after) == ("PASSED: stop_grace_period 15 s (Config.StopTimeout 15), updates of 12 s: SIGTERM came "
                          "during an update, the bot finished it ('update ... done') and exited 0 before the grace "
                          "period ran out.")


def test_08_without_grace_period_the_default_10s_is_too_short(scope08):
    exec(_exercise08(None), scope08)  # noqa: S102 - the exercise without a grace period
    tg = scope08["project"].containers("tg")[-1]
    assert tg.attrs["Config"].get("StopTimeout") is None
    result = ex08_grace_period.check(scope08["project"])
    assert not result.passed
    assert result.seen.startswith("no stop_grace_period (Config.StopTimeout not set: docker stop waits 10 s)")
    assert "exit 137" in result.seen and "Without stop_grace_period the engine waits 10 s" in result.hint
    assert "«1. The bot, and how it stops»" in result.hint and "stop_grace_period: 15s" in result.answer


def test_08_a_very_long_grace_period_is_not_accepted(scope08):
    exec(_exercise08("5m"), scope08)  # noqa: S102 - the exercise with a 5 minute grace period
    result = ex08_grace_period.check(scope08["project"])
    assert not result.passed
    assert "finished its 12 s update and exited 0, but the grace period is 300 s" in result.seen
    assert "at most 60 s" in result.hint and "«4. `docker stop -t`: the grace period of one stop»" in result.hint
    assert "stop_grace_period: 15s" in result.answer


def test_08_wait_log_gives_up_when_the_container_exits(client):
    project = h.Project("zz-ex08-log")
    try:
        quick = project.run("quick", "python:3.13-slim", command=["python3", "-c", "print('only this')"])
        with pytest.raises(h.WaitTimeout) as caught:
            h.wait_log(quick, "never printed", timeout=30)
        assert "only this" in str(caught.value) and "exited" in str(caught.value)
        assert h.wait_log(quick, "only", timeout=5) == "only this"
    finally:
        project.down(volumes=True)


def test_08_a_stop_by_hand_counts_only_during_the_update(scope08):
    """Section 4's typed `stop -t 10`: proved from the bot's log of its last start and its exit code, so a stop
    after the update (typed slowly) or one whose grace period ends too soon is no PASS."""
    from helpers.checks import cli
    from helpers.containers import started_at

    project = scope08["project"]
    exec(exercise_cell("08_bot_grace_period.ipynb"), scope08)  # noqa: S102 - a bot of 12 s updates, 5 s grace
    tg, redis = scope08["tg"], project.containers("redis")[-1]
    assert not cli.check_stop_during_update(project, "tg", 4).passed  # running: not stopped yet
    ex08_grace_period.push_update(redis, 4)
    h.wait_log(tg, "update 4 started", TIMEOUT)
    tg.stop(timeout=1)  # a grace period shorter than what is left of the update
    result = cli.check_stop_during_update(project, "tg", 4)
    assert not result.passed and "exit code 137" in result.seen and "-t 10" in result.hint, result
    tg.start()
    tg.reload()
    ex08_grace_period.push_update(redis, 5)
    h.wait_log(tg, "update 5 done", TIMEOUT, since=started_at(tg))
    tg.stop(timeout=15)  # typed slowly: the update is over
    result = cli.check_stop_during_update(project, "tg", 5)
    assert not result.passed and "was over when the stop came" in result.seen, result
    tg.start()
    tg.reload()
    ex08_grace_period.push_update(redis, 6)
    h.wait_log(tg, "update 6 started", TIMEOUT, since=started_at(tg))
    tg.stop(timeout=15)  # during the update, with time enough
    result = cli.check_stop_during_update(project, "tg", 6)
    assert result.passed and "SIGTERM came during update 6" in result.seen, result
