"""Binder from its files alone: a clean virtualenv gets binder/requirements.txt and binder/postBuild, as
repo2docker's pip route does, in a copy of the checkout (what a clone has); then one notebook runs through
binder/start with no Docker engine reachable and replays its recording.

Slow (it installs JupyterLab and the course's packages: a minute or two from the configured package index).
Skipped only when the package index does not answer (offline, no local mirror): pins that do not resolve fail."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_replay_mode import can_hide_the_engine, without_engine

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "00_preflight"
pytestmark = pytest.mark.skipif(not (ROOT / "binder" / "recordings" / f"{NOTEBOOK}.jsonl.gz").is_file(),
                                reason=f"no recording of {NOTEBOOK}")


def checkout_copy(dest: Path) -> Path:
    """The files a clone would have (tracked, and new ones not ignored), copied to ``dest``."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("binder")
    probe = run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(base / "probe"),
                 "docker==7.1.*"], timeout=180)
    if probe.returncode != 0:
        pytest.skip(f"the package index does not answer: {probe.stderr.strip()[-300:]}")
    repo = checkout_copy(base / "repo")
    venv = base / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], timeout=120)
    assert made.returncode == 0, made.stderr
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    installed = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"],
                    cwd=repo, env=env, timeout=1500)
    assert installed.returncode == 0, installed.stderr[-3000:]
    post = run(["bash", "binder/postBuild"], cwd=repo, env=env, timeout=600)
    assert post.returncode == 0, post.stderr[-3000:]
    return {"repo": repo, "venv": venv}


def test_the_binder_environment_has_the_pinned_packages(binder: dict[str, Path]) -> None:
    listed = run([str(binder["venv"] / "bin" / "python"), "-m", "pip", "list", "--format", "json"], timeout=120)
    versions = {p["name"].lower(): p["version"] for p in json.loads(listed.stdout)}
    pins = {m[1].lower(): m[2] for m in re.finditer(r"^([A-Za-z0-9_.-]+)==([0-9.]+)\.\*",
                                                   (ROOT / "binder" / "requirements.txt").read_text(), re.M)}
    for name, prefix in pins.items():
        assert versions.get(name, "").startswith(prefix + "."), (name, versions.get(name), prefix)
    assert "compose-course-helpers" in versions  # postBuild installed the helpers and the replay engine
    overrides = binder["venv"] / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert json.loads(overrides.read_text())["@jupyterlab/docmanager-extension:plugin"]  # README opens rendered


def test_a_notebook_replays_through_binder_start_with_no_engine(binder: dict[str, Path]) -> None:
    repo, venv = binder["repo"], binder["venv"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "DOCKER_", "PYTHONPATH"))}
    env.update(PATH=f"{venv / 'bin'}:{os.environ['PATH']}", VIRTUAL_ENV=str(venv))
    out = repo / "executed.ipynb"
    argv = ["binder/start", "jupyter", "nbconvert", "--to", "notebook", "--execute", f"notebooks/{NOTEBOOK}.ipynb",
            "--output", str(out), "--ExecutePreprocessor.timeout=600"]
    hidden = can_hide_the_engine()
    done = run(without_engine(argv) if hidden else argv, cwd=repo, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "binder/start: replaying" in done.stderr
    cells = json.loads(out.read_text())["cells"]
    text = ["".join(o.get("text", "")) for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert any("No Docker engine here: this is a replay of the run recorded on" in t for t in text)
    assert not any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))
    committed = json.loads((ROOT / "notebooks" / f"{NOTEBOOK}.ipynb").read_text())["cells"]
    exercise = [i for i, c in enumerate(committed) if "exercise" in c.get("metadata", {}).get("tags", [])]
    for i in exercise:  # the exercise cells replay as committed
        assert [o.get("text") for o in cells[i]["outputs"]] == [o.get("text") for o in committed[i]["outputs"]]
    print(f"\n{NOTEBOOK} replayed through binder/start ({'engine hidden' if hidden else 'engine not hidden'})")


def test_course_lab_without_an_engine_offers_the_replay_and_opens_it(binder: dict[str, Path]) -> None:
    """``./course lab`` in the copy (its virtualenv: the Binder one): no engine answers -> it names
    ``./course lab --replay`` and stops; ``./course lab --replay`` opens JupyterLab on the replay."""
    import signal
    import time

    repo, venv = binder["repo"], binder["venv"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "DOCKER_", "PYTHONPATH"))}
    env.update(COURSE_VENV=str(venv), DOCKER_HOST=f"unix://{repo}/no-engine.sock", PATH=os.environ["PATH"])
    refused = run(["./course", "lab"], cwd=repo, env=env, timeout=900, stdin=subprocess.DEVNULL)
    assert refused.returncode == 1
    assert "No Docker engine answers" in refused.stderr and "./course lab --replay" in refused.stderr, refused.stderr
    lab = subprocess.Popen(["./course", "lab", "--replay", "--no-browser", "--ServerApp.port=18931",
                            "--ServerApp.port_retries=50"], cwd=repo, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    said: list[str] = []
    try:
        deadline = time.monotonic() + 300
        assert lab.stdout is not None
        while time.monotonic() < deadline and lab.poll() is None:
            line = lab.stdout.readline()
            said.append(line)
            if "http://127.0.0.1:" in line:
                break
        text = "".join(said)
        assert "replaying" in text and "no Docker engine here" in text, text[-3000:]
        assert any("http://127.0.0.1:" in line for line in said), text[-3000:]
        assert (repo / "my_notebooks" / f"{NOTEBOOK}.ipynb").is_file()
    finally:
        os.killpg(lab.pid, signal.SIGTERM)  # the lab this test started, and the replay engine it runs
        lab.wait(60)
