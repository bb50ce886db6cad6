"""Fixtures for the real-browser tests: Debian's Chromium (through the ``playwright`` package, which drives a browser
it did not download: ``executable_path``), and a JupyterLab from this virtualenv on 127.0.0.1, a free port and a
token, serving a scratch folder (so a run never writes into the repository's notebooks).

Each fixture skips with the reason when its piece is missing: no Chromium (CI installs it: ``apt-get install
chromium``), no ``playwright`` package, or no Docker engine.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("COURSE_BROWSER_ARTIFACTS", "/tmp/compose-course-browser"))

# JupyterLab settings for a quiet, deterministic page: no news/update toasts, every cell kept in the DOM.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: runs JupyterLab in a headless Chromium (tests/browser)")


def find_chromium() -> str | None:
    """``$COURSE_CHROMIUM``, else Debian's ``chromium`` (or ``chromium-browser``) on PATH."""
    explicit = os.environ.get("COURSE_CHROMIUM")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where the browser tests save screenshots: ``$COURSE_BROWSER_ARTIFACTS`` or /tmp/compose-course-browser."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        pytest.skip("Chromium is not installed (Debian: `apt-get install chromium`; or set COURSE_CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def sync_playwright() -> Callable[[], Any]:
    try:
        from playwright.sync_api import sync_playwright as factory
    except ImportError:
        pytest.skip("the `playwright` Python package is not installed (pip install playwright; "
                    "its own browser download is not needed: Debian's Chromium is used)")
    return factory


@pytest.fixture(scope="session")
def engine_ready() -> None:
    try:
        import helpers

        helpers.connect(timeout=10)
    except Exception as exc:  # noqa: BLE001 - whatever stops the connection, the browser tests skip
        pytest.skip(f"no Docker engine: {str(exc).splitlines()[0]}")


@pytest.fixture
def browser_page(chromium_path: str, sync_playwright: Callable[[], Any], tmp_path: Path) -> Iterator[object]:
    """A page in a fresh headless Chromium profile (a persistent context in a new --user-data-dir)."""
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=chromium_path, headless=True,
            args=[a for a in CHROMIUM_ARGS if a != "--headless"], viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            yield page
        finally:
            context.close()


@dataclass
class Lab:
    """A running JupyterLab: ``url(path)`` gives a tokenised address of a file in ``root``."""

    port: int
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{path}?token={self.token}"

    def api(self, path: str, method: str = "GET") -> object:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def jupyter_lab(engine_ready: None, tmp_path: Path) -> Iterator[Lab]:
    """JupyterLab from this virtualenv, serving a scratch folder holding a copy of ``data/*.ipynb``."""
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip("JupyterLab is not installed in this virtualenv (pip install -e .[lab])")
    root = tmp_path / "lab"
    root.mkdir()
    for nb in (HERE / "data").glob("*.ipynb"):
        shutil.copy(nb, root / nb.name)
    home = tmp_path / "jupyter"
    for rel, value in LAB_SETTINGS.items():
        target = home / "settings" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path / "jupyterlab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(jupyter), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--expose-app-in-browser",
             "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
             *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],  # CI runs as root
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True,
        )
    lab = Lab(port, token, root, process, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}:\n{lab.log_tail()}")
            try:
                lab.api("status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on port {port} within 90 s:\n{lab.log_tail()}")
                time.sleep(0.3)
        yield lab
    finally:
        try:  # graceful: the server shuts its kernels down too
            lab.api("shutdown", method="POST")
            process.wait(timeout=20)
        except Exception:  # noqa: BLE001 - whatever failed in the graceful shutdown, stop the process anyway
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
