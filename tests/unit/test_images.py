"""The image provisioning decisions that need no engine."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from docker.errors import ImageNotFound
from docker.models.images import Image

from helpers import images
from helpers.errors import ImageUnavailable
from helpers.images import Step
from workshop import standins


def test_course_images_pin_majors_debian_can_supply() -> None:
    refs = [i.ref for i in images.COURSE_IMAGES]
    assert refs == ["postgres:17", "redis:8", "python:3.13-slim"]
    for image in images.COURSE_IMAGES:
        assert (standins.STANDINS_DIR / image.standin_dir / "Dockerfile").exists()
        assert "trixie" in image.built_from


def test_mirror_comes_from_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_DEBIAN_MIRROR", "http://mirror.example/debian")
    assert standins._debian_mirror() == "http://mirror.example/debian"


def test_mirror_is_read_from_apt_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COURSE_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: x\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
    )
    real_path = standins.Path
    monkeypatch.setattr(standins, "Path", lambda p: real_path(str(p).replace("/etc/apt", str(tmp_path))))
    assert standins._debian_mirror() == "http://mirror.example/debian"


def test_no_mirror_gives_a_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COURSE_DEBIAN_MIRROR", raising=False)
    real_path = standins.Path
    monkeypatch.setattr(standins, "Path", lambda p: real_path(str(p).replace("/etc/apt", str(tmp_path))))
    with pytest.raises(ImageUnavailable, match="Hint: set COURSE_DEBIAN_MIRROR"):
        standins._debian_mirror()


def test_recipe_hash_changes_with_the_recipe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    image = images.CourseImage("x:1", "x", "test")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "Dockerfile").write_text("FROM a\n")
    monkeypatch.setattr(standins, "STANDINS_DIR", tmp_path)
    first = standins.recipe_hash(image)
    assert first == standins.recipe_hash(image)
    (tmp_path / "x" / "entrypoint.sh").write_text("exec $@\n")
    assert standins.recipe_hash(image) != first


def test_only_a_stand_in_for_that_very_image_counts() -> None:
    labels = {"io.compose-course.standin": "true", "io.compose-course.standin.for": "python:3.13-slim"}
    assert images.is_standin(labels, "python:3.13-slim")
    assert not images.is_standin(labels, "cryphos-app:latest")  # built FROM the stand-in: inherits its labels
    assert not images.is_standin({}, "postgres:17")


class FakeEngine:
    """An engine that holds ``held`` (ref -> labels) and answers a pull with ``events``."""

    def __init__(self, held: dict[str, dict[str, str]], events: list[dict[str, str]]) -> None:
        self.held, self.events = held, events
        self.images = self.api = self

    def get(self, ref: str) -> Image:
        if ref not in self.held:
            raise ImageNotFound(ref)
        return Image(attrs={"Config": {"Labels": self.held[ref]}})

    def pull(self, repo: str, tag: str, stream: bool, decode: bool) -> Iterator[dict[str, str]]:
        assert (repo, tag, stream, decode) == ("redis", "8", True, True)
        yield from self.events


def test_image_kind_tells_official_from_stand_in_and_missing() -> None:
    standin = {"io.compose-course.standin": "true", "io.compose-course.standin.for": "redis:8"}
    engine = FakeEngine({"postgres:17": {}, "redis:8": standin, "cryphos-app:latest": standin}, [])
    kinds = [images.image_kind(ref, engine) for ref in ("postgres:17", "redis:8", "cryphos-app:latest", "x:1")]
    assert kinds == ["official", "stand-in", "official", "missing"]


def test_a_present_image_is_one_step() -> None:
    steps: list[Step] = []
    assert images.ensure_image(images.COURSE_IMAGES[0], FakeEngine({"postgres:17": {}}, []), steps.append) == "present"
    assert steps == [Step("postgres:17", "present", "official")]
    assert steps[0].done and str(steps[0]) == "postgres:17 present: official"


def test_a_pull_reports_each_layer_once_then_pulled() -> None:
    events = [{"status": "Pulling from library/redis", "id": "8"}, {"status": "Pulling fs layer", "id": "8a1e"},
              {"status": "Downloading", "id": "8a1e"}, {"status": "Downloading", "id": "8a1e"},
              {"status": "Pull complete", "id": "8a1e"}, {"status": "Pull complete", "id": "8a1e"},
              {"status": "Status: Downloaded newer image for redis:8"}]
    steps: list[Step] = []
    assert images.ensure_image(images.COURSE_IMAGES[1], FakeEngine({}, events), steps.append) == "pulled"
    assert [s.status for s in steps] == [
        "pulling: not on the engine", "pulling: 8 Pulling from library/redis", "pulling: 8a1e Pulling fs layer",
        "pulling: 8a1e Pull complete", "pulling: Status: Downloaded newer image for redis:8", "pulled"]
    assert {s.ref for s in steps} == {"redis:8"} and [s.done for s in steps] == [False] * 5 + [True]


def test_a_failed_pull_off_linux_says_why_and_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(standins, "can_build_standins", lambda: False)
    monkeypatch.setattr(standins, "build_standin", lambda *a, **k: pytest.fail("must not build a stand-in"))
    for ensure in (images.ensure_image, standins.ensure_image):  # a learner's command, and ./course's
        steps: list[Step] = []
        engine = FakeEngine({}, [{"status": "Pulling from library/redis", "id": "8"}, {"error": "toomanyrequests"}])
        with pytest.raises(ImageUnavailable, match=r"(?s)Could not pull redis:8: toomanyrequests.*docker pull redis:8"):
            ensure(images.COURSE_IMAGES[1], engine, steps.append)
        assert steps[-1] == Step("redis:8", "failed", "toomanyrequests") and not steps[-1].done


def test_a_stand_in_is_built_only_where_the_pull_failed_or_its_recipe_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    monkeypatch.setattr(standins, "can_build_standins", lambda: True)
    monkeypatch.setattr(standins, "build_standin", lambda image, *a: built.append(image.ref))
    redis = images.COURSE_IMAGES[1]
    failing = FakeEngine({}, [{"error": "no network"}])
    assert standins.ensure_image(redis, failing, lambda step: None) == "built" and built == ["redis:8"]
    labels = {"io.compose-course.standin": "true", "io.compose-course.standin.for": "redis:8",
              "io.compose-course.standin.recipe": standins.recipe_hash(redis)}
    assert standins.ensure_image(redis, FakeEngine({"redis:8": labels}, []), lambda step: None) == "present"
    labels["io.compose-course.standin.recipe"] = "an older recipe"
    assert standins.ensure_image(redis, FakeEngine({"redis:8": labels}, []), lambda step: None) == "built"
    assert built == ["redis:8", "redis:8"]
