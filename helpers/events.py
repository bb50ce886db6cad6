"""One follower of the engine's event stream; waits, the timeline and the dashboard subscribe to it.

``Follower(filters, on_event).start()`` subscribes (the subscription holds when ``start`` returns, so nothing that
happens afterwards is missed) and calls ``on_event(event)`` from one background thread for each decoded event,
until :meth:`Follower.close`. :func:`history` reads what the engine recorded between two moments.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import docker

from . import naming
from .engine import caller, client

Event = dict[str, Any]


def of_project(project: str) -> dict[str, Any]:
    """The filter for the containers of one Compose project."""
    return {"label": [f"{naming.PROJECT_LABEL}={project}"], "type": ["container"]}


def of_container(container_id: str) -> dict[str, Any]:
    """The filter for one container."""
    return {"container": container_id}


def time_ns(event: Event) -> int:
    """When the engine says the event happened, in nanoseconds since the epoch."""
    return int(event.get("timeNano") or int(event.get("time", 0)) * 1_000_000_000)


def stamp(ns: int) -> str:
    """A time that the engine's ``since``/``until`` accept, to the nanosecond (the SDK would round to seconds)."""
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


def history(filters: dict[str, Any], since_ns: int, until_ns: int,
            engine: docker.DockerClient | None = None) -> list[Event]:
    """The events the engine recorded from ``since_ns`` to ``until_ns`` (an ``until`` still ahead: the engine
    answers when it comes)."""
    found = (engine or client()).events(  # type: ignore[call-overload]  # docker-py passes a "secs.nanos" string
        decode=True, filters=filters, since=stamp(since_ns), until=stamp(until_ns))  # on; its stubs say int
    return [event for event in found if time_ns(event) >= since_ns]


class Follower:
    """Follows the engine's events that match ``filters`` and hands each to ``on_event`` (``on_end(why)``: the
    stream ended before :meth:`close`, e.g. the engine stopped)."""

    def __init__(self, filters: dict[str, Any], on_event: Callable[[Event], None], *,
                 on_end: Callable[[str], None] | None = None, engine: docker.DockerClient | None = None,
                 name: str = "events") -> None:
        self.filters, self.on_event, self.on_end, self.name = filters, on_event, on_end, name
        self.engine = engine or client()
        self.ended: str | None = None  # why the stream ended, if it ended before close()
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self._closing = False

    def start(self) -> Follower:
        """Subscribe now and follow in the background."""
        self._stream = self.engine.events(decode=True, filters=self.filters)
        self._thread = threading.Thread(target=self._follow, name=self.name, daemon=True)
        self._thread.start()
        return self

    def _follow(self) -> None:
        why = "event stream ended"
        try:
            with caller(self.name):  # what on_event asks the engine is this follower's (see engine.caller)
                for event in self._stream:
                    self.on_event(event)
        except Exception as exc:  # noqa: BLE001 - closed by close(), or the engine went away: say which
            why = f"event stream ended: {type(exc).__name__}"
        if not self._closing:
            self.ended = why
            if self.on_end is not None:
                self.on_end(why)

    def close(self) -> None:
        """Stop following (idempotent)."""
        self._closing = True
        if self._stream is not None:
            self._stream.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> Follower:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
