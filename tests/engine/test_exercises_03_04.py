"""The exercise checks of 03_db and 04_health_and_restart against the live engine.

Each check must answer NOT YET (with a hint that points at the lesson, and its answer kept for a second NOT YET) on
the exercise cell as the notebook ships it, and PASSED on the solution in solutions/. The near misses are that cell
with its one line changed. 03's cell runs the notebook's own ``up_db``, on the notebook's compose file.
"""
from __future__ import annotations

import secrets
import socket

import pytest
from exercise_sources import (  # noqa: F401 - first_attempt: an autouse fixture
    cell_containing,
    cell_defining,
    changed,
    exercise_cell,
    first_attempt,
    solution_code,
)

import helpers as h
from helpers import translate
from helpers.checks import ex03_db_port, ex04_restart_policy
from helpers.compose_file import load, parse_env_file
from helpers.project import check_ports

pytestmark = pytest.mark.engine

TIMEOUT = 120

# --- 03_db: publish the db on 127.0.0.1 at ALT_PORT ----------------------------------------------------------------

PORTS_LINE = r"^ *ports=None,.*$"  # the exercise cell's one line to change


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def project03():
    with h.Project("zz-ex03") as project:
        yield project


@pytest.fixture
def scope03(project03, tmp_path):
    """The notebook up to its exercise: its compose file and .env written, its ``up_db`` defined (and run once).
    The scratch folder is named as the notebook's, after the project: Compose takes the project name from it."""
    alt, work = _free_port(), tmp_path / project03.name
    work.mkdir()
    scope = {"h": h, "project": project03, "work": work, "TIMEOUT": TIMEOUT, "secrets": secrets,
             "load": load, "translate": translate, "parse_env_file": parse_env_file, "check_ports": check_ports,
             "DB_PORT": next(p for p in iter(_free_port, None) if p != alt), "ALT_PORT": alt}
    exec(cell_containing("03_db.ipynb", '(work / "docker-compose.yaml").write_text'), scope)  # noqa: S102
    exec(cell_defining("03_db.ipynb", "up_db"), scope)  # noqa: S102 - the notebook's up_db (it also runs it once)
    return scope


def test_03_no_db_yet(project03):
    result = ex03_db_port.check(project03, _free_port())
    assert not result.passed and "run the exercise cell" in result.hint and not result.answer


def test_03_untouched_exercise_then_solution(scope03):
    project, port = scope03["project"], scope03["ALT_PORT"]
    exec(exercise_cell("03_db.ipynb"), scope03)  # noqa: S102 - the committed exercise (ports=None)
    result = ex03_db_port.check(project, port)
    assert not result.passed
    assert result.seen == "the db publishes no port: only containers on its network can reach it."
    assert "«4. `ports:` — who can reach the database»" in result.hint and "ALT_PORT)" not in result.hint
    assert '{"5432/tcp": ("127.0.0.1", ALT_PORT)}' in result.answer and "Answer" not in str(result)

    exec(solution_code("03_db.md"), scope03)  # noqa: S102 - the committed solution
    result = ex03_db_port.check(project, port)
    assert result.passed, result
    assert str(result).startswith("PASSED: 5432/tcp is published on 127.0.0.1 only")


@pytest.mark.parametrize(
    ("ports", "seen", "hint", "answer"),
    [
        ('{"5432/tcp": ("127.0.0.1", DB_PORT)}', "not at ALT_PORT", "the other half of the value",
         "second item of the tuple"),                                           # the old port
        ('{f"{ALT_PORT}/tcp": ("127.0.0.1", ALT_PORT)}', "but not 5432/tcp", "port inside the container",
         '{"5432/tcp": ("127.0.0.1", ALT_PORT)}'),                             # the host port as the key
        ('{"5432/tcp": ALT_PORT}', "every IPv4 address (0.0.0.0)", "every interface of the host",
         "('127.0.0.1', ALT_PORT)"),
        ('{"5432/tcp": ("localhost", ALT_PORT)}', "asked for 'localhost'", "not a host name",
         "not ('localhost', ALT_PORT)"),                                       # a name: the engine listens everywhere
    ],
    ids=["old-host-port", "wrong-container-port", "every-address", "host-name"],
)
def test_03_near_misses(scope03, ports, seen, hint, answer):
    """The near misses of solutions/03_db.md's table, each the exercise cell with its ports= line changed."""
    exec(changed(exercise_cell("03_db.ipynb"), PORTS_LINE, f"    ports={ports},"), scope03)  # noqa: S102
    result = ex03_db_port.check(scope03["project"], scope03["ALT_PORT"])
    assert not result.passed, str(result)
    assert seen in result.seen and hint in result.hint and answer in result.answer, str(result)


@pytest.mark.parametrize(
    ("ports", "seen", "hint"),
    [
        ({"5432/tcp": None}, "publishes no port", "«4. `ports:` — who can reach the database»"),
        ({"5432/tcp": None, "5433/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5433"}]}, "but not 5432/tcp",
         "port inside the container"),
        ({"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "5433"}]}, "every IPv4 address (0.0.0.0)",
         "every interface"),
        ({"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "5433"}, {"HostIp": "::", "HostPort": "5433"}]},
         "every IPv4 address (0.0.0.0), every IPv6 address (::)", "Why 127.0.0.1?"),
        ({"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5432"}]}, "at host port 5432, not at ALT_PORT (5433)",
         "other half"),
        ({"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5433"}, {"HostIp": "127.0.0.1", "HostPort": "5434"}]},
         "at ALT_PORT (5433), and also at host port 5434", "one binding"),
    ],
)
def test_03_binding_problems_are_named(ports, seen, hint):
    """The near misses of solutions/03_db.md, on the engine's own format (no container: nothing is published)."""
    found = ex03_db_port.binding_problem(ports, 5433)
    assert found is not None
    assert seen in found[0] and hint in found[1] and "ALT_PORT" in found[2]
    assert ex03_db_port.binding_problem({"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5433"}]}, 5433) is None
    everywhere = {"5432/tcp": [{"HostIp": "0.0.0.0", "HostPort": "5433"}]}
    assert "not a host name" in ex03_db_port.binding_problem(everywhere, 5433, ("localhost",))[1]
    assert "not a host name" not in ex03_db_port.binding_problem(everywhere, 5433, ("0.0.0.0",))[1]


def test_03_postgres_answers_tells_postgres_from_nothing():
    assert ex03_db_port.postgres_answers("127.0.0.1", _free_port()) is False


@pytest.mark.parametrize("ports", [["127.0.0.1:5433:5432"], "5433:5432"])
def test_03_ports_written_as_in_yaml_gets_a_message_not_a_traceback(project03, ports):
    """A compose-style ``ports=`` list or string is refused before anything is created, with the dict form."""
    before = len(project03.containers())
    with pytest.raises(h.CourseError, match="ports= must be a dict") as err:
        project03.run("db-ports", "postgres:17", ports=ports)
    assert '{"5432/tcp": ("127.0.0.1", 15432)}' in err.value.hint
    assert len(project03.containers()) == before  # nothing was created



def test_03_up_db_refuses_a_list_before_the_running_db_goes(scope03):
    """The exercise's likeliest slip (ports as in YAML) leaves the db of the lesson running, so the check still
    finds it and the learner does not have to start over."""
    db = scope03["project"].containers("db")[0]
    with pytest.raises(h.CourseError, match="ports= must be a dict"):
        scope03["up_db"](ports=["127.0.0.1:5433:5432"])
    db.reload()
    assert db.status == "running" and [c.id for c in scope03["project"].containers("db")] == [db.id]

# --- 04_health_and_restart: the worker's restart policy -------------------------------------------------------------

WORKER = ["sh", "-c", "trap 'exit 0' TERM; sleep 86400 & wait"]  # the notebook's, from section 3
POLICY_LINE = r'restart_policy=\{"Name": "no"\}'  # the exercise cell's one word to change, in its dict


@pytest.fixture
def project04():
    with h.Project("zz-ex04") as project:
        yield project


def _run04(project: h.Project, source: str):
    """Run ``source`` (the exercise cell, or the solution) as the notebook would; the worker, once running."""
    scope = {"h": h, "project": project, "WORKER": WORKER}
    exec(source, scope)  # noqa: S102 - the committed exercise or solution, or a near miss of it
    return h.wait_running(scope["worker"])


def test_04_no_worker_yet(project04):
    result = ex04_restart_policy.check(project04)
    assert not result.passed and "run the exercise cell" in result.hint


@pytest.mark.parametrize(
    ("policy", "seen", "hint"),
    [
        (None, "after a crash (exit 137) the worker stayed down; its restart policy is 'no'.",
         "never restarts anything"),                                    # the untouched exercise
        ({"Name": "on-failure"}, "not after exiting by itself with code 0", "only non-zero exits"),
        ({"Name": "on-failure", "MaximumRetryCount": 3}, "restart policy 'on-failure:3'", "at most N times"),
        ({"Name": "always"}, "only until the engine restarts", "remembers that you stopped it"),
    ],
    ids=["untouched", "on-failure", "on-failure-3", "always"],
)
def test_04_wrong_policies_are_not_yet(project04, policy, seen, hint):
    cell = exercise_cell("04_health_and_restart.ipynb")
    _run04(project04, cell if policy is None else changed(cell, POLICY_LINE, f"restart_policy={policy!r}"))
    result = ex04_restart_policy.check(project04)
    assert not result.passed
    assert seen in result.seen
    assert hint in result.hint and "«3. The four restart policies, side by side»" in result.hint
    assert "run the exercise cell again" in result.hint
    assert "unless-stopped" not in result.hint and '{"Name": "unless-stopped"}' in result.answer


def test_04_solution_passes(project04):
    _run04(project04, solution_code("04_health_and_restart.md"))
    result = ex04_restart_policy.check(project04)
    assert result.passed, result
    assert str(result) == ("PASSED: restart policy 'unless-stopped': back after a crash and after exit 0 "
                           "(RestartCount 2), still exited 3 s after `docker stop`.")
    worker = project04.containers("worker")[-1]
    assert worker.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"


def test_04_check_on_a_stopped_worker_says_so(project04):
    worker = _run04(project04, solution_code("04_health_and_restart.md"))
    worker.stop(timeout=5)
    result = ex04_restart_policy.check(project04)
    assert not result.passed and "not running" in result.seen and result.attempt == 0
