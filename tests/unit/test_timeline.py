"""The readiness timeline, on events recorded once from a real engine (tests/unit/data/events_*.json).

The files hold what dockerd 20.10 sent (``engine_events``, raw as the SDK decodes them) and what the Timeline made of
it while recording (``timeline_events``, with the spans an ``up``-like wait recorded). See each file's description.
"""
from __future__ import annotations

import json
import struct
import time
from pathlib import Path

import matplotlib
import pytest
from matplotlib.text import Text

from helpers import events, timeline
from helpers.timeline import Timeline

DATA = Path(__file__).parent / "data"


def load(name: str) -> dict:
    return json.loads((DATA / f"events_{name}.json").read_text())


@pytest.fixture(scope="module")
def readiness() -> dict:
    return load("readiness")


@pytest.fixture(scope="module")
def failures() -> dict:
    return load("failures")


def test_raw_engine_events_give_the_recorded_timeline(readiness, failures):
    for doc in (readiness, failures):
        from_raw = Timeline.from_events(doc["engine_events"], t0_ns=doc["t0_ns"], restart_counts=doc["restart_counts"])
        recorded = [e for e in doc["timeline_events"] if e["action"] not in ("mark", "span")]
        assert from_raw.events == recorded


def test_readiness_order_per_service(readiness):
    tl = Timeline.from_events(readiness["engine_events"])
    assert tl.actions() == {
        "db": ["create", "start", "healthy", "kill SIGINT", "die 0", "stop"],  # postgres stops on SIGINT
        "cache": ["create", "start", "healthy", "kill SIGTERM", "die 0", "stop"],
        # crashed from outside the API (no kill event), restarted by its policy; later stopped: python as PID 1
        # ignores SIGTERM, so docker stop had to SIGKILL it after the timeout
        "web": ["create", "start", "die 137 (restarted)", "start (restarted)", "kill SIGTERM", "kill SIGKILL",
                "die 137", "stop"],
    }


def test_healthcheck_probes_and_the_crash_helper_are_left_out(readiness):
    raw = readiness["engine_events"]
    assert any(r["Action"].startswith("exec_") for r in raw)
    crasher = [r for r in raw if r["Actor"]["Attributes"].get("com.docker.compose.oneoff") == "True"]
    assert crasher, "the recording holds the helper container that helpers.crash ran"
    tl = Timeline.from_events(raw)
    names = {e["container"] for e in tl.events}
    assert names == {f"zz-timeline-learner-{s}-1" for s in ("db", "cache", "web")}
    with_oneoff = [timeline.normalize(r, 0, include_oneoff=True) for r in crasher]
    assert {e["service"] for e in with_oneoff if e} == {"crasher"}


def test_restart_policy_vs_docker_restart(failures):
    tl = Timeline.from_events(failures["engine_events"], restart_counts=failures["restart_counts"])
    # on-failure:2: three runs, two restarts by the policy, the last die is final
    assert tl.actions("flaky") == ["create", "start", "die 3 (restarted)", "start (restarted)", "die 3 (restarted)",
                                   "start (restarted)", "die 3"]
    # docker restart goes through stop: its start is not a policy restart, and the engine adds a "restart" event
    sick = tl.actions("sick")
    assert sick[:3] == ["create", "start", "unhealthy"]
    assert sick[sick.index("stop") + 1:sick.index("stop") + 3] == ["start", "restart"]
    assert "start (restarted)" not in sick


def test_docker_start_after_a_crash_is_not_a_policy_restart(failures):
    with_counts = Timeline.from_events(failures["engine_events"], restart_counts=failures["restart_counts"])
    assert with_counts.actions("manual") == ["create", "start", "die 137", "start", "kill SIGKILL", "die 137"]
    starts = [e for e in with_counts.events if e["service"] == "manual" and e["action"] == "start"]
    assert [e["restart_count"] for e in starts] == [0, 0]  # docker start resets RestartCount
    # from the raw events alone the two cannot be told apart: the documented fallback calls it a restart
    heuristic = Timeline.from_events(failures["engine_events"])
    assert heuristic.actions("manual")[2:4] == ["die 137 (restarted)", "start (restarted)"]
    assert heuristic.actions("flaky") == with_counts.actions("flaky")


def test_times_are_relative_and_ordered(readiness):
    tl = Timeline.from_events(readiness["engine_events"])
    ts = [e["t"] for e in tl.events]
    assert ts == sorted(ts) and ts[0] == 0.0 and ts[-1] < 60
    healthy = tl.first("db", "healthy")
    web_start = tl.first("web", "start")
    assert healthy is not None and web_start is not None and web_start > healthy  # the hold worked
    assert tl.first("db", "oom") is None


def test_spans_recorded_while_held_back(readiness):
    tl = Timeline.from_events(readiness["timeline_events"], project=readiness["project"], end=readiness["end"])
    spans = [e for e in tl.events if e["action"] == "span"]
    assert [s["text"] for s in spans] == ["held back: waiting for db service_healthy",
                                          "held back: waiting for cache service_healthy"]
    assert all(s["service"] == "web" and s["end"] >= s["t"] for s in spans)
    assert spans[0]["end"] <= tl.first("web", "create")  # web was created only after the waits
    assert tl.actions("web", include_notes=True)[0] == "span: held back: waiting for db service_healthy"
    assert [e["text"] for e in tl.events if e["action"] == "mark"] == ["crash"]


def texts(fig) -> list[str]:
    return [t.get_text().strip() for t in fig.findobj(Text) if t.get_text().strip()]


def rows(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


def test_the_picture_of_a_recording(readiness):
    tl = Timeline.from_events(readiness["timeline_events"], project=readiness["project"], end=readiness["end"])
    fig = tl.figure()
    assert rows(fig) == tl.services == ["db", "cache", "web"]
    words = texts(fig)
    for word in ("exit 137", "restarted", "SIGKILL", "crash", "held back: waiting for db service_healthy",
                 "held back: waiting for cache service_healthy", "seconds from the start",
                 "Timeline of zz-timeline-learner"):
        assert word in words
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [  # what the picture uses, and only that
        "created", "running", "healthy", "interval (see its label)", "create", "start", "start by restart policy",
        "health: healthy", "kill (signal)", "die (exit code)", "stop", "note"]
    ax = fig.axes[0]
    glyphs = [line for line in ax.lines if line.get_marker() != "None"]
    assert len(glyphs) == sum(e["action"] != "span" for e in tl.events)  # each event and mark on its row
    bands = sum(len(timeline._bands([e for e in tl.events if e["service"] == s and e["action"] not in ("mark", "span")],
                                    readiness["end"])) for s in tl.services)
    assert bands == 9 and len(ax.patches) == bands + 2  # created, running, healthy or running again; 2 spans
    assert ax.get_xlim() == (0.0, readiness["end"])


def test_the_png_is_deterministic_and_ignores_the_notebooks_style(readiness):
    tl = Timeline.from_events(readiness["timeline_events"], project=readiness["project"], end=readiness["end"])
    png = tl._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width == 760 and 200 < height < 400
    with matplotlib.rc_context({"font.size": 20, "axes.facecolor": "black", "lines.markersize": 30}):
        assert tl._repr_png_() == png


def test_rows_lined_up_as_in_lesson_08():
    def lined_up(row: str, grace: float, died: float, killed: bool) -> list[dict]:
        events = [{"t": 0.0, "service": row, "action": "mark", "text": "update started"},
                  {"t": 0.1, "service": row, "action": "kill", "signal": "SIGTERM"},
                  {"t": 0.1, "end": 0.1 + grace, "service": row, "action": "span", "text": f"grace period {grace} s"}]
        if killed:
            events.append({"t": 0.1 + grace, "service": row, "action": "kill", "signal": "SIGKILL"})
        return [*events, {"t": died, "service": row, "action": "die", "exit_code": 137 if killed else 0}]

    tl = Timeline.from_events(lined_up("grace 20 s", 20, 5.2, False) + lined_up("grace 2 s", 2, 2.2, True), "08-bot")
    fig = tl.figure()
    assert rows(fig) == ["grace 20 s", "grace 2 s"]
    words = texts(fig)
    assert {"grace period 20 s", "grace period 2 s", "exit 0", "exit 137", "SIGKILL"} <= set(words)
    assert words.count("update started") == 2 and words.count("SIGTERM") == 2
    assert fig.axes[0].get_xlim()[1] == 20.1  # to the end of the longest span


def test_marks_spans_and_hold_without_an_engine():
    tl = Timeline("p")
    tl.mark(None, "everything up", at=2.0)
    tl.span("web", 0.5, 1.5, "held back")
    with tl.hold("api", "waiting"):
        pass
    kinds = [(e["service"], e["action"]) for e in tl.events]
    assert ("web", "span") in kinds and (None, "mark") in kinds and ("api", "span") in kinds
    assert tl.actions() == {}  # annotations only: no engine events
    fig = tl.figure(title="")
    assert rows(fig) == tl.services == ["api", "web"]  # the hold began at 0 s
    assert {"everything up", "held back", "waiting"} <= set(texts(fig))
    across = [line for line in fig.axes[0].lines if list(line.get_xdata()) == [2.0, 2.0]]
    assert len(across) == 1  # a mark without a service: a line across all rows


class _Stream:
    def __init__(self, items):
        self.items, self.closed = list(items), False

    def __iter__(self):
        yield from self.items

    def close(self):
        self.closed = True


class _Engine:
    """Stands in for docker.DockerClient: events() gives the live stream first, then the history."""

    def __init__(self, live, history):
        self.calls, self.streams = [], [_Stream(live), _Stream(history)]
        self.api = self
        self.inspected = []

    def inspect_container(self, container_id):
        self.inspected.append(container_id)
        return {"RestartCount": 0}

    def events(self, **kwargs):
        self.calls.append(kwargs)
        return self.streams[min(len(self.calls), 2) - 1]  # the history is asked for twice


def _raw(action, service, ns, **attrs):
    return {"Type": "container", "Action": action, "id": "c1", "timeNano": ns, "time": ns // 10**9,
            "Actor": {"ID": "c1", "Attributes": {"com.docker.compose.service": service, "name": f"p-{service}-1",
                                                 **attrs}}}


def test_live_recording_merges_the_history_after_stopping():
    now = time.time_ns() + 50_000_000
    live = [_raw("create", "web", now), _raw("start", "web", now + 10**8)]
    history = [*live, _raw("die", "web", now + 2 * 10**8, exitCode="1")]  # in flight when the stream closed
    engine = _Engine(live, history)
    with Timeline("p", engine=engine) as tl:
        time.sleep(0.3)
    assert engine.calls[0]["filters"] == {"label": ["com.docker.compose.project=p"], "type": ["container"]}
    assert "until" in engine.calls[1] and engine.streams[0].closed
    assert tl.actions() == {"web": ["create", "start", "die 1"]}
    assert engine.inspected == ["c1"] and list(tl.restart_counts.values()) == [0]  # asked at the start event
    assert 0 <= tl.events[0]["t"] < 5 and tl.end is not None and tl.end >= 0.3


def test_engine_time_stamps_keep_nanoseconds():
    assert events.stamp(1_700_000_000_000_000_123) == "1700000000.000000123"


def _stop_before_die(raw: list[dict]) -> list[dict]:
    """The same events as Docker 26 may send them: each ``stop`` a moment before the ``die`` it caused."""
    events = [dict(e) for e in raw]
    for i, event in enumerate(events):
        if event.get("Action") != "stop":
            continue
        die = next((j for j in range(i - 1, -1, -1) if events[j].get("id") == event.get("id")
                    and events[j].get("Action") == "die"), None)
        if die is not None:
            stop = events.pop(i)
            stop["timeNano"] = events[die]["timeNano"] - 1000
            stop["time"] = stop["timeNano"] // 10**9
            events.insert(die, stop)
    return events


def test_the_order_of_die_and_stop_does_not_change_the_timeline(failures):
    raw = failures["engine_events"]
    swapped = _stop_before_die(raw)
    assert [e.get("Action") for e in swapped] != [e.get("Action") for e in raw]  # the data has docker stops
    kwargs = {"t0_ns": failures["t0_ns"], "restart_counts": failures["restart_counts"]}
    as_20 = Timeline.from_events(raw, **kwargs).actions()
    as_26 = Timeline.from_events(swapped, **kwargs).actions()
    assert as_26 == as_20
    assert any(words[-2:] == ["die 0", "stop"] or "stop" in words for words in as_20.values())


@pytest.mark.parametrize("actions, awaiting", [
    (["kill", "stop"], True),                       # Docker 26: the stop came first, its die is on the way
    (["kill", "die", "stop"], False),               # Docker 20.10's order
    (["kill", "stop", "die"], False),
    (["start", "die", "start", "kill", "stop"], True),
    (["create", "start"], False),
])
def test_stop_waits_for_a_die_that_is_still_on_the_way(actions, awaiting):
    tl = Timeline("p")
    tl._raw = [{"id": "c1", "Action": a, "timeNano": i} for i, a in enumerate(actions)]
    assert tl._awaiting_die() is awaiting
