"""A progress bar over the course's images, fed the :class:`~helpers.images.Step` events of :mod:`helpers.images`::

    with ImageProgress() as progress:  # redis:8:  33%|███▎      | 1/3 [00:04, pulling: 8a1e25ce7c4f Pull complete]
        images.ensure_images(progress)

``tqdm.auto``'s bar: a widget in Jupyter, a line redrawn in place in a terminal. Outside Jupyter each step is also
a line, ``[2/3] redis:8 pulling: ...``; where the output is no terminal (CI logs, a pipe) only those lines are written.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from IPython.display import Pretty, display
from tqdm.auto import tqdm
from tqdm.notebook import tqdm as notebook_tqdm

from .images import COURSE_IMAGES, Step

BAR = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"  # tqdm's, without a rate or time left: pulls vary


class ImageProgress:
    """Call it with each :class:`Step`. ``bar.n`` counts the images of ``refs`` done; use it as a context manager."""

    def __init__(self, refs: Sequence[str] | None = None, *, file: TextIO | None = None) -> None:
        self.refs = list(refs) if refs is not None else [image.ref for image in COURSE_IMAGES]
        self.file = file or sys.stdout
        self.lines = not issubclass(tqdm, notebook_tqdm)  # in Jupyter the bar alone
        self.current: str | None = None  # the image of refs being worked on
        # None: no bar where the output is no terminal; in Jupyter, shown here, so that the end can replace it
        self.bar = tqdm(total=len(self.refs), desc="images", file=self.file, bar_format=BAR,
                        **({"disable": None} if self.lines else {"disable": False, "display": False}))
        self._shown = None if self.lines else display(self.bar.container, display_id=True)

    def __call__(self, step: Step) -> None:
        """The step's image becomes the bar's description, the step its postfix (and, outside Jupyter, a line)."""
        if step.ref in self.refs:
            self.current = step.ref
            self.bar.set_description(step.ref, refresh=False)
            if step.done:
                self.bar.n += 1
        self.bar.set_postfix_str(step.status if step.ref == self.current else str(step))
        if self.lines:
            where = f"[{self.refs.index(self.current) + 1}/{len(self.refs)}] " if self.current else ""
            self.bar.write(f"{where}{step}", file=self.file)
            self.file.flush()

    def __enter__(self) -> ImageProgress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Close the bar; after a failure it keeps the image and step that failed."""
        if exc_type is None:
            self.bar.set_description("images", refresh=False)
            self.bar.set_postfix_str("", refresh=False)
        self.bar.close()
        if exc_type is None and self._shown is not None:  # the finished bar becomes a line: a saved notebook, or
            self._shown.update(Pretty(f"images: {self.bar.n}/{len(self.refs)} ready"))  # a reloaded page, shows it
            self.bar.container.close()
