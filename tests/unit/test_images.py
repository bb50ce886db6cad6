"""The image provisioning decisions that need no engine."""
from __future__ import annotations

import pytest

from helpers import images
from helpers.errors import ImageUnavailable


def test_course_images_pin_majors_debian_can_supply():
    refs = [i.ref for i in images.COURSE_IMAGES]
    assert refs == ["postgres:17", "redis:8", "python:3.13-slim"]
    for image in images.COURSE_IMAGES:
        assert (images.STANDINS_DIR / image.standin_dir / "Dockerfile").exists()
        assert "trixie" in image.built_from


def test_mirror_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("COURSE_DEBIAN_MIRROR", "http://mirror.example/debian")
    assert images._debian_mirror() == "http://mirror.example/debian"


def test_mirror_is_read_from_apt_sources(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: x\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n"
    )
    real_path = images.Path
    monkeypatch.setattr(images, "Path", lambda p: real_path(str(p).replace("/etc/apt", str(tmp_path))))
    assert images._debian_mirror() == "http://mirror.example/debian"


def test_no_mirror_gives_a_hint(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DEBIAN_MIRROR", raising=False)
    real_path = images.Path
    monkeypatch.setattr(images, "Path", lambda p: real_path(str(p).replace("/etc/apt", str(tmp_path))))
    with pytest.raises(ImageUnavailable, match="Hint: set COURSE_DEBIAN_MIRROR"):
        images._debian_mirror()


def test_recipe_hash_changes_with_the_recipe(monkeypatch, tmp_path):
    image = images.CourseImage("x:1", "x", "test")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "Dockerfile").write_text("FROM a\n")
    monkeypatch.setattr(images, "STANDINS_DIR", tmp_path)
    first = images.recipe_hash(image)
    assert first == images.recipe_hash(image)
    (tmp_path / "x" / "entrypoint.sh").write_text("exec $@\n")
    assert images.recipe_hash(image) != first


def test_only_a_stand_in_for_that_very_image_counts():
    labels = {"io.compose-course.standin": "true", "io.compose-course.standin.for": "python:3.13-slim"}
    assert images.is_standin(labels, "python:3.13-slim")
    assert not images.is_standin(labels, "cryphos-app:latest")  # built FROM the stand-in: inherits its labels
    assert not images.is_standin({}, "postgres:17")


def test_a_failed_pull_off_linux_says_why_and_builds_nothing(monkeypatch):
    from helpers import images
    from helpers.errors import ImageUnavailable

    monkeypatch.setattr(images, "describe", lambda ref, engine=None: "missing")
    monkeypatch.setattr(images, "_pull", lambda ref, engine, progress: False)
    monkeypatch.setattr(images, "can_build_standins", lambda: False)
    monkeypatch.setattr(images, "build_standin", lambda *a, **k: pytest.fail("must not build a stand-in"))
    with pytest.raises(ImageUnavailable, match="docker pull redis:8"):
        images.ensure_image(images.COURSE_IMAGES[1], engine=object(), progress=lambda _m: None)
