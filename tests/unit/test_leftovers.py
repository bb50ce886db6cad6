"""The test session's end check: anything new on the engine fails the run, except tagged course images."""
from __future__ import annotations

import importlib.util
from pathlib import Path

# The repository's own conftest.py, by path: "conftest" as a module name is shared by every conftest in the tree.
_spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).resolve().parents[2] / "conftest.py")
conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conftest)


class _Image:
    def __init__(self, tags):
        self.tags = tags


class _Engine:
    def __init__(self, images):
        self.images = self
        self._images = images

    def get(self, key):
        return self._images[key]


def _snap(**kinds):
    empty = {"container": {}, "volume": {}, "network": {}, "image": {}}
    return {**empty, **kinds}


def test_new_containers_volumes_networks_and_stray_images_are_reported():
    before = _snap(volume={"keep": "keep"}, image={"sha256:old": "postgres:17"})
    after = _snap(
        container={"c1": "zz-left-app-1"},
        volume={"keep": "keep", "a" * 64: "a" * 64},
        network={"n1": "zz-left_default"},
        image={"sha256:old": "postgres:17", "sha256:app": "cryphos-app:latest", "sha256:new": "my-test:1",
               "sha256:dangling": "<untagged>"},
    )
    engine = _Engine({"sha256:app": _Image(["cryphos-app:latest"]), "sha256:new": _Image(["my-test:1"]),
                      "sha256:dangling": _Image([])})
    found = conftest.new_on_engine(before, after, engine)
    assert found == ["container zz-left-app-1", f"volume {'a' * 12}… (anonymous)", "network zz-left_default",
                     "image my-test:1", "image <untagged>"]


def test_nothing_new_is_nothing_reported():
    snap = _snap(volume={"v": "v"}, container={"c": "c"})
    assert conftest.new_on_engine(snap, snap, _Engine({})) == []
