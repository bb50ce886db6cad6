"""``./course lab``'s terminals are ready for the ``docker compose ...`` lines the lessons print: a JupyterLab
terminal, opened as a learner opens one, has Compose (``docker compose`` works even where Docker has no Compose
plugin) and the learner's APP_TAG and ports; the server (so its kernels) does not get the ports, so the preflight
still says they were chosen for the learner."""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import helpers as h

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
LEARNER = "labterm"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _type(url: str, line: str, seconds: float = 8.0) -> str:
    """What a terminal at ``url`` (its websocket) shows after its prompt, then after ``line`` is typed."""
    from tornado.websocket import websocket_connect

    ws = await websocket_connect(url)
    shown, typed = "", False
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            message = await asyncio.wait_for(ws.read_message(), timeout=0.5)
        except asyncio.TimeoutError:
            if not typed and "course terminal:" in shown:
                ws.write_message(json.dumps(["stdin", line + "\r"]))
                typed = True
            continue
        if message is None:
            break
        kind, *data = json.loads(message)
        shown += data[0] if kind == "stdout" else ""
        if typed and "END-OF-CHECK" in shown:  # the output's, not the typed line's (END-OF-"CHECK")
            break
    ws.close()
    return shown


def test_a_lab_terminal_has_compose_and_the_learners_settings() -> None:
    port, token = _free_port(), "course-lab-terminal-test"
    env = {k: v for k, v in os.environ.items() if k not in ("DB_PORT", "BACKEND_PORT", "APP_TAG")}
    env.update(COURSE_LEARNER=LEARNER, COURSE_VENV=sys.prefix)
    lab = subprocess.Popen(["./course", "lab", "--no-browser", f"--ServerApp.port={port}",
                            f"--ServerApp.token={token}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert lab.poll() is None and time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(1)
        server_env = Path(f"/proc/{lab.pid}/environ").read_bytes().split(b"\0")  # ./course execs jupyter
        assert not any(v.startswith((b"DB_PORT=", b"BACKEND_PORT=")) for v in server_env)
        made = urllib.request.Request(f"http://127.0.0.1:{port}/api/terminals?token={token}", method="POST",
                                      data=b"")
        name = json.loads(urllib.request.urlopen(made, timeout=10).read())["name"]
        shown = asyncio.run(_type(f"ws://127.0.0.1:{port}/terminals/websocket/{name}?token={token}",
                                  'docker compose version; docker compose no-such-command; echo "failed=$?";'
                                  ' echo "tag=$APP_TAG db=$DB_PORT in=$PWD" END-OF-"CHECK"'))
        assert f"course terminal: docker compose ready; APP_TAG={LEARNER}" in shown, shown
        assert "Docker Compose version v2" in shown or "Docker Compose version 2" in shown, shown
        assert re.search(r"failed=[1-9]", shown), shown  # a Compose error is an exit code, typed too
        h.set_learner(LEARNER)
        try:
            db_port = h.course_ports()["DB_PORT"]  # the learner's claim, which ./course lab made
        finally:
            h.set_learner(None)
        # it starts where the lessons' kernels run, so their printed command lines (-f ../stack/...) work as they are
        assert f"tag={LEARNER} db={db_port} in={ROOT / 'my_notebooks'} END-OF-CHECK" in shown, shown
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
        h.clean_course(LEARNER)
