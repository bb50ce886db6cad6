"""Local stand-ins for the course's official images, for a machine that reaches no registry (this project's CI).

``python -m workshop.standins`` (what ``./course`` runs) does what ``python -m helpers.images`` does (present, else
pull) and, only where the pull fails and the machine can (Linux, root, ``debootstrap``), builds a **local stand-in**
from Debian's packages with the recipe in ``images/standins/``: tagged with the official name, labelled
``io.compose-course.standin=true`` with what it was built from and a hash of its recipe (a changed recipe is
rebuilt). ``docker pull <image>`` replaces it. ``images/standins/README.md`` says how each behaves as the official.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import docker
from docker.errors import APIError, BuildError

from helpers import images
from helpers.engine import client
from helpers.errors import ImageUnavailable
from helpers.images import DEBIAN_SUITE, CourseImage, Outcome, Progress, Step
from helpers.naming import STANDIN_FOR_LABEL, STANDIN_FROM_LABEL, STANDIN_LABEL, STANDIN_RECIPE_LABEL

STANDINS_DIR = Path(__file__).resolve().parent.parent / "images" / "standins"
BASE_IMAGE = f"compose-course/debian-base:{DEBIAN_SUITE}"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def recipe_hash(image: CourseImage) -> str:
    """A hash of the stand-in's recipe folder: a stand-in built from an older recipe is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((STANDINS_DIR / image.standin_dir).rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


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
    if images.image_kind(BASE_IMAGE, engine) != "missing":
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


def ensure_image(image: CourseImage, engine: docker.DockerClient | None = None, progress: Progress = print) -> Outcome:
    """:func:`helpers.images.ensure_image`, with a stand-in where the pull fails (and this machine can build one);
    a stand-in built from an older recipe is rebuilt."""
    engine = engine or client()
    if images.image_kind(image.ref, engine) == "stand-in" and \
            engine.images.get(image.ref).labels.get(STANDIN_RECIPE_LABEL) != recipe_hash(image):
        progress(Step(image.ref, "building", "the stand-in's recipe changed since it was built"))
        build_standin(image, engine, progress)
        return "built"
    return images.ensure_image(image, engine, progress, build_standin if can_build_standins() else None)


if __name__ == "__main__":
    sys.exit(images.main(ensure_image))
