"""Record a real course run at the Docker socket, and replay it where no Docker engine exists (Binder).

* :func:`recording_proxy` (``python -m course_replay record``): a unix socket in front of the real engine. Every
  client pointed at it (``DOCKER_HOST``: the Docker SDK, the ``docker`` CLI, ``docker compose``) is recorded:
  each exchange with its timing, streams chunk by chunk, hijacked connections (exec, attach) byte by byte in
  both directions. Secret values are redacted before anything is written.
* :func:`replay_engine` (``python -m course_replay serve``): a unix socket that answers from recordings, with the
  recorded timing (streams' chunks at their times divided by ``speed``). What it matches and how:
  :mod:`course_replay.replay`. A request that is not in the recording gets one HTTP 500 whose message the SDK,
  the CLI and Compose show.

Format: one ``NN_topic.jsonl.gz`` per notebook; line 1 is metadata (``recorded``, ``engine``, ``names``,
``clients``...), then one exchange per line in the order the requests arrived. Bodies are text, or
``{"b64": ...}`` when not UTF-8; a tar upload (build context) is only ``{"sha256", "size"}``; multiplexed
streams are stored frame by frame (``"mux": true``, items ``[stream, data]``) so a replay can re-frame them.

A folder of recordings is served by one engine to a whole course session: each request goes to the recording
that has it, trying the one that answered last first (each notebook names its own project, ``NN-topic-<learner>``,
and the engine's ids are unique, so a notebook's requests are found in its own recording).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from .record import RecordingProxy
from .replay import ADVICE, ReplayEngine
from .wire import call

__all__ = ["ADVICE", "RecordingProxy", "ReplayEngine", "banner", "declare", "fact", "metadata",
           "recording_proxy", "replay_engine", "status"]
T = TypeVar("T")


@contextmanager
def _serving(server: RecordingProxy | ReplayEngine) -> Iterator[str]:
    """Start ``server``, yield its ``DOCKER_HOST``, stop it when the block ends."""
    server.start()
    try:
        yield server.docker_host
    finally:
        server.stop()


def recording_proxy(out: str | Path, upstream: str = "unix:///run/docker.sock",
                    **options: Any) -> AbstractContextManager[str]:
    """Record everything sent to the yielded ``DOCKER_HOST`` into ``out``, written when the block ends."""
    return _serving(RecordingProxy(out, upstream, **options))


def replay_engine(recording: str | Path, speed: float = 1.0, **options: Any) -> AbstractContextManager[str]:
    """Serve ``recording`` (a file, or a folder of them) on the yielded ``DOCKER_HOST``."""
    return _serving(ReplayEngine(recording, speed, **options))


def status(docker_host: str) -> dict[str, Any]:
    """What a recording proxy or replay engine has done so far (served, divergences, per recording)."""
    return dict(json.loads(call(docker_host, "GET", "/_course_replay/status")[1]))


def declare(name: str, value: str, docker_host: str | None = None) -> bool:
    """Name a value this run generated (not a secret: those are found), so a replay can map it to the recorded one.

    Does nothing unless ``COURSE_RECORD`` or ``COURSE_REPLAY`` is set (a real engine never sees the call).
    """
    host = _host(docker_host)
    if not host:
        return False
    try:
        return call(host, "POST", "/_course_replay/name", json.dumps({"name": name, "value": value}).encode())[0] == 200
    except OSError:
        return False


def fact(name: str, compute: Callable[[], T], docker_host: str | None = None) -> T:
    """A value a notebook gets from outside the Docker API, e.g. whether a published port answers on the host:
    computed and recorded with the run when recording, the recorded value when replaying (nothing listens there).
    Just computed unless ``COURSE_RECORD`` or ``COURSE_REPLAY`` is set. The value must be JSON."""
    host = _host(docker_host)
    answer: dict[str, Any] = {}
    if host:
        try:
            answer = json.loads(call(host, "POST", "/_course_replay/fact", json.dumps({"name": name}).encode())[1])
        except (OSError, ValueError):
            pass
        if "value" in answer:
            return cast(T, answer["value"])  # the value recorded from compute() in the recorded run
    value = compute()
    if answer.get("recording"):
        call(host, "POST", "/_course_replay/fact", json.dumps({"name": name, "value": value}).encode())
    return value


def _host(docker_host: str | None) -> str:
    """The recorder's or replay's socket, when this run is recorded or replayed ("" otherwise)."""
    host = docker_host or os.environ.get("DOCKER_HOST", "")
    if os.environ.get("COURSE_RECORD") or os.environ.get("COURSE_REPLAY"):
        return host if host.startswith("unix://") else ""
    return ""


def metadata(path: str | Path) -> dict[str, Any]:
    """The metadata of a recording, of the first recording in a folder, or of a ``.json`` metadata file."""
    import gzip

    p = Path(path)
    if p.is_dir():
        p = sorted(p.glob("*.jsonl.gz"))[0]
    if p.suffix == ".json":
        return dict(json.loads(p.read_text()))
    with gzip.open(p, "rt", encoding="utf-8") as f:
        return dict(json.loads(f.readline()))


def banner(path: str | Path) -> str:
    """The sentence a notebook shows when it runs against a replay (``COURSE_REPLAY`` is set)."""
    try:
        meta = metadata(path)
        when, version = meta["recorded"][:10], meta["engine"]["version"]
    except (OSError, IndexError, KeyError, ValueError):
        when, version = "an earlier day", "a real engine"
    return (f"No Docker engine here: this is a replay of the run recorded on {when} on Docker {version}. "
            "Changed cells cannot be replayed. To run it for real: on your own machine with Docker, "
            "clone the course and run ./course lab")
