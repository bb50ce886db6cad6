"""The offline bundle on a real engine, with scratch images only (the course's images are never retagged).

What it proves, with every build run with ``network_mode="none"`` (so nothing here needs a network), on an image
saved, removed (its build cache chain goes with it, as on a fresh engine) and loaded again:
* the bundle gives back the same image id, and a second load finds it present;
* after a code edit, a plain classic-builder rebuild runs the dependency step again (in the stack: ``pip
  install``, which needs the network): a loaded image has no parent chain for the local cache to match;
* the same rebuild with ``cache_from=[the loaded image]`` takes the dependency layer from it: the course's
  builds pass that (helpers.stack.cache_from), so they work offline after ``./course bundle load``.
"""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from docker.errors import APIError, ImageNotFound

from helpers import stack
from workshop import bundle

pytestmark = pytest.mark.engine

DOCKERFILE = """\
FROM python:3.13-slim
# stands in for `pip install -r requirements.txt`: a different result every time it really runs
RUN python -c "import secrets; open('/dep.txt', 'w').write(secrets.token_hex(8))"
COPY app.txt /app/app.txt
"""


MADE: list[str] = []  # ids of the images a test built or loaded (only these are removed afterwards)


@pytest.fixture
def scratch(tmp_path, client):
    """A build context and a scratch tag; every image the test made is removed afterwards (nobody else's)."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "app.txt").write_text("v1\n")
    MADE.clear()
    yield ctx, f"course-scratch-bundle-{uuid.uuid4().hex[:8]}:test"
    for image_id in reversed(MADE):  # newest first; removing one also prunes its untagged parents
        try:
            client.images.remove(image_id, force=True)
        except (ImageNotFound, APIError):
            pass
    left = {i.id for i in client.images.list(all=True)} & set(MADE)
    assert not left, f"scratch images left behind: {left}"


def _build(client, ctx: Path, tag: str, **kwargs):
    image, log = client.images.build(path=str(ctx), tag=tag, rm=True, forcerm=True, network_mode="none", **kwargs)
    MADE.append(image.id)
    lines = [line for line in (entry.get("stream", "").strip() for entry in log) if line]
    dependency_cached = any(line == "---> Using cache" and "RUN python" in lines[i - 1]
                            for i, line in enumerate(lines) if i)
    return image, dependency_cached


def _token(client, image_id: str) -> str:
    # Not containers.run(..., remove=True): it follows the logs of a container that may already have exited, and
    # Docker 20.10 then sometimes returns no output at all (seen once in CI). Wait first, then read the logs.
    container = client.containers.run(image_id, ["cat", "/dep.txt"], detach=True, network_mode="none")
    try:
        assert container.wait(timeout=60)["StatusCode"] == 0
        return container.logs(stdout=True, stderr=False).decode()
    finally:
        container.remove(force=True)


def _drop(client, tag: str) -> None:
    client.images.remove(tag)  # untagged parents go too: the engine now has no build cache chain for it
    assert not client.images.list(name=tag)


def _saved_and_reloaded(client, ctx, tag, tmp_path) -> tuple[str, str]:
    """Build, bundle, remove (with its chain) and load back; returns (image id, token of its dependency layer)."""
    first, _ = _build(client, ctx, tag)
    token = _token(client, first.id)
    path = tmp_path / "room.bundle"
    entries = bundle.save(path, client, refs=[tag], progress=lambda _m: None)
    assert [(e.ref, e.id) for e in entries] == [(tag, first.id)]
    _drop(client, tag)
    results = bundle.load(path, client, progress=lambda _m: None)
    assert [(r.ref, r.outcome) for r in results] == [(tag, "loaded")]
    assert client.images.get(tag).id == first.id and not client.api.inspect_image(tag)["Parent"]
    assert [(r.ref, r.outcome) for r in bundle.load(path, client, progress=lambda _m: None)] == [(tag, "present")]
    (ctx / "app.txt").write_text("v2: a code edit\n")
    return first.id, token


def test_after_a_load_a_plain_rebuild_runs_the_dependency_step_again(scratch, client, tmp_path):
    ctx, tag = scratch
    _, token = _saved_and_reloaded(client, ctx, tag, tmp_path)
    plain, cached = _build(client, ctx, f"{tag}-plain")
    assert not cached and _token(client, plain.id) != token


def test_after_a_load_a_rebuild_with_cache_from_reuses_the_dependency_layer(scratch, client, tmp_path):
    ctx, tag = scratch
    first_id, token = _saved_and_reloaded(client, ctx, tag, tmp_path)
    rebuilt, cached = _build(client, ctx, f"{tag}-rebuilt", cache_from=stack_cache_from(client, tag))
    assert rebuilt.id != first_id
    assert cached and _token(client, rebuilt.id) == token, "the dependency step ran again"


def stack_cache_from(client, tag: str) -> list[str]:
    """What the course's builds pass (helpers.stack.cache_from), for this scratch tag."""
    import helpers as h

    h.use_client(client)
    return stack.cache_from(tag)


def test_check_lists_every_image_the_course_needs(client):
    lines = bundle.check(client)
    assert [line.ref for line in lines] == ["postgres:17", "redis:8", "python:3.13-slim", stack.app_image()]
    assert all(line.ok for line in lines), [str(line) for line in lines]
