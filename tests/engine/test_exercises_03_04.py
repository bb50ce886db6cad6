"""The exercise checks of 03_db and 04_health_and_restart against the live engine.

Each check must answer NOT YET (with its hint) on the exercise as the notebook ships it, and PASSED on the
solution in solutions/. The containers are started the way the exercise cells start them.
"""
from __future__ import annotations

import secrets
import socket

import pytest

import helpers as h
from helpers.checks import ex03_db_port, ex04_restart_policy

pytestmark = pytest.mark.engine

# --- 03_db: publish the db on 127.0.0.1 at ALT_PORT ----------------------------------------------------------------

DB_HEALTHCHECK = {"test": ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U cryphos_user -d cryphos"],
                  "interval": 1_000_000_000, "timeout": 3_000_000_000, "retries": 30}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def project03():
    with h.Project("zz-ex03") as project:
        yield project


def _start_db(project: h.Project, **override):
    """What the exercise cell's up_db() does: the db service on its named volume, healthy, plus ``override``."""
    for old in project.containers("db"):
        old.remove(force=True, v=True)
    volume = project.volume("cryphos_pgdata")
    db = project.run(
        "db", "postgres:17",
        environment={"POSTGRES_DB": "cryphos", "POSTGRES_USER": "cryphos_user",
                     "POSTGRES_PASSWORD": secrets.token_urlsafe(16)},
        volumes=[f"{volume.name}:/var/lib/postgresql/data:rw"],
        healthcheck=DB_HEALTHCHECK,
        **override,
    )
    return h.wait_healthy(db, timeout=120)


def test_03_no_db_yet(project03):
    result = ex03_db_port.check(project03, _free_port())
    assert not result.passed and "run the exercise cell" in result.hint


def test_03_untouched_exercise_is_not_yet(project03):
    port = _free_port()
    _start_db(project03, ports=None)
    result = ex03_db_port.check(project03, port)
    assert not result.passed
    assert result.seen == "the db publishes no port: only containers on its network can reach it."
    assert "'5432/tcp'" in result.hint and "HOST_IP:HOST_PORT:5432" in result.hint


def test_03_wrong_host_port_then_solution(project03):
    port = _free_port()
    other = next(p for p in iter(_free_port, None) if p != port)
    _start_db(project03, ports={"5432/tcp": ("127.0.0.1", other)})
    result = ex03_db_port.check(project03, port)
    assert not result.passed and "not at ALT_PORT" in result.seen
    assert "second item of the tuple" in result.hint

    _start_db(project03, ports={"5432/tcp": ("127.0.0.1", port)})  # solutions/03_db.md
    result = ex03_db_port.check(project03, port)
    assert result.passed, result
    assert str(result).startswith("PASSED: 5432/tcp is published on 127.0.0.1 only")


@pytest.mark.parametrize(
    ("ports", "seen", "hint"),
    [
        ({"5432/tcp": None}, "publishes no port", "'5432/tcp'"),
        ({"5432/tcp": None, "5433/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5433"}]}, "but not 5432/tcp",
         "port inside the container"),
        ({"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "5433"}]}, "every address (0.0.0.0)", "('127.0.0.1', port)"),
        ({"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "5433"}, {"HostIp": "::", "HostPort": "5433"}]},
         "every address (0.0.0.0), every address (::)", "127.0.0.1:PORT:5432"),
        ({"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5432"}]}, "at host port 5432, not at ALT_PORT (5433)",
         "second item"),
    ],
)
def test_03_binding_problems_are_named(ports, seen, hint):
    """The near misses of solutions/03_db.md, on the engine's own format (no container: nothing is published)."""
    found = ex03_db_port.binding_problem(ports, 5433)
    assert found is not None
    assert seen in found[0] and hint in found[1]
    assert ex03_db_port.binding_problem({"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5433"}]}, 5433) is None


def test_03_postgres_answers_tells_postgres_from_nothing():
    assert ex03_db_port.postgres_answers("127.0.0.1", _free_port()) is False


# --- 04_health_and_restart: the worker's restart policy -------------------------------------------------------------

WORKER = ["sh", "-c", "trap 'exit 0' TERM; sleep 86400 & wait"]


@pytest.fixture
def project04():
    with h.Project("zz-ex04") as project:
        yield project


def _start_worker(project: h.Project, policy: dict):
    """The exercise cell: a fresh worker with ``policy``."""
    for old in project.containers("worker"):
        old.remove(force=True, v=True)
    worker = project.run("worker", "python:3.13-slim", command=WORKER, restart_policy=policy)
    return h.wait_running(worker)


def test_04_no_worker_yet(project04):
    result = ex04_restart_policy.check(project04)
    assert not result.passed and "run the exercise cell" in result.hint


@pytest.mark.parametrize(
    ("policy", "seen", "hint"),
    [
        ({"Name": "no"}, "after a crash (exit 137) the worker stayed down; its restart policy is 'no'.",
         "never restarts anything"),                                    # the untouched exercise
        ({"Name": "on-failure"}, "not after exiting by itself with code 0", "only non-zero exits"),
        ({"Name": "on-failure", "MaximumRetryCount": 3}, "restart policy 'on-failure:3'", "at most N times"),
        ({"Name": "always"}, "only until the engine restarts", "remembers that you stopped it"),
    ],
)
def test_04_wrong_policies_are_not_yet(project04, policy, seen, hint):
    _start_worker(project04, policy)
    result = ex04_restart_policy.check(project04)
    assert not result.passed
    assert seen in result.seen
    assert hint in result.hint and "run the exercise cell again" in result.hint


def test_04_solution_passes(project04):
    _start_worker(project04, {"Name": "unless-stopped"})  # solutions/04_health_and_restart.md
    result = ex04_restart_policy.check(project04)
    assert result.passed, result
    assert str(result) == ("PASSED: restart policy 'unless-stopped': back after a crash and after exit 0 "
                           "(RestartCount 2), still exited 3 s after `docker stop`.")
    worker = project04.containers("worker")[-1]
    assert worker.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"


def test_04_check_on_a_stopped_worker_says_so(project04):
    worker = _start_worker(project04, {"Name": "unless-stopped"})
    worker.stop(timeout=5)
    result = ex04_restart_policy.check(project04)
    assert not result.passed and "not running" in result.seen


@pytest.mark.parametrize("ports", [["127.0.0.1:5433:5432"], "5433:5432"])
def test_03_ports_written_as_in_yaml_gets_a_message_not_a_traceback(project03, ports):
    """A compose-style ``ports=`` list or string is refused before anything is created, with the dict form."""
    before = len(project03.containers())
    with pytest.raises(h.CourseError, match="ports= must be a dict") as err:
        project03.run("db-ports", "postgres:17", ports=ports)
    assert '{"5432/tcp": ("127.0.0.1", 15432)}' in err.value.hint
    assert len(project03.containers()) == before  # nothing was created
