"""Reading containers from the engine: the one place the course does it.

The newest container of a service, its state, its health (docker-py's :attr:`Container.health`), its environment
as a dict, when it started, and a command's output inside it. They read the attributes as last loaded
(:func:`state_of` reloads them). Lessons, checks, waits, the dashboard and the room view all read through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from docker.models.containers import Container


def newest(containers: Iterable[Container]) -> Container | None:
    """The most recently created of ``containers`` (a recreated service's current one), or None."""
    return max(containers, key=lambda c: c.attrs.get("Created", ""), default=None)


def state_of(container: Container) -> dict[str, Any]:
    """The container's ``State`` block, freshly read from the engine."""
    container.reload()
    return dict(container.attrs.get("State", {}))


def health(container: Container) -> str:
    """``healthy``, ``unhealthy``, ``starting``, or ``none`` for a container without a healthcheck (as last read)."""
    status = container.health
    return "none" if status == "unknown" else status


def health_status(state: dict[str, Any]) -> str | None:
    """The health status in a ``State`` block (``healthy``, ``unhealthy``, ``starting``), None without a healthcheck."""
    return (state.get("Health") or {}).get("Status")


def summary(state: dict[str, Any]) -> str:
    """One line for a ``State`` block: ``running, health=healthy`` or ``exited, exit code 0``."""
    parts = [str(state.get("Status", "?"))]
    if health_status(state):
        parts.append(f"health={health_status(state)}")
    if state.get("Status") in ("exited", "dead"):
        parts.append(f"exit code {state.get('ExitCode')}")
    return ", ".join(parts)


def env_of(container: Container) -> dict[str, str]:
    """The container's environment (``Config.Env``) as a dict, as the process sees it."""
    return dict(item.partition("=")[::2] for item in container.attrs["Config"].get("Env") or [])


def run_in(container: Container, argv: list[str]) -> tuple[int, str]:
    """``docker exec``: run ``argv`` in the container; its exit code and output (stdout and stderr, as text)."""
    result = container.exec_run(argv)
    output = result.output if isinstance(result.output, bytes) else b"".join(result.output)
    return int(result.exit_code or 0), output.decode(errors="replace")


def engine_time(text: str) -> datetime | None:
    """An engine's time (RFC 3339 in UTC, up to 9 fraction digits: ``StartedAt``, ``docker logs --timestamps``) as
    an aware datetime; None for the zero time (never happened) or ""."""
    if not text or text.startswith("0001-"):
        return None
    head, _, frac = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")


def started_at(container: Container) -> datetime | None:
    """``State.StartedAt`` as an aware datetime (the engine's clock, UTC), or None if it never started."""
    return engine_time((container.attrs.get("State") or {}).get("StartedAt") or "")
