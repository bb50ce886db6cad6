"""The app image is the learner's own tag (``cryphos-app:<learner>``): a learner's rebuild never retags what another
learner on the same engine runs, and ``./course clean`` removes only that learner's tag, leaving no untagged image."""
from __future__ import annotations

import pytest

import helpers as h
from helpers import stack

pytestmark = pytest.mark.engine


def test_each_learner_builds_and_runs_an_own_tag(client, monkeypatch):
    first, second = h.learner() + "-tag1", h.learner() + "-tag2"
    try:
        monkeypatch.setenv("COURSE_LEARNER", first)
        built = client.images.get(stack.build_app_image(progress=lambda _line: None))
        assert stack.app_image() == f"cryphos-app:{first}" and stack.app_image() in built.tags
        monkeypatch.setenv("COURSE_LEARNER", second)
        services = stack.load(h.project_name("zz-tag")).services
        assert {services[s]["image"] for s in services if "build" in services[s] or s == "celery"} == \
            {f"cryphos-app:{second}"}  # what this learner's stack runs: not the first learner's tag
        assert stack.app_image() not in built.tags

        dangling = len(client.images.list(filters={"dangling": True}))
        report = h.clean_course(first)
        assert len(client.images.list(filters={"dangling": True})) == dangling  # nothing left untagged
        assert report.images == [f"cryphos-app:{first}"] and "image tag" in str(report)
        assert client.images.list(name=f"cryphos-app:{first}") == []
        monkeypatch.setenv("COURSE_LEARNER", first)
        rebuilt = client.images.get(stack.build_app_image(progress=lambda _line: None))  # from the build cache
        assert rebuilt.attrs["RootFS"]["Layers"] == built.attrs["RootFS"]["Layers"]
    finally:
        for learner in (first, second):
            h.clean_course(learner)  # its tag, and the port claim stack.load made
