"""Readiness timeline: what the engine reported about a project's containers, each service on one time axis.

``with Timeline(project) as tl: ...`` follows the engine's event stream for the containers labelled
``com.docker.compose.project=<project>`` while the block runs, and keeps:

* the engine's events, as plain dicts in :attr:`Timeline.events`: ``create``, ``start``, ``healthy``/``unhealthy``
  (from ``health_status: ...``), ``die`` (with ``exit_code``), ``kill`` (with ``signal``), ``stop``, ``restart``,
  ``destroy``, ``oom``. Times ``t`` are seconds from the start of the timeline, so recorded data stays comparable.
  The engine says nothing special when a **restart policy** brings a container back: it sends ``die`` and then
  ``start``. While recording, the Timeline reads the container's ``RestartCount`` at each ``start`` (a policy
  restart raises it; ``docker start`` resets it to 0) and marks such a pair ``restarted: True``. For raw engine
  events without those counts it falls back to "a ``start`` right after a ``die``, no ``stop`` between" (which a
  ``docker start`` right after a crash would also match).
* annotations: :meth:`Timeline.mark` (a moment, e.g. "crash") and :meth:`Timeline.span` / :meth:`Timeline.hold`
  (an interval, e.g. "held back: waiting for db service_healthy" -- what an ``up`` helper records while a
  ``depends_on`` condition holds a service back).

:meth:`Timeline.svg` draws a static SVG (states as coloured bands, events as glyphs, spans below); the object has
``_repr_svg_``, so a cell that ends with ``tl`` shows the picture, also in a committed notebook on a static site.
:meth:`Timeline.from_events` draws recorded data (``tl.events``, or raw engine events as the SDK decodes them).

**In a notebook under nbval** (which compares ``image/svg+xml`` outputs too, and the times vary from run to run):
prove the claim in a compared cell with stable facts, and show the picture in a separate cell whose output is
ignored::

    print(tl.actions())            # {'db': ['create', 'start', 'healthy'], 'web': ['create', 'start']}: compared

    # NBVAL_IGNORE_OUTPUT
    tl                             # the picture

:meth:`Timeline.actions` lists each service's events in order (per service, so the order is stable even when two
services start within the same millisecond).

Used in the notebooks on ``depends_on`` conditions, healthchecks and restart policies, and by the dashboard demo
(``tests/browser/data/dashboard_demo.ipynb``).
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import docker

from . import naming
from .engine import client

Entry = dict[str, Any]

#: engine ``Action`` -> the short name used in :attr:`Timeline.events`
ACTIONS: dict[str, str] = {
    "create": "create",
    "start": "start",
    "health_status: healthy": "healthy",
    "health_status: unhealthy": "unhealthy",
    "die": "die",
    "kill": "kill",
    "stop": "stop",
    "restart": "restart",
    "destroy": "destroy",
    "oom": "oom",
    "pause": "pause",
    "unpause": "unpause",
}
SIGNALS = {"9": "SIGKILL", "15": "SIGTERM", "2": "SIGINT", "1": "SIGHUP", "3": "SIGQUIT"}

# colours (state bands and glyphs)
_BAND = {"created": "#d9d9d9", "running": "#9ecae1", "healthy": "#74c476", "unhealthy": "#fb6a4a", "paused": "#bcbddc"}
_INK = "#252525"


# ----------------------------------------------------------------------------------------------- normalising
def _ns(raw: dict[str, Any]) -> int:
    return int(raw.get("timeNano") or int(raw.get("time", 0)) * 1_000_000_000)


def _is_raw(item: dict[str, Any]) -> bool:
    return "timeNano" in item or "Actor" in item


def _key(raw: dict[str, Any]) -> str:
    return f"{raw.get('id')}@{_ns(raw)}"


def normalize(raw: dict[str, Any], t0_ns: int, include_oneoff: bool = False,
              restart_counts: dict[str, int] | None = None) -> Entry | None:
    """One engine event (as ``client().events(decode=True)`` yields it) -> an entry, or None if not shown.

    Only container events of a Compose service are kept (not ``exec_*`` from healthchecks, not one-off helper
    containers such as the one :func:`helpers.crash` runs, unless ``include_oneoff``).
    """
    if raw.get("Type", "container") != "container":
        return None
    action = ACTIONS.get(str(raw.get("Action") or raw.get("status") or ""))
    if action is None:
        return None
    attrs = (raw.get("Actor") or {}).get("Attributes") or {}
    service = attrs.get(naming.SERVICE_LABEL)
    if not service or (attrs.get(naming.ONEOFF_LABEL) == "True" and not include_oneoff):
        return None
    entry: Entry = {
        "t": round((_ns(raw) - t0_ns) / 1e9, 3),
        "service": service,
        "container": attrs.get("name", ""),
        "action": action,
    }
    if action == "die":
        entry["exit_code"] = int(attrs.get("exitCode", 0))
    if action == "kill":
        entry["signal"] = SIGNALS.get(str(attrs.get("signal")), f"signal {attrs.get('signal')}")
    if action == "start" and restart_counts and _key(raw) in restart_counts:
        entry["restart_count"] = restart_counts[_key(raw)]
    return entry


def die_before_stop(entries: list[Entry]) -> list[Entry]:
    """Put each ``stop`` after the ``die`` it caused, whichever the engine sent first.

    ``docker stop`` sends SIGTERM (``kill``), waits for the process to end (``die``), then reports ``stop``. Docker
    20.10 sends ``die`` before ``stop``; Docker 25 and later may send ``stop`` a moment before ``die``. The order
    shown is the one that holds on every engine: the container died, then the stop command completed.
    """
    result = list(entries)
    i = 0
    while i < len(result):
        entry = result[i]
        key = entry.get("container") or entry.get("service")
        later = next((j for j in range(i + 1, len(result)) if result[j]["action"] not in ("mark", "span")
                      and (result[j].get("container") or result[j].get("service")) == key), None)
        if entry["action"] == "stop" and later is not None and result[later]["action"] == "die":
            moved = result.pop(i)
            moved["t"] = max(moved["t"], result[later - 1]["t"])  # reported once the process had died
            result.insert(later, moved)
            continue  # position i now holds the next entry
        i += 1
    return result


def mark_restarts(entries: list[Entry]) -> list[Entry]:
    """Mark ``die`` + ``start`` pairs that a restart policy caused as ``restarted``.

    A ``start`` with ``restart_count`` (read from the engine while recording) is a policy restart when the count
    went up; without it, when it follows a ``die`` with no ``stop`` between.
    """
    last: dict[str, Entry] = {}
    counts: dict[str, int] = {}
    for entry in entries:
        if entry["action"] in ("mark", "span"):
            continue
        key = entry.get("container") or entry["service"]
        if entry["action"] in ("die", "start"):
            entry.setdefault("restarted", False)
        previous = last.get(key)
        if entry["action"] == "start" and previous is not None and previous["action"] == "die":
            if "restart_count" in entry:
                restarted = int(entry["restart_count"]) > counts.get(key, 0)
            else:
                restarted = True
            entry["restarted"] = previous["restarted"] = restarted
        if "restart_count" in entry:
            counts[key] = int(entry["restart_count"])
        if entry["action"] in ("create", "start", "die", "stop", "destroy"):
            last[key] = entry
    return entries


def describe(entry: Entry) -> str:
    """A short stable word for an entry: ``start``, ``start (restarted)``, ``die 137``, ``kill SIGTERM``, ..."""
    action = entry["action"]
    if action == "die":
        return f"die {entry.get('exit_code', '?')}" + (" (restarted)" if entry.get("restarted") else "")
    if action == "start" and entry.get("restarted"):
        return "start (restarted)"
    if action == "kill":
        return f"kill {entry.get('signal', '')}".strip()
    if action in ("mark", "span"):
        return f"{action}: {entry.get('text', '')}"
    return str(action)


# ----------------------------------------------------------------------------------------------- recording
class Timeline:
    """Engine events of one project's containers on one time axis, plus marks and spans.

    ``project`` is a project name (``"05-db-alice"``) or a :class:`helpers.Project`. Use as a context manager,
    or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, project: Any = None, *, engine: docker.DockerClient | None = None,
                 include_oneoff: bool = False) -> None:
        self.project: str = str(getattr(project, "name", project) or "")
        self.include_oneoff = include_oneoff
        self._engine = engine
        self._raw: list[dict[str, Any]] = []
        self._notes: list[Entry] = []
        self.restart_counts: dict[str, int] = {}  # "<container id>@<timeNano>" of a start -> RestartCount then
        self._recorded: list[Entry] | None = None  # set by from_events
        self._lock = threading.Lock()
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self.t0_ns: int = time.time_ns()
        self.end: float | None = None
        self.error: str | None = None

    # -- recording
    def start(self) -> Timeline:
        """Subscribe to the project's container events; the time axis starts now."""
        engine = self._engine or client()
        self._engine = engine
        self._stream = engine.events(decode=True, filters=self._filters())
        self.t0_ns = time.time_ns()
        self.end = None
        self._thread = threading.Thread(target=self._follow, name=f"timeline-{self.project}", daemon=True)
        self._thread.start()
        return self

    def _filters(self) -> dict[str, Any]:
        return {"label": [f"{naming.PROJECT_LABEL}={self.project}"], "type": ["container"]}

    def _follow(self) -> None:
        try:
            for raw in self._stream:
                if raw.get("Action") == "start":
                    self._count_restarts(raw)
                self._add([raw])
        except Exception as exc:  # noqa: BLE001 - closed by stop(), or the engine went away
            if self.end is None:
                self.error = f"event stream ended: {type(exc).__name__}"

    def _count_restarts(self, raw: dict[str, Any]) -> None:
        """Read the container's RestartCount now (tells a policy restart from ``docker start``)."""
        try:
            info = self._engine.api.inspect_container(raw["id"])  # type: ignore[union-attr]
            self.restart_counts[_key(raw)] = int(info.get("RestartCount", 0))
        except Exception:  # noqa: BLE001 - removed meanwhile: the heuristic decides
            pass

    def _awaiting_die(self) -> bool:
        """A container reported ``stop`` but not yet its ``die`` (Docker 25+ may send them in that order)."""
        state: dict[str, str] = {}  # container id -> "died" or "stopped" (a stop not yet followed by its die)
        with self._lock:
            for raw in self._raw:
                action, key = str(raw.get("Action", "")), str(raw.get("id"))
                if action == "start":
                    state.pop(key, None)
                elif action == "die":
                    state[key] = "died"
                elif action == "stop" and state.get(key) != "died":
                    state[key] = "stopped"
        return "stopped" in state.values()

    def stop(self, settle: float = 5.0) -> Timeline:
        """Stop following; then fetch the last events the engine sent meanwhile, so none is lost to a race.

        A ``stop`` whose ``die`` has not arrived yet is waited for (at most ``settle`` seconds): engines differ in
        the order they send the two (Docker 26 reports ``stop`` a few ms before ``die``), and the timeline must not
        depend on it. The engine's history is read first, so a ``stop`` still in flight on the live stream counts.
        """
        if self._stream is None:
            return self
        self._merge_history(time.time_ns())
        deadline = time.monotonic() + settle
        while self._awaiting_die() and time.monotonic() < deadline:
            time.sleep(0.05)  # the live stream brings the die
        end_ns = time.time_ns()
        self.end = round((end_ns - self.t0_ns) / 1e9, 3)
        self._stream.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._merge_history(end_ns)  # what was in flight when the stream was closed
        self._stream = None
        return self

    def _merge_history(self, until_ns: int) -> None:
        """Add the engine's recorded events since the start, up to ``until_ns``, that the live stream lacks."""
        try:
            since = max(self.t0_ns - 1_000_000_000, 0)
            history = self._engine.events(decode=True, filters=self._filters(),  # type: ignore[union-attr]
                                          since=_stamp(since), until=_stamp(until_ns))
            self._add([raw for raw in history if _ns(raw) >= self.t0_ns])
        except Exception:  # noqa: BLE001 - the live stream already has nearly everything
            pass

    def _add(self, events: list[dict[str, Any]]) -> None:
        """Keep engine events in time order, each once (the live stream and the history can both bring one)."""
        with self._lock:
            seen = {(r.get("id"), r.get("Action"), _ns(r)) for r in self._raw}
            for raw in events:
                key = (raw.get("id"), raw.get("Action"), _ns(raw))
                if key not in seen:
                    self._raw.append(raw)
                    seen.add(key)
            self._raw.sort(key=_ns)

    def __enter__(self) -> Timeline:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- annotations
    def now(self) -> float:
        """Seconds since the start of the timeline."""
        return round((time.time_ns() - self.t0_ns) / 1e9, 3)

    def mark(self, service: str | None, text: str, at: float | None = None) -> None:
        """A labelled moment on ``service``'s row (``None``: a line across all rows); ``at`` defaults to now."""
        self._notes.append({"t": self.now() if at is None else float(at), "service": service, "action": "mark",
                            "text": text})

    def span(self, service: str, start: float, end: float, text: str) -> None:
        """A labelled interval on ``service``'s row, in seconds from the start (see :meth:`now`)."""
        self._notes.append({"t": float(start), "end": float(end), "service": service, "action": "span", "text": text})

    @contextmanager
    def hold(self, service: str, text: str) -> Iterator[None]:
        """``with tl.hold("web", "held back: waiting for db service_healthy"): wait...`` records that span."""
        start = self.now()
        try:
            yield
        finally:
            self.span(service, start, self.now(), text)

    # -- reading
    @property
    def raw(self) -> list[dict[str, Any]]:
        """The engine's events as it sent them (decoded JSON), oldest first."""
        with self._lock:
            return list(self._raw)

    @property
    def events(self) -> list[Entry]:
        """Engine events and annotations as plain dicts, by time (see the module docstring for the keys)."""
        if self._recorded is not None:
            base = [dict(e) for e in self._recorded]
        else:
            base = [e for e in (normalize(r, self.t0_ns, self.include_oneoff, self.restart_counts) for r in self.raw)
                    if e is not None]
        entries = base + [dict(n) for n in self._notes]
        entries.sort(key=lambda e: e["t"])  # stable: equal times keep the engine's order
        return mark_restarts(die_before_stop(entries))

    @property
    def services(self) -> list[str]:
        """Services in order of their first entry (the rows of the picture)."""
        order: list[str] = []
        for entry in self.events:
            service = entry.get("service")
            if service and service not in order:
                order.append(service)
        return order

    def actions(self, service: str | None = None,
                include_notes: bool = False) -> dict[str, list[str]] | list[str]:
        """Each service's events in order, as :func:`describe` words: ``{"db": ["create", "start", "healthy"]}``.

        With ``service``, that service's list. Stable from run to run; print this in a compared notebook cell.
        """
        result: dict[str, list[str]] = {s: [] for s in self.services}
        for entry in self.events:
            if entry.get("service") and (include_notes or entry["action"] not in ("mark", "span")):
                result[entry["service"]].append(describe(entry))
        result = {s: words for s, words in result.items() if words}
        return result.get(service, []) if service is not None else result

    def first(self, service: str, action: str) -> float | None:
        """Time of ``service``'s first ``action`` (e.g. ``tl.first("web", "start")``), or None."""
        for entry in self.events:
            if entry.get("service") == service and entry["action"] == action:
                return float(entry["t"])
        return None

    @classmethod
    def from_events(cls, events: Iterable[dict[str, Any]], project: str = "", t0_ns: int | None = None,
                    end: float | None = None, restart_counts: dict[str, int] | None = None) -> Timeline:
        """A timeline of recorded data: :attr:`events` entries, raw engine events, or both.

        Raw engine events are placed relative to ``t0_ns`` (default: the first raw event's time);
        ``restart_counts`` is a recording's :attr:`restart_counts`, if it was saved.
        """
        items = list(events)
        raws = [e for e in items if _is_raw(e)]
        tl = cls(project)
        tl.t0_ns = t0_ns if t0_ns is not None else (min(_ns(r) for r in raws) if raws else 0)
        tl.restart_counts = dict(restart_counts or {})
        recorded = [e for e in (normalize(r, tl.t0_ns, restart_counts=tl.restart_counts)
                                for r in sorted(raws, key=_ns)) if e is not None]
        for entry in items:
            if _is_raw(entry):
                continue
            if entry.get("action") in ("mark", "span"):
                tl._notes.append(dict(entry))
            else:
                recorded.append(dict(entry))
        tl._recorded = recorded
        tl._raw = raws
        tl.end = end
        return tl

    # -- drawing
    def svg(self, width: int = 760, title: str | None = None) -> str:
        """The timeline as a self-contained static SVG document (a string)."""
        return render_svg(self.events, width=width, end=self.end,
                          title=title if title is not None else f"Timeline of {self.project}".strip())

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        n = sum(1 for e in self.events if e["action"] not in ("mark", "span"))
        return f"<Timeline {self.project!r}: {n} engine events, services {self.services}>"


def _stamp(ns: int) -> str:
    """A time the engine's ``since``/``until`` accept, to the nanosecond (the SDK would round to seconds)."""
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


# ----------------------------------------------------------------------------------------------- drawing
def _nice_step(span: float, max_ticks: int = 10) -> float:
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600):
        if span / step <= max_ticks:
            return float(step)
    return 3600.0 * max(1, round(span / 3600 / max_ticks))


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _text_width(text: str, size: float) -> float:
    return len(text) * size * 0.58


def _bands(entries: list[Entry], t_end: float) -> list[tuple[float, float, str]]:
    """State intervals of one row, from its engine events: (start, end, state)."""
    bands: list[tuple[float, float, str]] = []
    state: dict[str, tuple[float, str]] = {}  # container -> (since, state)

    def close(key: str, t: float) -> None:
        if key in state:
            since, name = state.pop(key)
            if t > since:
                bands.append((since, t, name))

    for e in entries:
        key, t, action = e.get("container") or e["service"], float(e["t"]), e["action"]
        new = {"create": "created", "start": "running", "healthy": "healthy", "unhealthy": "unhealthy",
               "pause": "paused", "unpause": "running"}.get(action)
        if new is not None:
            close(key, t)
            state[key] = (t, new)
        elif action in ("die", "destroy", "oom"):
            if action == "oom" and key in state:
                continue
            close(key, t)
    for key in list(state):
        close(key, t_end)
    return bands


def _place(lanes: list[list[tuple[float, float]]], a: float, b: float) -> int | None:
    """The first lane where [a, b] overlaps nothing placed (and reserve it there), or None."""
    for lane, taken in enumerate(lanes):
        if all(b + 4 < lo or a - 4 > hi for lo, hi in taken):
            taken.append((a, b))
            return lane
    return None


def render_svg(entries: list[Entry], width: int = 760, end: float | None = None, title: str = "") -> str:
    """Draw timeline entries (see :attr:`Timeline.events`) as an SVG document string."""
    services: list[str] = []
    for e in entries:
        if e.get("service") and e["service"] not in services:
            services.append(e["service"])
    times = [float(e["t"]) for e in entries] + [float(e["end"]) for e in entries if "end" in e]
    t_min = min([0.0, *times])
    t_max = max([end or 0.0, *times, t_min + 1.0])
    left = max([90.0, *(_text_width(s, 12) + 16 for s in services)])
    right, top = 40.0, 34.0 if title else 12.0
    plot_w = width - left - right

    def x(t: float) -> float:
        return round(left + (t - t_min) / (t_max - t_min) * plot_w, 1)

    rows: list[str] = []
    used: set[str] = set()
    y0 = top
    for service in services:
        mine = [e for e in entries if e.get("service") == service]
        band_y = y0 + 26
        rows.append(f'<text x="{left - 8}" y="{band_y + 10}" text-anchor="end" font-size="12" font-weight="bold" '
                    f'fill="{_INK}">{_esc(service)}</text>')
        rows.append(f'<line x1="{left}" y1="{band_y + 6}" x2="{width - right}" y2="{band_y + 6}" stroke="#dddddd"/>')
        for b0, b1, state in _bands([e for e in mine if e["action"] not in ("mark", "span")], t_max):
            used.add(state)
            rows.append(f'<rect x="{x(b0)}" y="{band_y}" width="{max(x(b1) - x(b0), 1.0):.1f}" height="12" '
                        f'fill="{_BAND[state]}"><title>{_esc(service)}: {state} {b0:g}-{b1:g} s</title></rect>')
        span_lanes: list[list[tuple[float, float]]] = [[] for _ in range(4)]
        n_span_lanes = 0
        for e in mine:
            if e["action"] != "span":
                continue
            used.add("span")
            x0, x1 = x(float(e["t"])), x(float(e["end"]))
            rows.append(f'<rect x="{x0}" y="{band_y + 16}" width="{max(x1 - x0, 2.0):.1f}" height="8" '
                        f'fill="#fdd49e" stroke="#e6550d" stroke-dasharray="3,2"><title>{_esc(e["text"])} '
                        f'({float(e["t"]):g}-{float(e["end"]):g} s)</title></rect>')
            w = _text_width(str(e["text"]), 10)
            a = min(x0, width - 4 - w)
            lane = _place(span_lanes, a, a + w)
            if lane is None:
                continue
            n_span_lanes = max(n_span_lanes, lane + 1)
            rows.append(f'<text x="{a:.1f}" y="{band_y + 35 + lane * 11}" font-size="10" '
                        f'fill="#a63603">{_esc(e["text"])}</text>')
        label_lanes: list[list[tuple[float, float]]] = [[], []]
        for e in mine:
            if e["action"] == "span":
                continue
            xe = x(float(e["t"]))
            rows.append(_glyph(e, xe, band_y + 6))
            used.add(e["action"] + (" (restarted)" if e.get("restarted") and e["action"] == "start" else ""))
            label = _label(e)
            w = _text_width(label, 10)
            lane = _place(label_lanes, xe - w / 2, xe + w / 2) if label else None
            if lane is not None:
                colour = "#6a51a3" if e["action"] == "mark" else _INK
                rows.append(f'<text x="{xe}" y="{band_y - 4 - lane * 11}" text-anchor="middle" font-size="10" '
                            f'fill="{colour}">{_esc(label)}</text>')
        y0 = band_y + 12 + (14 + 11 * n_span_lanes if n_span_lanes else 8)
    bottom = max(y0, top + 40)
    out: list[str] = []
    step = _nice_step(t_max - t_min)
    tick = step * int(t_min // step)
    while tick <= t_max + 1e-9:
        if tick >= t_min - 1e-9:
            xt = x(tick)
            out.append(f'<line x1="{xt}" y1="{top}" x2="{xt}" y2="{bottom}" stroke="#eeeeee"/>')
            out.append(f'<text x="{xt}" y="{bottom + 14}" text-anchor="middle" fill="#555555">{tick:g}</text>')
        tick = round(tick + step, 6)
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{width - right}" y2="{bottom}" stroke="#555555"/>')
    out.append(f'<text x="{width - right}" y="{bottom + 28}" text-anchor="end" fill="#555555">'
               f'seconds from the start</text>')
    out.extend(rows)
    for e in entries:  # marks across all rows
        if e["action"] == "mark" and not e.get("service"):
            xe = x(float(e["t"]))
            out.append(f'<line x1="{xe}" y1="{top}" x2="{xe}" y2="{bottom}" stroke="#6a51a3" stroke-dasharray="4,3"/>')
            out.append(f'<text x="{xe + 3}" y="{top + 9}" font-size="10" fill="#6a51a3">{_esc(e["text"])}</text>')
    legend, legend_h = _legend(used, bottom + 46, 8.0, width - 8.0)
    height = bottom + 46 + legend_h
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height:.0f}" '
        f'viewBox="0 0 {width} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    if title:
        head.append(f'<text x="8" y="20" font-size="14" font-weight="bold" fill="{_INK}">{_esc(title)}</text>')
    return "\n".join([*head, *out, legend, "</svg>"])


def _label(e: Entry) -> str:
    action = e["action"]
    if action == "die":
        return f"exit {e.get('exit_code', '?')}"
    if action == "kill":
        return str(e.get("signal", "kill"))
    if action == "start" and e.get("restarted"):
        return "restarted"
    if action in ("restart", "oom", "unhealthy", "stop"):
        return action
    if action == "mark":
        return str(e.get("text", ""))
    return ""


def _glyph(e: Entry, cx: float, cy: float, with_tip: bool = True) -> str:
    action = e["action"]
    who = _esc(e.get("container") or e.get("service"))
    tip = f"<title>{who}: {_esc(describe(e))} at {e['t']:g} s</title>" if with_tip else ""
    if action == "create":
        return f'<circle cx="{cx}" cy="{cy}" r="3.5" fill="#ffffff" stroke="{_INK}">{tip}</circle>'
    if action == "start":
        colour = "#e6550d" if e.get("restarted") else "#006d2c"
        return (f'<path d="M{cx - 4:.1f},{cy - 6:.1f} L{cx + 5:.1f},{cy:.1f} L{cx - 4:.1f},{cy + 6:.1f} Z" '
                f'fill="{colour}">{tip}</path>')
    if action in ("healthy", "unhealthy"):
        colour = "#006d2c" if action == "healthy" else "#a50f15"
        return f'<circle cx="{cx}" cy="{cy}" r="5" fill="{colour}" stroke="#ffffff">{tip}</circle>'
    if action in ("die", "oom"):
        return (f'<path d="M{cx - 5:.1f},{cy - 5:.1f} L{cx + 5:.1f},{cy + 5:.1f} M{cx - 5:.1f},{cy + 5:.1f} '
                f'L{cx + 5:.1f},{cy - 5:.1f}" stroke="#a50f15" stroke-width="2.5">{tip}</path>')
    if action == "kill":
        return (f'<path d="M{cx:.1f},{cy - 6:.1f} L{cx + 5:.1f},{cy:.1f} L{cx:.1f},{cy + 6:.1f} '
                f'L{cx - 5:.1f},{cy:.1f} Z" fill="#756bb1">{tip}</path>')
    if action == "stop":
        return f'<rect x="{cx - 4.5:.1f}" y="{cy - 4.5:.1f}" width="9" height="9" fill="{_INK}">{tip}</rect>'
    if action == "mark":
        return (f'<line x1="{cx}" y1="{cy - 10:.1f}" x2="{cx}" y2="{cy + 8:.1f}" stroke="#6a51a3" '
                f'stroke-width="2">{tip}</line>')
    return f'<circle cx="{cx}" cy="{cy}" r="3" fill="#636363">{tip}</circle>'


_LEGEND_ORDER = [
    ("created", "created"), ("running", "running"), ("healthy", "healthy"), ("unhealthy", "unhealthy"),
    ("paused", "paused"), ("span", "held back / waiting"),
]
_LEGEND_GLYPHS = [
    ("create", "create"), ("start", "start"), ("start (restarted)", "start by restart policy"),
    ("healthy", "health: healthy"), ("unhealthy", "health: unhealthy"), ("kill", "kill (signal)"),
    ("die", "die (exit code)"), ("stop", "stop"), ("restart", "docker restart"), ("mark", "note"),
]


def _legend(used: set[str], y: float, x0: float, x_max: float) -> tuple[str, float]:
    """The legend of what the picture uses, wrapped to fit; returns (svg, height)."""
    parts: list[str] = []
    x, line = x0, 0

    def advance(w: float) -> float:
        nonlocal x, line
        if x + w > x_max and x > x0:
            x, line = x0, line + 1
        at = x
        x += w
        return at

    for key, text in _LEGEND_ORDER:
        if key in used:
            at = advance(26 + _text_width(text, 11))
            yy = y + line * 16
            fill = _BAND.get(key, "#fdd49e")
            parts.append(f'<rect x="{at:.1f}" y="{yy - 9:.1f}" width="14" height="10" fill="{fill}"/>')
            parts.append(f'<text x="{at + 18:.1f}" y="{yy:.1f}" fill="#555555">{_esc(text)}</text>')
    for key, text in _LEGEND_GLYPHS:
        if key in used:
            at = advance(24 + _text_width(text, 11))
            yy = y + line * 16
            entry: Entry = {"action": key.split(" ")[0], "t": 0, "restarted": "restarted" in key, "service": ""}
            parts.append(_glyph(entry, at + 5, yy - 4, with_tip=False))
            parts.append(f'<text x="{at + 14:.1f}" y="{yy:.1f}" fill="#555555">{_esc(text)}</text>')
    return "\n".join(parts), (line + 1) * 16 + 4
