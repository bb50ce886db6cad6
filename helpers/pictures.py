"""What the course's pictures share: matplotlib figures on the Agg canvas (no pyplot, no global state), drawn in
:func:`style` so a notebook's ``rcParams`` change nothing, encoded by :func:`png` to the same bytes every time."""

from __future__ import annotations

import functools
import io
from contextlib import AbstractContextManager
from typing import Any

import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

DPI = 100
WIDTH = 760  # pixels: the width of a notebook's output area
INK = "#252525"
GREY = "#555555"
_STYLE: dict[str, Any] = {"font.family": "DejaVu Sans", "font.size": 9, "text.color": INK, "text.parse_math": False}


def style() -> AbstractContextManager[None]:
    """Matplotlib's defaults plus the course's font, whatever the notebook set: wrap drawing and encoding in it."""
    return matplotlib.style.context(["default", _STYLE])


def figure(width: float, height: float) -> Figure:
    """A white figure of ``width`` x ``height`` pixels on the Agg canvas."""
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


@functools.cache
def _renderer() -> RendererAgg:
    return RendererAgg(1, 1, DPI)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in pixels of ``text`` at ``size`` points in the pictures' font (to lay out before drawing)."""
    font = FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")
    return float(_renderer().get_text_width_height_descent(text, font, ismath=False)[0])


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, without a timestamp or version in the metadata."""
    buffer = io.BytesIO()
    with style():
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
