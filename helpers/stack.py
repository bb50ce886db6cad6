"""The cryphos stack (``stack/``): its compose file, its ``.env``, and its image."""

from __future__ import annotations

import os
import secrets
import shlex
from collections.abc import Callable
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from . import compose_file
from .compose_file import ComposeFile
from .engine import client
from .naming import learner

STACK_DIR = Path(__file__).resolve().parent.parent / "stack"
COMPOSE_PATH = STACK_DIR / "docker-compose.yaml"
NO_HOST_PORTS = STACK_DIR / "compose.no-host-ports.yaml"  # an override file: db and backend publish no port
APP_REPO = "cryphos-app"  # the app image: APP_REPO:<learner>, the tag ${APP_TAG} in the compose file


def ensure_env(stack_dir: Path = STACK_DIR) -> Path:
    """Create ``stack/.env`` from ``.env.example`` if it is missing, with freshly generated secrets; returns it.

    An existing ``.env`` is the learner's: left as it is. Nothing is printed: the values are secrets."""
    env = stack_dir / ".env"
    if not env.exists():
        lines = []
        for line in (stack_dir / ".env.example").read_text().splitlines():
            key = line.split("=", 1)[0].strip()
            lines.append(f"{key}={secrets.token_urlsafe(18)}" if key in ("DB_PASSWORD", "DJANGO_SECRET_KEY") else line)
        env.write_text("\n".join(lines) + "\n")
        env.chmod(0o600)
    return env


def load(project: str, *overrides: Path) -> ComposeFile:
    """Compose's model of ``stack/docker-compose.yaml`` (merged with ``overrides``, as ``-f``) for ``project``, with
    the learner's ``DB_PORT``, ``BACKEND_PORT`` and ``APP_TAG`` (:func:`learner_environ`) winning over ``.env``."""
    ensure_env(STACK_DIR)
    return compose_file.load(COMPOSE_PATH, *overrides, project=project, environ=learner_environ())


def learner_environ() -> dict[str, str]:
    """``os.environ`` with the learner's ``DB_PORT``, ``BACKEND_PORT`` and ``APP_TAG`` (the app image's tag): what
    Compose's interpolation reads, so a learner's stack runs the learner's own ``cryphos-app`` image."""
    from .ports import course_ports

    return {**os.environ, **{var: str(port) for var, port in course_ports().items()}, "APP_TAG": learner()}


def shell_exports() -> str:
    """``export APP_TAG=... DB_PORT=... BACKEND_PORT=...``: what :func:`learner_environ` adds, for ``./course lab``
    to give its terminals, so a ``docker compose`` command a learner types there does what the lesson's cell does."""
    added = {k: v for k, v in learner_environ().items() if k in ("APP_TAG", "DB_PORT", "BACKEND_PORT")}
    return "export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(added.items()))


def app_image(learner_id: str | None = None) -> str:
    """The learner's app image, ``cryphos-app:<learner>``: one tag per learner, so a learner who rebuilds it (lesson
    05) never changes what another learner on the same engine runs. A plain ``docker compose up`` uses ``latest``."""
    return f"{APP_REPO}:{learner_id or learner()}"


def build_app_image(progress: Callable[[str], None] = print) -> str:
    """Build :func:`app_image` from ``stack/`` (a cache hit when nothing changed); returns the image id.

    Learners build it in 01_image_and_container; tests and later notebooks call this so each can run alone."""
    tag = app_image()
    progress(f"building {tag} from stack/ (cached layers are reused)")
    image, _logs = client().images.build(path=str(STACK_DIR), tag=tag, rm=True, forcerm=True, timeout=1800,
                                         cache_from=cache_from(tag))
    return str(image.id)


def cache_from(tag: str) -> list[str]:
    """The engine's images of ``tag``'s repository, ``tag`` first (``cryphos-app:alice``, then e.g. the
    ``cryphos-app:latest`` of a workshop bundle): what a build passes as ``cache_from``.

    The classic builder reuses cached steps only from images it built itself, not from a ``docker load``-ed or
    pulled one (it would run ``pip install`` again, online): ``cache_from`` compares with those images' history."""
    tags = [t for image in client().images.list(name=tag.rsplit(":", 1)[0]) for t in image.tags]
    return sorted(set(tags), key=lambda t: (t != tag, t))


def untag_app_images(learner_id: str | None, engine: docker.DockerClient | None = None) -> list[str]:
    """Remove the learner's tag ``cryphos-app:<learner_id>`` (None: every learner's, all but ``latest``). An image
    that another tag also names stays, and so do the layers another image builds on (the shared build cache); what
    only this tag used goes, so no untagged image is left behind. Returns the tags removed."""
    engine = engine or client()
    tags = [app_image(learner_id)] if learner_id else [
        t for image in engine.images.list(name=APP_REPO) for t in image.tags if t != f"{APP_REPO}:latest"]
    removed = []
    for tag in tags:
        try:
            engine.images.remove(tag)
        except ImageNotFound:
            continue
        removed.append(tag)
    return removed
