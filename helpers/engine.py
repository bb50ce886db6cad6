"""The one seam to a Docker engine: every helper, and a notebook's raw SDK calls (``h.client().containers.run``),
use the client of :func:`client`; another one (a replay of a recorded run) plugs in through :func:`use_client`."""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import docker
from docker.context import ContextAPI
from docker.errors import DockerException

from .errors import EngineUnavailable

T = TypeVar("T")
_client: docker.DockerClient | None = None
CALLER_HEADER = "X-Course-Caller"  # course_replay.replay.CALLER_HEADER keys the replay on it
_caller = threading.local()

_START_HINTS = {
    "Linux": "start the engine: `sudo systemctl start docker` (or `sudo dockerd &` where there is no systemd); "
    "if it runs but you get 'permission denied', add yourself to the docker group "
    "(`sudo usermod -aG docker $USER`, then log in again)",
    "Darwin": "start Docker Desktop (or Colima/OrbStack) and wait until it says the engine is running",
    "Windows": "start Docker Desktop and wait until it says the engine is running (with WSL 2 integration "
    "enabled for your distribution if you run the course inside WSL)",
    "WSL": "start Docker Desktop on Windows and turn on its WSL integration for this distribution (Settings > "
    "Resources > WSL integration); do not install a second Docker engine inside WSL",
}


def _where() -> tuple[str, dict[str, Any]]:
    """Where to connect, as the docker CLI decides: DOCKER_HOST, else DOCKER_CONTEXT, else the current context."""
    if os.environ.get("DOCKER_HOST"):
        return f"DOCKER_HOST={os.environ['DOCKER_HOST']}", {}
    try:
        name = os.environ.get("DOCKER_CONTEXT")
        ctx = ContextAPI.get_context(name) if name else ContextAPI.get_current_context()
    except DockerException:
        ctx = None
    if ctx is not None and ctx.Host:
        return f"Docker context '{ctx.Name}' ({ctx.Host})", {"base_url": ctx.Host, "tls": ctx.TLSConfig or False}
    return "the default socket", {}


def connect(timeout: int = 60) -> docker.DockerClient:
    """A Docker SDK client (API version negotiated) where the docker CLI would connect; :class:`EngineUnavailable`,
    saying what was tried and how to start an engine on this system, when none answers."""
    where, kwargs = _where()
    try:
        new = (docker.DockerClient(version="auto", timeout=timeout, **kwargs) if kwargs
               else docker.from_env(version="auto", timeout=timeout))  # from_env: DOCKER_HOST, DOCKER_TLS_VERIFY...
        new.ping()
    except DockerException as exc:
        reason = str(exc).partition("\n")[0][:200]
        system = platform.system()
        if system == "Linux" and ("microsoft" in platform.release().lower() or os.environ.get("WSL_DISTRO_NAME")):
            system = "WSL"  # Linux inside Windows, where the engine is Docker Desktop's
        raise EngineUnavailable(
            f"No Docker engine answered at {where}.\n(The SDK said: {reason})",
            f"{_START_HINTS.get(system, _START_HINTS['Linux'])}. Then run this cell again. "
            "Check with `docker info` in a terminal.",
        ) from None
    _tag_requests(new)
    if os.environ.get("COURSE_REPLAY"):  # Binder: a replay of a recorded run answers (see course_replay)
        from course_replay import banner

        print(banner(os.environ["COURSE_REPLAY"]))
    return new


def on_host(name: str, look: Callable[[], T]) -> T:
    """What ``look()`` sees on the host, outside the Docker API (files a bind mount wrote, a published port that
    answers). When the run is recorded it is kept with the recording under ``name``; a replay (Binder, where there
    is no engine, so nothing on the host) gives back the recorded value. Otherwise just ``look()``."""
    if os.environ.get("COURSE_RECORD") or os.environ.get("COURSE_REPLAY"):
        from course_replay import fact

        return fact(name, look)
    return look()


@contextmanager
def caller(name: str) -> Iterator[None]:
    """Requests this thread makes in the block say who makes them (header ``X-Course-Caller``). Background threads
    (the dashboard, the timeline, each service's start in ``up``) poll the same containers as the lesson's own
    waits; a replay of a recorded run (``course_replay``) gives each caller its own recorded answers in order,
    whichever thread asks first."""
    before = getattr(_caller, "name", "")
    _caller.name = name
    try:
        yield
    finally:
        _caller.name = before


def _tag_requests(engine: docker.DockerClient) -> None:
    """Make ``engine``'s requests carry the caller of :func:`caller` (docker-py's APIClient is a requests
    Session: every request, streams included, goes through ``prepare_request``)."""
    session, prepare = engine.api, engine.api.prepare_request

    def tagged(request: Any) -> Any:
        prepared = prepare(request)
        if name := getattr(_caller, "name", ""):
            prepared.headers[CALLER_HEADER] = name
        return prepared

    session.prepare_request = tagged  # type: ignore[method-assign]


def client() -> docker.DockerClient:
    """The course's shared client: connects on first use, then reuses the connection."""
    global _client
    if _client is None:
        _client = connect()
    return _client


def use_client(new: docker.DockerClient | None) -> None:
    """Install ``new`` as the shared client (``None`` forgets it, so the next :func:`client` reconnects)."""
    global _client
    _client = new
