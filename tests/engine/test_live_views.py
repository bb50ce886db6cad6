"""The timeline and the dashboard follow a real engine's events (no frontend needed)."""
from __future__ import annotations

import time

import pytest

import helpers as h
from helpers.dashboard import Dashboard
from helpers.timeline import Timeline

pytestmark = pytest.mark.engine


@pytest.fixture
def project():
    with h.Project("zz-live") as p:
        yield p


def eventually(predicate, timeout=15.0):
    """Poll a condition the dashboard's event thread makes true (the test's own wait, not a lesson's)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_timeline_tells_a_policy_restart_from_docker_start(project):
    with Timeline(project) as tl:
        app = project.run("app", "python:3.13-slim", command=["sleep", "300"], restart_policy={"Name": "always"})
        h.wait_running(app)
        h.crash(app)
        h.wait_restarted(app, after=0)
        app.stop(timeout=1)
        h.wait_exited(app)
        app.start()  # by hand
        h.wait_running(app)
    assert tl.actions("app") == ["create", "start", "die 137 (restarted)", "start (restarted)", "kill SIGTERM",
                                 "kill SIGKILL", "die 137", "stop", "start"]
    assert "crasher" not in tl.actions()  # the helper container of h.crash is a one-off: left out
    assert tl.first("app", "die") < tl.first("app", "stop")
    assert tl._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_dashboard_follows_the_engine(project):
    cache = project.run("cache", "redis:8", healthcheck={"test": ["CMD", "redis-cli", "ping"],
                                                          "interval": 500_000_000, "retries": 20})
    web = project.run("web", "python:3.13-slim", command=["sleep", "300"], restart_policy={"Name": "always"})
    with Dashboard(project, tick=0.2) as dash:
        def row(service):
            return {r["service"]: r for r in dash.rows()}[service]

        assert {r["service"] for r in dash.rows()} == {"cache", "web"}
        h.wait_healthy(cache)
        assert eventually(lambda: row("cache")["health"] == "healthy")
        labels = h.client().images.get("redis:8").labels or {}
        assert row("cache")["standin"] is (labels.get("io.compose-course.standin") == "true")
        dash.crash("web")
        h.wait_restarted(web, after=0)
        assert eventually(lambda: row("web")["restarts"] == 1 and row("web")["state"] == "running")
        dash.stop("cache", timeout=2)
        assert eventually(lambda: row("cache")["state"] == "exited")
        assert dash._cells["cache"]["start"].disabled is False
    assert dash.closed and not any(t.is_alive() for t in dash._threads)
