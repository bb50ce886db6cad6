"""The dashboard and the image progress reporter build and work without a frontend (and the dashboard without an
engine: a stub client stands in for docker.DockerClient)."""
from __future__ import annotations

import io
import queue
import time

import pytest
from tqdm.notebook import tqdm as notebook_tqdm

from helpers import dashboard, images
from helpers import progress as progress_module
from helpers.containers import started_at
from helpers.dashboard import Dashboard
from helpers.images import Step
from helpers.progress import ImageProgress
from workshop.standins import BASE_IMAGE

PROJECT = "zz-stub-learner"


class StubContainer:
    def __init__(self, service, status="running", health=None, restarts=0, image="redis:8", image_id="sha256:r",
                 oneoff="False", ports=None):
        self.name = f"{PROJECT}-{service}-1"
        self.labels = {"com.docker.compose.project": PROJECT, "com.docker.compose.service": service,
                       "com.docker.compose.oneoff": oneoff}
        state = {"Status": status, "StartedAt": "2020-01-01T00:00:00.123456789Z" if status == "running"
                 else "0001-01-01T00:00:00Z"}
        if health:
            state["Health"] = {"Status": health}
        self.attrs = {"Created": "2020-01-01T00:00:00Z", "State": state, "RestartCount": restarts,
                      "Config": {"Image": image}, "Image": image_id,
                      "NetworkSettings": {"Ports": ports or {}}}
        self.calls = []

    @property
    def health(self):  # as docker-py's Container.health
        return (self.attrs["State"].get("Health") or {}).get("Status", "unknown")

    def stop(self, timeout=10):
        self.calls.append("stop")
        self.attrs["State"] = {"Status": "exited", "StartedAt": self.attrs["State"]["StartedAt"]}

    def start(self):
        self.calls.append("start")
        self.attrs["State"] = {"Status": "running", "StartedAt": "2020-01-01T00:00:00Z"}


class StubStream:
    def __init__(self):
        self.q: queue.Queue = queue.Queue()
        self.closed = False

    def __iter__(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            yield item

    def close(self):
        self.closed = True
        self.q.put(None)


class StubImage:
    def __init__(self, labels):
        self.labels = labels


class StubEngine:
    def __init__(self, containers):
        self.containers = self
        self.images = self
        self.items = containers
        self.stream = StubStream()
        self.list_filters = []

    def list(self, all=False, filters=None, ignore_removed=False):  # the SDK's argument names
        self.list_filters.append(filters)
        labels = filters["label"]
        return [c for c in self.items if all and all_labels(c, labels)]

    def get(self, image_id):
        if image_id == "sha256:r":  # the stand-in for redis:8
            return StubImage({"io.compose-course.standin": "true", "io.compose-course.standin.for": "redis:8"})
        if image_id == "sha256:p":  # built FROM a stand-in: inherits its labels, but is not one
            return StubImage({"io.compose-course.standin": "true", "io.compose-course.standin.for": "python:3.13"})
        return StubImage({})

    def events(self, **kwargs):
        self.events_kwargs = kwargs
        return self.stream


def all_labels(c, labels):
    return all(c.labels.get(k) == v for k, v in (x.split("=", 1) for x in labels))


@pytest.fixture
def engine():
    return StubEngine([
        StubContainer("cache", health="healthy", ports={"6379/tcp": [{"HostIp": "127.0.0.1", "HostPort": "16379"},
                                                                      {"HostIp": "::", "HostPort": "16379"}]}),
        StubContainer("web", status="exited", image="python:3.13-slim", image_id="sha256:p", restarts=2),
        StubContainer("crasher", oneoff="True"),
    ])


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_dashboard_rows_from_the_engine(engine):
    dash = Dashboard(PROJECT, engine=engine, live=False)
    rows = {r["service"]: r for r in dash.rows()}
    assert set(rows) == {"cache", "web"}  # the one-off helper container is not a service
    assert engine.list_filters[0] == {"label": [f"com.docker.compose.project={PROJECT}"]}
    cache, web = rows["cache"], rows["web"]
    assert (cache["state"], cache["health"], cache["restarts"], cache["standin"]) == ("running", "healthy", 0, True)
    assert cache["ports"] == "127.0.0.1:16379→6379/tcp"
    assert cache["uptime"] > 3600
    assert (web["state"], web["health"], web["restarts"], web["standin"], web["uptime"]) == \
        ("exited", "—", 2, False, None)


def test_dashboard_widget_without_a_frontend(engine):
    dash = Dashboard(PROJECT, engine=engine, live=False)
    bundle = dash._repr_mimebundle_()
    assert "dashboard" in bundle["text/plain"] and PROJECT not in bundle["text/plain"]  # no learner once reloaded
    assert repr(dash) == f"<Dashboard of project {PROJECT} (a live widget: needs a running kernel)>"
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == dash.widget.model_id
    assert "course-dashboard" in dash.widget._dom_classes
    # header row (8 cells) + 2 services x 8 cells
    assert len(dash.grid.children) == 24
    web = dash._cells["web"]
    assert web["start"].disabled is False and web["stop"].disabled is True and web["crash"].disabled is True
    assert "stand-in" in dash._cells["cache"]["image"].value and "stand-in" not in web["image"].value


def test_dashboard_follows_events_and_closes(engine):
    dash = Dashboard(PROJECT, engine=engine, tick=0.05)
    assert engine.events_kwargs["filters"] == {"label": [f"com.docker.compose.project={PROJECT}"],
                                               "type": ["container"]}
    web = engine.items[1]
    web.attrs["State"] = {"Status": "running", "StartedAt": "2020-01-01T00:00:00Z", "Health": {"Status": "starting"}}
    web.attrs["RestartCount"] = 3
    n = len(engine.list_filters)
    engine.stream.q.put({"Action": "exec_start: true", "Actor": {"Attributes": {"com.docker.compose.service": "web"}}})
    engine.stream.q.put({"Action": "start", "Actor": {"Attributes": {"com.docker.compose.service": "web",
                                                                     "com.docker.compose.oneoff": "False"}}})
    assert wait_for(lambda: {r["service"]: r for r in dash.rows()}["web"]["restarts"] == 3)
    assert len(engine.list_filters) == n + 1  # the exec_* probe event did not cause a read
    assert engine.list_filters[-1]["label"][-1] == "com.docker.compose.service=web"
    assert "starting" in dash._cells["web"]["health"].value
    dash.close()
    assert engine.stream.closed and dash.closed
    assert not any(t.is_alive() for t in dash._threads)
    assert all(dash._cells[s][b].disabled for s in ("web", "cache") for b in ("stop", "crash", "start"))


def test_dashboard_buttons_act_in_the_background(engine):
    dash = Dashboard(PROJECT, engine=engine, live=False)
    dash._cells["cache"]["stop"].click()
    assert wait_for(lambda: "done" in dash.message.value)
    assert engine.items[0].calls == ["stop"]
    assert "now exited" in dash.message.value
    dash._cells["nothing"] = dash._cells["cache"]
    dash._act("start", "nothing")
    assert wait_for(lambda: "failed" in dash.message.value)
    assert "KeyError" in dash.message.value


def test_dashboard_of_an_empty_project():
    dash = Dashboard(PROJECT, engine=StubEngine([]), live=False)
    assert dash.rows() == [] and "no containers" in dash.message.value


def test_uptime_ports_and_engine_times():
    assert [dashboard.uptime_text(s) for s in (None, 5, 65, 7260)] == ["—", "5s", "1m 05s", "2h 01m"]
    assert dashboard.ports_text({}) == "—"
    assert dashboard._since(None) is None
    running = StubContainer("web")
    running.attrs["State"]["StartedAt"] = "2020-01-01T00:00:10.5Z"
    assert dashboard._since(started_at(running), now=1577836815.0) == pytest.approx(4.5)
    running.attrs["State"]["StartedAt"] = "2020-01-01T00:00:10.123456789Z"  # the engine's nanoseconds
    assert started_at(running).microsecond == 123456
    assert started_at(StubContainer("web", status="created")) is None


# ------------------------------------------------------------------------------------------- image progress
STEPS = [  # what helpers.images reports for: present, pulled, built stand-in
    Step("postgres:17", "present", "official"),
    Step("redis:8", "pulling", "not on the engine"),
    Step("redis:8", "pulling", "8a1e25ce7c4f Pull complete"),
    Step("redis:8", "pulled"),
    Step("python:3.13-slim", "pulling", "not on the engine"),
    Step("python:3.13-slim", "failed", "no registry"),
    Step(BASE_IMAGE, "building", "debootstrap --variant=minbase trixie (about 30 s)"),
    Step(BASE_IMAGE, "built"),
    Step("python:3.13-slim", "building", "Step 4/13 : RUN apt-get update"),
    Step("python:3.13-slim", "built", "stand-in, labelled io.compose-course.standin=true"),
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_prints_a_line_per_step_and_no_bar_where_the_output_is_no_terminal() -> None:
    out = io.StringIO()
    with ImageProgress(file=out) as progress:
        for step in STEPS[:4]:
            progress(step)
        assert (progress.bar.n, progress.bar.total) == (2, 3)
        for step in STEPS[4:]:
            progress(step)
    assert out.getvalue().splitlines() == [
        "[1/3] postgres:17 present: official",
        "[2/3] redis:8 pulling: not on the engine",
        "[2/3] redis:8 pulling: 8a1e25ce7c4f Pull complete",
        "[2/3] redis:8 pulled",
        "[3/3] python:3.13-slim pulling: not on the engine",
        "[3/3] python:3.13-slim failed: no registry",
        "[3/3] compose-course/debian-base:trixie building: debootstrap --variant=minbase trixie (about 30 s)",
        "[3/3] compose-course/debian-base:trixie built",
        "[3/3] python:3.13-slim building: Step 4/13 : RUN apt-get update",
        "[3/3] python:3.13-slim built: stand-in, labelled io.compose-course.standin=true",
    ]
    assert progress.bar.n == 3


def test_progress_bar_names_the_image_and_its_step_in_a_terminal() -> None:
    out = Terminal()
    with ImageProgress(file=out) as progress:
        for step in STEPS[:7]:
            progress(step)
        assert progress.bar.desc == "python:3.13-slim: " and progress.bar.n == 2
        assert progress.bar.postfix == "compose-course/debian-base:trixie building: debootstrap --variant=minbase " \
                                       "trixie (about 30 s)"  # the base image is no course image: named in full
        for step in STEPS[7:]:
            progress(step)
        assert progress.bar.postfix == "built: stand-in, labelled io.compose-course.standin=true"
    text = out.getvalue()
    assert "\r[2/3] redis:8 pulled\n" in text  # the bar cleared, the line written, the bar drawn again
    assert text.rsplit("\r", 1)[-1].startswith("images: 100%|##########| 3/3 [")  # the bar as it is left


def test_progress_in_jupyter_is_the_bar_alone_and_turns_red_on_failure(monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(progress_module, "tqdm", notebook_tqdm)
    with pytest.raises(RuntimeError), ImageProgress() as progress:
        for step in STEPS[:6]:
            progress(step)
        raise RuntimeError("no stand-in either")
    desc, bar, postfix = progress.bar.container.children
    assert (bar.value, bar.max, bar.bar_style) == (2, 3, "danger")
    assert "python:3.13-slim" in desc.value and "failed:\u2007no\u2007registry" in postfix.value
    assert "[3/3]" not in capsys.readouterr().out  # no lines: display() outside a kernel prints only the bar


def test_progress_in_jupyter_ends_as_a_line_in_place_of_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []

    class Handle:
        def update(self, obj: object) -> None:
            shown.append(obj)

    monkeypatch.setattr(progress_module, "tqdm", notebook_tqdm)
    monkeypatch.setattr(progress_module, "display", lambda obj, display_id: shown.append(obj) or Handle())
    with ImageProgress() as progress:
        for step in STEPS:
            progress(step)
    assert shown[0] is progress.bar.container  # the live bar, then the line that replaces it (reloads keep it)
    assert [getattr(s, "data", None) for s in shown[1:]] == ["images: 3/3 ready"]
    assert progress.bar.container.comm is None  # the widget is closed: nothing live is left to lose


def test_progress_is_what_ensure_images_takes() -> None:
    def ensure(image: images.CourseImage, progress: images.Progress) -> images.Outcome:
        progress(Step(image.ref, "present"))
        return "present"

    out = io.StringIO()
    with ImageProgress(file=out) as progress:
        assert images.ensure_images(progress, ensure) == {ref: "present" for ref in progress.refs}
    assert progress.bar.n == progress.bar.total == 3
    assert out.getvalue().splitlines()[1] == "[2/3] redis:8 present"
