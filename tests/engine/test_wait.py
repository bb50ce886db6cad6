"""Waits follow the engine's events and explain themselves when they time out."""
from __future__ import annotations

import time

import pytest

import helpers as h

pytestmark = pytest.mark.engine

HEALTH = {"test": ["CMD", "true"], "interval": 500_000_000, "timeout": 1_000_000_000, "retries": 3}


@pytest.fixture
def project():
    with h.Project("zz-wait") as p:
        yield p


def test_healthy_then_exited(project):
    c = project.run("app", "python:3.13-slim", command=["sleep", "30"], healthcheck=HEALTH)
    h.wait_healthy(c, timeout=20)
    assert c.attrs["State"]["Health"]["Status"] == "healthy"
    c.stop(timeout=1)
    h.wait_exited(c, timeout=10)
    assert c.attrs["State"]["Status"] == "exited"


def test_restarted_after_a_crash_from_outside(project):
    c = project.run("app", "python:3.13-slim", command=["sleep", "300"], restart_policy={"Name": "always"})
    h.wait_running(c)
    before = c.attrs["RestartCount"]
    h.crash(c)  # SIGKILL to the main process from outside the API: a crash, not `docker stop`
    h.wait_restarted(c, after=before, timeout=20)
    assert c.attrs["RestartCount"] == before + 1


def test_timeout_says_what_it_saw(project):
    c = project.run("app", "python:3.13-slim", command=["sh", "-c", "echo starting up; sleep 30"])
    t0 = time.monotonic()
    with pytest.raises(h.WaitTimeout) as err:
        h.wait_exited(c, timeout=2)
    assert time.monotonic() - t0 < 6
    text = str(err.value)
    assert f"waiting for {c.name} to be exited" in text
    assert "state seen: running" in text
    assert "starting up" in text           # the last log lines
    assert "Hint:" in text


def test_unhealthy_gives_up_early_with_probe_output(project):
    bad = {"test": ["CMD-SHELL", "echo no db here; exit 1"], "interval": 300_000_000, "timeout": 1_000_000_000,
           "retries": 2}
    c = project.run("app", "python:3.13-slim", command=["sleep", "60"], healthcheck=bad)
    with pytest.raises(h.WaitTimeout) as err:
        h.wait_healthy(c, timeout=30)
    assert "health=unhealthy" in str(err.value)
    assert "no db here" in str(err.value)


def test_waiting_for_healthy_without_a_healthcheck_fails_at_once(project):
    c = project.run("app", "python:3.13-slim", command=["sleep", "30"])
    t0 = time.monotonic()
    with pytest.raises(h.WaitTimeout, match="has no healthcheck") as err:
        h.wait_healthy(c, timeout=30)
    assert time.monotonic() - t0 < 5
    assert "Hint:" in str(err.value)


def test_wait_log_returns_the_line_or_explains(project):
    c = project.run("app", "python:3.13-slim", command=["sh", "-c", "echo booting; echo ready on 8000; sleep 30"])
    assert h.wait_log(c, r"ready on \d+", timeout=20) == "ready on 8000"
    with pytest.raises(h.WaitTimeout, match="No log line of .* matched 'never'") as err:
        h.wait_log(c, "never", timeout=2)
    assert "booting" in str(err.value) and "Hint:" in str(err.value)


def test_waiting_for_running_gives_up_once_it_exited_for_good(project):
    """A command that ends at once, no restart policy: the wait says so at once, not after its whole timeout."""
    container = project.run("quick", "python:3.13-slim", command=["true"])
    began = time.monotonic()
    with pytest.raises(h.WaitTimeout) as err:
        h.wait_running(container, timeout=30)
    assert time.monotonic() - began < 10
    assert "Stopped waiting" in err.value.message and "nothing starts it again" in err.value.message
