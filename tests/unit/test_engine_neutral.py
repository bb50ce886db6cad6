"""Compared notebook outputs are engine-neutral: nothing of the recording machine's engine in them.

nbval compares a code cell's committed output with a fresh run's, unless the cell says ``# NBVAL_IGNORE_OUTPUT``.
Such a compared output must hold on every supported engine (Docker Desktop on macOS or Windows, Docker Engine
20.10 to 29 on Linux): states, counts, exit codes, relations. It must never show the engine's version or API
version, the OS, the architecture, the memory, whether an image is official or a stand-in, host paths or user
names. A lesson that shows such a value does it in an ignored cell beside the compared invariant, tagged
``engine-details`` so that the recording keeps no output of it (a reader of the committed notebook is not told
what the recording machine had).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))

#: what must not appear in a compared output -> why
SPECIFICS: dict[str, str] = {
    r"Docker Engine \d|\b\d+\.\d+\.\d+\+dfsg|\b(?:19|20|2[3-9])\.\d+\.\d+\b": "an engine version",
    r"API version[:\s(]+1\.\d+|\bv1\.(?:[2-5]\d)/": "an API version",
    r"Debian GNU/Linux|\bbookworm\b|\bUbuntu\b|Docker Desktop \d|linuxkit|microsoft-standard|\bWSL2?\b":
        "the engine's operating system",
    r"\b(?:x86_64|aarch64|amd64|arm64)\b": "an architecture",
    r"\d+(?:\.\d+)? ?[GM]iB (?:available|of memory|total)|\bMemTotal\b": "the engine's memory",
    r"\bstand-?in\b|\bofficial image\b": "image provenance (official or stand-in)",
    r"(?<![\w<>])/(?:root|home/[\w.-]+|Users/[\w.-]+|work|tmp|var/lib/docker\w*)/|[A-Z]:\\\\Users": "a host path",
}


def compared_outputs(path: Path) -> list[tuple[int, str]]:
    """(code cell index as nbval counts it, the cell's output text) for every compared code cell, and for every
    cell tagged ``engine-details`` (its outputs are dropped when recording: see tools/record.py)."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    found = []
    for index, cell in enumerate(cells):
        tags = cell["metadata"].get("tags", [])
        ignored = "# NBVAL_IGNORE_OUTPUT" in "".join(cell["source"]) or "nbval-ignore-output" in tags
        if ignored and "engine-details" not in tags:
            continue
        text = []
        for out in cell.get("outputs", []):
            text.append("".join(out.get("text", "")))
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/"):
                    text.append("".join(value))
            text.append(" ".join(out.get("traceback", [])))
        found.append((index, "\n".join(text)))
    return found


def specifics(text: str) -> list[str]:
    """Each engine-specific thing in ``text``, as 'why: the matched text'."""
    return [f"{why}: {m.group(0)!r}" for pattern, why in SPECIFICS.items() for m in re.finditer(pattern, text)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_compared_outputs_are_engine_neutral(path: Path) -> None:
    problems = [f"{path.name}::Cell {index}: {what}" for index, text in compared_outputs(path)
                for what in specifics(text)]
    assert not problems, (
        "compared outputs that show the recording engine's specifics (move the value to a cell marked "
        "# NBVAL_IGNORE_OUTPUT and compare an invariant instead):\n  " + "\n  ".join(problems))


@pytest.mark.parametrize("line", [
    "Engine answered. API version: 1.41",
    "[ok ] engine                 Docker Engine 20.10.24+dfsg1 (Debian GNU/Linux 12 (bookworm))",
    "[ok ] architecture           x86_64",
    "[ok ] memory                 24 GiB available to containers",
    "[ok ] postgres:17            local stand-in (built from Debian trixie package postgresql-17)",
    "mounted from /home/ana/compose-course/stack",
    "Server Version: 26.1.5",
])
def test_the_scan_sees_engine_specifics(line: str) -> None:
    assert specifics(line), line


@pytest.mark.parametrize("line", [
    "API version >= 1.41: True",
    "10 of 10 checks passed: ready",
    "exit code: 137",
    "removed 3 container(s), 1 network(s), 2 volume(s)",
    "<REPO>/stack mounted at /app",
    "redis is known there as: ['redis', '02-names-and-dns-learner-redis-1']",
])
def test_the_scan_lets_invariants_pass(line: str) -> None:
    assert not specifics(line), specifics(line)
