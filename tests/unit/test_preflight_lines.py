"""How a preflight line reads: the fix is shown only when something needs fixing."""
from __future__ import annotations

import socket

from helpers.preflight import Check, check_port, course_ports


def test_ok_line_has_no_fix():
    assert str(Check("port 5432", True, "free", "do this")) == "[ok ] port 5432              free"


def test_problem_line_carries_the_fix():
    text = str(Check("redis:8", False, "missing", "run python -m helpers.images"))
    assert text.startswith("[FIX] redis:8") and text.endswith("-> run python -m helpers.images")


def test_ports_follow_the_environment(monkeypatch):
    monkeypatch.setenv("DB_PORT", "15432")
    monkeypatch.setenv("BACKEND_PORT", "18000")  # both set: nothing is chosen, no engine is asked
    assert course_ports() == {"DB_PORT": 15432, "BACKEND_PORT": 18000}


class _NoContainers:
    class containers:  # noqa: N801 - mimics client.containers
        @staticmethod
        def list(filters=None, **_kwargs):
            return []


def test_taken_port_is_reported_with_a_fix():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        check = check_port(_NoContainers(), "DB_PORT", port)
    assert not check.ok
    assert "a program outside Docker" in check.detail
    assert "export DB_PORT=" in check.fix


def test_summary_is_one_engine_neutral_line():
    from helpers.preflight import summary

    fine = [Check("engine", True, "Docker Engine 29.0.1"), Check("memory", True, "8 GiB")]
    assert summary(fine) == "2 of 2 checks passed: ready"
    assert summary([*fine, Check("redis:8", False, "missing")]) == (
        "2 of 3 checks passed: fix the 1 line(s) marked FIX")


def test_missing_compose_is_a_fix_with_how_to_get_it(monkeypatch):
    from helpers import compose_cli, preflight
    from helpers.errors import CourseError

    def missing():
        raise CourseError("Docker Compose was not found.", "Docker Desktop includes it.")

    monkeypatch.setattr(compose_cli, "compose_command", missing)
    check = preflight.check_compose()
    assert not check.ok and "Docker Desktop" in check.fix


def test_current_compose_versions_are_accepted():
    from helpers.compose_cli import is_current

    assert is_current("2.40.3") and is_current("v2.29.1") and is_current("5.3.1\n")
    assert not is_current("1.29.2") and not is_current("")


def test_engine_location_from_the_clients_base_url():
    from helpers.preflight import engine_location

    assert engine_location("http+docker://localhost") == "local"      # unix socket
    assert engine_location("http+docker://localnpipe") == "local"     # Windows named pipe
    assert engine_location("http://127.0.0.1:2375") == "local"        # tcp to this machine
    assert engine_location("http+docker://ssh") == "ssh"              # DOCKER_HOST=ssh://...
    assert engine_location("https://build-box.lan:2376") == "tcp build-box.lan"


def test_a_remote_engine_is_a_fix_line_and_a_local_one_adds_no_line():
    from helpers.preflight import check_location

    def engine(url):
        return type("E", (), {"api": type("A", (), {"base_url": url})()})()

    assert check_location(engine("http+docker://localhost")) is None   # the committed 00 counts 11 checks
    remote = check_location(engine("http+docker://ssh"))
    assert remote is not None and not remote.ok and "bind mounts" in remote.fix
