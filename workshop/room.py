"""The instructor's view of a shared engine: every learner, their lesson projects and services, their memory and
CPU, and their exercise verdicts -- all read from the course's labels on the engine (nothing else is needed).

    ./course room                 # the text version (``render_text``)
    ./course room reset LEARNER   # the same as that learner's ``./course clean``
    instructor/room.ipynb         # the notebook version (``render_html``)

Learners are found by the ``io.compose-course.learner`` label of containers, volumes and networks; verdicts are the
course records the exercise checks write (:mod:`helpers.records`). Memory and CPU come from one
``stats(stream=False)`` sample per running container (about a second each, taken in parallel).
"""

from __future__ import annotations

import html
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import docker
from docker.errors import APIError, NotFound

from helpers import naming, records
from helpers.containers import health
from helpers.ports import claimed
from helpers.project import CleanupReport, clean_course

STATS_WORKERS = 8


@dataclass(frozen=True)
class Service:
    """One container of a learner's lesson project."""

    project: str
    service: str
    name: str
    state: str
    health: str
    restarts: int
    memory: int | None = None   # bytes in use (page cache not counted), running containers only
    cpu: float | None = None    # percent of one CPU


@dataclass(frozen=True)
class Answer:
    """The latest verdict of one exercise check of a learner."""

    exercise: str
    passed: bool
    at: str
    attempts: int
    first_passed: str
    seen: str


@dataclass
class Learner:
    """Everything of one learner on the engine."""

    learner: str
    services: list[Service] = field(default_factory=list)
    projects: dict[str, int] = field(default_factory=dict)  # project -> volumes and networks without containers
    answers: list[Answer] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def memory(self) -> int:
        return sum(s.memory or 0 for s in self.services)

    @property
    def cpu(self) -> float:
        return sum(s.cpu or 0.0 for s in self.services)

    @property
    def running(self) -> int:
        return sum(s.state == "running" for s in self.services)


@dataclass
class Room:
    """What :func:`snapshot` saw, learner by learner (sorted by id)."""

    learners: list[Learner]
    taken_at: str
    stats: bool

    def get(self, learner: str) -> Learner | None:
        return next((item for item in self.learners if item.learner == learner), None)


def usage(stats: dict[str, Any]) -> tuple[int | None, float | None]:
    """(memory bytes, CPU percent) from one ``stats(stream=False)`` answer, computed as ``docker stats`` does."""
    mem = stats.get("memory_stats") or {}
    used = mem.get("usage")
    if used is not None:
        inner = mem.get("stats") or {}
        cache = inner.get("inactive_file", inner.get("total_inactive_file", 0))  # cgroup v2, v1
        used = int(used - cache) if cache < used else int(used)
    cpu, pre = stats.get("cpu_stats") or {}, stats.get("precpu_stats") or {}
    try:
        delta = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
        system = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
        cpus = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or [1])
        percent = delta / system * cpus * 100.0 if system > 0 and delta >= 0 else 0.0
    except (KeyError, TypeError):
        percent = None
    return used, percent


def _sample(container: Any) -> tuple[int | None, float | None]:
    try:
        return usage(container.stats(stream=False))
    except (APIError, NotFound, ValueError):  # ValueError: an empty body from a container being removed just now
        return None, None


def _answer(labels: dict[str, str]) -> Answer:
    v = records.VERDICT
    return Answer(labels.get(v + "exercise", "?"), labels.get(v + "passed") == "true", labels.get(v + "at", ""),
                  int(labels.get(v + "attempts", "0") or 0), labels.get(v + "first-passed", ""),
                  labels.get(v + "seen", ""))


def snapshot(engine: docker.DockerClient, stats: bool = True) -> Room:
    """Read the room from the engine: every learner with the course label, and (``stats``) memory and CPU."""
    course = {"label": [f"{naming.COURSE_LABEL}=true"]}
    learners: dict[str, Learner] = {}

    def of(labels: dict[str, str] | None) -> Learner | None:
        who = (labels or {}).get(naming.LEARNER_LABEL)
        return learners.setdefault(who, Learner(who)) if who else None

    containers = engine.containers.list(all=True, filters=course, ignore_removed=True)
    samples: dict[str, tuple[int | None, float | None]] = {}
    running = [c for c in containers if c.status == "running"]
    if stats and running:
        with ThreadPoolExecutor(max_workers=STATS_WORKERS) as pool:
            samples = dict(zip((c.id for c in running), pool.map(_sample, running), strict=True))
    for c in containers:
        learner = of(c.labels)
        if learner is None:
            continue
        state = c.attrs.get("State") or {}
        memory, cpu = samples.get(c.id, (None, None))
        learner.services.append(Service(
            c.labels.get(naming.PROJECT_LABEL, "-"), c.labels.get(naming.SERVICE_LABEL, "-"), c.name,
            str(state.get("Status", c.status)), "-" if health(c) == "none" else health(c),
            int(c.attrs.get("RestartCount", 0) or 0), memory, cpu))
    with_containers = {s.project for item in learners.values() for s in item.services}
    others: list[dict[str, str]] = [v.attrs.get("Labels") or {} for v in engine.volumes.list(filters=course)]
    others += [n.attrs.get("Labels") or {} for n in engine.networks.list(filters=course)]
    for labels in others:
        learner = of(labels)
        if learner is None:
            continue
        kind = labels.get(naming.RECORD_LABEL)
        if kind == "verdict":
            learner.answers.append(_answer(labels))
        elif kind == "ports":
            learner.ports = claimed(labels)
        elif labels.get(naming.PROJECT_LABEL) and labels[naming.PROJECT_LABEL] not in with_containers:
            project = labels[naming.PROJECT_LABEL]
            learner.projects[project] = learner.projects.get(project, 0) + 1
    for item in learners.values():
        item.services.sort(key=lambda s: (s.project, s.service, s.name))
        item.answers.sort(key=lambda a: a.exercise)
    return Room(sorted(learners.values(), key=lambda item: item.learner),
                time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), stats)


def reset(learner: str, engine: docker.DockerClient) -> CleanupReport:
    """Remove all of one learner's course containers, networks, volumes and records (their ``./course clean``)."""
    return clean_course(naming.sanitize(learner), engine=engine)


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.0f} MiB"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _clock(at: str) -> str:
    """``19:32`` from ``2026-12-01T19:32:05Z`` (the room is one day)."""
    return at[11:16] if len(at) >= 16 else at or "-"


def _answer_text(a: Answer) -> str:
    word = "PASSED" if a.passed else "NOT YET"
    return f"{a.exercise} {word} {_clock(a.at)} ({a.attempts} attempt{'s' if a.attempts != 1 else ''})"


def render_text(room: Room) -> str:
    """The room as plain text: one block per learner."""
    if not room.learners:
        return f"Room at {room.taken_at}: no learner has anything on this engine."
    lines = [f"Room at {room.taken_at}: {len(room.learners)} learner(s)"
             + ("" if room.stats else " (no memory/CPU: --no-stats)")]
    for item in room.learners:
        ports = (f" · ports db {item.ports['DB_PORT']} / backend {item.ports['BACKEND_PORT']}" if item.ports else "")
        passed = sum(a.passed for a in item.answers)
        lines.append(f"\n{item.learner} · {item.running} running of {len(item.services)} container(s) · "
                     f"memory {_mib(item.memory if room.stats else None)} · "
                     f"CPU {_pct(item.cpu if room.stats else None)}"
                     f" · exercises passed {passed} of {len(item.answers)} tried{ports}")
        by_project: dict[str, list[Service]] = defaultdict(list)
        for s in item.services:
            by_project[s.project].append(s)
        for project, services in sorted(by_project.items()):
            lines.append(f"  {project}")
            for s in services:
                lines.append(f"    {s.service:14} {s.state:10} health {s.health:9} restarts {s.restarts:<3} "
                             f"{_mib(s.memory):>8} {_pct(s.cpu):>6}")
        for project, count in sorted(item.projects.items()):
            lines.append(f"  {project}: no containers, {count} volume(s)/network(s) left")
        for a in item.answers:
            lines.append(f"  exercise {_answer_text(a)}" + ("" if a.passed else f": {a.seen[:100]}"))
    return "\n".join(lines)


def render_html(room: Room) -> str:
    """The room as one HTML table per learner (the instructor's notebook)."""
    esc = html.escape
    if not room.learners:
        return f"<p>Room at {esc(room.taken_at)}: no learner has anything on this engine.</p>"
    parts = [f"<p><b>Room at {esc(room.taken_at)}</b>: {len(room.learners)} learner(s)</p>"]
    for item in room.learners:
        ports = f", ports db {item.ports['DB_PORT']} / backend {item.ports['BACKEND_PORT']}" if item.ports else ""
        parts.append(f"<h4>{esc(item.learner)}: {item.running} running, "
                     f"memory {_mib(item.memory if room.stats else None)}, "
                     f"CPU {_pct(item.cpu if room.stats else None)}{esc(ports)}</h4>")
        rows = "".join(
            f"<tr><td>{esc(s.project)}</td><td>{esc(s.service)}</td><td>{esc(s.state)}</td><td>{esc(s.health)}</td>"
            f"<td>{s.restarts}</td><td>{_mib(s.memory)}</td><td>{_pct(s.cpu)}</td></tr>" for s in item.services)
        if rows:
            parts.append("<table><tr><th>project</th><th>service</th><th>state</th><th>health</th><th>restarts</th>"
                         f"<th>memory</th><th>CPU</th></tr>{rows}</table>")
        answers = "".join(
            f"<tr><td>{esc(a.exercise)}</td><td style='color:{'#1a7f37' if a.passed else '#9a6700'}'>"
            f"{'PASSED' if a.passed else 'NOT YET'}</td><td>{_clock(a.at)}</td><td>{a.attempts}</td>"
            f"<td>{_clock(a.first_passed) if a.first_passed else '-'}</td><td>{esc(a.seen[:120])}</td></tr>"
            for a in item.answers)
        if answers:
            parts.append("<table><tr><th>exercise</th><th>verdict</th><th>at</th><th>attempts</th>"
                         f"<th>first passed</th><th>seen</th></tr>{answers}</table>")
    return "\n".join(parts)
