"""Replay mode, as Binder and ``./course test`` use it: nbval over committed notebooks with no engine reachable
(``pytest --replay``), a changed cell reported by one clear message, and the live dashboard and timeline filled from
replayed events."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import docker
import pytest

from course_replay import ADVICE, metadata, recording_proxy, replay_engine, status

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = ROOT / "binder" / "recordings"
# three lessons with the engine's socket hidden (a minute at the recorded pace); ./course test replays every notebook
LESSONS = [n for n in ("00_preflight", "01_image_and_container", "02_names_and_dns")
           if (RECORDINGS / f"{n}.jsonl.gz").is_file()]
REAL = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"]


def without_engine(argv: list[str]) -> list[str]:
    """``argv`` in a private mount namespace where the engine's sockets are /dev/null: nothing can reach it."""
    hide = " && ".join(f"mount --bind /dev/null {s}" for s in SOCKETS if os.path.exists(s)) or "true"
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", f'{hide} && exec "$@"', "sh", *argv]


def can_hide_the_engine() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(without_engine(["docker", "-H", "unix:///var/run/docker.sock", "version"]),
                           capture_output=True, text=True, timeout=60, check=False)
    return probe.returncode != 0 and "Server:" not in probe.stdout and "mount" not in probe.stderr


@pytest.mark.skipif(not LESSONS, reason="no recordings of lessons 00-02")
def test_nbval_replays_the_committed_outputs_with_no_engine_reachable() -> None:
    if not can_hide_the_engine():
        pytest.skip("cannot hide the engine's socket here (unshare --mount needs CAP_SYS_ADMIN)")
    env = {**os.environ, "COURSE_LEARNER": "learner"}  # the id the committed outputs name; the engine is never asked
    env.pop("DOCKER_HOST", None)
    start = time.monotonic()
    run = subprocess.run(without_engine([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--replay",
                                         "--replay-speed", "1", *(f"notebooks/{n}.ipynb" for n in LESSONS)]),
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    seconds = time.monotonic() - start
    print(f"\nreplayed {', '.join(LESSONS)} through nbval in {seconds:.1f} s\n{run.stdout[-600:]}")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "replay: served" in run.stdout and " passed" in run.stdout and "failed" not in run.stdout


def test_replay_mode_skips_what_needs_a_real_engine() -> None:
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                          "--replay", "-rs", "tests/replay/test_record_replay.py"],
                         cwd=ROOT, env={**os.environ, "COURSE_LEARNER": "replaymode"}, capture_output=True,
                         text=True, timeout=300, check=False)
    assert run.returncode == 0 and "needs a real Docker engine (this run is --replay)" in run.stdout, run.stdout


@pytest.mark.skipif("00_preflight" not in LESSONS, reason="no recording of 00_preflight")
def test_a_changed_cell_gets_one_clear_error_naming_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = ROOT / "notebooks" / "00_preflight.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    exercise = next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []))
    assert "hello again" in exercise.source
    exercise.source = exercise.source.replace("hello again", "hello, changed")  # what a learner might do
    recording = RECORDINGS / "00_preflight.jsonl.gz"
    with replay_engine(recording, speed=10, names={"learner": "learner"}) as host:
        for k, v in {"DOCKER_HOST": host, "COURSE_REPLAY": str(recording), "COURSE_LEARNER": "learner",
                     "PYTHONPATH": str(ROOT)}.items():
            monkeypatch.setenv(k, v)
        start = time.monotonic()
        with pytest.raises(CellExecutionError) as caught:
            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": str(notebook.parent)}}).execute()
        seconds = time.monotonic() - start
        done = status(host)
    message = str(caught.value)
    shown = next(line for line in message.splitlines() if "course-replay:" in line)
    print(f"\nthe changed cell failed after {seconds:.1f} s with:\n{shown.strip()}")
    assert "hello, changed" in message  # it is the changed cell that failed, not an earlier one
    assert "POST /containers/create" in shown and "is not in the recording '00_preflight'" in shown
    assert "expected next" in shown and ADVICE in shown and "./course lab" in shown
    assert len(done["divergences"]) == 1, done["divergences"]
    assert seconds < 120


# -- the dashboard and the timeline, on replayed events ------------------------------------------------------------
JOB = ["sh", "-c", "echo working; sleep 1.5; exit 3"]


def dashboard_and_timeline(host: str, learner: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A lesson's moves: a live dashboard and a timeline over a project whose one container works and fails."""
    import helpers as h
    from helpers.dashboard import Dashboard
    from helpers.timeline import Timeline

    monkeypatch.setenv("COURSE_LEARNER", learner)
    client = docker.DockerClient(base_url=host, version="auto", timeout=120)
    h.use_client(client)
    try:
        project = h.Project("rt-dash")
        tl = Timeline(project).start()
        dash = Dashboard(project, engine=client, tick=0.2)
        job = project.run("job", "python:3.13-slim", command=JOB)
        h.wait_exited(job, timeout=60)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(r["state"] == "exited" for r in dash.rows()):
            time.sleep(0.1)  # the dashboard follows the events: the die updates the row
        rows = dash.rows()
        dash.close()
        tl.stop()
        out = {"rows": [(r["service"], r["state"]) for r in rows], "events": tl.events, "title": dash.title.value}
        project.down(volumes=True)
        return out
    finally:
        h.use_client(None)
        client.close()


@pytest.mark.engine
def test_the_dashboard_and_timeline_fill_from_replayed_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = docker.DockerClient(base_url=REAL, version="auto")
    if not real.images.list(name="python:3.13-slim"):
        pytest.skip("python:3.13-slim is not on the engine")
    out = tmp_path / "rt_dash.jsonl.gz"
    learner = os.environ["COURSE_LEARNER"] + "dash"
    monkeypatch.setenv("COURSE_RECORD", "1")
    with recording_proxy(out, REAL, names={"learner": learner}) as host:
        recorded = dashboard_and_timeline(host, learner, monkeypatch)
    monkeypatch.delenv("COURSE_RECORD")
    assert not real.containers.list(all=True, filters={"label": f"io.compose-course.learner={learner}"})
    monkeypatch.setenv("COURSE_REPLAY", str(out))
    with replay_engine(out, speed=1, names={"learner": learner + "2"}) as host:
        replayed = dashboard_and_timeline(host, learner + "2", monkeypatch)
        done = status(host)
    assert done["divergences"] == []
    assert metadata(out)["names"]["learner"] == learner
    for got in (recorded, replayed):
        assert got["rows"] == [("job", "exited")], got
    actions = [(e["service"], e["action"], e.get("exit_code")) for e in replayed["events"]]
    assert ("job", "start", None) in actions and ("job", "die", 3) in actions, actions
    assert actions == [(e["service"], e["action"], e.get("exit_code")) for e in recorded["events"]]
    start, die = (next(e["t"] for e in replayed["events"] if e["action"] == a) for a in ("start", "die"))
    assert 1.2 <= die - start <= 5, (start, die)  # the recorded time between them
    # and on this run's time axis: the engine's recorded times are moved to the replay's clock
    assert all(-1 < e["t"] < 30 for e in replayed["events"]), replayed["events"]
    print(f"\nreplayed timeline: {[(e['t'], e['action']) for e in replayed['events']]}")
