"""The course's images: ``python -m helpers.images`` makes each available, in this order:

1. already on the engine (official, or a stand-in made earlier) -> use it;
2. else pull the official image;
3. else, only when the pull failed, build a **local stand-in** from Debian's packages (``images/standins/``), tagged
   with the official name and labelled ``io.compose-course.standin=true``. ``docker pull <image>`` replaces it later.

Progress goes to a ``progress`` callback as :class:`Step` events (``print``, or
:class:`helpers.progress.ImageProgress`: a bar).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import docker
from docker.errors import APIError, BuildError, DockerException, ImageNotFound

from .engine import client
from .errors import ImageUnavailable
from .naming import STANDIN_FOR_LABEL, STANDIN_FROM_LABEL, STANDIN_LABEL, STANDIN_RECIPE_LABEL

STANDINS_DIR = Path(__file__).resolve().parent.parent / "images" / "standins"
DEBIAN_SUITE = "trixie"
BASE_IMAGE = f"compose-course/debian-base:{DEBIAN_SUITE}"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

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


def recipe_hash(image: CourseImage) -> str:
    """A hash of the stand-in's recipe folder: a stand-in built from an older recipe is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((STANDINS_DIR / image.standin_dir).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


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


def _debian_mirror() -> str:
    """The Debian mirror the host's apt uses (so the course never hard-codes one); ``$COURSE_DEBIAN_MIRROR`` wins."""
    if os.environ.get("COURSE_DEBIAN_MIRROR"):
        return os.environ["COURSE_DEBIAN_MIRROR"]
    for src in [*Path("/etc/apt").glob("sources.list.d/*.sources"), Path("/etc/apt/sources.list")]:
        text = src.read_text(errors="ignore") if src.exists() else ""
        for url in re.findall(r"(?:^URIs:\s*|^deb\s+(?:\[[^]]*\]\s+)?)(\S+)", text, flags=re.M):
            if not url.rstrip("/").endswith("-security"):
                return str(url)
    raise ImageUnavailable(
        "Cannot find a Debian mirror to build the stand-in base image from.",
        "set COURSE_DEBIAN_MIRROR to a Debian mirror URL, or make the official images available "
        "(`docker pull`), which needs no stand-in at all.",
    )


def can_build_standins() -> bool:
    """Stand-ins are built on Linux, as root, with debootstrap (this project's CI; never a learner's laptop)."""
    return sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("debootstrap") is not None


def ensure_base(engine: docker.DockerClient | None = None, progress: Progress = print) -> str:
    """Make the Debian base image the stand-ins build on (debootstrap + import), unless it exists."""
    engine = engine or client()
    if image_kind(BASE_IMAGE, engine) != "missing":
        return BASE_IMAGE
    if shutil.which("debootstrap") is None:
        raise ImageUnavailable(
            "No registry is reachable, and building stand-ins needs `debootstrap` (Debian/Ubuntu, as root).",
            "pull the official images on a network that reaches Docker Hub (`python -m helpers.images`), "
            "or install debootstrap (`apt-get install debootstrap`) and run this again as root.",
        )
    mirror = _debian_mirror()
    with tempfile.TemporaryDirectory(prefix="course-rootfs-") as tmp:
        rootfs, tarball = Path(tmp) / "rootfs", Path(tmp) / "rootfs.tar"
        progress(Step(BASE_IMAGE, "building", f"debootstrap --variant=minbase {DEBIAN_SUITE} (about 30 s)"))
        run = subprocess.run(["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(rootfs), mirror],
                             capture_output=True, text=True, check=False)  # its output goes into the error below
        if run.returncode != 0:
            tail = "\n".join(run.stdout.splitlines()[-5:] + run.stderr.splitlines()[-5:])
            raise ImageUnavailable(f"debootstrap failed:\n{tail}", "check that the Debian mirror is reachable.")
        progress(Step(BASE_IMAGE, "building", "importing the root file system into the engine"))
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True)
        label = f'LABEL {STANDIN_LABEL}="true" {STANDIN_FROM_LABEL}="debootstrap minbase {DEBIAN_SUITE}"'
        engine.api.import_image_from_file(str(tarball), repository=BASE_IMAGE.split(":")[0], tag=DEBIAN_SUITE,
                                          changes=[label, 'CMD ["bash"]'])
    progress(Step(BASE_IMAGE, "built"))
    return BASE_IMAGE


def build_standin(image: CourseImage, engine: docker.DockerClient | None = None, progress: Progress = print) -> None:
    """Build the local stand-in for ``image`` from Debian packages, labelled as a stand-in."""
    engine = engine or client()
    base = ensure_base(engine, progress)
    failed = f"Building the stand-in for {image.ref} failed"
    with tempfile.TemporaryDirectory(prefix="course-standin-") as ctx:
        shutil.copytree(STANDINS_DIR / image.standin_dir, ctx, dirs_exist_ok=True)
        (Path(ctx) / "ca-bundle.crt").write_bytes(HOST_CA_BUNDLE.read_bytes() if HOST_CA_BUNDLE.exists() else b"")
        labels = {STANDIN_LABEL: "true", STANDIN_FOR_LABEL: image.ref, STANDIN_FROM_LABEL: image.built_from,
                  STANDIN_RECIPE_LABEL: recipe_hash(image)}
        progress(Step(image.ref, "building", f"local stand-in from {image.built_from}"))
        try:  # forcerm: a failed step leaves no container (nor its volumes) behind
            for chunk in engine.api.build(path=ctx, tag=image.ref, buildargs={"BASE": base}, labels=labels, rm=True,
                                          forcerm=True, decode=True):
                if "error" in chunk:
                    raise ImageUnavailable(f"{failed}: {chunk['error'].strip()}",
                                           "check that containers can reach the Debian mirror "
                                           f"(`docker run --rm {base} apt-get update`).")
                line = str(chunk.get("stream", "")).strip()
                if line.startswith("Step "):
                    progress(Step(image.ref, "building", line[:110]))
        except (BuildError, APIError) as exc:
            raise ImageUnavailable(f"{failed}: {exc}", "see the log above.") from None
    progress(Step(image.ref, "built", f"stand-in, labelled {STANDIN_LABEL}=true"))


def ensure_image(image: CourseImage, engine: docker.DockerClient | None = None,
                 progress: Progress = print) -> Outcome:
    """Make one of :data:`COURSE_IMAGES` available; returns the stage that ended its work (the app image the lessons
    run is built by :mod:`helpers.stack`)."""
    engine = engine or client()
    kind = image_kind(image.ref, engine)
    if kind == "stand-in" and engine.images.get(image.ref).labels.get(STANDIN_RECIPE_LABEL) != recipe_hash(image):
        progress(Step(image.ref, "building", "the stand-in's recipe changed since it was built"))
        build_standin(image, engine, progress)
        return "built"
    if kind != "missing":
        progress(Step(image.ref, "present", kind))
        return "present"
    progress(Step(image.ref, "pulling", "not on the engine"))
    reason = _pull(image.ref, engine, progress)
    if reason is None:
        return "pulled"
    if not can_build_standins():
        raise ImageUnavailable(
            f"Could not pull {image.ref}: {reason}",
            f"run `docker pull {image.ref}` in a terminal: it says whether you must sign in to Docker Desktop, hit "
            "Docker Hub's pull limit, or have no network. Local stand-ins are only for Linux machines that "
            "cannot reach any registry (they need root and debootstrap).",
        )
    build_standin(image, engine, progress)
    return "built"


def ensure_images(progress: Progress = print) -> dict[str, Outcome]:
    """Provision every image in :data:`COURSE_IMAGES`. Used by ``./course`` and ``.ci/run``."""
    return {image.ref: ensure_image(image, progress=progress) for image in COURSE_IMAGES}


def main() -> int:
    """``python -m helpers.images``: provision the course's images, showing progress."""
    from .progress import ImageProgress

    try:
        with ImageProgress() as progress:
            result = ensure_images(progress)
    except Exception as exc:  # noqa: BLE001 - a command-line entry point reports, it does not trace back
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for ref, how in result.items():
        print(f"{ref:20} {how} ({image_kind(ref)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
