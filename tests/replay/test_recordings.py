"""The committed recordings (binder/recordings/, what Binder replays), read as files; no engine needed: within the
size budget, no secret value in them, one per lesson notebook, recorded as the learner the committed outputs name."""
from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

import pytest

from course_replay import metadata

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "binder" / "recordings"
RECORDINGS = sorted(FOLDER.glob("*.jsonl.gz"))
BUDGET = 30 * 1024 * 1024  # bytes, for the whole course (issue 10)
SECRET_KEY = re.compile(r"^\s*(?:export\s+)?([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|API_KEY|PASSWD)[A-Z0-9_]*)\s*=(.*)$")
URL_PASSWORD = re.compile(r"://[^:/@\s]+:([^@\s]+)@")
needs_recordings = pytest.mark.skipif(not RECORDINGS, reason="no recordings committed yet")


def secret_values() -> dict[str, str]:
    """Every secret value the course's .env files hold now: where -> value."""
    found = {}
    files = [ROOT / "stack" / ".env", *sorted((ROOT / "notebooks" / "_work").glob("*/.env")),
             *sorted((ROOT / "my_notebooks" / "_work").glob("*/.env"))]
    for path in files:
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = SECRET_KEY.match(line)
            values = [m.group(2)] if m else URL_PASSWORD.findall(line)
            for value in values:
                value = value.strip().strip("'\"")
                if len(value) >= 4 and not value.startswith("$"):
                    found[f"{path.relative_to(ROOT)}:{n}"] = value
    return found


def readable(path: Path) -> str:
    """A recording as text, with its base64-stored parts decoded too."""
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    return text + "".join(base64.b64decode(b).decode("latin-1") for b in re.findall(r'"b64":\s*"([^"]*)"', text))


def test_the_recordings_are_within_the_size_budget() -> None:
    sizes = {p.name: p.stat().st_size for p in FOLDER.rglob("*") if p.is_file()}
    total = sum(sizes.values())
    print(f"\nbinder/recordings: {len(sizes)} files, {total / 1e6:.2f} MB (budget {BUDGET / 1e6:.0f} MB)")
    assert total <= BUDGET, f"the recordings take {total} bytes, over the {BUDGET} budget: {sizes}"


@needs_recordings
def test_no_recording_holds_a_secret_value() -> None:
    values = secret_values()
    assert values, "no secret found in stack/.env or notebooks/_work/*/.env: the scan would prove nothing"
    leaks = [f"{p.name} holds the value of {where}" for p in RECORDINGS for where, value in values.items()
             if value in readable(p)]
    assert leaks == []


def test_the_secret_scan_finds_a_leak(tmp_path: Path) -> None:
    """The scan above is real: a recording with a secret in a body (plain or base64) is caught."""
    secret = "s3cr3t-value-for-the-test"
    raw = json.dumps({"body": {"b64": base64.b64encode(f"PASSWORD={secret}".encode()).decode()}})
    (tmp_path / "x.jsonl.gz").write_bytes(gzip.compress(f"{{}}\n{raw}\n".encode()))
    assert secret in readable(tmp_path / "x.jsonl.gz")
    assert SECRET_KEY.match(f"DB_PASSWORD={secret}") and URL_PASSWORD.findall(f"redis://u:{secret}@redis:6379")


@needs_recordings
@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: p.name.split(".")[0])
def test_each_recording_is_a_lesson_recorded_as_learner(recording: Path) -> None:
    meta = metadata(recording)
    name = recording.name.split(".")[0]
    assert (ROOT / "notebooks" / f"{name}.ipynb").is_file(), f"{recording.name} records no lesson notebook"
    assert meta["names"]["learner"] == "learner"  # the id the committed outputs name
    assert meta["exchanges"] > 0 and meta["engine"]["version"]


def test_every_lesson_notebook_has_a_recording() -> None:
    """Binder replays every lesson: a lesson without a recording would fail there at its first engine call."""
    lessons = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    missing = sorted(lessons - {p.name.split(".")[0] for p in RECORDINGS})
    assert missing == [], f"record them on a real engine: ./course record {' '.join(missing)}"
