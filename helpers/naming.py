"""Names and labels, so several learners can share one engine. Everything the course creates carries Compose's own
labels (so ``docker compose ps/down`` see a stack the helpers built) and the course's (so cleanup finds exactly
what the course made). A project is ``<lesson>-<learner>``."""

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
    """Lower-case ``name`` and keep what a Compose project name allows: ``"Jane.Doe@Lab 3"`` -> ``janedoelab3``."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("-_") or "learner"


def set_learner(learner_id: str | None) -> None:
    """Override the learner id for this process (a notebook's papermill ``LEARNER`` parameter lands here)."""
    global _learner_override
    _learner_override = sanitize(learner_id) if learner_id else None


def learner() -> str:
    """The learner id: :func:`set_learner`, else ``$COURSE_LEARNER``, else the OS user name."""
    if _learner_override:
        return _learner_override
    try:
        return sanitize(os.environ.get("COURSE_LEARNER", "").strip() or getpass.getuser())
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


def container_labels(project: str, service: str, number: int = 1, oneoff: bool = False,
                     config: object = None) -> dict[str, str]:
    """A container's labels as Compose v2 sets them, plus the course's; the config hash (of ``config``, default
    the project and service names) is what makes Compose's ``ps`` and ``down`` see the container."""
    return {**course_labels(project), SERVICE_LABEL: service, NUMBER_LABEL: str(number),
            ONEOFF_LABEL: "True" if oneoff else "False",
            CONFIG_HASH_LABEL: config_hash(config if config is not None else [project, service])}


def container_name(project: str, service: str, number: int = 1) -> str:
    """Compose v2's generated name ``project-service-N``."""
    return f"{project}-{service}-{number}"


def resource_name(project: str, name: str) -> str:
    """Compose's name for a project's network or volume: ``project_name``."""
    return f"{project}_{name}"
