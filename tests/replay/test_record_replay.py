"""Record a session against the real engine through the proxy, then replay it with no engine behind the socket,
as another learner with other generated secrets: same results, stream timing kept (scaled), a changed call gets
one clear error at once, no secret in the recording, nothing left on the engine."""
from __future__ import annotations

import base64
import gzip
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import docker
import pytest
from session import IMAGE, names, normalised, prepare, session

from course_replay import ADVICE, metadata, recording_proxy, replay_engine, status

pytestmark = pytest.mark.engine
LEARNER, LEARNER2 = "replaydev", "replaydev2"
REAL = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")  # the real engine the suite runs on


def ours() -> dict[str, list[str]]:
    """What exists on the real engine under either test learner's names."""
    listing = {"containers": ["ps", "-a", "--format", "{{.Names}}"],
               "volumes": ["volume", "ls", "--format", "{{.Name}}"],
               "networks": ["network", "ls", "--format", "{{.Name}}"],
               "images": ["images", "--format", "{{.Repository}}:{{.Tag}}"]}
    found = {}
    for kind, argv in listing.items():
        # a listing that fails must fail the test, not pass for "nothing there"
        out = subprocess.run(["docker", "-H", REAL, *argv], capture_output=True, text=True, timeout=60,
                             check=True).stdout
        found[kind] = [n for n in out.split() if LEARNER in n]
    return found


def remove_leftovers(compose: tuple[str, ...], workdir: Path) -> None:
    """After a failed session: remove what it made on the real engine, by its names only.

    Best effort (``check=False``): the failed session may not have made all of it."""
    n = names(LEARNER)
    env = {"DOCKER_HOST": REAL, "PATH": "/usr/local/bin:/usr/bin:/bin"}
    subprocess.run([*compose, "-p", n["project"], "-f", str(workdir / "tiny.yaml"), "down", "-v"], env=env,
                   capture_output=True, timeout=120, check=False)
    subprocess.run(["docker", "rm", "-f", "-v", n["sleeper"], n["logger"], n["attacher"]], env=env,
                   capture_output=True, timeout=60, check=False)
    subprocess.run(["docker", "rmi", "-f", n["tag"]], env=env, capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def compose() -> tuple[str, ...]:
    from helpers import compose_cli

    return compose_cli.compose_command()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory, compose: tuple[str, ...]) -> dict[str, Any]:
    client = docker.DockerClient(base_url=REAL, version="auto")
    if not client.images.list(name=IMAGE):
        pytest.skip(f"{IMAGE} is not on the engine")
    workdir = tmp_path_factory.mktemp("recorded")
    if any(ours().values()):  # a killed earlier run: remove what it made (by this test's names only)
        prepare(workdir, LEARNER, "x")
        remove_leftovers(compose, workdir)
        for each in workdir.iterdir():
            shutil.rmtree(each) if each.is_dir() else each.unlink()
    before = ours()
    assert not any(before.values()), f"leftovers of an earlier run: {before}"
    secret, db_password = secrets.token_urlsafe(16), secrets.token_urlsafe(18)
    prepare(workdir, LEARNER, db_password)
    out = workdir / "session.jsonl.gz"
    start = time.monotonic()
    os.environ["COURSE_RECORD"] = "1"
    try:
        with recording_proxy(out, REAL, names={"learner": LEARNER, "workdir": str(workdir)},
                             secret_files=[str(workdir / ".env")]) as host:
            result = session(host, LEARNER, workdir, secret, compose)
    finally:
        del os.environ["COURSE_RECORD"]
        if any(ours().values()):
            remove_leftovers(compose, workdir)
    return {"out": out, "result": result, "secrets": (secret, db_password), "seconds": time.monotonic() - start,
            "before": before}


@pytest.fixture(scope="module")
def replayed(recorded: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
             compose: tuple[str, ...]) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("replayed")
    secret = secrets.token_urlsafe(16)
    prepare(workdir, LEARNER2, secrets.token_urlsafe(18))
    start, since = time.monotonic(), int(time.time()) - 1
    os.environ["COURSE_REPLAY"] = str(recorded["out"])
    try:
        with replay_engine(recorded["out"], speed=20, names={"learner": LEARNER2, "workdir": str(workdir)}) as host:
            result = session(host, LEARNER2, workdir, secret, compose)
            done = status(host)
    finally:
        del os.environ["COURSE_REPLAY"]
    real = docker.DockerClient(base_url=REAL, version="auto")
    touched = list(real.events(since=since, until=int(time.time()) + 1, decode=True,
                               filters={"label": [f"io.compose-course.learner={LEARNER2}"]}))
    return {"result": result, "secret": secret, "status": done, "seconds": time.monotonic() - start,
            "real_engine_events": touched}


def test_the_recording_has_every_client_and_no_secret(recorded: dict[str, Any]) -> None:
    meta = metadata(recorded["out"])
    assert {"docker-sdk-python", "cli", "compose"} <= set(meta["clients"])
    assert meta["engine"]["version"] and meta["engine"]["api"] and meta["names"]["learner"] == LEARNER
    text = gzip.decompress(recorded["out"].read_bytes()).decode()
    decoded = text + "".join(base64.b64decode(b).decode("latin-1") for b in re.findall(r'"b64":"([^"]*)"', text))
    for value in recorded["secrets"]:
        assert value not in decoded
    assert "<redacted-secret-" in text
    exchanges = [json.loads(line) for line in text.splitlines()[1:]]
    build = next(e for e in exchanges if e["path"].endswith("/build"))
    assert set(build["req_body"]) == {"sha256", "size"}
    assert any(e.get("tunnel") for e in exchanges) and any(e.get("mux") for e in exchanges)
    print(f"\nrecorded {len(exchanges)} exchanges in {recorded['seconds']:.1f} s, "
          f"{recorded['out'].stat().st_size} bytes gzipped, clients {meta['clients']}")


def test_the_replay_gives_the_same_results(recorded: dict[str, Any], replayed: dict[str, Any]) -> None:
    assert replayed["status"]["divergences"] == []
    assert replayed["real_engine_events"] == []  # the real engine never saw this learner
    assert replayed["status"]["served"] == metadata(recorded["out"])["exchanges"]
    first, again = recorded["result"], replayed["result"]
    assert normalised(again, LEARNER2) == normalised(first, LEARNER)
    assert again["exec"] == (0, (replayed["secret"].encode() + b"\n", b"to-stderr\n"))  # this run's secret
    assert first["probe"] == again["probe"] == "recording"
    assert again["cli_exec_i"] == (0, "via stdin\n", "")
    assert again["cli_exec_t"][0] == 0 and again["cli_exec_t"][1].replace("\r", "").startswith("on a tty\n/dev/pts/")
    assert again["attach"] == "attached\ndone\n" and again["attacher_exit"] == 0
    assert again["log_lines"] == [f"line {i}" for i in range(5)] and again["logger_exit"] == 0
    assert again["compose_up"][0] == 0 and again["compose_down"][0] == 0
    assert again["compose_env_has_password"]
    assert {"create", "start", "exec_start", "die"} <= {a for a, _ in again["live_events"]}
    assert {"create", "start", "die", "destroy"} <= set(again["past_events"])
    print(f"\nreplayed {replayed['status']['served']} exchanges in {replayed['seconds']:.1f} s "
          f"(recorded in {recorded['seconds']:.1f} s)")


def test_the_replay_keeps_stream_timing_scaled_by_speed(recorded: dict[str, Any]) -> None:
    recorded_span = recorded["result"]["log_times"][-1] - recorded["result"]["log_times"][0]
    api = metadata(recorded["out"])["engine"]["api"]
    with replay_engine(recorded["out"], speed=2) as host:
        client = docker.APIClient(base_url=host, version=api)
        times, t0 = [], time.monotonic()
        for _ in client.logs(recorded["result"]["logger_id"], stream=True, follow=True):
            times.append(time.monotonic() - t0)
    span = times[-1] - times[0]
    assert len(times) == 5
    assert recorded_span / 2 * 0.7 <= span <= recorded_span / 2 + 2.0, (recorded_span, span)


def test_a_changed_call_gets_one_clear_error_at_once(recorded: dict[str, Any], compose: tuple[str, ...],
                                                     tmp_path: Path) -> None:
    n = names(LEARNER2)
    with replay_engine(recorded["out"], speed=20, names={"learner": LEARNER2}) as host:
        client = docker.DockerClient(base_url=host, version="auto")
        start = time.monotonic()
        with pytest.raises(docker.errors.APIError) as caught:
            client.containers.run(IMAGE, ["echo", "changed"], detach=True, name=n["sleeper"])
        assert time.monotonic() - start < 2
        message = str(caught.value)
        assert "POST /containers/create" in message and ADVICE in message and "expected next" in message
        cli = subprocess.run(["docker", "rm", "-f", "no-such-container"], capture_output=True, text=True, timeout=60,
                             check=False, env={"DOCKER_HOST": host, "PATH": "/usr/local/bin:/usr/bin:/bin"})
        assert cli.returncode != 0 and ADVICE in cli.stderr and "Error response from daemon" in cli.stderr
        prepare(tmp_path, LEARNER2, "x")
        (tmp_path / "tiny.yaml").write_text((tmp_path / "tiny.yaml").read_text().replace("8000", "8001"))
        up = subprocess.run([*compose, "-p", n["project"], "-f", str(tmp_path / "tiny.yaml"), "up", "-d"],
                            capture_output=True, text=True, timeout=120, check=False,
                            env={"DOCKER_HOST": host, "PATH": "/usr/bin:/bin"})
        assert up.returncode != 0 and ADVICE in up.stderr, up.stderr
        print(f"\n{message}\n{cli.stderr.strip()}\n{up.stderr.strip()[-600:]}")
        assert len(status(host)["divergences"]) >= 3


def test_nothing_is_left_on_the_engine(recorded: dict[str, Any], replayed: dict[str, Any]) -> None:
    assert recorded["before"] == ours() == {"containers": [], "volumes": [], "networks": [], "images": []}
