"""With no engine, the preflight's connect cell prints one clear message (with a hint), not a traceback."""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

import helpers as h

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "00_preflight.ipynb"


def test_connect_raises_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    try:
        h.connect(timeout=3)
    except h.EngineUnavailable as err:
        text = str(err)
    else:
        raise AssertionError("connect() succeeded without an engine")
    assert f"No Docker engine answered at DOCKER_HOST=unix://{tmp_path}/no-such.sock" in text
    assert "Hint:" in text and "docker info" in text


def test_preflight_first_cell_without_engine(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    nb.cells = code[:2]                       # the parameters cell and the connect cell
    NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3").execute()
    outputs = nb.cells[1].outputs
    assert len(outputs) == 1 and outputs[0].output_type == "error"
    shown = "\n".join(outputs[0].traceback)
    assert outputs[0].ename == "EngineUnavailable"
    assert "No Docker engine answered" in shown and "Hint:" in shown
    assert "Traceback" not in shown and "File " not in shown   # no stack frames
