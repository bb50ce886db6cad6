"""The compose dependency graph: layers, edges, volumes and networks, and its picture (a matplotlib figure, PNG)."""
from __future__ import annotations

import struct
from pathlib import Path

import matplotlib
import pytest
import yaml
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from helpers import stack
from helpers.graph import _COLOUR, ComposeGraph, graph

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parent / "data" / "compose_sample.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


def texts(fig) -> list[str]:
    """Every line of text in the picture (a node's label holds several)."""
    return [line for t in fig.findobj(Text) for line in t.get_text().splitlines() if line]


def nodes(fig) -> list[Text]:
    """The services' labels: the texts in a visible box (the arrows' labels have a white box without an edge)."""
    return [t for t in fig.axes[0].texts if t.get_bbox_patch() and t.get_bbox_patch().get_edgecolor()[3] > 0]


def boxes(fig) -> list[FancyBboxPatch]:
    return [t.get_bbox_patch() for t in nodes(fig)]


def arrows(fig) -> list[FancyArrowPatch]:
    return [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]


def legend(fig) -> list[str]:
    return [t.get_text() for t in fig.legends[0].get_texts()]


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
    on_arrows = [t.get_text() for t in fig.axes[0].texts if t not in nodes(fig)]
    # the colour says the condition (the legend names it); only restart / optional are written on the arrow
    assert sorted(on_arrows) == sorted(e.label for e in sample.edges if e.label != e.condition)
    assert "build: api → shop-api:dev" in words and "volume: pgdata" in words and "volume: uploads" in words
    assert "networks: back, front" in words and "networks: front" in words  # more than the default network
    assert "shop" in words  # the title
    assert legend(fig) == ["service_started", "service_healthy", "service_completed_successfully", "required: false"]
    dashed = [a for a in arrows(fig) if a.get_linestyle() == "--"]
    assert [(a.patchA, a.patchB) for a in dashed] == [(box_of(fig, "metrics"), box_of(fig, "api"))]


def node_of(fig, service: str) -> Text:
    """The label whose first line is the service's name."""
    (found,) = [t for t in nodes(fig) if t.get_text().splitlines()[0] == service]
    return found


def box_of(fig, service: str) -> FancyBboxPatch:
    return node_of(fig, service).get_bbox_patch()


def test_rows_by_depth_and_arrows_to_what_is_waited_for(sample):
    fig = sample.figure()
    rows = [{node_of(fig, s).get_position()[1] for s in layer} for layer in sample.layers()]
    assert all(len(row) == 1 for row in rows)  # a layer is one row
    order = [min(row) for row in rows]
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
    stack.ensure_env()  # the file names stack/.env, which the course's setup makes (a fresh clone has none yet)
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
    assert words.count("service_healthy") == 1  # in the legend only: the colour of 12 arrows says it
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
    assert legend(g.figure()) == []  # no arrows: no conditions to explain


def test_one_labelled_node_per_service_and_one_arrow_per_dependency_coloured_by_condition(sample):
    fig = sample.figure()
    assert sorted(t.get_text().splitlines()[0] for t in nodes(fig)) == sorted(sample.services)
    drawn = {(a.patchA, a.patchB): matplotlib.colors.to_hex(a.get_edgecolor()) for a in arrows(fig)}
    assert len(drawn) == len(arrows(fig)) == len(sample.edges)
    for e in sample.edges:
        assert drawn[box_of(fig, e.service), box_of(fig, e.dependency)] == _COLOUR[e.condition]
    assert sample.digraph.number_of_edges() == len(sample.edges)  # the networkx graph the picture is drawn from
    assert {s: sample.digraph.nodes[s]["layer"] for s in sample.services} == sample.depth
