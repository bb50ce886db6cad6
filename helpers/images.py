"""The course's images: ``python -m helpers.images`` makes each available, in this order:

1. already on the engine (official, or a stand-in made earlier) -> use it;
2. else pull the official image;
3. else, only when the pull failed and only through ``python -m workshop.standins`` (what ``./course`` runs), build a
   **local stand-in** from Debian's packages (``images/standins/``), tagged with the official name and labelled
   ``io.compose-course.standin=true``. ``docker pull <image>`` replaces it later.

Progress goes to a ``progress`` callback as :class:`Step` events (``print``, or
:class:`helpers.progress.ImageProgress`: a bar).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import docker
from docker.errors import APIError, DockerException, ImageNotFound

from .engine import client
from .errors import ImageUnavailable
from .naming import STANDIN_FOR_LABEL, STANDIN_LABEL

DEBIAN_SUITE = "trixie"  # where the stand-ins' packages come from

Outcome = Literal["present", "pulled", "built"]  # the stages that end an image's work
Stage = Literal[Outcome, "pulling", "failed", "building"]
Kind = Literal["official", "stand-in", "missing"]


@dataclass(frozen=True)
class Step:
    """One step of making ``ref`` available (``failed``: the pull failed; a stand-in build or an error follows)."""

    ref: str
    stage: Stage
    detail: str = ""

    @property
    def done(self) -> bool:
        """Whether this step ends the work on ``ref``."""
        return self.stage in get_args(Outcome)

    @property
    def status(self) -> str:
        """``"pulling: 8a1e25ce7c4f Pull complete"``: the stage, and the detail if any."""
        return f"{self.stage}: {self.detail}" if self.detail else self.stage

    def __str__(self) -> str:
        return f"{self.ref} {self.status}"


Progress = Callable[[Step], None]
Build = Callable[["CourseImage", docker.DockerClient, Progress], None]  # makes a stand-in (workshop.standins)


@dataclass(frozen=True)
class CourseImage:
    """An official image the course uses, and how its local stand-in is made."""

    ref: str
    standin_dir: str
    built_from: str


# Major versions chosen so that Debian trixie can supply a stand-in that does not claim a version it is not.
COURSE_IMAGES: tuple[CourseImage, ...] = (
    CourseImage("postgres:17", "postgres", f"Debian {DEBIAN_SUITE} package postgresql-17"),
    CourseImage("redis:8", "redis", f"Debian {DEBIAN_SUITE} package redis-server (8.x)"),
    CourseImage("python:3.13-slim", "python", f"Debian {DEBIAN_SUITE} packages python3 (3.13), python3-venv, pip"),
)


def course_refs() -> list[str]:
    """Every image the lessons run: the official images (or their stand-ins), then the app image they build."""
    from .stack import app_image

    return [image.ref for image in COURSE_IMAGES] + [app_image()]


def image_kind(ref: str, engine: docker.DockerClient | None = None) -> Kind:
    """What the engine holds under ``ref``: ``"official"``, ``"stand-in"`` or ``"missing"``."""
    try:
        image = (engine or client()).images.get(ref)
    except ImageNotFound:
        return "missing"
    return "stand-in" if is_standin(image.labels or {}, ref) else "official"


def is_standin(labels: dict[str, str], ref: str | None = None) -> bool:
    """Whether image labels mark a local stand-in (for ``ref``, when given: images built FROM a stand-in, like
    cryphos-app, inherit its labels without being one)."""
    return labels.get(STANDIN_LABEL) == "true" and (ref is None or labels.get(STANDIN_FOR_LABEL) == ref)


def _pull(ref: str, engine: docker.DockerClient, progress: Progress) -> str | None:
    """Pull ``ref``, reporting each layer's status once; None once pulled, else the engine's reason."""
    repo, _, tag = ref.partition(":")
    seen: set[str] = set()
    try:
        for event in engine.api.pull(repo, tag=tag or "latest", stream=True, decode=True):
            if "error" in event:
                raise DockerException(event["error"])
            detail = " ".join(str(event.get(key) or "") for key in ("id", "status")).strip()
            if event.get("status") and "Downloading" not in detail and detail not in seen:
                seen.add(detail)
                progress(Step(ref, "pulling", detail))
    except (APIError, DockerException) as exc:
        reason = str(exc).splitlines()[0][:160]
        progress(Step(ref, "failed", reason))
        return reason
    progress(Step(ref, "pulled"))
    return None


def ensure_image(image: CourseImage, engine: docker.DockerClient | None = None, progress: Progress = print,
                 build: Build | None = None) -> Outcome:
    """Make one of :data:`COURSE_IMAGES` available; returns the stage that ended its work. ``build`` makes a
    stand-in when the pull fails (``workshop.standins``, on a machine that reaches no registry); without it, a
    failed pull raises :class:`~helpers.errors.ImageUnavailable`. The app image is built by :mod:`helpers.stack`."""
    engine = engine or client()
    kind = image_kind(image.ref, engine)
    if kind != "missing":
        progress(Step(image.ref, "present", kind))
        return "present"
    progress(Step(image.ref, "pulling", "not on the engine"))
    reason = _pull(image.ref, engine, progress)
    if reason is None:
        return "pulled"
    if build is None:
        raise ImageUnavailable(
            f"Could not pull {image.ref}: {reason}",
            f"run `docker pull {image.ref}` in a terminal: it says whether you must sign in to Docker Desktop, hit "
            "Docker Hub's pull limit, or have no network. Local stand-ins are only for Linux machines that "
            "cannot reach any registry (they need root and debootstrap: `python -m workshop.standins`).",
        )
    build(image, engine, progress)
    return "built"


def ensure_images(progress: Progress = print, ensure: Callable[..., Outcome] = ensure_image) -> dict[str, Outcome]:
    """Provision every image in :data:`COURSE_IMAGES` with ``ensure`` (default: present, else pulled)."""
    return {image.ref: ensure(image, progress=progress) for image in COURSE_IMAGES}


def main(ensure: Callable[..., Outcome] = ensure_image) -> int:
    """``python -m helpers.images``: provision the course's images, showing progress."""
    from .progress import ImageProgress

    try:
        with ImageProgress() as progress:
            result = ensure_images(progress, ensure)
    except Exception as exc:  # noqa: BLE001 - a command-line entry point reports, it does not trace back
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for ref, how in result.items():
        print(f"{ref:20} {how} ({image_kind(ref)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
