"""The host ports a learner publishes on 127.0.0.1, decided by :func:`course_ports` (preflight, lessons, Compose):

1. ``DB_PORT`` / ``BACKEND_PORT`` set in the environment win, each on its own;
2. else the learner's claim (a ``ports`` course record) while its ports are usable: the same until ``./course clean``;
3. else the first usable block from one hashed from the learner id (stable; two learners rarely start alike), then
   claimed. Usable: no other learner claims it, no other container publishes its ports, 127.0.0.1 can bind them.

A block: ``DB_PORT``, the exercise's ``DB_PORT + 1``, ``BACKEND_PORT = DB_PORT + 2`` and a spare, in 20000-29999;
not 5432 and 8000, which a learner's own Postgres or development server most likely holds (see the README)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from collections.abc import Callable

import docker
from docker.errors import DockerException

from . import naming, records
from .engine import client, on_host
from .errors import CourseError

FIRST_PORT, BLOCK, BLOCKS = 20000, 4, 2500
PORT_VARS = ("DB_PORT", "BACKEND_PORT")
_LABEL = {"DB_PORT": "io.compose-course.ports.db", "BACKEND_PORT": "io.compose-course.ports.backend"}
_chosen: dict[str, dict[str, int]] = {}  # learner -> ports, once per process: every notebook cell sees the same


def first_block(learner: str) -> int:
    """The block a learner's search starts from: a hash of the id (stable across machines and runs)."""
    return int(hashlib.sha256(learner.encode()).hexdigest(), 16) % BLOCKS


def block_ports(block: int) -> dict[str, int]:
    """``{"DB_PORT": 20000 + 4 * block, "BACKEND_PORT": that + 2}``."""
    db = FIRST_PORT + BLOCK * block
    return {"DB_PORT": db, "BACKEND_PORT": db + 2}


def ports_of_block(ports: dict[str, int]) -> tuple[int, ...]:
    """Every port a learner with these ports publishes: ``DB_PORT``, the exercise's ``DB_PORT + 1``, BACKEND_PORT."""
    return ports["DB_PORT"], ports["DB_PORT"] + 1, ports["BACKEND_PORT"]


def choose(learner: str, taken: Callable[[int], bool]) -> dict[str, int]:
    """The first block from :func:`first_block` on whose ports ``taken`` is false for all (pure: unit-tested)."""
    start = first_block(learner)
    for step in range(BLOCKS):
        ports = block_ports((start + step) % BLOCKS)
        if not any(taken(port) for port in ports_of_block(ports)):
            return ports
    raise CourseError("No free block of host ports between 20000 and 29999 for the course.",
                      "set DB_PORT and BACKEND_PORT yourself to free ports (e.g. `export DB_PORT=15432 "
                      "BACKEND_PORT=18000`), then start JupyterLab again.")


def bindable(port: int) -> bool:
    """Whether 127.0.0.1:``port`` can be bound now (nothing else listens there)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def claimed(labels: dict[str, str]) -> dict[str, int]:
    """The ports a ``ports`` course record (its labels) claims: ``{"DB_PORT": ..., "BACKEND_PORT": ...}``."""
    return {var: int(labels.get(_LABEL[var], 0)) for var in PORT_VARS}


def _engine_view(engine: docker.DockerClient, learner: str) -> tuple[dict[str, int] | None, set[int], set[int]]:
    """(this learner's claim, ports others claim or publish, ports this learner's running containers publish)."""
    claims = [(labels.get(naming.LEARNER_LABEL) == learner, claimed(labels))
              for labels in records.find("ports", engine)]
    mine = next((ports for is_mine, ports in claims if is_mine), None)
    others = {port for is_mine, ports in claims if not is_mine for port in ports_of_block(ports)}
    own: set[int] = set()
    for summary in engine.api.containers(filters={"label": f"{naming.COURSE_LABEL}=true"}):
        published = {int(p["PublicPort"]) for p in summary.get("Ports") or [] if p.get("PublicPort")}
        is_mine = (summary.get("Labels") or {}).get(naming.LEARNER_LABEL) == learner
        (own if is_mine else others).update(published)
    return mine, others, own


def course_ports(engine: docker.DockerClient | None = None) -> dict[str, int]:
    """``{"DB_PORT": ..., "BACKEND_PORT": ...}`` for the current learner (see the module's text for the rules)."""
    given: dict[str, int] = {}
    for var in PORT_VARS:
        if os.environ.get(var, "").strip():
            try:
                given[var] = int(os.environ[var])
            except ValueError:
                raise CourseError(f"{var}={os.environ[var]!r} is not a port number.",
                                  f"set {var} to a number between 1024 and 65535, or unset it for the course's "
                                  "choice.") from None
    if len(given) == len(PORT_VARS):
        return given
    learner = naming.learner()
    if learner not in _chosen:  # which ports are free is a fact of the host: a replay gives the recorded choice
        _chosen[learner] = on_host("the learner's host ports", lambda: _decide(learner, engine))
    return {**_chosen[learner], **given}


def source(var: str) -> str:
    """Where a port came from, for the preflight: ``set by you (DB_PORT)`` or ``automatic for learner ana``."""
    return f"set by you ({var})" if os.environ.get(var, "").strip() else f"automatic for learner {naming.learner()}"


def _decide(learner: str, engine: docker.DockerClient | None) -> dict[str, int]:
    view: tuple[dict[str, int] | None, set[int], set[int]] = (None, set(), set())
    if not os.environ.get("COURSE_REPLAY"):  # a replayed recording holds no such calls
        try:
            engine = engine or client()
            view = _engine_view(engine, learner)
        except (DockerException, CourseError):
            engine = None  # no engine to ask: the block alone, checked on this machine
    mine, others, own = view

    def taken(port: int) -> bool:
        return port in others or (port not in own and not bindable(port))

    if mine is not None and not any(taken(port) for port in ports_of_block(mine)):
        return mine
    ports = choose(learner, taken)
    if engine is not None:
        # unclaimed on an engine error: still this learner's first free block, and stable as long as it stays free
        with contextlib.suppress(DockerException):
            records.put("ports", "ports", {_LABEL[var]: str(ports[var]) for var in PORT_VARS},
                        learner=learner, engine=engine)
    return ports


def forget_choice() -> None:
    """Forget the ports chosen in this process (tests; after ``./course clean`` the next choice starts again)."""
    _chosen.clear()
