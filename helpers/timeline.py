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

:meth:`Timeline.figure` draws it with matplotlib (states as coloured bands, events as markers, spans below); the
object has ``_repr_png_``, so a cell that ends with ``tl`` shows the picture, also in an untrusted notebook and on
GitHub or nbviewer. :meth:`Timeline.from_events` draws recorded data (``tl.events``, or raw engine events).

**In a notebook under nbval** (the times vary from run to run): prove the claim in a compared cell with stable
facts, and show the picture in a separate cell whose output is ignored::

    print(tl.actions())            # {'db': ['create', 'start', 'healthy'], 'web': ['create', 'start']}: compared

    # NBVAL_IGNORE_OUTPUT
    tl                             # the picture

:meth:`Timeline.actions` lists each service's events in order (per service, so the order is stable even when two
services start within the same millisecond).

Used in the notebooks on ``depends_on`` conditions, healthchecks and restart policies, and by the dashboard demo
(``tests/browser/data/dashboard_demo.ipynb``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import docker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from . import events, naming, pictures
from .engine import client

Entry = dict[str, Any]

#: engine ``Action`` -> the short name used in :attr:`Timeline.events`
ACTIONS: dict[str, str] = {a: a for a in ("create", "start", "die", "kill", "stop", "restart", "destroy", "oom",
                                            "pause", "unpause")}
ACTIONS.update({"health_status: healthy": "healthy", "health_status: unhealthy": "unhealthy"})
SIGNALS = {"9": "SIGKILL", "15": "SIGTERM", "2": "SIGINT", "1": "SIGHUP", "3": "SIGQUIT"}

# colours of the state bands (the glyphs' are in _GLYPHS)
_BAND = {"created": "#d9d9d9", "running": "#9ecae1", "healthy": "#74c476", "unhealthy": "#fb6a4a", "paused": "#bcbddc"}


# ----------------------------------------------------------------------------------------------- normalising
_ns = events.time_ns


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


def word(entry: Entry) -> str:
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
        self._follower: events.Follower | None = None
        self.t0_ns: int = time.time_ns()
        self.end: float | None = None
        self.error: str | None = None

    # -- recording
    def start(self) -> Timeline:
        """Subscribe to the project's container events; the time axis starts now."""
        self._engine = self._engine or client()
        self._follower = events.Follower(events.of_project(self.project), self._on_event, engine=self._engine,
                                         name=f"timeline-{self.project}").start()
        self.t0_ns = time.time_ns()
        self.end = None
        return self

    def _on_event(self, raw: dict[str, Any]) -> None:
        if raw.get("Action") == "start":
            self._count_restarts(raw)
        self._add([raw])

    def _count_restarts(self, raw: dict[str, Any]) -> None:
        """Read the container's RestartCount now (tells a policy restart from ``docker start``)."""
        try:
            info = (self._engine or client()).api.inspect_container(raw["id"])
            self.restart_counts[_key(raw)] = int(info.get("RestartCount", 0))
        except docker.errors.NotFound:  # removed meanwhile: the heuristic decides
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
        if self._follower is None:
            return self
        self._merge_history(time.time_ns())
        deadline = time.monotonic() + settle
        while self._awaiting_die() and time.monotonic() < deadline:
            time.sleep(0.05)  # the live stream brings the die
        end_ns = time.time_ns()
        self.end = round((end_ns - self.t0_ns) / 1e9, 3)
        self._follower.close()
        self.error = self._follower.ended
        self._merge_history(end_ns)  # what was in flight when the stream was closed
        self._follower = None
        return self

    def _merge_history(self, until_ns: int) -> None:
        """Add the engine's recorded events since the start, up to ``until_ns``, that the live stream lacks."""
        try:
            self._add(events.history(events.of_project(self.project), self.t0_ns, until_ns, self._engine))
        except docker.errors.DockerException:  # the live stream already has nearly everything
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
        """Each service's events in order, as :func:`word` words: ``{"db": ["create", "start", "healthy"]}``.

        With ``service``, that service's list. Stable from run to run; print this in a compared notebook cell.
        """
        result: dict[str, list[str]] = {s: [] for s in self.services}
        for entry in self.events:
            if entry.get("service") and (include_notes or entry["action"] not in ("mark", "span")):
                result[entry["service"]].append(word(entry))
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
    def figure(self, title: str | None = None) -> Figure:
        """The picture as a matplotlib figure (``tl.figure().savefig("timeline.png")``)."""
        with pictures.style():
            return draw(self.events, self.end, f"Timeline of {self.project}".strip() if title is None else title)

    def _repr_png_(self) -> bytes:
        return pictures.png(self.figure())

    def __repr__(self) -> str:
        n = sum(1 for e in self.events if e["action"] not in ("mark", "span"))
        return f"<Timeline {self.project!r}: {n} engine events, services {self.services}>"




# ----------------------------------------------------------------------------------------------- drawing
#: what a glyph stands for -> (marker, face colour, edge colour, size in points, text in the legend)
_GLYPHS: dict[str, tuple[str, str, str, float, str]] = {
    "create": ("o", "#ffffff", pictures.INK, 6, "create"),
    "start": (">", "#006d2c", "#006d2c", 7, "start"),
    "start (restarted)": (">", "#e6550d", "#e6550d", 7, "start by restart policy"),
    "healthy": ("o", "#006d2c", "#ffffff", 8, "health: healthy"),
    "unhealthy": ("o", "#a50f15", "#ffffff", 8, "health: unhealthy"),
    "kill": ("D", "#756bb1", "#756bb1", 5, "kill (signal)"),
    "die": ("X", "#a50f15", "#ffffff", 9, "die (exit code)"),
    "oom": ("*", "#a50f15", "#a50f15", 10, "out of memory"),
    "stop": ("s", pictures.INK, pictures.INK, 5, "stop"),
    "restart": ("o", "#636363", "#636363", 5, "docker restart"),
    "destroy": ("x", "#636363", "#636363", 6, "destroy"),
    "mark": ("|", "#6a51a3", "#6a51a3", 14, "note"),
}
_SPAN = ("#fdd49e", "#e6550d", "#a63603")  # fill, edge, text
_STATE = {"create": "created", "start": "running", "healthy": "healthy", "unhealthy": "unhealthy", "pause": "paused",
          "unpause": "running"}


def _bands(entries: list[Entry], t_end: float) -> list[tuple[float, float, str]]:
    """State intervals of one row, from its engine events: (start, end, state)."""
    bands: list[tuple[float, float, str]] = []
    state: dict[str, tuple[float, str]] = {}  # container -> (since, state)

    def close(key: str, t: float) -> None:
        since, name = state.pop(key, (t, ""))
        if t > since:
            bands.append((since, t, name))

    for e in entries:
        key, t, action = e.get("container") or e["service"], float(e["t"]), e["action"]
        if action in _STATE:
            close(key, t)
            state[key] = (t, _STATE[action])
        elif action in ("die", "destroy"):  # an oom is followed by its die
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


def _label(e: Entry) -> str:
    """The text above an event: ``exit 137``, ``SIGTERM``, ``restarted``, a note's text, ..."""
    action = e["action"]
    words = {"die": f"exit {e.get('exit_code', '?')}", "kill": str(e.get("signal", "kill")),
             "start": "restarted" if e.get("restarted") else "", "mark": str(e.get("text", ""))}
    return words.get(action, action if action in ("restart", "oom", "unhealthy", "stop") else "")


def draw(entries: list[Entry], end: float | None = None, title: str = "") -> Figure:
    """Timeline entries (see :attr:`Timeline.events`) as a figure: a row per service, seconds from the start."""
    services = list(dict.fromkeys(str(e["service"]) for e in entries if e.get("service")))
    times = [float(e["t"]) for e in entries] + [float(e["end"]) for e in entries if "end" in e]
    t_min = min([0.0, *times])
    t_max = max([end or 0.0, *times, t_min + 1.0])
    left = max([60.0, *(pictures.text_width(s, 9, bold=True) + 16 for s in services)])
    plot_w = pictures.WIDTH - left - 24
    scale = plot_w / (t_max - t_min)  # pixels per second; y is in pixels from the top of the plot

    def fit(t: float, w: float) -> float:  # where a label of width w that starts at t ends inside the picture
        return min(t, t_min + (plot_w + 16 - w) / scale)

    fig = pictures.figure(pictures.WIDTH, 100)  # its height is set once the rows are laid out
    ax = fig.add_axes((0, 0, 1, 1))
    used: set[str] = set()
    rows: list[float] = []
    y = 31.0  # the row's middle: two lanes of labels above, its spans below
    for service in services:
        mine = [e for e in entries if e.get("service") == service]
        ax.axhline(y, color="#dddddd", lw=0.8, zorder=0)
        for b0, b1, state in _bands([e for e in mine if e["action"] not in ("mark", "span")], t_max):
            used.add(state)
            ax.add_patch(Rectangle((b0, y - 6), b1 - b0, 12, fc=_BAND[state], lw=0, zorder=1))
        above: list[list[tuple[float, float]]] = [[], []]  # lanes of labels, in pixels
        under: list[list[tuple[float, float]]] = [[], [], [], []]
        below = 10.0
        for e in mine:
            t = float(e["t"])
            label = str(e.get("text", "")) if e["action"] == "span" else _label(e)
            w = pictures.text_width(label, 7.5)
            if e["action"] == "span":
                used.add("span")
                ax.add_patch(Rectangle((t, y + 9), float(e["end"]) - t, 7, fc=_SPAN[0], ec=_SPAN[1], ls="--", lw=0.8))
                x = (fit(t, w) - t_min) * scale
                if (lane := _place(under, x, x + w)) is not None:
                    ax.text(fit(t, w), y + 18 + 11 * lane, label, va="top", fontsize=7.5, color=_SPAN[2])
                    below = max(below, 30.0 + 11 * lane)
                continue
            key = "start (restarted)" if e["action"] == "start" and e.get("restarted") else e["action"]
            if key in _GLYPHS:
                used.add(key)
                marker, face, edge, size, _ = _GLYPHS[key]
                ax.plot(t, y, marker=marker, ms=size, mfc=face, mec=edge, mew=1.2, ls="none", zorder=3, clip_on=False)
                x = (fit(t - w / 2 / scale, w) - t_min) * scale
                if label and (lane := _place(above, x, x + w)) is not None:
                    ax.text(t_min + x / scale, y - 9 - 11 * lane, label, va="bottom", fontsize=7.5,
                            color=edge if key == "mark" else pictures.INK)
        rows.append(y)
        y += below + 33
    notes = [e for e in entries if e["action"] == "mark" and not e.get("service")]
    for e in notes:
        used.add("mark")
        ax.axvline(float(e["t"]), color=_GLYPHS["mark"][1], ls="--", lw=1, zorder=2)
        label = f" {e.get('text', '')}"
        ax.text(fit(float(e["t"]), pictures.text_width(label, 7.5)), 0, label, va="bottom", fontsize=7.5,
                color=_GLYPHS["mark"][1])
    handles: list[Patch | Line2D] = [Patch(fc=_BAND[s], label=s) for s in _BAND if s in used]
    if "span" in used:
        handles.append(Patch(fc=_SPAN[0], ec=_SPAN[1], ls="--", label="interval (see its label)"))
    handles += [Line2D([], [], marker=m, ms=size, mfc=face, mec=edge, mew=1.2, ls="none", label=text)
                for key, (m, face, edge, size, text) in _GLYPHS.items() if key in used]
    plot_h, top = max(y - 29, 40.0), (30.0 if title else 8.0) + 14 * bool(notes)
    bottom = 40.0 + 17 * -(-len(handles) // 4)  # the axis, then the legend's rows
    height = top + plot_h + bottom
    fig.set_size_inches(pictures.WIDTH / pictures.DPI, height / pictures.DPI)
    ax.set_position((left / pictures.WIDTH, bottom / height, plot_w / pictures.WIDTH, plot_h / height))
    ax.set(xlim=(t_min, t_max), ylim=(plot_h, 0))
    ax.set_yticks(rows, services, fontsize=9, fontweight="bold")
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=8, labelcolor=pictures.GREY)
    ax.set_xlabel("seconds from the start", fontsize=8, color=pictures.GREY, loc="right")
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.grid(axis="x", color="#eeeeee")
    ax.set_axisbelow(True)
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(4 / pictures.WIDTH, 2 / height), ncol=4,
               frameon=False, fontsize=8)
    fig.text(8 / pictures.WIDTH, 1 - 8 / height, title, va="top", fontsize=11, weight="bold")
    return fig
