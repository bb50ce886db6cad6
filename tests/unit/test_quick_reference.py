"""notebooks/11_quick_reference.ipynb: every key of the seed's quick-reference table and every syllabus row is there,
linked, and every link leads to a notebook (and, for ``#section`` links, a heading) that exists.

Strict on purpose: it fails while a linked notebook or section is missing. Anchors are made the way JupyterLab
makes them: the heading's text as shown (no backticks), every space replaced by ``-``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
QUICK_REFERENCE = NOTEBOOKS / "11_quick_reference.ipynb"

# The seed's "Quick reference" table (seed/docker-compose-explained.md), in its order.
SEED_KEYS = ["image", "build", "container_name", "restart", "env_file", "environment", "depends_on", "ports",
             "volumes", "working_dir", "command", "stop_grace_period", "healthcheck"]

# Syllabus row -> the notebook that shows it live.
ROWS = {
    1: "01_image_and_container", 2: "01_image_and_container",
    3: "02_names_and_dns", 4: "02_names_and_dns",
    5: "03_db", 6: "03_db", 7: "03_db",
    8: "04_health_and_restart", 9: "04_health_and_restart", 10: "04_health_and_restart",
    11: "05_backend", 12: "05_backend", 14: "05_backend", 15: "05_backend", 16: "05_backend", 17: "05_backend",
    13: "06_depends_on",
    18: "07_collectors_and_celery", 19: "07_collectors_and_celery", 20: "07_collectors_and_celery",
    21: "08_bot_grace_period",
    22: "09_whole_file", 23: "09_whole_file", 24: "09_whole_file",
    25: "11_quick_reference",
    # beyond the seed: what production files add
    26: "10_beyond_the_seed", 27: "10_beyond_the_seed", 28: "10_beyond_the_seed", 29: "10_beyond_the_seed",
    30: "10_beyond_the_seed", 31: "10_beyond_the_seed",
    # the seed's own file, beyond the syllabus
    32: "03_db", 33: "04_health_and_restart", 34: "05_backend",
}

# Keys beyond the seed's table (the stack uses the first two; lesson 10 shows them live).
BEYOND_KEYS = ["pull_policy", "start_period", "start_interval", "secrets", "profiles"]

LINK = re.compile(r"\]\((\d\d_[\w]+\.ipynb)(?:#([^)\s]+))?\)")


def anchor(heading: str) -> str:
    """JupyterLab's id for a Markdown heading line: its text as shown, spaces replaced by ``-``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.lstrip("#").strip().rstrip("#").strip())
    return text.replace("`", "").replace(" ", "-")


def markdown(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def anchors_in(notebook: Path) -> set[str]:
    found, fenced = set(), False
    for text in markdown(notebook):
        for line in text.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced and re.match(r"#{1,6} ", line):
                found.add(anchor(line))
    return found


@pytest.fixture(scope="module")
def lines() -> list[str]:
    assert QUICK_REFERENCE.is_file(), "notebooks/11_quick_reference.ipynb is missing"
    return "\n".join(markdown(QUICK_REFERENCE)).splitlines()


def test_anchor_is_made_as_jupyterlab_makes_it():
    assert anchor("## 3. `ports:` — who can reach it") == "3.-ports:-—-who-can-reach-it"
    assert anchor("### Exercise: a [link](x.ipynb) here") == "Exercise:-a-link-here"


@pytest.mark.parametrize("key", SEED_KEYS)
def test_every_seed_key_has_a_linked_row(lines, key):
    rows = [line for line in lines if line.startswith(f"| `{key}:` |")]
    assert len(rows) == 1, f"the quick-reference table needs exactly one row for `{key}:`"
    assert LINK.search(rows[0]), f"the row of `{key}:` links to no notebook"


@pytest.mark.parametrize("key", BEYOND_KEYS)
def test_every_key_beyond_the_seed_has_a_row_linked_to_lesson_10(lines, key):
    rows = [line for line in lines if line.startswith(f"| `{key}:` |")]
    assert len(rows) == 1, f"the quick reference needs exactly one row for `{key}:`"
    assert "10_beyond_the_seed.ipynb" in [m.group(1) for m in LINK.finditer(rows[0])], rows[0]


@pytest.mark.parametrize("number", sorted(ROWS))
def test_every_syllabus_row_is_mapped(lines, number):
    rows = [line for line in lines if line.startswith(f"| {number} |")]
    assert len(rows) == 1, f"the row map needs exactly one row {number}"
    targets = [m.group(1) for m in LINK.finditer(rows[0])]
    assert f"{ROWS[number]}.ipynb" in targets, f"row {number} must link to {ROWS[number]}.ipynb, links {targets}"


def test_every_link_leads_somewhere(lines):
    links = dict.fromkeys(m.groups() for line in lines for m in LINK.finditer(line))
    assert len(links) >= len(SEED_KEYS)
    broken = []
    for target, section in links:
        path = NOTEBOOKS / target
        if not path.is_file():
            broken.append(f"{target}: no such notebook")
        elif section and section not in anchors_in(path):
            broken.append(f"{target}#{section}: no such heading (headings: {sorted(anchors_in(path))})")
    assert not broken, "\n".join(broken)
