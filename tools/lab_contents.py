"""What ``./course lab`` serves: the tracked lessons (``notebooks/NN_topic.ipynb``) are read-only, the learner's
copies in ``my_notebooks/`` are theirs to edit.

JupyterLab marks a file the server calls not writable with a read-only sign and never autosaves it. Without this,
opening a tracked lesson to compare (its kernel and Python version differ from the learner's) marks it changed,
autosave rewrites it, and the learner's next ``git pull`` conflicts. A save asked for anyway is refused with a
message that names the learner's copy. Set by the configuration file ``./course lab`` writes.
"""

from __future__ import annotations

import re
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

TRACKED = re.compile(r"notebooks/\d\d_[^/]*\.ipynb")


class CourseContentsManager(AsyncLargeFileManager):
    """JupyterLab's own contents manager, with the tracked lessons read-only."""

    def is_writable(self, path: str) -> bool:
        return not TRACKED.fullmatch(path.strip("/")) and super().is_writable(path)

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        if TRACKED.fullmatch(path.strip("/")):
            name = path.strip("/").split("/")[-1]
            raise web.HTTPError(403, f"{path} is the course's tracked lesson, kept as committed so that `git pull` "
                                f"stays clean. Work in your copy, my_notebooks/{name}, or save this one elsewhere "
                                "with File > Save As.")
        return await super().save(model, path)
