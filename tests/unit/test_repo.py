"""Repository hygiene that is checked, not remembered."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _deps(path: Path) -> list[str]:
    env = yaml.safe_load(path.read_text())
    plain = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    return plain + [p for p in pip if not p.startswith("-e")]


PIP_NAMES = {"docker-py": "docker", "pyyaml": "PyYAML", "matplotlib-base": "matplotlib"}  # conda name -> pip name


def _as_pip(conda: str) -> str:
    """A conda pin as pip writes it: ``pyyaml=6.0`` -> ``PyYAML==6.0.*``."""
    name, _, version = conda.split("#")[0].strip().partition("=")
    return f"{PIP_NAMES.get(name, name)}=={version}.*"


def test_binder_environment_matches_the_root_one():
    # Binder takes the pip route (binder/requirements.txt + runtime.txt): the root environment's pins, as pip's
    root = _deps(ROOT / "environment.yml")
    python = next(d for d in root if d.startswith("python="))
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-" + python.split("=")[1]
    wanted = [_as_pip(d) for d in root if d != python and d != "pip" and "=" in d.split(";")[0].replace("==", "")]
    wanted += [d for d in root if "==" in d]  # the pip section, as it is
    lines = [line.split("#")[0].strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()]
    assert [line for line in lines if line] == wanted
    assert not (ROOT / "binder" / "environment.yml").exists()  # repo2docker would take the conda route instead


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


def _code_cells(notebook: Path) -> list[str]:
    import json

    return ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]


def test_every_lesson_opens_with_one_call_and_the_quick_reference_needs_no_engine():
    quick_reference = ROOT / "notebooks" / "11_quick_reference.ipynb"
    lessons = [p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) if p != quick_reference]
    assert len(lessons) >= 11, [p.name for p in lessons]  # 00 to 10
    for path in lessons:
        setup = next(c for c in _code_cells(path) if "import helpers as h" in c)
        opening = r'^client, project = h\.open_lesson\("\d\d-[\w-]+", learner=LEARNER\)'
        assert re.search(opening, setup, re.M), path.name
    reference = "\n".join(_code_cells(quick_reference))
    assert "open_lesson" not in reference and "connect(" not in reference


def test_importing_helpers_has_no_side_effect_and_open_lesson_shows_course_errors_briefly():
    import subprocess
    import sys

    script = """
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
import helpers
assert shell.custom_exceptions == (), shell.custom_exceptions
helpers.connect = lambda: "engine"              # no engine: open_lesson's own steps only
helpers.Project = lambda lesson: ("project", lesson)
assert helpers.open_lesson("04-health", learner="Ana B") == ("engine", ("project", "04-health"))
assert helpers.CourseError in shell.custom_exceptions and helpers.learner() == "anab"
assert helpers.client() == "engine"
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_course_lab_gives_the_learner_own_copies(tmp_path):
    """`./course lab` copies each lesson into my_notebooks/ once, keeps the learner's copy, names updated lessons."""
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "course", tmp_path / "course")
    lesson = tmp_path / "notebooks" / "01_x.ipynb"
    lesson.write_text('{"cells": []}\n')

    def copies() -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(tmp_path / "course"), "copies"], capture_output=True, text=True,
                              check=True, cwd=tmp_path)

    copies()
    mine = tmp_path / "my_notebooks" / "01_x.ipynb"
    assert mine.read_text() == lesson.read_text()
    mine.write_text('{"cells": ["my work"]}\n')
    assert copies().stderr == "" and "my work" in mine.read_text()  # the learner's work is kept
    lesson.write_text('{"cells": ["a new version"]}\n')
    told = copies().stderr
    assert "Updated since you copied it: notebooks/01_x.ipynb" in told and "my work" in mine.read_text()
    mine.unlink()
    assert copies().stderr == "" and "a new version" in mine.read_text()  # deleted: the new version is copied


def test_readme_and_notebook_headers_give_the_same_times():
    """The README's table and each notebook's **Time:** line name the same number of minutes."""
    table = dict(re.findall(r"^\| `(\d\d_\w+)` \|.*\| (\d+) min \|$", (ROOT / "README.md").read_text(), re.M))
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(table) == [p.stem for p in lessons]
    for path in lessons:
        header = "".join(json.loads(path.read_text())["cells"][0]["source"])
        minutes = re.search(r"\*\*Time:\*\* about (\d+) minutes", header)
        assert minutes and minutes.group(1) == table[path.stem], path.name


def test_each_solution_keeps_the_exercise_cells_lines():
    """A solution's code is the exercise cell, or a stretch of it, with only the lines the exercise marks for the
    learner (``# <-``, ``YOUR CHANGE``) changed: a learner who pastes it changes nothing they were told to keep."""
    import difflib

    import nbformat

    for solution in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.md")):
        cells = nbformat.read(ROOT / "notebooks" / f"{solution.stem}.ipynb", as_version=4).cells
        cell = next(c for c in cells if "exercise" in c.get("metadata", {}).get("tags", []))
        code = re.search(r"```python\n(.*?)```", solution.read_text(), re.DOTALL)
        assert code, f"{solution.name}: no ```python block"
        ours, theirs = str(cell.source).splitlines(), code.group(1).splitlines()
        for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, ours, theirs, autojunk=False).get_opcodes():
            if tag in ("delete", "replace") and 0 < i1 and i2 < len(ours):  # a stretch may leave out head and tail
                unmarked = [line for line in ours[i1:i2] if "<-" not in line and "YOUR CHANGE" not in line]
                assert not unmarked, f"{solution.name} changes lines of the exercise cell it should keep: {unmarked}"
