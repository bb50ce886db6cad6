"""Dependency graph of a compose file: services, ``depends_on`` (with conditions), named volumes and networks.

``ComposeGraph(compose_file.load("docker-compose.yaml").model)`` (or :meth:`ComposeGraph.from_file`) takes Compose's
model as a plain dict; :meth:`~ComposeGraph.layers` (the start order) and :attr:`~ComposeGraph.edges` are the facts
to print. The object shows itself as a PNG (:meth:`~ComposeGraph.figure` is the matplotlib figure): a row of boxes
per layer, the first row starts first; an arrow ``A -> B`` means "A waits for B", labelled with the condition; each
box names the image, the named volumes and (if the file has more than ``default``) the networks. A ``depends_on`` on
a service the file does not define is a red dashed box (a typo Compose rejects); a cycle raises :class:`ValueError`.
"""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from . import pictures

_COLOUR = {"service_started": "#4a6fa5", "service_healthy": "#238b45", "service_completed_successfully": "#6a51a3"}
_RED = "#cb181d"
_LINE = 13.0  # pixels per line of small text in a box
Box = tuple[float, float, float, float]  # left, bottom, width, height in pixels
Point = tuple[float, float]


@dataclass(frozen=True)
class Dependency:
    """One ``depends_on`` entry: ``service`` waits for ``dependency`` to reach ``condition``."""

    service: str
    dependency: str
    condition: str = "service_started"
    restart: bool = False
    required: bool = True

    @property
    def label(self) -> str:
        """The arrow's text: the condition, plus ``restart`` / ``optional`` when set."""
        extra = (["restart"] if self.restart else []) + ([] if self.required else ["optional"])
        return " · ".join([self.condition, *extra])


def _named_volumes(spec: dict[str, Any]) -> list[str]:
    """The named volumes a service mounts (bind mounts and anonymous volumes are left out)."""
    found: list[str] = []
    for item in spec.get("volumes") or []:
        if isinstance(item, dict):
            if item.get("type", "volume") == "volume" and item.get("source"):
                found.append(str(item["source"]))
            continue
        parts = str(item).split(":")
        if len(parts) >= 2 and not (parts[0].startswith((".", "/", "~", "$")) or "/" in parts[0] or "\\" in parts[0]):
            found.append(parts[0])  # not anonymous, not a bind mount (a path; $VAR is a path by convention too)
    return found


def _networks(spec: dict[str, Any]) -> list[str]:
    if spec.get("network_mode"):
        return []
    nets = spec.get("networks")
    if nets is None:
        return ["default"]
    return [str(n) for n in (nets.keys() if isinstance(nets, dict) else nets)]


class ComposeGraph:
    """A compose file's services, dependencies, volumes and networks; shows itself as a PNG picture."""

    def __init__(self, compose: dict[str, Any], title: str = "") -> None:
        if not isinstance(compose, dict) or not isinstance(compose.get("services"), dict):
            raise ValueError("not a compose file: expected a mapping with a 'services' mapping")
        self.compose = compose
        self.title = title or str(compose.get("name") or "")
        self.services: list[str] = [str(s) for s in compose["services"]]
        self.specs: dict[str, dict[str, Any]] = {str(k): (v or {}) for k, v in compose["services"].items()}
        self.edges: list[Dependency] = []
        for name in self.services:
            deps = self.specs[name].get("depends_on") or {}
            for dep, cond in ({d: {} for d in deps} if isinstance(deps, list) else deps).items():
                cond = cond or {}
                self.edges.append(Dependency(name, str(dep), str(cond.get("condition", "service_started")),
                                             bool(cond.get("restart", False)), bool(cond.get("required", True))))
        self.missing = sorted({e.dependency for e in self.edges} - set(self.services))
        used = [v for s in self.services for v in _named_volumes(self.specs[s])]
        self.volumes: list[str] = list(dict.fromkeys([*map(str, compose.get("volumes") or {}), *used]))
        joined = [n for s in self.services for n in _networks(self.specs[s])]
        self.networks: list[str] = list(dict.fromkeys([*joined, *map(str, compose.get("networks") or {})]))
        self.depth = self._depths()

    @classmethod
    def from_file(cls, path: str | Path, title: str = "") -> ComposeGraph:
        """The graph of Compose's model of a compose file (:func:`helpers.compose_file.load`)."""
        from .compose_file import load

        return cls(load(path).model, title=title or Path(path).name)

    def _depths(self) -> dict[str, int]:
        """Longest ``depends_on`` chain below each service (0: depends on nothing); a cycle raises ValueError."""
        deps = {s: [e.dependency for e in self.edges if e.service == s] for s in [*self.services, *self.missing]}
        try:
            order = list(graphlib.TopologicalSorter(deps).static_order())
        except graphlib.CycleError as err:
            cycle = " -> ".join(reversed(err.args[1]))
            raise ValueError(f"depends_on cycle: {cycle} (Compose refuses such a file)") from None
        depth: dict[str, int] = {}
        for s in order:
            depth[s] = 1 + max((depth[d] for d in deps[s]), default=-1)
        return depth

    def layers(self) -> list[list[str]]:
        """Services by ``depends_on`` depth, in the order Compose can start them: ``[["db", "redis"], ["web"]]``."""
        out: list[list[str]] = [[] for _ in range(max([0, *self.depth.values()]) + 1)]
        for s in self.services:
            out[self.depth[s]].append(s)
        return [layer for layer in out if layer]

    def volume_users(self) -> dict[str, list[str]]:
        """Named volume -> services that mount it."""
        return {v: [s for s in self.services if v in _named_volumes(self.specs[s])] for v in self.volumes}

    def network_members(self) -> dict[str, list[str]]:
        """Network -> services on it (``default`` for services that name none)."""
        return {n: [s for s in self.services if n in _networks(self.specs[s])] for n in self.networks}

    def __repr__(self) -> str:
        return (f"<ComposeGraph {self.title!r}: {len(self.services)} services in {len(self.layers())} layers, "
                f"{len(self.edges)} depends_on, {len(self.volumes)} volumes, {len(self.networks)} networks>")

    # -- drawing
    def figure(self) -> Figure:
        """The picture as a matplotlib figure (``graph.figure().savefig("graph.png")``)."""
        with pictures.style():
            return _draw(self)

    def _repr_png_(self) -> bytes:
        return pictures.png(self.figure())


def _lines(g: ComposeGraph, s: str) -> list[str]:
    """A box's text: the name, the image (or what is built), named volumes, networks if not only the default."""
    if s not in g.specs:
        return [s, "(not defined in the file)"]
    spec, image = g.specs[s], str(g.specs[s].get("image") or "")
    sub, build = image or "(no image)", spec.get("build")
    if build is not None:
        context = str(build.get("context", ".") if isinstance(build, dict) else build)
        sub = f"build: {Path(context).name or context}" + (f" → {image}" if image else "")
    nets = [", ".join(_networks(spec))] if g.networks != ["default"] and _networks(spec) else []
    return [s, sub, *(f"volume: {v}" for v in dict.fromkeys(_named_volumes(spec))), *(f"networks: {n}" for n in nets)]


def _curve(p: Point, q: Point, rad: float, t: float) -> Point:
    """The point at ``t`` of matplotlib's ``arc3,rad=rad`` curve from p to q (in pixels)."""
    cx, cy = (p[0] + q[0]) / 2 + rad * (q[1] - p[1]), (p[1] + q[1]) / 2 - rad * (q[0] - p[0])
    return ((1 - t) ** 2 * p[0] + 2 * t * (1 - t) * cx + t * t * q[0],
            (1 - t) ** 2 * p[1] + 2 * t * (1 - t) * cy + t * t * q[1])


def _hits(a: Box, b: Box, margin: float = 0.0) -> bool:
    """Whether two boxes overlap, or come closer than ``margin``."""
    return max(a[0], b[0]) - margin < min(a[0] + a[2], b[0] + b[2]) and \
        max(a[1], b[1]) - margin < min(a[1] + a[3], b[1] + b[3])


def _layout(g: ComposeGraph, text: dict[str, list[str]]) -> tuple[dict[str, Box], float, float]:
    """Each service's box in pixels (y upwards), a row per depth, each below what it waits for; the picture's size."""
    rows = [[s for s in text if g.depth[s] == d] for d in sorted({g.depth[s] for s in text})]
    size = {s: (max(90.0, pictures.text_width(t[0], 10, bold=True) + 14,
                    *(pictures.text_width(x, 7.5) + 10 for x in t[1:])), 23 + _LINE * (len(t) - 1))
            for s, t in text.items()}
    width = max([pictures.WIDTH, *(sum(size[s][0] + 10 for s in row) + 16 for row in rows)])
    tall = [max(size[s][1] for s in row) for row in rows]
    gap = min(70 + 3 * len(g.edges), 130)  # pixels between two rows: room for the arrows' labels
    top = 36.0 if g.title else 12.0
    height = top + sum(tall) + gap * max(len(rows) - 1, 0) + 60
    box: dict[str, Box] = {}
    y = height - top
    for row, row_h in zip(rows, tall, strict=True):
        under = {s: [box[e.dependency][0] + box[e.dependency][2] / 2 for e in g.edges if e.service == s] for s in row}
        row.sort(key={s: sum(xs) / max(len(xs), 1) for s, xs in under.items()}.__getitem__)
        free = (width - 16 - sum(size[s][0] for s in row)) / len(row)
        x = 8 + free / 2
        for s in row:
            box[s] = (x, y - size[s][1], *size[s])
            x += size[s][0] + free
        y -= row_h + gap
    return box, width, height


def _draw(g: ComposeGraph) -> Figure:
    """Boxes, arrows curved around the boxes between their ends, labels where they cover least, a legend."""
    text = {s: _lines(g, s) for s in [*g.services, *g.missing]}  # a missing service has depth 0
    box, width, height = _layout(g, text)
    fig = pictures.figure(width, height)
    ax = fig.add_axes((0, 0, 1, 1), xlim=(0, width), ylim=(0, height))
    ax.axis("off")
    ax.text(12, height - 10, g.title, va="top", fontsize=12, weight="bold")
    patch: dict[str, Patch] = {}
    for s, (x, y, w, h) in box.items():
        colour, missing = (_RED, True) if s in g.missing else (pictures.INK, False)
        patch[s] = ax.add_patch(FancyBboxPatch((x, y), w, h, "round,pad=0,rounding_size=6", lw=1.2, ec=colour,
                                               fc="#fff5f0" if missing else "#f7fbff", ls="--" if missing else "-"))
        for i, line in enumerate(text[s]):
            ax.text(x + w / 2, y + h - (5 if i == 0 else 9 + _LINE * i), line, ha="center", va="top",
                    fontsize=7.5 + 2.5 * (i == 0), weight="bold" if i == 0 else "normal",
                    color=colour if i == 0 or missing else pictures.GREY)
    taken = list(box.values())  # what a label must not cover
    for e in g.edges:
        p, q = [(x + w / 2, y + h / 2) for x, y, w, h in (box[e.service], box[e.dependency])]  # the centres
        others = [b for s, b in box.items() if s not in (e.service, e.dependency)]
        rad = next((r for r in (0.0, 0.15, -0.15, 0.3, -0.3, 0.45, -0.45) if not any(
            _hits((*_curve(p, q, r, k / 20), 0, 0), b, 6) for k in range(1, 20) for b in others)), 0.0)
        colour = _COLOUR.get(e.condition, _RED)
        ax.add_patch(FancyArrowPatch(p, q, arrowstyle="-|>", mutation_scale=12, connectionstyle=f"arc3,rad={rad}",
                                     patchA=patch[e.service], patchB=patch[e.dependency], color=colour, lw=1.3,
                                     ls="-" if e.required else "--"))
        w, h = pictures.text_width(e.label, 7.5) + 6, 12.0
        spots = [(x - w / 2, y - h / 2, w, h) for x, y in (_curve(p, q, rad, t / 10) for t in (5, 4, 6, 3, 7, 2, 8))]
        spot = min(spots, key=lambda s: sum(_hits(s, b) for b in taken))  # the first that covers least
        taken.append(spot)
        ax.text(spot[0] + w / 2, spot[1] + h / 2, e.label, ha="center", va="center", fontsize=7.5, color=colour,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9})
    handles = [Line2D([], [], color=_COLOUR[c], label=c) for c in _COLOUR if c in {e.condition for e in g.edges}]
    if not all(e.required for e in g.edges):
        handles.append(Line2D([], [], color=pictures.GREY, ls="--", label="required: false"))
    ax.legend(handles=handles, loc="lower left", ncol=max(len(handles), 1), frameon=False, fontsize=8,
              title="A → B: A waits for B (the condition is on the arrow); Compose starts the top row first",
              title_fontsize=8, alignment="left")
    return fig


def graph(compose: dict[str, Any], title: str = "") -> ComposeGraph:
    """The :class:`ComposeGraph` of a compose model (a dict with ``services``)."""
    return ComposeGraph(compose, title)
