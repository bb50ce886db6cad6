"""Names and labels: how the course namespaces what it creates so several learners can share one engine.

Every container, network and volume the course creates carries

* Compose's own labels (``com.docker.compose.project`` / ``.service`` / ...), so ``docker compose ps`` and
  ``docker compose down`` see a stack the helper built by hand, and
* the course's labels (``io.compose-course.managed`` and ``io.compose-course.learner``), so cleanup can find
  exactly what the course made, and nothing else.

A project name is ``<lesson>-<learner>``: the learner id comes from ``COURSE_LEARNER`` (or a papermill parameter
passed to :func:`set_learner`), else from the OS user name.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re

COURSE_LABEL = "io.compose-course.managed"
LEARNER_LABEL = "io.compose-course.learner"
LESSON_LABEL = "io.compose-course.lesson"
RECORD_LABEL = "io.compose-course.record"  # a course record (helpers.records): a learner's, in no project
STANDIN_LABEL = "io.compose-course.standin"
STANDIN_FOR_LABEL = "io.compose-course.standin.for"
STANDIN_FROM_LABEL = "io.compose-course.standin.built-from"
STANDIN_RECIPE_LABEL = "io.compose-course.standin.recipe"

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"
CONFIG_HASH_LABEL = "com.docker.compose.config-hash"  # Compose's ps/down only see containers that carry it
ONEOFF_LABEL = "com.docker.compose.oneoff"
VOLUME_LABEL = "com.docker.compose.volume"
NETWORK_LABEL = "com.docker.compose.network"

_learner_override: str | None = None


def sanitize(name: str) -> str:
    """Lower-case ``name`` and keep only what a Compose project name allows (``a-z0-9_-``).

    >>> sanitize("Jane.Doe@Lab 3")
    'janedoelab3'
    """
    cleaned = re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("-_")
    return cleaned or "learner"


def set_learner(learner_id: str | None) -> None:
    """Override the learner id for this process (a notebook's papermill ``LEARNER`` parameter lands here)."""
    global _learner_override
    _learner_override = sanitize(learner_id) if learner_id else None


def learner() -> str:
    """The learner id: :func:`set_learner`, else ``$COURSE_LEARNER``, else the OS user name."""
    if _learner_override:
        return _learner_override
    from_env = os.environ.get("COURSE_LEARNER", "").strip()
    if from_env:
        return sanitize(from_env)
    try:
        return sanitize(getpass.getuser())
    except (KeyError, OSError):  # no passwd entry, e.g. an arbitrary uid in a container
        return "learner"


def project_name(lesson: str) -> str:
    """Compose project name for a lesson, namespaced by learner: ``project_name("05-db") == "05-db-alice"``."""
    return f"{sanitize(lesson)}-{learner()}"


def course_labels(project: str) -> dict[str, str]:
    """The course's labels for anything created under ``project``."""
    return {COURSE_LABEL: "true", LEARNER_LABEL: learner(), PROJECT_LABEL: project}


def config_hash(config: object) -> str:
    """A sha256 of a service's configuration (Compose hashes its own model of the service; so do we)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def container_labels(
    project: str, service: str, number: int = 1, oneoff: bool = False, config: object = None
) -> dict[str, str]:
    """Labels for a container, as Compose v2 sets them, plus the course's.

    ``config`` is what the config hash is computed from (default: the project and service names). Compose v2's
    ``ps`` and ``down`` ignore containers without a config hash, so every course container gets one.
    """
    return {
        **course_labels(project),
        SERVICE_LABEL: service,
        NUMBER_LABEL: str(number),
        ONEOFF_LABEL: "True" if oneoff else "False",
        CONFIG_HASH_LABEL: config_hash(config if config is not None else [project, service]),
    }


def container_name(project: str, service: str, number: int = 1) -> str:
    """Compose v2's generated name ``project-service-N`` (Compose v1 used ``project_service_N``)."""
    return f"{project}-{service}-{number}"


def resource_name(project: str, name: str) -> str:
    """Compose's name for a project's network or volume: ``project_name``."""
    return f"{project}_{name}"
