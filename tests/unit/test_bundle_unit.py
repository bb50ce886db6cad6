"""The bundle's archive and checks without an engine: a fake engine that 'saves' bytes and records 'loads'."""
from __future__ import annotations

import hashlib
import tarfile

import pytest
from docker.errors import ImageNotFound

from workshop import bundle


class _Image:
    def __init__(self, ref, data):
        self.id = "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
        self.tags, self.attrs = [ref], {"Size": len(data)}


class FakeEngine:
    """docker save gives ``saved[ref]``; docker load of a tar makes the image whose bytes it got."""

    def __init__(self, saved, present=()):
        self.saved = saved
        self.present = {ref: _Image(ref, saved.get(ref, b"")) for ref in present}
        self.loaded: list[bytes] = []
        engine = self

        class Images:
            def get(self, ref):
                if ref not in engine.present:
                    raise ImageNotFound(ref)
                return engine.present[ref]

        class Api:
            def get_image(self, ref, chunk_size):
                data = engine.saved[ref]
                return iter([data[i:i + 7] for i in range(0, len(data), 7)])  # odd chunks: must not matter

            def inspect_image(self, ref):
                return {"Parent": ""}

            def load_image(self, body):
                data = b"".join(body)
                assert len(data) == len(body)
                engine.loaded.append(data)
                ref = next(r for r, d in engine.saved.items() if d == data)
                engine.present[ref] = _Image(ref, data)
                return iter([{"stream": f"Loaded image: {ref}\n"}])

        self.images, self.api = Images(), Api()


SAVED = {"postgres:17": b"p" * 1500, "redis:8": b"r" * 511, "cryphos-app:latest": b"a" * 2048}


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "room.bundle"
    entries = bundle.save(path, FakeEngine(SAVED, present=SAVED), refs=list(SAVED), progress=lambda _m: None)
    return path, entries


def test_the_archive_is_a_tar_with_one_member_per_image_and_a_manifest(archive):
    path, entries = archive
    with tarfile.open(path) as tar:
        names = tar.getnames()
        assert names == [bundle.member_name(ref) for ref in SAVED] + [bundle.MANIFEST]
        assert tar.extractfile("images/redis_8.tar").read() == SAVED["redis:8"]
        manifest = bundle.read_manifest(tar)
    assert manifest == entries
    assert [(e.ref, e.size, e.sha256) for e in entries] == [
        (ref, len(data), hashlib.sha256(data).hexdigest()) for ref, data in SAVED.items()]
    assert not path.with_name(path.name + ".part").exists()


def test_load_verifies_then_loads_only_what_is_missing(archive):
    path, _ = archive
    engine = FakeEngine(SAVED, present=["redis:8"])
    results = bundle.load(path, engine, progress=lambda _m: None)
    assert [(r.ref, r.outcome) for r in results] == [
        ("postgres:17", "loaded"), ("redis:8", "present"), ("cryphos-app:latest", "loaded")]
    assert engine.loaded == [SAVED["postgres:17"], SAVED["cryphos-app:latest"]]


def test_another_image_under_the_same_tag_is_kept_unless_replace(archive):
    path, _ = archive
    engine = FakeEngine(SAVED, present=list(SAVED))
    engine.present["redis:8"] = _Image("redis:8-other", b"")
    assert [r.outcome for r in bundle.load(path, engine, progress=lambda _m: None)] == ["present", "kept", "present"]
    assert [r.outcome for r in bundle.load(path, engine, replace=True, progress=lambda _m: None)][1] == "replaced"


def test_a_damaged_bundle_loads_nothing(archive):
    path, entries = archive
    data = bytearray(path.read_bytes())
    data[data.index(b"a" * 2048) + 100] ^= 1  # one bit of the last image
    path.write_bytes(bytes(data))
    engine = FakeEngine(SAVED)
    with pytest.raises(bundle.BundleError, match="cryphos-app:latest .* checksum: nothing was loaded") as err:
        bundle.load(path, engine, progress=lambda _m: None)
    assert engine.loaded == [] and "copy it again" in err.value.hint


def test_not_a_bundle_says_how_to_make_one(tmp_path):
    path = tmp_path / "x.tar"
    with tarfile.open(path, "w") as tar:
        tar.add(__file__, arcname="something.txt")
    with pytest.raises(bundle.BundleError, match="not a course bundle") as err:
        bundle.load(path, FakeEngine({}), progress=lambda _m: None)
    assert "bundle save" in err.value.hint
    with pytest.raises(bundle.BundleError, match="Cannot read"):
        bundle.load(tmp_path / "missing.bundle", FakeEngine({}), progress=lambda _m: None)


def test_save_refuses_when_an_image_is_missing(tmp_path):
    with pytest.raises(bundle.BundleError, match="lacks redis:8") as err:
        bundle.save(tmp_path / "b", FakeEngine(SAVED, present=["postgres:17"]), refs=["postgres:17", "redis:8"])
    assert "./course images" in err.value.hint and not (tmp_path / "b").exists()


def test_check_names_the_command_that_fixes_a_missing_image(archive):
    path, _ = archive
    lines = bundle.check(FakeEngine(SAVED, present=["postgres:17"]), path)
    by_ref = {line.ref: line for line in lines}
    assert by_ref["postgres:17"].ok and not by_ref["redis:8"].ok
    assert f"./course bundle load {path}" in by_ref["redis:8"].detail
    assert not by_ref["python:3.13-slim"].ok  # the course needs it, even if this bundle lacks it


def test_member_names_are_safe_file_names():
    assert bundle.member_name("compose-course/debian-base:trixie") == "images/compose-course_debian-base_trixie.tar"
