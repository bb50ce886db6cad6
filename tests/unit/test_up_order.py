"""The start order `up` uses: dependencies first, only what was asked for and what it needs; Compose refuses cycles."""
from __future__ import annotations

import pytest

from helpers import compose_file, up
from helpers.errors import CourseError


def _load(tmp_path, text: str):
    (tmp_path / "compose.yaml").write_text(text)
    return compose_file.load(tmp_path / "compose.yaml", env_file=False, environ={})


STACK = """
services:
  db: {image: postgres:17}
  redis: {image: redis:8}
  backend:
    image: app
    depends_on: {db: {condition: service_healthy}, redis: {condition: service_healthy}}
  celery:
    image: app
    depends_on: {backend: {condition: service_healthy}}
  collector:
    image: app
    depends_on: [redis]
"""


def test_dependencies_come_first(tmp_path):
    order = up.order(_load(tmp_path, STACK))
    for service, deps in {"backend": ["db", "redis"], "celery": ["backend"], "collector": ["redis"]}.items():
        assert all(order.index(d) < order.index(service) for d in deps)
    assert sorted(order) == ["backend", "celery", "collector", "db", "redis"]


def test_only_what_was_asked_and_what_it_needs(tmp_path):
    assert up.order(_load(tmp_path, STACK), ["collector"]) == ["redis", "collector"]


def test_a_cycle_is_refused_by_compose_with_a_hint(tmp_path):
    with pytest.raises(CourseError, match="cycle") as err:
        _load(tmp_path, "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [a]}\n")
    assert "remove one link" in err.value.hint
