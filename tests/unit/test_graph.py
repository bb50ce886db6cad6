"""The compose dependency graph: layers, edges, volumes and networks, and its picture (a matplotlib figure, PNG)."""
from __future__ import annotations

import struct
from pathlib import Path

import matplotlib
import pytest
import yaml
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from helpers.graph import ComposeGraph, graph

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parent / "data" / "compose_sample.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def boxes(fig) -> list[FancyBboxPatch]:
    return [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]


def arrows(fig) -> list[FancyArrowPatch]:
    return [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def sample() -> ComposeGraph:
    return ComposeGraph(yaml.safe_load(SAMPLE.read_text()))


def test_sample_layers_follow_depends_on(sample):
    assert sample.layers() == [["db", "cache"], ["migrate"], ["api"], ["proxy", "metrics"]]
    assert sample.title == "shop"  # the file's own name: key


def test_sample_edges_keep_conditions(sample):
    got = {(e.service, e.dependency): e.label for e in sample.edges}
    assert got == {
        ("migrate", "db"): "service_healthy",
        ("api", "migrate"): "service_completed_successfully",
        ("api", "cache"): "service_started · restart",
        ("api", "db"): "service_healthy",
        ("proxy", "api"): "service_started",  # the short list form
        ("metrics", "api"): "service_started · optional",  # required: false
    }


def test_sample_volumes_and_networks(sample):
    assert sample.volume_users() == {"pgdata": ["db"], "uploads": ["api"]}  # ./api:/app is a bind mount: left out
    assert sample.network_members() == {"back": ["db", "cache", "migrate", "api"], "front": ["api", "proxy"]}


def test_sample_picture(sample):
    fig = sample.figure()
    assert len(boxes(fig)) == 6 and len(arrows(fig)) == 6
    words = texts(fig)
    for service in sample.services:
        assert service in words
    for edge in sample.edges:
        assert edge.label in words
    assert "build: api → shop-api:dev" in words and "volume: pgdata" in words and "volume: uploads" in words
    assert "networks: back, front" in words and "networks: front" in words  # more than the default network
    assert "shop" in words  # the title
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["service_started", "service_healthy", "service_completed_successfully", "required: false"]
    dashed = [a for a in arrows(fig) if a.get_linestyle() == "--"]
    assert [(a.patchA, a.patchB) for a in dashed] == [(box_of(fig, "metrics"), box_of(fig, "api"))]


def box_of(fig, service: str) -> FancyBboxPatch:
    """The box whose bold first line is the service's name."""
    (x, y), = [t.get_position() for t in fig.findobj(Text) if t.get_text() == service and t.get_weight() == "bold"]
    (found,) = [b for b in boxes(fig) if b.get_x() <= x <= b.get_x() + b.get_width()
                and b.get_y() <= y <= b.get_y() + b.get_height()]
    return found


def test_rows_by_depth_and_arrows_to_what_is_waited_for(sample):
    fig = sample.figure()
    tops = [{box_of(fig, s).get_y() + box_of(fig, s).get_height() for s in layer} for layer in sample.layers()]
    assert all(len(row) == 1 for row in tops)  # a layer is one row, aligned at the top
    order = [min(row) for row in tops]
    assert order == sorted(set(order), reverse=True)  # the first layer (it starts first) at the top
    ends = [(a.patchA, a.patchB) for a in arrows(fig)]
    assert ends == [(box_of(fig, e.service), box_of(fig, e.dependency)) for e in sample.edges]


def test_png_is_deterministic_and_ignores_the_notebooks_style(sample):
    first = sample._repr_png_()
    width, height = png_size(first)
    assert width == 760 and 300 < height < 800
    with matplotlib.rc_context({"font.size": 20, "figure.facecolor": "black", "lines.linewidth": 5}):
        assert sample._repr_png_() == first


def test_the_course_stack():
    g = ComposeGraph.from_file(ROOT / "stack" / "docker-compose.yaml")
    layers = g.layers()
    assert sorted(layers[0]) == ["db", "redis"]
    position = {s: i for i, layer in enumerate(layers) for s in layer}
    assert all(position[e.dependency] < position[e.service] for e in g.edges)
    assert {e.dependency for e in g.edges if e.condition == "service_healthy"} >= {"db", "redis"}
    assert g.networks == ["default"]
    fig = g.figure()
    assert len(boxes(fig)) == len(g.services) == 9 and len(arrows(fig)) == len(g.edges)
    words = texts(fig)
    assert not [w for w in words if w.startswith("networks:")]  # only the default network: not repeated in each box
    for volume, users in g.volume_users().items():
        assert words.count(f"volume: {volume}") == len(users)
    assert words.count("service_healthy") == sum(e.condition == "service_healthy" for e in g.edges) + 1  # + legend
    assert png_size(g._repr_png_())[0] <= 800  # fits a notebook


def test_undefined_dependency_is_drawn_in_red():
    g = graph({"services": {"web": {"image": "x", "depends_on": ["dbb"]}}})
    assert g.missing == ["dbb"]
    fig = g.figure()
    assert "(not defined in the file)" in texts(fig)
    box = box_of(fig, "dbb")
    assert matplotlib.colors.to_hex(box.get_edgecolor()) == "#cb181d" and box.get_linestyle() == "--"
    assert g.layers() == [["web"]]  # only defined services are layered


@pytest.mark.parametrize("services, cycle", [
    ({"a": {"depends_on": ["b"]}, "b": {"depends_on": ["a"]}}, "a -> b -> a"),
    ({"a": {"depends_on": ["b"]}, "b": {"depends_on": ["c"]}, "c": {"depends_on": ["a"]}}, "a -> b -> c -> a"),
])
def test_a_cycle_is_refused(services, cycle):
    with pytest.raises(ValueError, match=f"depends_on cycle: {cycle} "):
        graph({"services": services})


def test_not_a_compose_file():
    with pytest.raises(ValueError, match="services"):
        graph({"version": "3"})
    assert png_size(graph({"services": {}})._repr_png_())[0] == 760  # nothing to draw, but still a picture


def test_mounts_and_default_network():
    g = graph({
        "services": {
            "one": {"image": "x", "volumes": ["data:/d", "/anon", "./here:/h", "$HOME/x:/x",
                                              {"type": "bind", "source": "/etc", "target": "/e"},
                                              {"type": "volume", "source": "more", "target": "/m"}]},
        },
    })
    assert g.volume_users() == {"data": ["one"], "more": ["one"]}
    assert g.network_members() == {"default": ["one"]}
    words = texts(g.figure())
    assert ["one", "x", "volume: data", "volume: more"] == [w for w in words if w in ("one", "x") or "volume" in w]
    assert g.figure().axes[0].get_legend().get_texts() == []  # no arrows: no conditions to explain
