"""Dependency graph of a compose file: services, ``depends_on`` (with conditions), named volumes and networks.

``ComposeGraph(compose_file.load("docker-compose.yaml").model)`` (or :meth:`ComposeGraph.from_file`) takes Compose's model
as a plain dict and draws it as a self-contained SVG with its own small layered layout:

* each service is a box in a column by its ``depends_on`` depth: what depends on nothing is on the right, what
  depends on it to its left; an arrow ``A -> B`` means "A depends on B" and is labelled with the condition
  (``service_started``, ``service_healthy``, ``service_completed_successfully``; ``restart``/``required: false``
  noted), so Compose starts the columns right to left;
* named volumes are cylinders and networks hexagons in the last column, linked to the services that use them by
  dashed (volume) and dotted (network) lines; a network every service joins (usually ``default``) is drawn as a
  dashed frame around all services instead of nine identical lines;
* a ``depends_on`` on a service the file does not define is drawn as a red dashed box (a typo Compose rejects);
  a dependency cycle raises :class:`ValueError`.

The object has ``_repr_svg_``, so a cell ending with it shows the picture in JupyterLab and in a committed notebook
on a static site. The SVG depends only on the file (no ids, no times), so nbval can compare it as it is.
:meth:`ComposeGraph.layers` (start order) and :attr:`ComposeGraph.edges` are the stable facts to print;
:meth:`ComposeGraph.mermaid` gives the same graph as Mermaid text.

Used in the notebooks that introduce ``depends_on`` and the full stack (``stack/docker-compose.yaml``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


_INK = "#252525"
_CONDITION_COLOUR = {
    "service_started": "#4a6fa5",
    "service_healthy": "#238b45",
    "service_completed_successfully": "#6a51a3",
}
_GAP_MIN = 70.0
_V_SPACE = 16.0


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


@dataclass
class _Node:
    id: str
    kind: str  # service | missing | volume | network | dummy
    lines: list[str] = field(default_factory=list)
    col: int = 0
    w: float = 0.0
    h: float = 0.0
    x: float = 0.0
    y: float = 0.0


@dataclass
class _Edge:
    src: str
    dst: str
    kind: str  # depends_on | volume | network
    label: str = ""
    tip: str = ""
    colour: str = _INK
    dashed: bool = False
    path: list[str] = field(default_factory=list)  # node ids incl. dummies


def _text_width(text: str, size: float, bold: bool = False) -> float:
    narrow = sum(text.count(c) for c in "ijlt.,:;|!'()[]/ ")
    return (len(text) - narrow * 0.45) * size * (0.62 if bold else 0.58)


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _named_volumes(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """(volume, target) of a service's named-volume mounts (bind mounts and anonymous volumes are left out)."""
    found: list[tuple[str, str]] = []
    for item in spec.get("volumes") or []:
        if isinstance(item, dict):
            if item.get("type", "volume") == "volume" and item.get("source"):
                found.append((str(item["source"]), str(item.get("target", ""))))
            continue
        parts = str(item).split(":")
        if len(parts) < 2:
            continue  # anonymous volume
        source = parts[0]
        if source.startswith((".", "/", "~", "$")) or "/" in source or "\\" in source:
            continue  # bind mount (a path; $VAR is a path by convention too)
        found.append((source, parts[1]))
    return found


def _networks(spec: dict[str, Any]) -> list[str]:
    if spec.get("network_mode"):
        return []
    nets = spec.get("networks")
    if nets is None:
        return ["default"]
    return [str(n) for n in (nets.keys() if isinstance(nets, dict) else nets)]


class ComposeGraph:
    """A compose file's services, dependencies, volumes and networks; draws itself as SVG or Mermaid."""

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
            if isinstance(deps, list):
                deps = {d: {} for d in deps}
            for dep, cond in deps.items():
                cond = cond or {}
                self.edges.append(Dependency(name, str(dep), str(cond.get("condition", "service_started")),
                                             bool(cond.get("restart", False)), bool(cond.get("required", True))))
        self.missing = sorted({e.dependency for e in self.edges} - set(self.services))
        self.volumes: list[str] = [str(v) for v in (compose.get("volumes") or {})]
        for name in self.services:
            for vol, _ in _named_volumes(self.specs[name]):
                if vol not in self.volumes:
                    self.volumes.append(vol)
        self.networks: list[str] = []
        for name in self.services:
            for net in _networks(self.specs[name]):
                if net not in self.networks:
                    self.networks.append(net)
        for net in compose.get("networks") or {}:
            if str(net) not in self.networks:
                self.networks.append(str(net))
        self.depth = self._depths()

    @classmethod
    def from_file(cls, path: str | Path, title: str = "") -> ComposeGraph:
        """The graph of Compose's model of a compose file (:func:`helpers.compose_file.load`)."""
        from .compose_file import load

        return cls(load(path).model, title=title or Path(path).name)

    # -- facts
    def _depths(self) -> dict[str, int]:
        """Longest ``depends_on`` chain below each service (0: depends on nothing); a cycle raises ValueError."""
        deps: dict[str, list[str]] = {s: [] for s in [*self.services, *self.missing]}
        for e in self.edges:
            deps[e.service].append(e.dependency)
        depth: dict[str, int] = {}
        visiting: list[str] = []

        def visit(s: str) -> int:
            if s in depth:
                return depth[s]
            if s in visiting:
                cycle = visiting[visiting.index(s):] + [s]
                raise ValueError(f"depends_on cycle: {' -> '.join(cycle)} (Compose refuses such a file)")
            visiting.append(s)
            depth[s] = 1 + max((visit(d) for d in deps[s]), default=-1)
            visiting.pop()
            return depth[s]

        for s in deps:
            visit(s)
        return depth

    def layers(self) -> list[list[str]]:
        """Services by ``depends_on`` depth, in the order Compose can start them: ``[["db", "redis"], ["web"]]``."""
        out: list[list[str]] = [[] for _ in range(max([0, *self.depth.values()]) + 1)]
        for s in self.services:
            out[self.depth[s]].append(s)
        return [layer for layer in out if layer]

    def volume_users(self) -> dict[str, list[str]]:
        """Named volume -> services that mount it."""
        users: dict[str, list[str]] = {v: [] for v in self.volumes}
        for s in self.services:
            for vol, _ in _named_volumes(self.specs[s]):
                if s not in users[vol]:
                    users[vol].append(s)
        return users

    def network_members(self) -> dict[str, list[str]]:
        """Network -> services on it (``default`` for services that name none)."""
        members: dict[str, list[str]] = {n: [] for n in self.networks}
        for s in self.services:
            for net in _networks(self.specs[s]):
                members[net].append(s)
        return members

    def __repr__(self) -> str:
        return (f"<ComposeGraph {self.title!r}: {len(self.services)} services in {len(self.layers())} layers, "
                f"{len(self.edges)} depends_on, {len(self.volumes)} volumes, {len(self.networks)} networks>")

    # -- drawing
    def _repr_svg_(self) -> str:
        return self.svg()

    def svg(self) -> str:
        """The graph as a self-contained SVG document (a string); deterministic for a given file."""
        return _Layout(self).render()

    def mermaid(self) -> str:
        """The graph as Mermaid ``flowchart LR`` text (paste into a Markdown cell inside a ```mermaid block)."""
        ids: dict[str, str] = {}

        def ident(kind: str, name: str) -> str:
            key = f"{kind}:{name}"
            if key not in ids:
                base = kind[0] + "_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
                ids[key] = base if base not in ids.values() else f"{base}_{len(ids)}"
            return ids[key]

        def q(text: str) -> str:
            return text.replace('"', "#quot;")

        lines = ["flowchart LR"]
        for s in self.services:
            spec = self.specs[s]
            sub = spec.get("image") or ("build: " + str(spec["build"]) if "build" in spec else "")
            lines.append(f'    {ident("service", s)}["{q(s)}' + (f"<br/><small>{q(str(sub))}</small>" if sub else "")
                         + '"]')
        for m in self.missing:
            lines.append(f'    {ident("service", m)}["{q(m)} (not defined)"]')
            lines.append(f"    style {ident('service', m)} stroke:#cb181d,stroke-dasharray:4 3")
        for v in self.volumes:
            lines.append(f'    {ident("volume", v)}[("{q(v)}")]')
        framed = self._framed_networks()
        for n in self.networks:
            if n not in framed:
                lines.append(f'    {ident("network", n)}{{{{"network {q(n)}"}}}}')
        for e in self.edges:
            lines.append(f'    {ident("service", e.service)} -->|{q(e.label)}| {ident("service", e.dependency)}')
        for v, users in self.volume_users().items():
            for s in users:
                lines.append(f"    {ident('service', s)} -.- {ident('volume', v)}")
        for n, members in self.network_members().items():
            if n not in framed:
                for s in members:
                    lines.append(f"    {ident('service', s)} -.- {ident('network', n)}")
        return "\n".join(lines)

    def _framed_networks(self) -> list[str]:
        """Networks every service joins: drawn as a frame, not as a node with an edge from each service."""
        members = self.network_members()
        return [n for n in self.networks if len(self.services) > 1 and set(members[n]) == set(self.services)]


class _Layout:
    """Columns by depth, dummy nodes on long edges, barycentre ordering, then SVG."""

    def __init__(self, graph: ComposeGraph) -> None:
        self.g = graph
        self.nodes: dict[str, _Node] = {}
        self.edges: list[_Edge] = []
        max_depth = max([0, *graph.depth.values()])
        for s in [*graph.services, *graph.missing]:
            kind = "service" if s in graph.specs else "missing"
            self.nodes[f"s:{s}"] = _Node(f"s:{s}", kind, self._service_lines(s), col=max_depth - graph.depth[s])
        framed = graph._framed_networks()
        self.framed = framed
        for v in graph.volumes:
            self.nodes[f"v:{v}"] = _Node(f"v:{v}", "volume", ["volume", v], col=max_depth + 1)
        for n in graph.networks:
            if n not in framed:
                self.nodes[f"n:{n}"] = _Node(f"n:{n}", "network", ["network", n], col=max_depth + 1)
        for e in graph.edges:
            colour = _CONDITION_COLOUR.get(e.condition, "#cb181d")
            self.edges.append(_Edge(f"s:{e.service}", f"s:{e.dependency}", "depends_on", e.label,
                                    f"{e.service} depends on {e.dependency}: {e.label}", colour, not e.required))
        for v, users in graph.volume_users().items():
            for s in users:
                targets = [t for vol, t in _named_volumes(graph.specs[s]) if vol == v]
                self.edges.append(_Edge(f"s:{s}", f"v:{v}", "volume", tip=f"{s} mounts {v} at {', '.join(targets)}",
                                        colour="#969696", dashed=True))
        for n, members in graph.network_members().items():
            if n not in framed:
                for s in members:
                    self.edges.append(_Edge(f"s:{s}", f"n:{n}", "network", tip=f"{s} is on network {n}",
                                            colour="#969696", dashed=True))
        self._size_nodes()
        self._add_dummies()
        self.columns = self._order()
        self._place()

    def _service_lines(self, s: str) -> list[str]:
        spec = self.g.specs.get(s)
        if spec is None:
            return [s, "(not defined in the file)"]
        image = str(spec.get("image") or "")
        build = spec.get("build")
        if build is not None:
            ctx = build.get("context", ".") if isinstance(build, dict) else build
            sub = f"build: {ctx}" + (f" → {image}" if image else "")
        else:
            sub = image or "(no image)"
        badges = []
        if spec.get("healthcheck") and not (spec["healthcheck"] or {}).get("disable"):
            badges.append("healthcheck")
        if spec.get("restart"):
            badges.append(f"restart: {spec['restart']}")
        if spec.get("ports"):
            badges.append(f"ports: {len(spec['ports'])}")
        return [s, sub, " · ".join(badges)] if badges else [s, sub]

    def _size_nodes(self) -> None:
        for node in self.nodes.values():
            if node.kind in ("service", "missing"):
                node.w = max(110.0, _text_width(node.lines[0], 13, bold=True) + 24,
                             *(_text_width(t, 10) + 20 for t in node.lines[1:]))
                node.h = 22.0 + 14.0 * len(node.lines[1:]) + 6
            elif node.kind == "volume":
                node.w, node.h = max(96.0, _text_width(node.lines[1], 11) + 28), 46.0
            elif node.kind == "network":
                node.w, node.h = max(96.0, _text_width(node.lines[1], 11) + 36), 38.0
        for node_id, node in self.nodes.items():  # room for the arrowheads: at least 9 px per edge on a side
            ins = sum(1 for e in self.edges if e.dst == node_id)
            outs = sum(1 for e in self.edges if e.src == node_id)
            node.h = max(node.h, 9.0 * (max(ins, outs) + 1))

    def _add_dummies(self) -> None:
        for i, edge in enumerate(self.edges):
            a, b = self.nodes[edge.src], self.nodes[edge.dst]
            path = [edge.src]
            for col in range(a.col + 1, b.col):
                dummy = f"d:{i}:{col}"
                self.nodes[dummy] = _Node(dummy, "dummy", col=col, w=0.0, h=6.0)
                path.append(dummy)
            path.append(edge.dst)
            edge.path = path

    def _order(self) -> list[list[str]]:
        n_cols = max(n.col for n in self.nodes.values()) + 1
        columns: list[list[str]] = [[] for _ in range(n_cols)]
        for node_id, node in self.nodes.items():  # insertion order: file order, then volumes, networks
            columns[node.col].append(node_id)
        left: dict[str, list[str]] = {k: [] for k in self.nodes}
        right: dict[str, list[str]] = {k: [] for k in self.nodes}
        for edge in self.edges:
            for u, v in zip(edge.path, edge.path[1:]):
                right[u].append(v)
                left[v].append(u)

        def barycentre(k: str, pos: dict[str, int], current: dict[str, int],
                       neighbours: dict[str, list[str]]) -> tuple[float, int]:
            near = [pos[o] for o in neighbours[k]]
            return (sum(near) / len(near) if near else float(current[k]), current[k])

        def sweep(cols: range, neighbours: dict[str, list[str]]) -> None:
            for c in cols:
                pos = {k: i for col in columns for i, k in enumerate(col)}
                current = {k: i for i, k in enumerate(columns[c])}
                columns[c].sort(key=lambda k: barycentre(k, pos, current, neighbours))  # noqa: B023 - used at once

        for _ in range(4):
            sweep(range(1, n_cols), left)
            sweep(range(n_cols - 2, -1, -1), right)
        return columns

    def _place(self) -> None:
        gaps = []
        for c in range(len(self.columns) - 1):
            labels = [_text_width(e.label, 10) for e in self.edges
                      if e.label and self.nodes[e.src].col <= c < self.nodes[e.dst].col]
            widest = max([0.0, *labels])
            lanes = 1 if len(labels) <= 6 else 2  # dense: room for two columns of labels side by side
            gaps.append(max(_GAP_MIN, lanes * (widest + 16) + 24))
        self.top = 40.0 if self.g.title else 16.0
        n_deps = sum(1 for e in self.edges if e.kind == "depends_on")
        space = _V_SPACE if n_deps <= 8 else 2 * _V_SPACE  # many arrows: more room between the boxes for labels
        heights = [sum(self.nodes[k].h for k in col) + space * max(0, len(col) - 1) for col in self.columns]
        tallest = max(heights)
        x = 24.0
        for c, col in enumerate(self.columns):
            width = max([0.0, *(self.nodes[k].w for k in col)])
            y = self.top + 20 + (tallest - heights[c]) / 2
            for k in col:
                node = self.nodes[k]
                node.x = x + (width - node.w) / 2
                node.y = y
                y += node.h + space
            x += width + (gaps[c] if c < len(gaps) else 0)
        self.width = x + 24
        self.bottom = self.top + 20 + tallest

    # -- drawing
    def _ports(self) -> dict[tuple[int, str], tuple[float, float]]:
        """Where each edge leaves/enters each real node: spread over the node's side, ordered by the other end."""
        out: dict[tuple[int, str], tuple[float, float]] = {}
        sides: dict[tuple[str, str], list[tuple[float, int]]] = {}
        for i, e in enumerate(self.edges):
            sides.setdefault((e.src, "out"), []).append((self.nodes[e.path[1]].y, i))
            sides.setdefault((e.dst, "in"), []).append((self.nodes[e.path[-2]].y, i))
        for (node_id, side), items in sides.items():
            node = self.nodes[node_id]
            items.sort()
            for j, (_, i) in enumerate(items):
                y = node.y + node.h * (j + 1) / (len(items) + 1)
                x = node.x + node.w if side == "out" else node.x
                out[(i, side)] = (round(x, 1), round(y, 1))
        return out

    def render(self) -> str:
        body: list[str] = []
        frame_bottom = self.bottom
        services = [n for n in self.nodes.values() if n.kind in ("service", "missing")]
        inner = [n for n in self.nodes.values() if n.kind != "dummy" or n.col <= max(m.col for m in services)]
        for depth, net in enumerate(self.framed):
            pad = 12.0 + 6 * depth
            x0 = min(n.x for n in services) - pad
            y0 = min(n.y for n in inner if n.kind != "volume" and n.kind != "network") - pad - 10
            x1 = max(n.x + n.w for n in services) + pad
            y1 = max(n.y + n.h for n in inner if n.kind != "volume" and n.kind != "network") + pad
            body.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" rx="10" '
                        f'fill="none" stroke="#9ecae1" stroke-width="1.5" stroke-dasharray="8,4">'
                        f'<title>network {_esc(net)}: every service is on it</title></rect>')
            body.append(f'<text x="{x0 + 8:.1f}" y="{y0 + 12:.1f}" font-size="10" fill="#3182bd">'
                        f'network {_esc(net)} (all services)</text>')
            frame_bottom = max(frame_bottom, y1)
        ports = self._ports()
        placed: list[tuple[float, float, float, float]] = []
        labels: list[str] = []
        for i, e in sorted(enumerate(self.edges), key=lambda ie: ie[1].kind == "depends_on"):
            pts = [ports[(i, "out")]]
            for k in e.path[1:-1]:
                d = self.nodes[k]
                col_w = max(self.nodes[o].w for o in self.columns[d.col])
                left_x = d.x - col_w / 2
                pts += [(round(left_x, 1), round(d.y + 3, 1)), (round(left_x + col_w, 1), round(d.y + 3, 1))]
            pts.append(ports[(i, "in")])
            d_attr = f"M{pts[0][0]},{pts[0][1]}"
            for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
                mid = (x2 - x1) / 2
                d_attr += f" C{x1 + mid:.1f},{y1} {x2 - mid:.1f},{y2} {x2},{y2}"
            dash = ' stroke-dasharray="5,4"' if e.dashed or e.kind != "depends_on" else ""
            if e.kind == "network":
                dash = ' stroke-dasharray="2,3"'
            stroke_w = "1.6" if e.kind == "depends_on" else "1.1"
            if e.kind != "depends_on":
                dash += ' stroke-opacity="0.7"'
            body.append(f'<path d="{d_attr}" fill="none" stroke="{e.colour}" stroke-width="{stroke_w}"{dash}>'
                        f'<title>{_esc(e.tip)}</title></path>')
            if e.kind == "depends_on":
                ex, ey = pts[-1]
                body.append(f'<path d="M{ex:.1f},{ey:.1f} L{ex - 8:.1f},{ey - 4:.1f} L{ex - 8:.1f},{ey + 4:.1f} Z" '
                            f'fill="{e.colour}"/>')
            if e.label:
                segments = list(zip(pts[::2], pts[1::2]))  # the curved parts between columns (odd: inside a column)
                order = [*segments[1:][::-1], segments[0]]  # long edges: near the target, where fewer cross
                labels.append(self._edge_label(e, order, placed))
        nodes = [self._node_svg(n) for n in self.nodes.values() if n.kind != "dummy"]
        legend_y = frame_bottom + 24
        # the legend: only what the picture uses, one short line each (a small graph stays narrow)
        lines: list[tuple[str, str]] = [
            ("A → B: service A depends on B, labelled with the condition;", ""),
            ("Compose starts the columns from right to left.", ""),
        ]
        used = [c for c in _CONDITION_COLOUR if any(e.condition == c for e in self.g.edges)]
        if used:
            plain = "conditions: " + ", ".join(used)
            rich = "conditions: " + ", ".join(f'<tspan fill="{_CONDITION_COLOUR[c]}">{c}</tspan>' for c in used)
            lines.append((plain, rich))
        kinds = {e.kind for e in self.edges}
        extra = (["dashed grey: mounts a volume"] if "volume" in kinds else []) + \
                (["dotted: on a network"] if "network" in kinds else [])
        if extra:
            lines.append(("; ".join(extra), ""))
        width = max(self.width, *(_text_width(plain, 11) + 40 for plain, _ in lines))
        legend = [f'<text x="16" y="{legend_y + 15 * i:.1f}" fill="#555555">{rich or _esc(plain)}</text>'
                  for i, (plain, rich) in enumerate(lines)]
        height = legend_y + 15 * (len(lines) - 1) + 12
        head = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif" '
            f'font-size="11">',
            f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        ]
        if self.g.title:
            head.append(f'<text x="16" y="24" font-size="14" font-weight="bold" fill="{_INK}">'
                        f'{_esc(self.g.title)}</text>')
        return "\n".join([*head, *body, *nodes, *labels, *legend, "</svg>"])

    def _edge_label(self, e: _Edge, segments: list[tuple[tuple[float, float], tuple[float, float]]],
                    placed: list[tuple[float, float, float, float]]) -> str:
        """Put the label on a curved segment of the edge where it overlaps no label placed before."""
        w, h = _text_width(e.label, 10) + 8, 13.0
        best = None
        least: tuple[float, tuple[float, float, float, float]] | None = None
        for (x1, y1), (x2, y2) in segments:
            for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75, 0.15, 0.85):
                # the cubic with horizontal tangents: x is nearly linear in t, y follows the smoothstep
                bx = x1 + (x2 - x1) * t
                by = y1 + (y2 - y1) * (3 * t * t - 2 * t * t * t)
                box = (bx - w / 2, by - h / 2, bx + w / 2, by + h / 2)
                if box[0] < x1 or box[2] > x2:
                    continue
                overlap = sum(max(0.0, min(box[2], b[2]) - max(box[0], b[0]))
                              * max(0.0, min(box[3], b[3]) - max(box[1], b[1])) for b in placed)
                if overlap == 0:
                    best = box
                    break
                if least is None or overlap < least[0]:
                    least = (overlap, box)
            if best is not None:
                break
        if best is None:  # crowded: the place that overlaps least
            if least is None:
                (x1, y1), (x2, y2) = segments[0]
                bx, by = (x1 + x2) / 2, (y1 + y2) / 2
                least = (0.0, (bx - w / 2, by - h / 2, bx + w / 2, by + h / 2))
            best = least[1]
        placed.append(best)
        bx0, by0, bx1, by1 = best
        return (f'<g><rect x="{bx0:.1f}" y="{by0:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" fill="#ffffff" '
                f'fill-opacity="0.9"/><text x="{(bx0 + bx1) / 2:.1f}" y="{by1 - 3.5:.1f}" text-anchor="middle" '
                f'font-size="10" fill="{e.colour}">{_esc(e.label)}</text></g>')

    def _node_svg(self, n: _Node) -> str:
        x, y, w, h = round(n.x, 1), round(n.y, 1), round(n.w, 1), round(n.h, 1)
        cx = round(x + w / 2, 1)
        if n.kind in ("service", "missing"):
            missing = n.kind == "missing"
            stroke = "#cb181d" if missing else _INK
            dash = ' stroke-dasharray="5,3"' if missing else ""
            fill = "#fff5f0" if missing else "#f7fbff"
            parts = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" '
                     f'stroke="{stroke}" stroke-width="1.3"{dash}><title>service {_esc(n.lines[0])}</title></rect>',
                     f'<text x="{cx}" y="{y + 17:.1f}" text-anchor="middle" font-size="13" font-weight="bold" '
                     f'fill="{stroke}">{_esc(n.lines[0])}</text>']
            for j, line in enumerate(n.lines[1:]):
                fill = "#cb181d" if missing else ("#555555" if j == 0 else "#08519c")
                parts.append(f'<text x="{cx}" y="{y + 32 + 14 * j:.1f}" text-anchor="middle" font-size="10" '
                             f'fill="{fill}">{_esc(line)}</text>')
            return "\n".join(parts)
        if n.kind == "volume":
            ry = 6.0
            return "\n".join([
                f'<path d="M{x},{y + ry} L{x},{y + h - ry} A{w / 2},{ry} 0 0 0 {x + w},{y + h - ry} '
                f'L{x + w},{y + ry} A{w / 2},{ry} 0 0 0 {x},{y + ry} Z" fill="#fff7e6" stroke="#a65f00" '
                f'stroke-width="1.2"><title>volume {_esc(n.lines[1])}</title></path>',
                f'<ellipse cx="{cx}" cy="{y + ry}" rx="{w / 2}" ry="{ry}" fill="#ffe8bf" stroke="#a65f00" '
                f'stroke-width="1.2"/>',
                f'<text x="{cx}" y="{y + 25:.1f}" text-anchor="middle" font-size="9" fill="#a65f00">volume</text>',
                f'<text x="{cx}" y="{y + 38:.1f}" text-anchor="middle" font-size="11" fill="{_INK}">'
                f'{_esc(n.lines[1])}</text>',
            ])
        # network: a hexagon
        k = 12.0
        pts = [(x + k, y), (x + w - k, y), (x + w, y + h / 2), (x + w - k, y + h), (x + k, y + h), (x, y + h / 2)]
        poly = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        return "\n".join([
            f'<polygon points="{poly}" fill="#eff3ff" stroke="#3182bd" stroke-width="1.2">'
            f'<title>network {_esc(n.lines[1])}</title></polygon>',
            f'<text x="{cx}" y="{y + 15:.1f}" text-anchor="middle" font-size="9" fill="#3182bd">network</text>',
            f'<text x="{cx}" y="{y + 29:.1f}" text-anchor="middle" font-size="11" fill="{_INK}">'
            f'{_esc(n.lines[1])}</text>',
        ])


def graph(compose: dict[str, Any], title: str = "") -> ComposeGraph:
    """The :class:`ComposeGraph` of a compose model (a dict with ``services``)."""
    return ComposeGraph(compose, title)
