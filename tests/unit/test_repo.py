"""Repository hygiene that is checked, not remembered."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _deps(path: Path) -> list[str]:
    env = yaml.safe_load(path.read_text())
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return plain + [p for p in pip if not p.startswith("-e")]


def test_binder_environment_matches_the_root_one():
    assert _deps(ROOT / "binder" / "environment.yml") == _deps(ROOT / "environment.yml")


def test_readme_gives_exactly_two_commands_for_a_fresh_machine():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:bash|sh)\n(.*?)```", quick, flags=re.S)
    assert [c.strip() for c in commands] == ["./course lab", "./course test"]


def test_learner_scratch_files_are_ignored():
    assert "my_*" in (ROOT / ".gitignore").read_text().split()


def test_test_modules_have_unique_basenames():
    # tests/ has no __init__.py: two test files with one basename make pytest's collection fail
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
