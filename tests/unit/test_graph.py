"""The compose dependency graph: layers, edges, volumes and networks; SVG and Mermaid output."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from helpers.graph import ComposeGraph, graph

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path(__file__).parent / "data" / "compose_sample.yaml"
SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


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
    assert sample._framed_networks() == []  # metrics uses network_mode: host, so no network has every service


def test_sample_svg_shapes_and_labels(sample):
    svg = sample._repr_svg_()
    words = texts(svg)
    for service in sample.services:
        assert service in words
    for label in ("service_completed_successfully", "service_started · restart", "service_started · optional"):
        assert label in words
    assert "pgdata" in words and "uploads" in words and "back" in words and "front" in words
    assert svg.count("<polygon") == 2  # networks: hexagons
    assert svg.count("<ellipse") == 2  # volumes: cylinders
    assert "build: ./api → shop-api:dev" in words
    assert "id=" not in svg and "<style" not in svg and "href" not in svg
    assert svg == sample.svg()  # deterministic: nbval can compare it


def test_the_course_stack():
    g = ComposeGraph.from_file(ROOT / "stack" / "docker-compose.yaml")
    layers = g.layers()
    assert sorted(layers[0]) == ["db", "redis"]
    position = {s: i for i, layer in enumerate(layers) for s in layer}
    assert all(position[e.dependency] < position[e.service] for e in g.edges)
    assert {e.dependency for e in g.edges if e.condition == "service_healthy"} >= {"db", "redis"}
    members = g.network_members()
    assert all(set(m) <= set(g.services) for m in members.values())
    framed = [n for n, m in members.items() if set(m) == set(g.services)]
    assert g._framed_networks() == framed
    words = texts(g.svg())
    for net in framed:
        assert f"network {net} (all services)" in words
    for name in [*g.services, *g.volumes, *(n for n in g.networks if n not in framed)]:
        assert name in words


def test_mermaid(sample):
    text = sample.mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert "    s_api -->|service_completed_successfully| s_migrate" in lines
    assert '    v_pgdata[("pgdata")]' in lines
    assert '    n_back{{"network back"}}' in lines
    assert "    s_db -.- v_pgdata" in lines


def test_undefined_dependency_is_drawn_in_red():
    g = graph({"services": {"web": {"image": "x", "depends_on": ["dbb"]}}})
    assert g.missing == ["dbb"]
    svg = g.svg()
    assert "(not defined in the file)" in texts(svg)
    assert 'stroke="#cb181d"' in svg
    assert g.layers() == [["web"]]  # only defined services are layered


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="depends_on cycle: a -> b -> a"):
        graph({"services": {"a": {"depends_on": ["b"]}, "b": {"depends_on": ["a"]}}})


def test_not_a_compose_file():
    with pytest.raises(ValueError, match="services"):
        graph({"version": "3"})


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
    assert g._framed_networks() == []  # one service alone: a hexagon, not a frame
    assert g.svg().count("<polygon") == 1
