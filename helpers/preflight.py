"""Preflight: is this machine ready for the course? Used in 00_preflight (and by instructors before a workshop).

Each check returns a :class:`Check` with a status and, when something is wrong, the fix.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from urllib.parse import urlsplit

import docker

from . import compose_cli
from .errors import CourseError
from .images import COURSE_IMAGES, image_kind
from .naming import STANDIN_FROM_LABEL, learner
from .ports import bindable, course_ports, source

MISSING_IMAGE_FIX = ("in a workshop without internet: `./course bundle load FILE` with the bundle your instructor "
                     "hands out (`./course bundle check` lists what is missing); elsewhere `python -m helpers.images` "
                     "(pulls it; or builds a stand-in)")
MIN_MEMORY_GIB = 3.5  # a "4 GB" Docker Desktop VM reports about 3.8 GiB; the whole stack runs in that


def memory_hint(operating_system: str) -> str:
    """Where to give the engine more memory, for the engine the learner has."""
    if "Docker Desktop" not in operating_system:
        return "give the engine's machine or VM more memory (Colima: `colima start --memory 4`)"
    if (platform.system() == "Windows" or "microsoft" in platform.release().lower()
            or os.environ.get("WSL_DISTRO_NAME")):  # Docker Desktop's WSL 2 backend
        return ("with Docker Desktop's WSL 2 backend Windows sets the limit: in %UserProfile%\\.wslconfig write "
                "`[wsl2]` and `memory=6GB`, then run `wsl --shutdown` and start Docker Desktop again")
    return "Docker Desktop: Settings > Resources > Memory, at least 4 GB, then Apply & restart"


@dataclass(frozen=True)
class Check:
    """One line of the preflight report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        line = f"[{'ok ' if self.ok else 'FIX'}] {self.name:22} {self.detail}"
        return f"{line}\n      -> {self.fix}" if self.fix and not self.ok else line


def engine_location(base_url: str) -> str:
    """``"local"``, ``"ssh"`` or ``"tcp HOST"``, from docker-py's base_url (``http+docker://localhost`` for a unix
    socket, ``...localnpipe`` for a Windows pipe, ``...ssh`` for ssh://, ``http(s)://HOST:PORT`` for tcp://)."""
    url = urlsplit(base_url)
    if url.scheme == "http+docker":
        return "ssh" if url.hostname == "ssh" else "local"
    host = (url.hostname or "").lower()
    return "local" if host in ("localhost", "127.0.0.1", "::1") else f"tcp {host}"


def check_location(engine: docker.DockerClient) -> Check | None:
    """A FIX line when the engine runs on another machine (None when it is local: no line at all)."""
    where = engine_location(str(engine.api.base_url))
    if where == "local":
        return None
    return Check(
        "engine location", False, f"remote ({where}): it cannot see this machine's files",
        "bind mounts of this checkout (lesson 05 on: `.:/app`, `./staticfiles`) would mount empty folders of the "
        "engine's machine. Run the course on the engine's machine (JupyterLab there, e.g. a JupyterHub beside the "
        "engine), or use a local engine (Docker Desktop, Docker Engine); lessons 00-04 work either way",
    )


def check_port(engine: docker.DockerClient, var: str, port: int) -> Check:
    """Is 127.0.0.1:``port`` free to publish? (The detail says whether it was chosen for you or set by you.)"""
    if bindable(port):
        return Check(f"port {port} ({var})", True, f"free ({source(var)})")
    # the engine can tell which container publishes it; other programs it cannot see
    holders = engine.containers.list(filters={"publish": str(port)}, ignore_removed=True)
    return Check(
        f"port {port} ({var})", False,
        f"taken by container '{holders[0].name}'" if holders else "taken by a program outside Docker",
        f"stop it, or give the course another port: `export {var}=<free port>` before starting JupyterLab "
        f"(or unset {var}: the course then picks free ports for your learner id)",
    )


def check_engine(engine: docker.DockerClient) -> list[Check]:
    """Engine version, API version, architecture and memory."""
    info = engine.info()
    mem_gib = info.get("MemTotal", 0) / 2**30
    return [
        Check("engine", True, f"Docker Engine {engine.version().get('Version')} ({info.get('OperatingSystem', '?')})"),
        Check("API version", True, f"{engine.api.api_version} (negotiated)"),
        Check("architecture", True, str(info.get("Architecture"))),
        Check("memory", mem_gib >= MIN_MEMORY_GIB,
              f"{mem_gib:.1f} GiB available to containers (the course asks for {MIN_MEMORY_GIB:.1f} GiB: what an "
              "engine set to 4 GB reports, less a margin)",
              memory_hint(str(info.get("OperatingSystem", "")))),
    ]


def check_images(engine: docker.DockerClient) -> list[Check]:
    """Each course image: official, local stand-in, or missing (with the fix)."""
    checks = []
    for image in COURSE_IMAGES:
        kind = image_kind(image.ref, engine)
        if kind == "missing":
            checks.append(Check(image.ref, False, "missing", MISSING_IMAGE_FIX))
        elif kind == "stand-in":
            built_from = engine.images.get(image.ref).labels.get(STANDIN_FROM_LABEL, "?")
            checks.append(Check(image.ref, True, f"local stand-in (built from {built_from})"))
        else:
            checks.append(Check(image.ref, True, "official image"))
    return checks


def check_compose() -> Check:
    """Docker Compose (v2 or newer), which the lessons that run Compose itself need."""
    try:
        compose_cli.compose_command()
    except CourseError as exc:
        return Check("Docker Compose", False, "not found", exc.hint)
    return Check("Docker Compose", True, "found (v2 or newer)")


def run_all(engine: docker.DockerClient) -> list[Check]:
    """Every check, in report order."""
    location = check_location(engine)
    return [
        *check_engine(engine), *([location] if location else []), check_compose(),
        Check("learner id", True, f"{learner()} (projects are named <lesson>-{learner()})"),
        *(check_port(engine, var, port) for var, port in course_ports().items()),
        *check_images(engine),
    ]


def summary(checks: list[Check]) -> str:
    """The one line that holds on every engine: ``10 of 10 checks passed: ready`` (or how many need a fix)."""
    problems = sum(not c.ok for c in checks)
    return f"{len(checks) - problems} of {len(checks)} checks passed" + (
        f": fix the {problems} line(s) marked FIX" if problems else ": ready")


def report(engine: docker.DockerClient) -> list[Check]:
    """Print every check (this engine's details: version, OS, memory, images) and return them."""
    checks = run_all(engine)
    for check in checks:
        print(check)
    return checks
