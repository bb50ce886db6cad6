"""Progress of image provisioning (present / pull / stand-in build), as a widget in Jupyter, as lines elsewhere.

:class:`ImageProgress` is a callable that takes the message lines :mod:`helpers.images` reports
(``"[postgres:17] not on the engine: pulling"``, ``"[redis:8] Step 4/13 : RUN apt-get ..."``), so it plugs in
where those functions take ``progress=``::

    from helpers import images
    from helpers.progress import ImageProgress

    with ImageProgress() as progress:          # in Jupyter: a bar and "image 2/3: redis:8 — Step 4/13"
        images.ensure_images(progress=progress)

In Jupyter it shows an ``IntProgress`` bar and one label line, updated in place (it displays itself at the first
message, or where you ``display()`` it). Elsewhere (a terminal, CI) it prints one plain line per message,
``[2/3 redis:8] Step 4/13 : RUN ...``, so logs stay readable. ``mode="text"`` or ``mode="widget"`` forces either.

Used in 00_preflight (making the images available) and by ``python -m helpers.images`` (text mode).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

_STEP = re.compile(r"Step (\d+)/(\d+)")
_DONE = ("present", "stand-in ready", "Status: Downloaded newer image", "Status: Image is up to date")


def in_jupyter() -> bool:
    """True inside a Jupyter kernel (where a widget can show), False in a terminal or plain Python."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _course_refs() -> list[str]:
    from .images import COURSE_IMAGES

    return [image.ref for image in COURSE_IMAGES]


class ImageProgress:
    """Progress over a known list of images; call it with each message line (see the module docstring)."""

    def __init__(self, refs: Sequence[str] | None = None, *, mode: str = "auto", out: TextIO | None = None) -> None:
        self.refs: list[str] = list(refs) if refs is not None else _course_refs()
        if mode not in ("auto", "widget", "text"):
            raise ValueError("mode is 'auto', 'widget' or 'text'")
        self.mode = ("widget" if in_jupyter() else "text") if mode == "auto" else mode
        self.out = out
        self.current: str | None = None
        self.done: set[str] = set()
        self.fraction = 0.0  # of the current image, from "Step i/n"
        self.detail = ""
        self.lines: list[str] = []  # every message, as received
        self._shown = False
        self.bar: Any = None
        self.label: Any = None
        self.widget: Any = None
        if self.mode == "widget":
            import ipywidgets as widgets

            self.bar = widgets.IntProgress(value=0, min=0, max=100 * max(1, len(self.refs)),
                                           layout=widgets.Layout(width="320px"))
            self.label = widgets.HTML(self.status())
            self.widget = widgets.HBox([self.bar, self.label])
            self.widget.add_class("course-progress")

    # -- state
    @property
    def index(self) -> int:
        """1-based position of the current image in :attr:`refs` (0 before the first message)."""
        return self.refs.index(self.current) + 1 if self.current in self.refs else 0

    def status(self) -> str:
        """``"image 2/3: postgres:17 — Step 4/13"`` (the label's text)."""
        if self.current is None:
            return f"images: 0/{len(self.refs)}"
        where = f"image {self.index}/{len(self.refs)}: {self.current}" if self.index else self.current
        return f"{where} — {self.detail}" if self.detail else where

    def __call__(self, message: str) -> None:
        """Take one message line from :mod:`helpers.images`."""
        self.lines.append(message)
        match = re.match(r"\[([^\]]+)\]\s*(.*)", message)
        ref, rest = (match.group(1), match.group(2)) if match else (None, message)
        if ref is not None and ref != "base" and ref != self.current:
            if self.current is not None:
                self.done.add(self.current)  # the previous image finished (pulled, or built)
            self.current, self.fraction = ref, 0.0
        step = _STEP.search(rest)
        if step:
            self.fraction = (int(step.group(1)) - 1) / max(1, int(step.group(2)))
            self.detail = step.group(0)
        else:
            self.detail = (f"base image: {rest}" if ref == "base" else rest)[:70]
        if self.current is not None and rest.startswith(_DONE):
            self.done.add(self.current)
            self.fraction = 0.0
        self._update(message)

    def finish(self, summary: dict[str, str] | None = None) -> None:
        """All images handled (``summary``: what :func:`helpers.images.ensure_images` returned)."""
        if self.current is not None:
            self.done.add(self.current)
        self.fraction, self.current = 0.0, None
        how = ", ".join(f"{ref} {what}" for ref, what in summary.items()) if summary else ""
        text = f"images: {len(self.done)}/{len(self.refs)} ready" + (f" ({how})" if how else "")
        if self.mode == "widget":
            self._show()
            self.bar.value = self.bar.max if len(self.done) >= len(self.refs) else 100 * len(self.done)
            self.bar.bar_style = "success" if len(self.done) >= len(self.refs) else "warning"
            self.label.value = text
        else:
            self._print(text)

    def _update(self, message: str) -> None:
        if self.mode == "widget":
            self._show()
            partial = 0 if self.current is None or self.current in self.done else int(100 * self.fraction)
            value = 100 * len(self.done) + partial
            self.bar.value = max(0, min(self.bar.max, value))
            self.label.value = self.status()
        else:
            prefix = f"[{self.index}/{len(self.refs)} {self.current}]" if self.index else ""
            rest = re.sub(r"^\[[^\]]+\]\s*", "", message)
            self._print(f"{prefix} {rest}".strip())

    def _print(self, text: str) -> None:
        print(text, file=self.out or sys.stdout, flush=True)

    def _show(self) -> None:
        if not self._shown:
            self._shown = True
            from IPython.display import display

            display(self)  # through _repr_mimebundle_: the widget, with a stable text/plain for nbval

    # -- display and context manager
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        if self.widget is None:
            return {"text/plain": self.status()}
        self._shown = True
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = f"<ImageProgress: {len(self.refs)} images>"
        return bundle

    def __enter__(self) -> ImageProgress:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.finish()
