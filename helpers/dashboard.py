"""Live dashboard of a learner's project: one row per service, kept current by the engine's event stream.

``dash = Dashboard(project)`` (a project name or a :class:`helpers.Project`), then ``display(dash)`` (or end a cell
with ``dash``). Each row shows the service's container: state, health, ``RestartCount``, uptime, published ports and
image -- marked *stand-in* when the image carries ``io.compose-course.standin=true`` (a local build from Debian
packages, see :mod:`helpers.images`) -- with buttons to **stop** it (``docker stop``: the restart policy stays
quiet), **crash** it (:func:`helpers.crash`: SIGKILL from outside the API, so the policy restarts it) and
**start** it.

Containers are found by the label ``com.docker.compose.project`` alone, so a stack started with
``docker compose -p NAME up`` shows too; one-off containers (``docker compose run``, the crash helper) do not.
A :class:`helpers.events.Follower` follows the project's events and re-reads a service when one of its containers
reports something; a thread ticks the uptime. :meth:`Dashboard.close` ends both (and the stream):
call it before removing the project, or use ``with Dashboard(...) as dash``.

Construction needs no frontend (the widgets exist without a browser), so tests build it against a stub client
(``engine=``). In a committed notebook the widget shows only with a kernel; its ``text/plain`` fallback is a stable
one-liner, so nbval compares it as it is. Print :meth:`Dashboard.rows` facts (states, health) to prove something.

Used in the restart and healthcheck notebooks, and in ``tests/browser/data/dashboard_demo.ipynb``.
"""

from __future__ import annotations

import html
import threading
import time
from datetime import datetime
from typing import Any

import docker
import ipywidgets as widgets

from . import events, naming
from .containers import health, newest, started_at
from .engine import client
from .images import is_standin

_STATE_COLOUR = {"running": "#238b45", "restarting": "#e6550d", "paused": "#6a51a3", "exited": "#a50f15",
                 "dead": "#a50f15", "created": "#636363", "removed": "#969696"}
_HEALTH_COLOUR = {"healthy": "#238b45", "unhealthy": "#a50f15", "starting": "#e6550d"}
_COLUMNS = ["service", "state", "health", "restarts", "uptime", "ports", "image", ""]
_GRID = "repeat(7, max-content) 240px"


def _since(started: datetime | None, now: float | None = None) -> float | None:
    """Seconds since ``started`` (see :func:`helpers.containers.started_at`); None if it never started."""
    if started is None:
        return None
    return max(0.0, (now if now is not None else time.time()) - started.timestamp())


def uptime_text(seconds: float | None) -> str:
    """``"42s"``, ``"3m 05s"``, ``"2h 01m"``, ``"—"`` when not running."""
    if seconds is None:
        return "—"
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def ports_text(attrs: dict[str, Any]) -> str:
    """Published ports from ``NetworkSettings.Ports``: ``127.0.0.1:15432→5432/tcp``; ``—`` if none."""
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    out = []
    for inner, bindings in sorted(ports.items()):
        for b in bindings or []:
            host_ip = b.get("HostIp") or "0.0.0.0"
            if host_ip == "::":
                continue  # the IPv6 twin of a 0.0.0.0 binding
            out.append(f"{host_ip}:{b.get('HostPort')}→{inner}")
    return ", ".join(out) or "—"


class Dashboard:
    """ipywidgets dashboard of one project's services; see the module docstring."""

    def __init__(self, project: Any, *, engine: docker.DockerClient | None = None, live: bool = True,
                 tick: float = 1.0) -> None:
        self.project: str = str(getattr(project, "name", project))
        self._engine = engine or client()
        self._lock = threading.RLock()
        self._facts: dict[str, dict[str, Any]] = {}
        self._containers: dict[str, Any] = {}
        self._cells: dict[str, dict[str, widgets.Widget]] = {}
        self._image_labels: dict[str, dict[str, str]] = {}
        self._closed = threading.Event()
        self._follower: events.Follower | None = None
        self._threads: list[threading.Thread] = []
        self.title = widgets.HTML(self._title_html("live"))
        self.grid = widgets.GridBox(layout=widgets.Layout(grid_template_columns=_GRID, grid_gap="2px 10px",
                                                          align_items="center"))
        self.message = widgets.HTML("")
        self.widget = widgets.VBox([self.title, self.grid, self.message])
        self.widget.add_class("course-dashboard")
        self.refresh()
        if live:
            self._follower = events.Follower(events.of_project(self.project), self._on_event, engine=self._engine,
                                             on_end=self._ended, name=f"dashboard-{self.project}").start()
            self._start_thread(lambda: self._tick(tick), "uptime")

    # -- reading the engine
    def _list(self, service: str | None = None) -> list[Any]:
        labels = [f"{naming.PROJECT_LABEL}={self.project}"]
        if service:
            labels.append(f"{naming.SERVICE_LABEL}={service}")
        # ignore_removed: a container removed between the listing and its inspection is simply not there
        found = self._engine.containers.list(all=True, filters={"label": labels}, ignore_removed=True)
        return [c for c in found if (c.labels or {}).get(naming.ONEOFF_LABEL) != "True"]

    def _standin(self, image_id: str, ref: str) -> bool:
        """A stand-in only if the image is the stand-in FOR this ref (derived images inherit the labels)."""
        if image_id not in self._image_labels:
            try:
                self._image_labels[image_id] = dict(self._engine.images.get(image_id).labels or {})
            except Exception:  # noqa: BLE001 - image removed meanwhile: not a stand-in we can tell of
                self._image_labels[image_id] = {}
        return is_standin(self._image_labels[image_id], ref)

    def _facts_of(self, service: str, containers: list[Any]) -> dict[str, Any]:
        c = newest(containers)  # a recreated service's current one; a scaled one shows its count
        if c is None:
            return {"service": service, "container": "", "state": "removed", "health": "—", "restarts": 0,
                    "started_at": None, "ports": "—", "image": "", "standin": False, "count": 0}
        state = c.attrs.get("State") or {}
        image = str((c.attrs.get("Config") or {}).get("Image") or "")
        return {
            "service": service,
            "container": c.name,
            "state": str(state.get("Status", "?")),
            "health": "—" if health(c) == "none" else health(c),
            "restarts": int(c.attrs.get("RestartCount", 0)),
            "started_at": started_at(c) if state.get("Status") == "running" else None,
            "ports": ports_text(c.attrs),
            "image": image,
            "standin": self._standin(str(c.attrs.get("Image", "")), image),
            "count": len(containers),
        }

    def refresh(self, service: str | None = None) -> None:
        """Re-read one service (or all) from the engine and update the rows."""
        containers = self._list(service)
        by_service: dict[str, list[Any]] = {}
        for c in containers:
            by_service.setdefault(c.labels.get(naming.SERVICE_LABEL, c.name), []).append(c)
        with self._lock:
            names = [service] if service else sorted(set(by_service) | set(self._facts))
            for name in names:
                self._facts[name] = self._facts_of(name, by_service.get(name, []))
                if by_service.get(name):
                    self._containers[name] = newest(by_service[name])
            self._render()

    def rows(self) -> list[dict[str, Any]]:
        """The current facts per service (plain dicts; ``uptime`` in seconds or None), sorted by service."""
        with self._lock:
            out = []
            for name in sorted(self._facts):
                facts = dict(self._facts[name])
                facts["uptime"] = _since(facts.pop("started_at"))
                out.append(facts)
            return out

    # -- drawing
    def _title_html(self, status: str) -> str:
        return (f"<b>Project {html.escape(self.project)}</b> "
                f"<span style='color:#636363'>— {html.escape(status)}</span>")

    def _row_widgets(self, service: str) -> dict[str, widgets.Widget]:
        cells: dict[str, widgets.Widget] = {k: widgets.HTML("", layout=widgets.Layout(width="auto"))
                                            for k in _COLUMNS[:-1]}
        buttons = {
            "stop": widgets.Button(description="stop", icon="stop", tooltip=f"docker stop: {service}",
                                   layout=widgets.Layout(width="70px")),
            "crash": widgets.Button(description="crash", icon="bolt", button_style="danger",
                                    tooltip="SIGKILL to the main process from outside the API (a real crash)",
                                    layout=widgets.Layout(width="76px")),
            "start": widgets.Button(description="start", icon="play", button_style="success",
                                    tooltip=f"docker start: {service}", layout=widgets.Layout(width="70px")),
        }
        for action, button in buttons.items():
            button.add_class(f"course-dashboard-{action}")
            button.on_click(lambda _b, a=action, s=service: self._act(a, s))
        cells.update(buttons)
        cells["buttons"] = widgets.HBox(list(buttons.values()))
        row_class = "course-dashboard-row-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in service)
        for key in [*_COLUMNS[:-1], "buttons"]:  # for the browser test, and for styling: .course-dashboard-state
            cells[key].add_class(f"course-dashboard-{key}")
            cells[key].add_class(row_class)
        return cells

    def _render(self) -> None:
        new = [s for s in sorted(self._facts) if s not in self._cells]
        for service in new:
            self._cells[service] = self._row_widgets(service)
        if new or not self.grid.children:
            header = [widgets.HTML(f"<b>{c}</b>", layout=widgets.Layout(width="auto")) for c in _COLUMNS]
            children: list[widgets.Widget] = header
            for service in sorted(self._cells):
                cells = self._cells[service]
                children += [cells[k] for k in _COLUMNS[:-1]] + [cells["buttons"]]
            self.grid.children = tuple(children)
        for service, facts in self._facts.items():
            self._fill(service, facts)
        if not self._facts:
            self.message.value = "<i>no containers of this project yet</i>"

    def _fill(self, service: str, facts: dict[str, Any]) -> None:
        cells = self._cells[service]
        state, health = facts["state"], facts["health"]
        count = f" ×{facts['count']}" if facts["count"] > 1 else ""
        cells["service"].value = f"<b>{html.escape(service)}</b>{count}"
        cells["state"].value = f"<span style='color:{_STATE_COLOUR.get(state, '#252525')}'>{state}</span>"
        cells["health"].value = f"<span style='color:{_HEALTH_COLOUR.get(health, '#636363')}'>{health}</span>"
        cells["restarts"].value = str(facts["restarts"])
        cells["uptime"].value = uptime_text(_since(facts["started_at"]))
        cells["ports"].value = f"<code style='white-space:nowrap'>{html.escape(facts['ports'])}</code>"
        badge = (" <span style='background:#fdd49e;color:#7f2704;padding:0 4px;border-radius:3px' "
                 "title='io.compose-course.standin=true: built locally from Debian packages'>stand-in</span>"
                 if facts["standin"] else "")
        image = html.escape(facts["image"])
        cells["image"].value = f"<span style='white-space:nowrap'><code>{image}</code>{badge}</span>"
        running = state in ("running", "restarting")
        closed = self._closed.is_set()
        cells["stop"].disabled = closed or not running
        cells["crash"].disabled = closed or state != "running"
        cells["start"].disabled = closed or running or state == "removed"

    # -- live updates
    def _start_thread(self, target: Any, what: str) -> None:
        thread = threading.Thread(target=target, name=f"dashboard-{what}-{self.project}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _on_event(self, event: dict[str, Any]) -> None:
        if self._closed.is_set() or str(event.get("Action", "")).startswith("exec_"):
            return  # exec_*: healthcheck probes; the health_status event that follows is what counts
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        service = attrs.get(naming.SERVICE_LABEL)
        if service and attrs.get(naming.ONEOFF_LABEL) != "True":
            try:
                self.refresh(service)
            except Exception as exc:  # noqa: BLE001 - show it, keep following
                self._say(f"could not re-read {service}: {exc}", error=True)

    def _ended(self, why: str) -> None:
        self.title.value = self._title_html(f"{why}: not live any more")

    def _tick(self, every: float) -> None:
        while not self._closed.wait(every):
            with self._lock:
                for service, facts in self._facts.items():
                    self._cells[service]["uptime"].value = uptime_text(_since(facts["started_at"]))

    # -- actions
    def stop(self, service: str, timeout: int = 10) -> None:
        """``docker stop`` the service's container (SIGTERM, then SIGKILL after ``timeout`` s)."""
        self._container(service).stop(timeout=timeout)

    def start(self, service: str) -> None:
        """``docker start`` the service's container."""
        self._container(service).start()

    def crash(self, service: str) -> None:
        """Crash the service's container: :func:`helpers.crash` (its restart policy then applies)."""
        from .faults import crash

        crash(self._container(service))

    def _container(self, service: str) -> Any:
        with self._lock:
            if service not in self._containers:
                self.refresh(service)
            if service not in self._containers:
                raise KeyError(f"no container of service {service!r} in project {self.project}")
            return self._containers[service]

    def _act(self, action: str, service: str) -> None:
        """A button click: run the action in a thread (the kernel stays free), report in the message line."""

        def work() -> None:
            self._say(f"{action} {service} …")
            try:
                getattr(self, action)(service)
                self.refresh(service)
                self._say(f"{action} {service}: done — now {self._facts[service]['state']}")
            except Exception as exc:  # noqa: BLE001 - a button must report, not raise into the void
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._say(f"{action} {service} failed: {type(exc).__name__}: {first}", error=True)

        threading.Thread(target=work, name=f"dashboard-{action}-{service}", daemon=True).start()

    def _say(self, text: str, error: bool = False) -> None:
        colour = "#a50f15" if error else "#636363"
        self.message.value = f"<span style='color:{colour}'>{html.escape(text)}</span>"

    # -- lifecycle and display
    def close(self) -> None:
        """Stop following the engine (closes the event stream and ends both threads); the buttons go grey."""
        if self._closed.is_set():
            return
        self._closed.set()
        if self._follower is not None:
            self._follower.close()
        for thread in self._threads:
            thread.join(timeout=5)
        with self._lock:
            for service, facts in self._facts.items():
                self._fill(service, facts)
        self.title.value = self._title_html("closed: not updated any more")

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed.is_set()

    def __enter__(self) -> Dashboard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Dashboard of project {self.project} (a live widget: needs a running kernel)>"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)  # stable: what nbval compares and a static site shows
        return bundle
