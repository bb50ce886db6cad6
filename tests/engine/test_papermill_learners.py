"""Two learners on one engine: the same notebook run by papermill as another learner, next to a normal run.

Both runs happen at the same time on the same engine; each must succeed and leave nothing behind, and the
other learner's project must carry its own learner id.
"""
from __future__ import annotations

import threading
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from nbclient import NotebookClient

import helpers as h

pytestmark = pytest.mark.engine
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOK = NOTEBOOKS / "00_preflight.ipynb"


def _outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") if isinstance(out.get("text"), str) else "")
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_learners_run_the_same_notebook_at_once(tmp_path, monkeypatch):
    for var in ("DB_PORT", "BACKEND_PORT"):  # the kernels inherit these: ports nobody else uses right now
        monkeypatch.setenv(var, str(_free_port()))
    results: dict[str, object] = {}

    def normal_run() -> None:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
            results["normal"] = nb
        except Exception as exc:  # noqa: BLE001 - reported below
            results["normal"] = exc

    thread = threading.Thread(target=normal_run)
    thread.start()
    other = pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "00_learner2.ipynb"), parameters={"LEARNER": "learner2"},
        cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False,
    )
    thread.join(timeout=300)
    assert not isinstance(results.get("normal"), Exception), results.get("normal")
    mine, theirs = _outputs_text(results["normal"]), _outputs_text(other)
    assert "00-preflight-learner-hello-1" in mine and "learner2" not in mine
    assert "00-preflight-learner2-hello-1" in theirs
    assert "removed 2 container(s), 1 network(s), 0 volume(s)" in theirs  # hello and the exercise's hello-2
    for learner in ("learner", "learner2"):
        left = h.clean_course(learner)  # course records (verdicts of earlier tests' checks) may remain: not leftovers
        assert not (left.containers or left.networks or left.volumes), str(left)
