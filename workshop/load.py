"""Several learners through the course at once on one engine: the shared machinery of the load benchmark
(``bench/workshop_load.py``) and the 2-learner cross-talk test (``tests/engine/test_workshop_learners.py``).

Each learner gets a checkout of their own (:func:`learner_checkout`: ``notebooks/``, ``stack/``, the packages), as
on a JupyterHub where every user has a home, and runs the chosen notebooks one after the other under papermill
with ``LEARNER`` set, ports chosen automatically (``DB_PORT``/``BACKEND_PORT`` are unset). All learners run at
the same time. Meanwhile :class:`Watch` follows the engine's events (who creates, mounts, connects what) and
samples the learners' containers (published ports; with ``stats``, memory). :func:`cross_talk` then lists every
sign of one learner touching another's resources.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from helpers import events, naming

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("notebooks", "stack", "helpers", "workshop", "images", "solutions", "course_replay")
IGNORED = shutil.ignore_patterns("_work", ".ipynb_checkpoints", "__pycache__", ".venv", "my_*", ".env")


def learner_checkout(dest: Path) -> Path:
    """A learner's own copy of what the notebooks read and write (their checkout); returns its ``notebooks/``."""
    for name in COPIED:
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=IGNORED, dirs_exist_ok=True)
    return dest / "notebooks"


@dataclass
class Run:
    """One notebook run of one learner."""

    learner: str
    notebook: str
    passed: bool
    seconds: float
    error: str = ""


def learner_environment(home: Path) -> dict[str, str]:
    """A learner's kernel environment: their checkout's packages first, no fixed ports (automatic ones)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DB_PORT", "BACKEND_PORT", "COURSE_LEARNER")}
    env["PYTHONPATH"] = os.pathsep.join([str(home), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_learner(learner: str, notebooks: list[str], home: Path, timeout: int = 900) -> list[Run]:
    """Run ``notebooks`` (file names in notebooks/) one after the other as ``learner``, in their own checkout.

    Each notebook runs in its own papermill process, whose kernel inherits :func:`learner_environment`.
    """
    folder = learner_checkout(home)
    env = learner_environment(home)
    runs = []
    for name in notebooks:
        started = time.monotonic()
        argv = [sys.executable, "-m", "papermill", str(folder / name), str(folder / f"{Path(name).stem}.out.ipynb"),
                "-p", "LEARNER", learner, "--cwd", str(folder), "-k", "python3", "--no-progress-bar",
                "--execution-timeout", str(timeout)]
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout * 3, check=False)
            error = "" if done.returncode == 0 else _last_error(done.stderr)
        except subprocess.TimeoutExpired:
            error = f"papermill did not finish in {timeout * 3} s"
        runs.append(Run(learner, name, not error, time.monotonic() - started, error))
    return runs


def _last_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["failed"])[-1][:300]


def run_room(learners: list[str], notebooks: list[str], workdir: Path, timeout: int = 900) -> list[Run]:
    """Every learner runs ``notebooks`` at the same time, each in a checkout under ``workdir/<learner>``."""
    with ThreadPoolExecutor(max_workers=len(learners)) as pool:
        results = pool.map(lambda who: run_learner(who, notebooks, workdir / who, timeout), learners)
        return [run for runs in results for run in runs]


@dataclass
class Seen:
    """What :class:`Watch` collected."""

    events: list[dict[str, Any]] = field(default_factory=list)
    ports: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # learner -> host ports
    memory_peak: int = 0                                                             # bytes, all learners
    memory_peak_by: dict[str, int] = field(default_factory=dict)                     # learner -> bytes


class Watch:
    """Follow the engine while learners run: every event, and samples of their containers (ports, memory)."""

    def __init__(self, engine: docker.DockerClient, learners: list[str], stats: bool = False,
                 interval: float = 1.0) -> None:
        self.engine, self.learners, self.stats, self.interval = engine, set(learners), stats, interval
        self.seen = Seen()
        self._stop = threading.Event()
        self._events = events.Follower({}, self.seen.events.append, engine=engine, name="workshop-load")
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Watch:
        self._events.start()
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._events.close()
        self._sampler.join(timeout=30)

    def _sample(self) -> None:
        from workshop.room import usage

        while not self._stop.is_set():
            try:
                mine = [c for c in self.engine.containers.list(filters={"label": f"{naming.COURSE_LABEL}=true"},
                                                               ignore_removed=True)
                        if c.labels.get(naming.LEARNER_LABEL) in self.learners]
                for c in mine:
                    for bindings in (c.attrs.get("HostConfig", {}).get("PortBindings") or {}).values():
                        for b in bindings or []:
                            if b.get("HostPort"):
                                self.seen.ports[c.labels[naming.LEARNER_LABEL]].add(int(b["HostPort"]))
                if self.stats and mine:
                    with ThreadPoolExecutor(max_workers=8) as pool:
                        used = list(pool.map(lambda c: _memory(c, usage), mine))
                    by: dict[str, int] = defaultdict(int)
                    for c, value in zip(mine, used, strict=True):
                        by[c.labels[naming.LEARNER_LABEL]] += value
                    self.seen.memory_peak = max(self.seen.memory_peak, sum(by.values()))
                    for who, value in by.items():
                        self.seen.memory_peak_by[who] = max(self.seen.memory_peak_by.get(who, 0), value)
            except Exception:  # noqa: BLE001 - containers come and go between list and inspect
                pass
            self._stop.wait(self.interval)


def _memory(container: Any, usage: Any) -> int:
    try:
        return int(usage(container.stats(stream=False))[0] or 0)
    except Exception:  # noqa: BLE001 - gone meanwhile
        return 0


def owner(name: str, learners: set[str]) -> str | None:
    """Whose namespace a course name is in: ``03-db-ana_pgdata``, ``05-backend-ana-db-1``,
    ``course-record-verdict-ana-03_db_port`` -> ``ana`` (None: nobody's, e.g. ``bridge`` or an anonymous volume).

    A project is ``<lesson>-<learner>``; before the first ``_`` a name ends with ``-<learner>`` (volumes and
    networks ``<project>_<key>``) or holds ``-<learner>-`` (containers ``<project>-<service>-N``, records).
    Longer ids are tried first, so ``learner2`` is not taken for ``learner``.
    """
    head = name.split("_", 1)[0]
    for learner in sorted(learners, key=len, reverse=True):
        if head.endswith(f"-{learner}") or f"-{learner}-" in head:
            return learner
    return None


def cross_talk(events: list[dict[str, Any]], ports: dict[str, set[int]], learners: list[str]) -> list[str]:
    """Every sign of one learner's resources touched by another, from the engine's events and the port samples.

    * a course container labelled for learner A whose name or project is B's;
    * a container of A mounting a named volume in B's namespace, or joining a network in B's namespace;
    * a volume or network created in nobody's namespace while learners ran (unless anonymous or the engine's own);
    * a host port published by two learners' containers.
    """
    everyone = set(learners)
    problems: list[str] = []
    container_of: dict[str, str] = {}
    for e in events:
        kind, action = e.get("Type"), str(e.get("Action", ""))
        attrs = (e.get("Actor") or {}).get("Attributes") or {}
        if kind == "container" and action == "create" and attrs.get(naming.COURSE_LABEL) == "true":
            learner = attrs.get(naming.LEARNER_LABEL, "")
            if learner in everyone:
                container_of[e["Actor"]["ID"]] = learner
                for what in (attrs.get("name", ""), attrs.get(naming.PROJECT_LABEL, "") + "_"):
                    found = owner(what, everyone)
                    if found is not None and found != learner:
                        problems.append(f"container {attrs.get('name')} of {learner} is named in {found}'s namespace")
    for e in events:
        kind, action = e.get("Type"), str(e.get("Action", ""))
        attrs = (e.get("Actor") or {}).get("Attributes") or {}
        user = container_of.get(attrs.get("container", ""))
        if kind == "volume" and action == "mount" and user:
            volume = e["Actor"]["ID"]
            found = owner(volume, everyone)
            if found not in (None, user):
                problems.append(f"a container of {user} mounted {volume}, {found}'s volume")
        if kind == "network" and action == "connect" and user:
            network = attrs.get("name", "")
            found = owner(network, everyone)
            if found not in (None, user):
                problems.append(f"a container of {user} joined {network}, {found}'s network")
    holders: dict[int, set[str]] = defaultdict(set)
    for learner, published in ports.items():
        for port in published:
            holders[port].add(learner)
    problems += [f"host port {port} published by {' and '.join(sorted(who))}"
                 for port, who in sorted(holders.items()) if len(who) > 1]
    return problems
