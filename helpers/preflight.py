"""Preflight: is this machine ready for the course? Used in 00_preflight (and by instructors before a workshop).

Each check returns a :class:`Check` with a status and, when something is wrong, the fix.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import docker

from .images import COURSE_IMAGES, image_kind
from .naming import STANDIN_FROM_LABEL, learner

MISSING_IMAGE_FIX = ("in a workshop without internet: `./course bundle load FILE` with the bundle your instructor "
                     "hands out (`./course bundle check` lists what is missing); elsewhere `python -m helpers.images` "
                     "(pulls it; or builds a stand-in)")
MIN_MEMORY_GIB = 3.5  # a "4 GB" Docker Desktop VM reports about 3.8 GiB; the whole stack runs in that


def memory_hint(operating_system: str) -> str:
    """Where to give the engine more memory, for the engine the learner has."""
    if "Docker Desktop" in operating_system and is_wsl_or_windows():
        return ("with Docker Desktop's WSL 2 backend Windows sets the limit: in %UserProfile%\\.wslconfig write "
                "`[wsl2]` and `memory=6GB`, then run `wsl --shutdown` and start Docker Desktop again")
    if "Docker Desktop" in operating_system:
        return "Docker Desktop: Settings > Resources > Memory, at least 4 GB, then Apply & restart"
    return "give the engine's machine or VM more memory (Colima: `colima start --memory 4`)"


def is_wsl_or_windows() -> bool:
    """Whether this Python runs on Windows or inside WSL (where Docker Desktop's WSL 2 backend is the engine)."""
    import platform

    return platform.system() == "Windows" or "microsoft" in platform.release().lower() or bool(
        os.environ.get("WSL_DISTRO_NAME"))


@dataclass(frozen=True)
class Check:
    """One line of the preflight report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        mark = "ok " if self.ok else "FIX"
        line = f"[{mark}] {self.name:22} {self.detail}"
        return f"{line}\n      -> {self.fix}" if self.fix and not self.ok else line


def course_ports() -> dict[str, int]:
    """Host ports the course publishes on 127.0.0.1, by the variable that overrides each (:mod:`helpers.ports`)."""
    from .ports import course_ports as decide

    return decide()


def engine_location(base_url: str) -> str:
    """``"local"``, or how a remote engine is reached (``"ssh"``, ``"tcp host"``), from the client's base_url.

    docker-py's base_url is ``http+docker://localhost`` for a unix socket, ``http+docker://localnpipe`` for a
    Windows pipe, ``http+docker://ssh`` for ssh://, and ``http(s)://HOST:PORT`` for tcp://.
    """
    from urllib.parse import urlsplit

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


def _port_holder(engine: docker.DockerClient, port: int) -> str:
    """Which container publishes ``port``, if any (other programs cannot be seen from the engine)."""
    for container in engine.containers.list(filters={"publish": str(port)}, ignore_removed=True):
        return f"container '{container.name}'"
    return "a program outside Docker"


def check_port(engine: docker.DockerClient, var: str, port: int) -> Check:
    """Is 127.0.0.1:``port`` free to publish? (The detail says whether it was chosen for you or set by you.)"""
    from .ports import source

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return Check(f"port {port} ({var})", True, f"free ({source(var)})")
        except OSError:
            holder = _port_holder(engine, port)
    return Check(
        f"port {port} ({var})",
        False,
        f"taken by {holder}",
        f"stop it, or give the course another port: `export {var}=<free port>` before starting JupyterLab "
        f"(or unset {var}: the course then picks free ports for your learner id)",
    )


def check_engine(engine: docker.DockerClient) -> list[Check]:
    """Engine version, API version, architecture and memory."""
    info = engine.info()
    version = engine.version()
    mem_gib = info.get("MemTotal", 0) / 2**30
    return [
        Check("engine", True, f"Docker Engine {version.get('Version')} ({info.get('OperatingSystem', '?')})"),
        Check("API version", True, f"{engine.api.api_version} (negotiated)"),
        Check("architecture", True, str(info.get("Architecture"))),
        Check(
            "memory",
            mem_gib >= MIN_MEMORY_GIB,
            f"{mem_gib:.1f} GiB available to containers (the whole stack needs about {MIN_MEMORY_GIB:.1f})",
            memory_hint(str(info.get("OperatingSystem", ""))),
        ),
    ]


def check_images(engine: docker.DockerClient) -> list[Check]:
    """Each course image: official, local stand-in, or missing (with the fix)."""
    checks = []
    for image in COURSE_IMAGES:
        state = image_kind(image.ref, engine)
        if state == "missing":
            checks.append(Check(image.ref, False, "missing", MISSING_IMAGE_FIX))
        elif state == "stand-in":
            built_from = engine.images.get(image.ref).labels.get(STANDIN_FROM_LABEL, "?")
            checks.append(Check(image.ref, True, f"local stand-in (built from {built_from})"))
        else:
            checks.append(Check(image.ref, True, "official image"))
    return checks


def check_compose() -> Check:
    """Docker Compose (v2 or newer), which the lessons that run Compose itself need."""
    from .compose_cli import compose_command
    from .errors import CourseError

    try:
        compose_command()
    except CourseError as exc:
        return Check("Docker Compose", False, "not found", exc.hint)
    return Check("Docker Compose", True, "found (v2 or newer)")


def run_all(engine: docker.DockerClient) -> list[Check]:
    """Every check, in report order."""
    checks = check_engine(engine)
    location = check_location(engine)
    checks += [location] if location else []
    checks.append(check_compose())
    checks.append(Check("learner id", True, f"{learner()} (projects are named <lesson>-{learner()})"))
    checks += [check_port(engine, var, port) for var, port in course_ports().items()]
    checks += check_images(engine)
    return checks


def summary(checks: list[Check]) -> str:
    """The one line that holds on every engine: ``10 of 10 checks passed: ready`` (or how many need a fix)."""
    problems = [c for c in checks if not c.ok]
    return f"{len(checks) - len(problems)} of {len(checks)} checks passed" + (
        ": ready" if not problems else f": fix the {len(problems)} line(s) marked FIX")


def report(engine: docker.DockerClient) -> list[Check]:
    """Print every check (this engine's details: version, OS, memory, images) and return them."""
    checks = run_all(engine)
    for check in checks:
        print(check)
    return checks
