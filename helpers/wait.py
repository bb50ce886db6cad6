"""Waiting for a container, driven by the engine's event stream (no fixed sleeps).

A wait subscribes to the container's events (:class:`helpers.events.Follower`), then checks the current state (so
nothing that happens in between is missed), then re-checks on each event until the condition holds or the time
runs out. A timeout raises :class:`~helpers.errors.WaitTimeout` with what was awaited, the state and health seen,
the last log lines and a hint.

Each wait is recorded in :data:`WAITS` (and, when ``COURSE_WAITS_FILE`` names a file, appended to it as a JSON
line), so ``bench/waits.py`` can compare a notebook's wall time with the time its waits took.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from docker.models.containers import Container

from . import events
from .containers import health_status, state_of, summary
from .errors import WaitTimeout

Predicate = Callable[[dict[str, Any]], bool]
Report = Callable[[dict[str, Any], float], None]  # report(State, seconds waited so far): a progress line


@dataclass(frozen=True)
class Wait:
    """One finished wait: what was awaited of whom (a container, a project), from when to when (``time.time()``)."""

    awaited: str
    who: str
    started: float
    ended: float
    ok: bool


WAITS: list[Wait] = []


def record(awaited: str, who: str | None, started: float, ok: bool) -> None:
    """Note a wait that began at ``started`` (``time.time()``) and ends now."""
    done = Wait(awaited, who or "", started, time.time(), ok)
    WAITS.append(done)
    if os.environ.get("COURSE_WAITS_FILE"):
        with open(os.environ["COURSE_WAITS_FILE"], "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(done)) + "\n")


def _last_logs(container: Container, lines: int) -> list[str]:
    try:
        return container.logs(tail=lines).decode(errors="replace").rstrip().splitlines()
    except Exception:  # noqa: BLE001 - the container may be gone; the report must still be made
        return ["(no logs: the container is gone)"]


def _explain(container: Container, awaited: str, state: dict[str, Any], hint: str, waited: float,
             reason: str | None = None) -> WaitTimeout:
    first = (f"Stopped waiting for {container.name} to be {awaited} after {waited:.0f} s: {reason}." if reason
             else f"Timed out after {waited:.0f} s waiting for {container.name} to be {awaited}.")
    probes = [f"    exit {p.get('ExitCode')}: {str(p.get('Output', '')).strip()[:120]}"
              for p in ((state.get("Health") or {}).get("Log") or [])[-3:]]
    lines = [first,
             f"  state seen: {summary(state)}; restarts: {container.attrs.get('RestartCount', 0)}",
             *(["  last health probes:", *probes] if probes else []),
             "  last log lines:", *[f"    {line}" for line in _last_logs(container, 8)]]
    return WaitTimeout("\n".join(lines), hint)


def wait_until(container: Container, predicate: Predicate, awaited: str, timeout: float = 60,
               hint: str = "read the log lines above; `docker logs` shows the rest.",
               give_up: Predicate | None = None, *, reason: str | None = None,
               report: Report | None = None, every: float = 10.0) -> Container:
    """Block until ``predicate(State)`` holds, re-checking on each of the container's events.

    ``give_up(State)`` returning True ends the wait early with the same detailed error (e.g. the container exited
    while we waited for healthy), whose first line then gives ``reason`` when there is one. ``report(State,
    seconds)`` is called every ``every`` seconds while the condition does not hold: a long wait is never silent.
    Returns the (reloaded) container.
    """
    changed = threading.Event()
    started, began, ok = time.monotonic(), time.time(), False
    next_report = every
    with events.Follower(events.of_container(str(container.id)), lambda _event: changed.set(), name=f"wait-{awaited}"):
        try:
            while True:
                changed.clear()
                state = state_of(container)
                if predicate(state):
                    ok = True
                    return container
                waited = time.monotonic() - started
                left = timeout - waited
                gave_up = bool(give_up and give_up(state))
                if gave_up or left <= 0:
                    raise _explain(container, awaited, state, hint, waited, reason if gave_up else None)
                if report and waited >= next_report:
                    report(state, waited)
                    while next_report <= waited:
                        next_report += every
                changed.wait(min(left, next_report - waited) if report else left)
        finally:
            record(awaited, container.name, began, ok)


def _stopped_for_good(state: dict[str, Any]) -> bool:
    return state.get("Status") in ("exited", "dead") and not state.get("Restarting")


def _never_again(container: Container) -> Predicate:
    """A ``give_up``: the container has exited, and no restart policy will start it again."""
    def exited_for_good(state: dict[str, Any]) -> bool:
        policy = container.attrs.get("HostConfig", {}).get("RestartPolicy", {}).get("Name", "")
        return _stopped_for_good(state) and policy in ("", "no")
    return exited_for_good


def wait_running(container: Container, timeout: float = 30) -> Container:
    """Wait until the container's main process runs (``Status == "running"``); gives up at once when it has exited
    and no restart policy will start it again."""
    return wait_until(container, lambda s: s.get("Status") == "running", "running", timeout,
                      hint="a container that exits at once usually has a wrong command or missing configuration: "
                      "read its logs.", give_up=_never_again(container),
                      reason="it has exited, and without a restart policy nothing starts it again")


def wait_healthy(container: Container, timeout: float = 120) -> Container:
    """Wait until the healthcheck reports ``healthy``; gives up at once if the container stops or turns unhealthy,
    and refuses at once a container that has no healthcheck at all (it would never become healthy)."""
    container.reload()
    test = ((container.attrs.get("Config") or {}).get("Healthcheck") or {}).get("Test")
    if not test or test == ["NONE"]:
        raise WaitTimeout(f"{container.name} has no healthcheck, so it can never be 'healthy'.",
                          "give it one (`healthcheck:` in the compose file, `healthcheck=` in the SDK call), "
                          "or wait for 'running' instead.")
    return wait_until(container, lambda s: health_status(s) == "healthy", "healthy", timeout,
                      hint="the probe output above says why the check fails; does the image have a healthcheck at "
                      "all (`docker inspect --format '{{json .Config.Healthcheck}}'`)?",
                      give_up=lambda s: _stopped_for_good(s) or health_status(s) == "unhealthy")


def wait_exited(container: Container, timeout: float = 60) -> Container:
    """Wait until the container has stopped and is not about to be restarted; returns it (see ``ExitCode``)."""
    return wait_until(container, _stopped_for_good, "exited", timeout,
                      hint="the process is still running: does it handle SIGTERM, and is it PID 1 (`exec`)?")


def wait_completed(container: Container, timeout: float = 60, report: Report | None = None) -> Container:
    """Wait until a one-shot container (a ``migrate`` job) has ended, as ``service_completed_successfully`` does;
    returns it (see ``ExitCode``). Gives up at once when the container turns healthy: a healthcheck that passes is a
    service that serves, and that does not end by itself. ``report(State, seconds)``: every 10 s of waiting."""
    return wait_until(container, _stopped_for_good, "exited", timeout,
                      hint="service_completed_successfully waits for a one-shot job (like a migrate job) to end "
                      "with exit code 0; a service that keeps running never ends by itself. Choose the condition "
                      "by what the dependency does (lesson 06, the table of the three conditions).",
                      give_up=lambda s: health_status(s) == "healthy",
                      reason="it is healthy, a service that runs until it is stopped, not a job that ends (the "
                      "course stops waiting here; Compose itself would go on waiting until it stops)",
                      report=report)


def wait_restarted(container: Container, after: int, timeout: float = 60) -> Container:
    """Wait until ``RestartCount`` exceeds ``after`` and the container runs again (restart policy at work)."""
    return wait_until(
        container, lambda s: int(container.attrs.get("RestartCount", 0)) > after and s.get("Status") == "running",
        f"restarted (RestartCount > {after}) and running", timeout,
        hint="only a crash is followed by a restart: a `docker stop`/`docker kill` marks the container as stopped "
        "by hand; check its restart policy with `docker inspect --format '{{.HostConfig.RestartPolicy}}'`.",
        give_up=_never_again(container))


def wait_log(container: Container, pattern: str, timeout: float = 60, since: datetime | None = None) -> str:
    """Block until a line of the container's log matches ``pattern`` (a regex); return that line.

    Follows the log stream (``docker logs -f``), so a line written before the call counts too; ``since`` skips
    older lines (after a restart the log still holds those of the earlier run). Raises :class:`WaitTimeout` with
    the last log lines when the time runs out or the container stops first.
    """
    regex, began = re.compile(pattern), time.time()
    stream = container.logs(stream=True, follow=True, since=since.timestamp() if since else None)
    timer = threading.Timer(timeout, stream.close)  # a log stream has no timeout of its own
    timer.daemon = True
    timer.start()
    buffer = b""
    try:
        for chunk in stream:
            *lines, buffer = (buffer + chunk).split(b"\n")
            for line in (raw.decode(errors="replace").rstrip("\r") for raw in lines):
                if regex.search(line):
                    record(f"log line {pattern!r}", container.name, began, True)
                    return line
    except Exception:  # noqa: BLE001 - the timer closed the stream
        pass
    finally:
        timer.cancel()
        stream.close()
    record(f"log line {pattern!r}", container.name, began, False)
    try:
        state = summary(state_of(container))
    except Exception:  # noqa: BLE001 - the container may be gone; the report must still be made
        state = "gone (removed)"
    raise WaitTimeout("\n".join([f"No log line of {container.name} matched {pattern!r}.", f"  state seen: {state}",
                                 "  last log lines:", *[f"    {line}" for line in _last_logs(container, 6)]]),
                      "read the log lines above: did the process start, and is it the command you meant?")
