"""The ``depends_on`` graph of a compose file (services, conditions, named volumes, networks) and its picture: a row
per depth drawn by networkx, the top row starts first, an arrow ``A -> B`` means "A waits for B"."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from . import pictures

_COLOUR = {"service_started": "#4a6fa5", "service_healthy": "#238b45", "service_completed_successfully": "#6a51a3"}
_RED = "#cb181d"


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
    """The named volumes a service mounts (not anonymous ones, not bind mounts: a path, or $VAR by convention)."""
    found = []
    for item in spec.get("volumes") or []:
        if isinstance(item, dict):
            if item.get("type", "volume") == "volume" and item.get("source"):
                found.append(str(item["source"]))
            continue
        source, _, target = str(item).partition(":")
        if target and not source.startswith((".", "~", "$")) and "/" not in source and "\\" not in source:
            found.append(source)
    return list(dict.fromkeys(found))


def _networks(spec: dict[str, Any]) -> list[str]:
    nets = spec.get("networks")
    return [] if spec.get("network_mode") else ["default"] if nets is None else [str(n) for n in nets]


class ComposeGraph:
    """A compose file's services, dependencies, volumes and networks; shows itself as a PNG picture."""

    def __init__(self, compose: dict[str, Any], title: str = "") -> None:
        if not isinstance(compose, dict) or not isinstance(compose.get("services"), dict):
            raise ValueError("not a compose file: expected a mapping with a 'services' mapping")
        self.compose = compose
        self.title = title or str(compose.get("name") or "")
        self.specs: dict[str, dict[str, Any]] = {str(k): (v or {}) for k, v in compose["services"].items()}
        self.services = list(self.specs)
        self.edges: list[Dependency] = []
        for name, spec in self.specs.items():
            deps = spec.get("depends_on") or {}
            for dep, cond in ({d: {} for d in deps} if isinstance(deps, list) else deps).items():
                cond = cond or {}
                self.edges.append(Dependency(name, str(dep), str(cond.get("condition", "service_started")),
                                             bool(cond.get("restart", False)), bool(cond.get("required", True))))
        self.missing = sorted({e.dependency for e in self.edges} - set(self.services))
        used = [v for spec in self.specs.values() for v in _named_volumes(spec)]
        self.volumes = list(dict.fromkeys([*map(str, compose.get("volumes") or {}), *used]))
        joined = [n for spec in self.specs.values() for n in _networks(spec)]
        self.networks = list(dict.fromkeys([*joined, *map(str, compose.get("networks") or {})]))
        self.digraph = nx.DiGraph()  # service -> what it waits for; the edge's "dep" is its Dependency
        self.digraph.add_nodes_from([*self.services, *self.missing])
        self.digraph.add_edges_from((e.service, e.dependency, {"dep": e}) for e in self.edges)
        try:  # depth: the longest depends_on chain below a service (0: depends on nothing)
            rows = list(nx.topological_generations(self.digraph.reverse()))
        except nx.NetworkXUnfeasible:
            cycle = " -> ".join([*(u for u, _ in nx.find_cycle(self.digraph)), nx.find_cycle(self.digraph)[0][0]])
            raise ValueError(f"depends_on cycle: {cycle} (Compose refuses such a file)") from None
        self.depth = {s: d for d, row in enumerate(rows) for s in row}
        nx.set_node_attributes(self.digraph, self.depth, "layer")

    @classmethod
    def from_file(cls, path: str | Path, title: str = "") -> ComposeGraph:
        """The graph of Compose's model of a compose file (:func:`helpers.compose_file.load`)."""
        from .compose_file import load

        return cls(load(path).model, title=title or Path(path).name)

    def layers(self) -> list[list[str]]:
        """Services by ``depends_on`` depth, in the order Compose can start them: ``[["db", "redis"], ["web"]]``."""
        depths = sorted({self.depth[s] for s in self.services})
        return [[s for s in self.services if self.depth[s] == d] for d in depths]

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


def _label(g: ComposeGraph, s: str) -> str:
    """A box's text: the name, the image (or what is built), named volumes, networks if not only the default."""
    if s not in g.specs:
        return f"{s}\n(not defined in the file)"
    spec, image = g.specs[s], str(g.specs[s].get("image") or "")
    sub, build = image or "(no image)", spec.get("build")
    if build is not None:
        context = str(build.get("context", ".") if isinstance(build, dict) else build)
        sub = f"build: {Path(context).name or context}" + (f" → {image}" if image else "")
    nets = [", ".join(_networks(spec))] if g.networks != ["default"] and _networks(spec) else []
    return "\n".join([s, sub, *(f"volume: {v}" for v in _named_volumes(spec)), *(f"networks: {n}" for n in nets)])


def _draw(g: ComposeGraph) -> Figure:
    """networkx's drawing of the graph: a row per depth (the first on top), arrows coloured by condition (text on an
    arrow only for ``restart: true`` or ``required: false``: nine services' labels would cover the picture)."""
    G = g.digraph  # noqa: N806 (networkx's name)
    # multipartite gives the rows (layer 0 at the bottom: flipped, so it starts on top); each row then spreads evenly
    ys = {s: -y for s, (x, y) in nx.multipartite_layout(G, "layer", align="horizontal").items()}
    rows = [[s for s in G if g.depth[s] == d] for d in sorted(set(g.depth.values()))]
    pos = {s: ((i + 0.5) / len(row), ys[s]) for row in rows for i, s in enumerate(row)}
    text = {s: _label(g, s) for s in G}
    lines = max([t.count("\n") + 1 for t in text.values()] or [1])
    fig = pictures.figure(pictures.WIDTH, 70 + max(len(rows), 1) * (90 + 12 * lines))
    fig.text(12 / pictures.WIDTH, 1 - 10 / fig.bbox.height, g.title, va="top", fontsize=12, weight="bold")
    ax = fig.add_axes((0, 50 / fig.bbox.height, 1, 1 - 80 / fig.bbox.height))
    box = {"boxstyle": "round,pad=0.4", "lw": 1.2, "ec": pictures.INK, "fc": "#f7fbff"}
    texts = nx.draw_networkx_labels(G, pos, {s: text[s] for s in g.services}, font_size=7.5, bbox=box, ax=ax)
    texts |= nx.draw_networkx_labels(G, pos, {s: text[s] for s in g.missing}, font_size=7.5, ax=ax,
                                     font_color=_RED, bbox=box | {"ec": _RED, "fc": "#fff5f0", "ls": "--"})
    gap = min([b - a for a, b in itertools.pairwise(sorted(set(ys.values())))] or [1.0])
    ax.set(xlim=(0, 1), ylim=(min(ys.values(), default=0) - gap / 2, max(ys.values(), default=0) + gap / 2))
    for t in texts.values():
        t.set_zorder(0.5)  # the boxes drawn (placed) before the arrows that end at their edges, whatever the dpi
    fig.draw_without_rendering()  # places the label boxes (in pixels): arrows avoid them
    boxes = {s: t.get_bbox_patch().get_window_extent() for s, t in texts.items()}
    taken: list[Bbox] = []  # the edge labels placed so far
    for (u, v), e in ((uv, G.edges[uv]["dep"]) for uv in G.edges):
        p, q = ax.transData.transform(pos[u]), ax.transData.transform(pos[v])
        others = [b for s, b in boxes.items() if s not in (u, v)]  # an arrow through a box: curved around it
        rad = min((0.0, 0.25, -0.25, 0.45, -0.45), key=lambda r: _hits(_arc(p, q, r, np.linspace(0, 1, 21)), others))
        # labels into one box staggered along their arrows, each where it covers the fewest boxes and labels
        tries = np.roll([0.5, 0.3, 0.7, 0.4, 0.6], -sorted(G.predecessors(v), key=lambda s: pos[s][0]).index(u))
        w = pictures.text_width(e.label, 7.5) / 2 + 3
        at = min(tries, key=lambda t: _hits(_arc(p, q, rad, t) + [[-w, 0], [0, 0], [w, 0]], [*others, *taken]))
        taken.append(Bbox(_arc(p, q, rad, at) + [[-w, -7], [w, 7]]))
        colour, style = _COLOUR.get(e.condition, _RED), f"arc3,rad={rad}"
        (arrow,) = nx.draw_networkx_edges(G, pos, [(u, v)], width=1.3, edge_color=colour, arrows=True, node_size=0,
                                          style="-" if e.required else "--", arrowstyle="-|>", arrowsize=12, ax=ax,
                                          connectionstyle=style)
        arrow.set_patchA(texts[u].get_bbox_patch())
        arrow.set_patchB(texts[v].get_bbox_patch())
        if e.label != e.condition or e.condition not in _COLOUR:  # else the colour says it (the legend)
            nx.draw_networkx_edge_labels(G, pos, {(u, v): e.label}, label_pos=at, font_size=7.5, font_color=colour,
                                         rotate=False, node_size=0, ax=ax, connectionstyle=style,
                                         bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                               "alpha": 0.9})
    handles = [Line2D([], [], color=_COLOUR[c], label=c) for c in _COLOUR if c in {e.condition for e in g.edges}]
    if not all(e.required for e in g.edges):
        handles.append(Line2D([], [], color=pictures.GREY, ls="--", label="required: false"))
    fig.legend(handles=handles, loc="lower left", ncol=max(len(handles), 1), frameon=False, fontsize=8,
               title="A → B: A waits for B (the colour is the condition; restart or optional, written on the arrow); "
               "Compose starts the top row first",
               title_fontsize=8, alignment="left")
    ax.axis("off")
    return fig


def _arc(p: np.ndarray, q: np.ndarray, rad: float, t: Any) -> np.ndarray:
    """Points at ``t`` (a number or an array) on matplotlib's ``arc3,rad=rad`` curve from p to q (in pixels)."""
    c, t = (p + q) / 2 + rad * np.array([q[1] - p[1], p[0] - q[0]]), np.reshape(t, (-1, 1))
    return (1 - t) ** 2 * p + 2 * t * (1 - t) * c + t * t * q


def _hits(points: np.ndarray, boxes: list[Bbox]) -> int:
    return sum(b.contains(x, y) for b in boxes for x, y in points)


def graph(compose: dict[str, Any], title: str = "") -> ComposeGraph:
    """The :class:`ComposeGraph` of a compose model (a dict with ``services``)."""
    return ComposeGraph(compose, title)
