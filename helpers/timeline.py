"""Readiness timeline: what the engine reported about a project's containers, each service on one time axis.

``with Timeline(project) as tl: ...`` follows the events of the project's containers and keeps them as plain dicts
in :attr:`Timeline.events` (``t`` in seconds from the start), with annotations: :meth:`~Timeline.mark` (a moment)
and :meth:`~Timeline.span` / :meth:`~Timeline.hold` (an interval, e.g. while ``depends_on`` holds a service back).
A cell ending with ``tl`` shows the picture (a PNG); under nbval, print :meth:`~Timeline.actions` (stable from run
to run) in a compared cell and show ``tl`` in a cell marked ``# NBVAL_IGNORE_OUTPUT``.

A restart policy's restart reaches the engine's stream as plain ``die`` + ``start``: while recording, the Timeline
reads ``RestartCount`` at each ``start`` (a policy restart raises it, ``docker start`` resets it to 0); for raw events
without counts, a ``start`` right after a ``die`` with no ``stop`` between counts as a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import docker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from . import events, naming, pictures
from .engine import client

Entry = dict[str, Any]
NOTES = ("mark", "span")

#: engine ``Action`` -> the short name used in :attr:`Timeline.events`
ACTIONS = {a: a for a in ("create", "start", "die", "kill", "stop", "restart", "destroy", "oom", "pause", "unpause")}
ACTIONS.update({"health_status: healthy": "healthy", "health_status: unhealthy": "unhealthy"})
SIGNALS = {"9": "SIGKILL", "15": "SIGTERM", "2": "SIGINT", "1": "SIGHUP", "3": "SIGQUIT"}
_ns = events.time_ns


def _is_raw(item: dict[str, Any]) -> bool:
    return "timeNano" in item or "Actor" in item


def _key(raw: dict[str, Any]) -> str:
    return f"{raw.get('id')}@{_ns(raw)}"


def _who(entry: Entry) -> str:
    return str(entry.get("container") or entry.get("service"))


def normalize(raw: dict[str, Any], t0_ns: int, include_oneoff: bool = False,
              restart_counts: dict[str, int] | None = None) -> Entry | None:
    """One decoded engine event -> an entry, or None for what is not shown (other types, ``exec_*`` of
    healthchecks, containers of no service, one-off containers such as :func:`helpers.crash`'s)."""
    action = ACTIONS.get(str(raw.get("Action") or raw.get("status") or ""))
    attrs = (raw.get("Actor") or {}).get("Attributes") or {}
    service = attrs.get(naming.SERVICE_LABEL)
    if raw.get("Type", "container") != "container" or action is None or not service or (
            attrs.get(naming.ONEOFF_LABEL) == "True" and not include_oneoff):
        return None
    entry: Entry = {"t": round((_ns(raw) - t0_ns) / 1e9, 3), "service": service, "container": attrs.get("name", ""),
                    "action": action}
    if action == "die":
        entry["exit_code"] = int(attrs.get("exitCode", 0))
    if action == "kill":
        entry["signal"] = SIGNALS.get(str(attrs.get("signal")), f"signal {attrs.get('signal')}")
    if action == "start" and _key(raw) in (restart_counts or {}):
        entry["restart_count"] = (restart_counts or {})[_key(raw)]
    return entry


def die_before_stop(entries: list[Entry]) -> list[Entry]:
    """Put each ``stop`` after the ``die`` it caused: Docker 20.10 sends ``die`` first, Docker 25+ may send ``stop``
    a moment before it. The order shown holds on every engine: the container died, then the stop completed."""
    result = list(entries)
    i = 0
    while i < len(result):
        later = next((j for j in range(i + 1, len(result))
                      if result[j]["action"] not in NOTES and _who(result[j]) == _who(result[i])), None)
        if result[i]["action"] == "stop" and later is not None and result[later]["action"] == "die":
            moved = result.pop(i)
            moved["t"] = max(moved["t"], result[later - 1]["t"])  # reported once the process had died
            result.insert(later, moved)
        else:
            i += 1
    return result


def mark_restarts(entries: list[Entry]) -> list[Entry]:
    """Mark ``die`` + ``start`` pairs caused by a restart policy ``restarted``: the ``start``'s ``restart_count``
    went up, or (without counts) no ``stop`` came between."""
    last: dict[str, Entry] = {}
    counts: dict[str, int] = {}
    for entry in (e for e in entries if e["action"] not in NOTES):
        key, action = _who(entry), entry["action"]
        if action in ("die", "start"):
            entry.setdefault("restarted", False)
        previous = last.get(key)
        if action == "start" and previous is not None and previous["action"] == "die":
            restarted = int(entry["restart_count"]) > counts.get(key, 0) if "restart_count" in entry else True
            entry["restarted"] = previous["restarted"] = restarted
        if "restart_count" in entry:
            counts[key] = int(entry["restart_count"])
        if action in ("create", "start", "die", "stop", "destroy"):
            last[key] = entry
    return entries


def word(entry: Entry) -> str:
    """A short stable word for an entry: ``start``, ``start (restarted)``, ``die 137``, ``kill SIGTERM``, ..."""
    action, again = entry["action"], " (restarted)" if entry.get("restarted") else ""
    if action == "die":
        return f"die {entry.get('exit_code', '?')}{again}"
    if action == "kill":
        return f"kill {entry.get('signal', '')}".strip()
    if action in NOTES:
        return f"{action}: {entry.get('text', '')}"
    return f"start{again}" if action == "start" else str(action)


class Timeline:
    """Engine events of one project's containers (``project``: a name or a :class:`helpers.Project`) on one time
    axis, plus marks and spans. Use as a context manager, or call :meth:`start` and :meth:`stop`."""

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
        self.t0_ns = time.time_ns()
        self.end: float | None = None
        self.error: str | None = None  # why the event stream ended early, if it did

    def start(self) -> Timeline:
        """Subscribe to the project's container events; the time axis starts now."""
        self._engine = self._engine or client()
        self._follower = events.Follower(events.of_project(self.project), self._on_event, engine=self._engine,
                                         name=f"timeline-{self.project}").start()
        self.t0_ns, self.end = time.time_ns(), None
        return self

    def _on_event(self, raw: dict[str, Any]) -> None:
        if raw.get("Action") == "start":  # RestartCount now tells a policy restart from docker start
            with suppress(docker.errors.NotFound):  # removed meanwhile: the heuristic decides
                info = (self._engine or client()).api.inspect_container(raw["id"])
                self.restart_counts[_key(raw)] = int(info.get("RestartCount", 0))
        self._add([raw])

    def _awaiting_die(self) -> bool:
        """A container reported ``stop`` but not yet its ``die`` (Docker 25+ may send them in that order)."""
        since_start: dict[str, set[str]] = {}  # container id -> its die / stop since its last start
        with self._lock:
            for raw in self._raw:
                if raw.get("Action") == "start":
                    since_start[str(raw.get("id"))] = set()
                elif raw.get("Action") in ("die", "stop"):
                    since_start.setdefault(str(raw.get("id")), set()).add(str(raw["Action"]))
        return {"stop"} in since_start.values()

    def stop(self, settle: float = 5.0) -> Timeline:
        """Stop following, waiting (at most ``settle`` s) for the ``die`` of a ``stop`` already seen; then add
        the engine's history of the recording, so no event is lost to a race."""
        if self._follower is None:
            return self
        self._merge_history(time.time_ns())  # a stop still in flight on the live stream counts too
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
        with suppress(docker.errors.DockerException):  # the live stream already has nearly everything
            self._add(events.history(events.of_project(self.project), self.t0_ns, until_ns, self._engine))

    def _add(self, found: list[dict[str, Any]]) -> None:
        """Keep engine events in time order, each once (the live stream and the history can both bring one)."""
        with self._lock:
            seen = {(r.get("id"), r.get("Action"), _ns(r)) for r in self._raw}
            for raw in found:
                if (key := (raw.get("id"), raw.get("Action"), _ns(raw))) not in seen:
                    self._raw.append(raw)
                    seen.add(key)
            self._raw.sort(key=_ns)

    def __enter__(self) -> Timeline:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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

    @property
    def raw(self) -> list[dict[str, Any]]:
        """The engine's events as it sent them (decoded JSON), oldest first: what :meth:`from_events` takes."""
        with self._lock:
            return list(self._raw)

    @property
    def events(self) -> list[Entry]:
        """Engine events (``create``, ``start``, ``healthy``, ``die`` with ``exit_code``, ``kill`` with ``signal``,
        ...) and annotations as plain dicts, by time."""
        if self._recorded is None:
            found = [normalize(r, self.t0_ns, self.include_oneoff, self.restart_counts) for r in self.raw]
        else:
            found = [dict(e) for e in self._recorded]
        entries = sorted([e for e in found if e] + [dict(n) for n in self._notes], key=lambda e: e["t"])  # stable
        return mark_restarts(die_before_stop(entries))

    @property
    def services(self) -> list[str]:
        """Services in order of their first entry (the rows of the picture)."""
        return list(dict.fromkeys(e["service"] for e in self.events if e.get("service")))

    def actions(self, service: str | None = None,
                include_notes: bool = False) -> dict[str, list[str]] | list[str]:
        """Each service's events in order, as :func:`word` words: ``{"db": ["create", "start", "healthy"]}``
        (with ``service``: that service's list). Stable from run to run: print it in a compared cell."""
        result: dict[str, list[str]] = {}  # in the order of the rows
        for entry in self.events:
            if entry.get("service"):
                words = result.setdefault(entry["service"], [])
                if include_notes or entry["action"] not in NOTES:
                    words.append(word(entry))
        result = {s: words for s, words in result.items() if words}
        return result.get(service, []) if service is not None else result

    def first(self, service: str, action: str) -> float | None:
        """Time of ``service``'s first ``action`` (e.g. ``tl.first("web", "start")``), or None."""
        return next((float(e["t"]) for e in self.events if e.get("service") == service and e["action"] == action),
                    None)

    @classmethod
    def from_events(cls, events: Iterable[dict[str, Any]], project: str = "", t0_ns: int | None = None,
                    end: float | None = None, restart_counts: dict[str, int] | None = None) -> Timeline:
        """A timeline of recorded data: :attr:`events` entries, raw engine events (placed relative to ``t0_ns``,
        default the first one's time), or both; ``restart_counts`` is a recording's :attr:`restart_counts`."""
        items = list(events)
        tl = cls(project)
        tl._raw = sorted((e for e in items if _is_raw(e)), key=_ns)
        tl.t0_ns = t0_ns if t0_ns is not None else min(map(_ns, tl._raw), default=0)
        tl.restart_counts, tl.end = dict(restart_counts or {}), end
        recorded = [normalize(r, tl.t0_ns, restart_counts=tl.restart_counts) for r in tl._raw]
        tl._recorded = [e for e in recorded if e]
        for entry in (dict(e) for e in items if not _is_raw(e)):
            (tl._notes if entry.get("action") in NOTES else tl._recorded).append(entry)
        return tl

    def figure(self, title: str | None = None) -> Figure:
        """The picture as a matplotlib figure (``tl.figure().savefig("timeline.png")``)."""
        with pictures.style():
            return draw(self.events, self.end, f"Timeline of {self.project}".strip() if title is None else title)

    def _repr_png_(self) -> bytes:
        return pictures.png(self.figure())

    def __repr__(self) -> str:
        n = sum(e["action"] not in NOTES for e in self.events)
        return f"<Timeline {self.project!r}: {n} engine events, services {self.services}>"


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
_BAND = {"created": "#d9d9d9", "running": "#9ecae1", "healthy": "#74c476", "unhealthy": "#fb6a4a", "paused": "#bcbddc"}
_STATE = {"create": "created", "start": "running", "healthy": "healthy", "unhealthy": "unhealthy", "pause": "paused",
          "unpause": "running"}
_SPAN = ("#fdd49e", "#e6550d", "#a63603")  # fill, edge, text


def _bands(entries: list[Entry], t_end: float) -> list[tuple[float, float, str]]:
    """State intervals of one row, from its engine events: (start, end, state)."""
    bands: list[tuple[float, float, str]] = []
    state: dict[str, tuple[float, str]] = {}  # container -> (since, state)
    ends = [{"t": t_end, "container": key, "action": "destroy"} for key in dict.fromkeys(map(_who, entries))]
    for e in entries + ends:  # each container's last state lasts to the end
        if e["action"] in (*_STATE, "die", "destroy"):  # an oom is followed by its die
            since, name = state.pop(_who(e), (float(e["t"]), ""))
            if float(e["t"]) > since:
                bands.append((since, float(e["t"]), name))
            if e["action"] in _STATE:
                state[_who(e)] = (float(e["t"]), _STATE[e["action"]])
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
    words = {"die": f"exit {e.get('exit_code', '?')}", "kill": str(e.get("signal", "kill")),
             "start": "restarted" if e.get("restarted") else "", "mark": str(e.get("text", ""))}
    return words.get(e["action"], e["action"] if e["action"] in ("restart", "oom", "unhealthy", "stop") else "")


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
        for b0, b1, state in _bands([e for e in mine if e["action"] not in NOTES], t_max):
            used.add(state)
            ax.add_patch(Rectangle((b0, y - 6), b1 - b0, 12, fc=_BAND[state], lw=0, zorder=1))
        above: list[list[tuple[float, float]]] = [[], []]  # lanes of labels, in pixels
        under: list[list[tuple[float, float]]] = [[], [], [], []]
        below = 10.0
        for e in mine:
            t = float(e["t"])
            label = str(e.get("text", "")) if e["action"] == "span" else _label(e)
            w = pictures.text_width(label, 7.5)
            key = "start (restarted)" if e["action"] == "start" and e.get("restarted") else e["action"]
            if key == "span":
                used.add("span")
                ax.add_patch(Rectangle((t, y + 9), float(e["end"]) - t, 7, fc=_SPAN[0], ec=_SPAN[1], ls="--", lw=0.8))
                x = (fit(t, w) - t_min) * scale
                if (lane := _place(under, x, x + w)) is not None:
                    ax.text(fit(t, w), y + 18 + 11 * lane, label, va="top", fontsize=7.5, color=_SPAN[2])
                    below = max(below, 30.0 + 11 * lane)
            elif key in _GLYPHS:
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
