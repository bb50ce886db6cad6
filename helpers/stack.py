"""The cryphos stack (``stack/``): its compose file, its ``.env``, and its image."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from docker.errors import ImageNotFound

from . import compose_file
from .compose_file import ComposeFile
from .engine import client

STACK_DIR = Path(__file__).resolve().parent.parent / "stack"
COMPOSE_PATH = STACK_DIR / "docker-compose.yaml"
NO_HOST_PORTS = STACK_DIR / "compose.no-host-ports.yaml"  # an override file: db and backend publish no port
APP_IMAGE = "cryphos-app:latest"


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
    the learner's ``DB_PORT`` and ``BACKEND_PORT`` (:func:`port_environ`) winning over ``.env`` as a shell's do."""
    ensure_env(STACK_DIR)
    return compose_file.load(COMPOSE_PATH, *overrides, project=project, environ=port_environ())


def port_environ() -> dict[str, str]:
    """``os.environ`` with the learner's ``DB_PORT`` and ``BACKEND_PORT``: what Compose's interpolation reads."""
    from .ports import course_ports

    return {**os.environ, **{var: str(port) for var, port in course_ports().items()}}


def build_app_image(progress: Callable[[str], None] = print) -> str:
    """Build ``cryphos-app:latest`` from ``stack/`` (a cache hit when nothing changed); returns the image id.

    Learners build it in 01_image_and_container; tests and later notebooks call this so each can run alone."""
    progress(f"building {APP_IMAGE} from stack/ (cached layers are reused)")
    image, _logs = client().images.build(path=str(STACK_DIR), tag=APP_IMAGE, rm=True, forcerm=True, timeout=1800,
                                         cache_from=cache_from(APP_IMAGE))
    return str(image.id)


def cache_from(tag: str) -> list[str]:
    """``[tag]`` when the engine has that image, else ``[]``: what a build passes as ``cache_from``.

    The classic builder reuses cached steps only from images it built itself, not from a ``docker load``-ed or
    pulled one (it would run ``pip install`` again, online): ``cache_from`` compares with that image's history."""
    try:
        client().images.get(tag)
    except ImageNotFound:
        return []
    return [tag]
