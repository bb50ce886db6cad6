"""Exercise checks for ``06_depends_on.ipynb``: the backend must wait until the database is *ready*.

The exercise cell brings ``db`` and ``backend`` up from the learner's compose file (a fresh database volume each
time) while a :class:`helpers.timeline.Timeline` follows the engine's events. :func:`check` reads those events
(when did ``db`` turn healthy, when did ``backend`` start) and the live containers (is the backend healthy, did its
``migrate`` apply the app's migration) and answers with a verdict and a precise hint.

The engine keeps only a short history of events (the last 256, engine-wide), so the check reads the events the
timeline recorded live, not ``docker events --since``.
"""

from __future__ import annotations

from typing import Any

from docker.models.containers import Container

from .. import wait
from ..project import Project
from ..timeline import Timeline, describe
from . import Verdict, verdict

MIGRATION_DONE = "Applying market.0001_initial... OK"  # what `manage.py migrate` prints for the app's table


def settle(container: Container, timeout: float = 60) -> Container:
    """Wait (on events) until the container is healthy, or has stopped for good (e.g. its migrate failed)."""

    def settled(state: dict[str, Any]) -> bool:
        healthy = (state.get("Health") or {}).get("Status") == "healthy"
        return healthy or (state.get("Status") in ("exited", "dead") and not state.get("Restarting"))

    return wait.wait_until(container, settled, "healthy or exited", timeout,
                           hint="the backend neither became healthy nor stopped: read its logs.")


def status(container: Container) -> str:
    """``running, health=healthy`` or ``exited, exit code 1``.

    (Once a container has stopped, the engine sets its health to ``unhealthy`` at some moment around the exit,
    so the health of a stopped container is left out: it would differ from run to run.)
    """
    state = wait.state_of(container)
    if state.get("Status") in ("exited", "dead"):
        return f"{state['Status']}, exit code {state.get('ExitCode')}"
    return wait.summary(state)


def order(timeline: Timeline, actions: tuple[str, ...] = ("start", "healthy", "die")) -> list[tuple[str, str]]:
    """The project's engine events in time order, as ``(service, word)``: ``[("db", "start"), ...]``."""
    return [(e["service"], describe(e)) for e in timeline.events if e["action"] in actions]


def _steps(timeline: Timeline) -> str:
    """``db start -> backend start -> db healthy``: the three moments the condition is about."""
    wanted = {("db", "start"), ("db", "healthy"), ("backend", "start")}
    seen: list[str] = []
    for service, word in order(timeline, ("start", "healthy")):
        step = f"{service} {word}"
        if (service, word) in wanted and step not in seen:
            seen.append(step)
    return " -> ".join(seen) or "no events recorded"


def _last(project: Project, service: str) -> Container | None:
    found = project.containers(service)
    return found[-1] if found else None


def check(project: Project, timeline: Timeline) -> Verdict:
    """Backend started only after db was healthy (engine events), its migrate ran, and it is healthy now."""
    db, backend = _last(project, "db"), _last(project, "backend")
    if db is None:
        return verdict(False, "there is no db container in this project.",
                       "run the exercise cell (it starts db and backend from your file), then this check.")
    if backend is None:
        return verdict(
            False, "db exists but there is no backend container: `up` never started it.",
            "read the error the exercise cell printed. If `up` waited for db to exit, the condition was "
            "service_completed_successfully: it is for one-shot jobs that end (like a migrate job), and a "
            "database runs until it is stopped. Choose the condition that waits for db's healthcheck.")
    healthy_at = timeline.first("db", "healthy")
    started_at = timeline.first("backend", "start")
    steps = _steps(timeline)
    if started_at is None:
        return verdict(False, f"the timeline saw no start of the backend ({steps}).",
                       "run the exercise cell again: it records the engine's events while it brings the "
                       "services up, and this check reads them.")
    if healthy_at is None or started_at < healthy_at:
        return verdict(
            False, f"backend started before db was healthy ({steps}).",
            "`condition: service_started` (which is also what the short form `depends_on: [db]` means) waits "
            "only until db's container is running. Postgres then needs a few more seconds before it accepts "
            "connections, and the backend's migrate does not wait. Choose the condition that waits until db's "
            "healthcheck passes, then run the exercise cell again.")
    backend.reload()
    state = backend.attrs["State"]
    if state.get("Status") != "running":
        lines = backend.logs(tail=3).decode(errors="replace").strip().splitlines()
        return verdict(
            False, f"backend started after db was healthy ({steps}), but it is {status(backend)}.",
            "read its last log lines: " + (" | ".join(lines[-2:]) or "(none)") + ". The order is right; "
            "something else is wrong in the file (the password variable, the command?).")
    if (state.get("Health") or {}).get("Status") != "healthy":
        return verdict(False, f"backend started after db was healthy ({steps}), and is "
                              f"{wait.summary(state)}.",
                       "it is not healthy yet: run this check again in a few seconds.")
    if MIGRATION_DONE not in backend.logs().decode(errors="replace"):
        return verdict(False, f"backend started after db was healthy ({steps}), but its migrate applied nothing.",
                       "the exercise cell starts from an empty database volume; run it again, then this check.")
    return verdict(True, f"backend started after db was healthy ({steps}); its migrate applied "
                         "market.0001_initial and it is healthy.", "")


__all__ = ["MIGRATION_DONE", "check", "order", "settle", "status"]
