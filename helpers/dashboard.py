"""Live dashboard of a project: one row per service (state, health, restarts, uptime, ports, image), kept current by
the engine's events, with buttons to stop, crash (:func:`helpers.crash`: the restart policy applies) and start it.

``dash = Dashboard(project)``, then ``display(dash)``. Containers are found by ``com.docker.compose.project`` alone,
so ``docker compose -p NAME up`` shows too; one-off containers do not. Call :meth:`Dashboard.close` (or use
``with``) before removing the project. Tests build it against a stub ``engine=``; the ``text/plain`` repr is a
stable line for nbval; print :meth:`Dashboard.rows` to prove something.
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
from .engine import caller, client
from .images import is_standin

_STATE_COLOUR = {"running": "#238b45", "restarting": "#e6550d", "paused": "#6a51a3", "exited": "#a50f15",
                 "dead": "#a50f15", "created": "#636363", "removed": "#969696"}
_HEALTH_COLOUR = {"healthy": "#238b45", "unhealthy": "#a50f15", "starting": "#e6550d"}
_COLUMNS = ["service", "state", "health", "restarts", "uptime", "ports", "image"]  # then the buttons
_BUTTONS = {  # action: (icon, style, tooltip, width); {} is the service
    "stop": ("stop", "", "docker stop: {}", "70px"),
    "crash": ("bolt", "danger", "SIGKILL to the main process from outside the API (a real crash)", "76px"),
    "start": ("play", "success", "docker start: {}", "70px"),
}
_STANDIN_BADGE = (" <span style='background:#fdd49e;color:#7f2704;padding:0 4px;border-radius:3px' "
                  "title='io.compose-course.standin=true: built locally from Debian packages'>stand-in</span>")


def _since(started: datetime | None, now: float | None = None) -> float | None:
    """Seconds since ``started``; None if it never started."""
    if started is None:
        return None
    return max(0.0, (now if now is not None else time.time()) - started.timestamp())


def uptime_text(seconds: float | None) -> str:
    """``"42s"``, ``"3m 05s"``, ``"2h 01m"``, ``"—"`` when not running."""
    if seconds is None:
        return "—"
    minutes, s = divmod(int(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h {m:02d}m" if hours else f"{m}m {s:02d}s" if minutes else f"{s}s"


def ports_text(attrs: dict[str, Any]) -> str:
    """Published ports from ``NetworkSettings.Ports``: ``127.0.0.1:15432→5432/tcp``; ``—`` if none."""
    ports = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    return ", ".join(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}→{inner}"
                     for inner, bindings in sorted(ports.items()) for b in bindings or []
                     if b.get("HostIp") != "::") or "—"  # "::" is the IPv6 twin of a 0.0.0.0 binding


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
        self.title = widgets.HTML()
        self._title("live")
        self.grid = widgets.GridBox(layout=widgets.Layout(grid_template_columns="repeat(7, max-content) 240px",
                                                          grid_gap="2px 10px", align_items="center"))
        self.message = widgets.HTML("")
        self.widget = widgets.VBox([self.title, self.grid, self.message])
        self.widget.add_class("course-dashboard")
        if live:  # subscribe first, then read: an event in between is not lost (refresh holds the lock)
            self._follower = events.Follower(events.of_project(self.project), self._on_event, engine=self._engine,
                                             on_end=lambda why: self._title(f"{why}: not live any more"),
                                             name=f"dashboard-{self.project}").start()
        self.refresh()
        if live:
            self._threads.append(threading.Thread(target=self._tick, args=(tick,), daemon=True,
                                                  name=f"dashboard-uptime-{self.project}"))
            self._threads[-1].start()

    # -- reading the engine
    def _facts_of(self, service: str, containers: list[Any]) -> dict[str, Any]:
        c = newest(containers)  # a recreated service's current one; a scaled one shows its count
        if c is None:
            return {"service": service, "container": "", "state": "removed", "health": "—", "restarts": 0,
                    "started_at": None, "ports": "—", "image": "", "standin": False, "count": 0}
        state = c.attrs.get("State") or {}
        image = str((c.attrs.get("Config") or {}).get("Image") or "")
        image_id = str(c.attrs.get("Image", ""))
        if image_id not in self._image_labels:
            try:
                self._image_labels[image_id] = dict(self._engine.images.get(image_id).labels or {})
            except Exception:  # noqa: BLE001 - image removed meanwhile: not a stand-in we can tell of
                self._image_labels[image_id] = {}
        return {
            "service": service, "container": c.name, "state": str(state.get("Status", "?")),
            # an exited container keeps the health of its last probe: it means nothing once the process is gone
            "health": health(c) if health(c) != "none" and state.get("Status") == "running" else "—",
            "restarts": int(c.attrs.get("RestartCount", 0)),
            "started_at": started_at(c) if state.get("Status") == "running" else None,
            "ports": ports_text(c.attrs), "image": image,
            # the stand-in FOR this ref only: images derived from a stand-in inherit its labels
            "standin": is_standin(self._image_labels[image_id], image), "count": len(containers),
        }

    def refresh(self, service: str | None = None) -> None:
        """Re-read one service (or all) from the engine and update the rows."""
        labels = [f"{naming.PROJECT_LABEL}={self.project}"] + ([f"{naming.SERVICE_LABEL}={service}"] if service else [])
        with self._lock:  # read and show as one step: a later event's re-read cannot be overtaken by an older one
            # ignore_removed: a container removed between the listing and its inspection is simply not there
            found: list[Any] = self._engine.containers.list(all=True, filters={"label": labels}, ignore_removed=True)
            by_service: dict[str, list[Any]] = {}
            for c in found:
                if (c.labels or {}).get(naming.ONEOFF_LABEL) != "True":
                    by_service.setdefault(c.labels.get(naming.SERVICE_LABEL, c.name), []).append(c)
            names = [service] if service else sorted(set(by_service) | set(self._facts))
            for name in names:
                self._facts[name] = self._facts_of(name, by_service.get(name, []))
                if by_service.get(name):
                    self._containers[name] = newest(by_service[name])
            self._render()

    def rows(self) -> list[dict[str, Any]]:
        """The current facts per service (plain dicts; ``uptime`` in seconds or None), sorted by service."""
        with self._lock:
            rows = [dict(self._facts[name]) for name in sorted(self._facts)]
        for row in rows:
            row["uptime"] = _since(row.pop("started_at"))
        return rows

    # -- drawing
    def _title(self, status: str) -> None:
        self.title.value = (f"<b>Project {html.escape(self.project)}</b> "
                            f"<span style='color:#636363'>— {html.escape(status)}</span>")

    def _row_widgets(self, service: str) -> dict[str, widgets.Widget]:
        cells: dict[str, widgets.Widget] = {k: widgets.HTML("", layout=widgets.Layout(width="auto")) for k in _COLUMNS}
        buttons = {}
        for action, (icon, style, tooltip, width) in _BUTTONS.items():
            buttons[action] = widgets.Button(description=action, icon=icon, button_style=style,
                                             tooltip=tooltip.format(service), layout=widgets.Layout(width=width))
            buttons[action].add_class(f"course-dashboard-{action}")
            buttons[action].on_click(lambda _b, a=action: self._act(a, service))
        cells.update(buttons, buttons=widgets.HBox(list(buttons.values())))
        row_class = "course-dashboard-row-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in service)
        for key in [*_COLUMNS, "buttons"]:  # for the browser test, and for styling: .course-dashboard-state
            cells[key].add_class(f"course-dashboard-{key}")
            cells[key].add_class(row_class)
        return cells

    def _render(self) -> None:
        new = [s for s in sorted(self._facts) if s not in self._cells]
        for service in new:
            self._cells[service] = self._row_widgets(service)
        if new or not self.grid.children:
            children = [widgets.HTML(f"<b>{c}</b>", layout=widgets.Layout(width="auto")) for c in [*_COLUMNS, ""]]
            for service in sorted(self._cells):
                children += [self._cells[service][k] for k in [*_COLUMNS, "buttons"]]
            self.grid.children = tuple(children)
        for service, facts in self._facts.items():
            self._fill(service, facts)
        if not self._facts:
            self.message.value = "<i>no containers of this project yet</i>"

    def _fill(self, service: str, facts: dict[str, Any]) -> None:
        cells, state, health = self._cells[service], facts["state"], facts["health"]
        count = f" ×{facts['count']}" if facts["count"] > 1 else ""
        cells["service"].value = f"<b>{html.escape(service)}</b>{count}"
        cells["state"].value = f"<span style='color:{_STATE_COLOUR.get(state, '#252525')}'>{state}</span>"
        cells["health"].value = f"<span style='color:{_HEALTH_COLOUR.get(health, '#636363')}'>{health}</span>"
        cells["restarts"].value = str(facts["restarts"])
        cells["uptime"].value = uptime_text(_since(facts["started_at"]))
        cells["ports"].value = f"<code style='white-space:nowrap'>{html.escape(facts['ports'])}</code>"
        image = f"<code>{html.escape(facts['image'])}</code>" + (_STANDIN_BADGE if facts["standin"] else "")
        cells["image"].value = f"<span style='white-space:nowrap'>{image}</span>"
        running, closed = state in ("running", "restarting"), self._closed.is_set()
        cells["stop"].disabled = closed or not running
        cells["crash"].disabled = closed or state != "running"
        cells["start"].disabled = closed or running or state == "removed"

    # -- live updates
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
                with caller(f"dashboard-{action}"):
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
        self._title("closed: not updated any more")

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
        # what nbval compares, and what JupyterLab, GitHub and nbviewer show once the kernel is gone: no learner
        bundle["text/plain"] = ("<a live dashboard of this lesson's project: it shows while the notebook's kernel "
                                "runs; run the cell to see it (after a reload of the page too)>")
        return bundle
