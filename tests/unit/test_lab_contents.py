"""The lab's contents manager: the tracked lessons are read-only (JupyterLab never autosaves them), the learner's
copies and everything else are not."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import nbformat
import pytest
from tornado import web

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from lab_contents import CourseContentsManager


def test_tracked_lessons_are_read_only_and_copies_are_not(tmp_path: Path) -> None:
    for folder in ("notebooks", "my_notebooks"):
        (tmp_path / folder).mkdir()
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / folder / "03_db.ipynb")
    contents = CourseContentsManager(root_dir=str(tmp_path))

    async def scenario() -> None:
        tracked = await contents.get("notebooks/03_db.ipynb")
        assert tracked["writable"] is False
        with pytest.raises(web.HTTPError, match="my_notebooks/03_db.ipynb"):
            await contents.save(tracked, "notebooks/03_db.ipynb")
        mine = await contents.get("my_notebooks/03_db.ipynb")
        assert mine["writable"] is True
        assert (await contents.save(mine, "my_notebooks/03_db.ipynb"))["name"] == "03_db.ipynb"
        assert (await contents.get("notebooks"))["writable"] is True  # the folder itself: a new file is allowed

    asyncio.run(scenario())
    assert nbformat.read(tmp_path / "notebooks" / "03_db.ipynb", as_version=4) == nbformat.v4.new_notebook()
