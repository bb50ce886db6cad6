#!/usr/bin/env python
"""Time to all-healthy for the cryphos stack: the helper's ``up`` (Docker SDK) vs ``docker compose up -d --wait``.

Each run starts from a clean project (no containers, networks or volumes: so Postgres initialises its data
directory and the first app container fills the empty venv volume, every time) and stops the clock when every
service with a healthcheck is healthy and every other one is running (what ``up --wait`` waits for). The two
paths run one after the other, alternating which goes first, with the same host ports, and everything is removed
after each run (not timed). See bench/README.md.

    python bench/time_to_healthy.py                 # image present, neither path builds; 3 runs each
    python bench/time_to_healthy.py --build         # both paths run their build step on a warm cache
    python bench/time_to_healthy.py --no-cache --runs 1   # both paths rebuild the image from scratch
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, without installing

from docker.errors import APIError, ImageNotFound, NotFound

import helpers as h
from helpers import compose_cli, naming, stack
from helpers import up as helper_up
from helpers.compose_file import ComposeFile

TIMEOUT = 300


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _compose(*args: str, project: str, check: bool = True) -> None:
    compose_cli.compose(*args, project=project, files=[stack.COMPOSE_PATH], check=check, timeout=TIMEOUT + 300)


def _anonymous_volumes(project: str) -> set[str]:
    engine = h.client()
    return {m["Name"] for c in engine.containers.list(all=True, filters={"label": f"{naming.PROJECT_LABEL}={project}"})
            for m in c.attrs["Mounts"] if m["Type"] == "volume" and len(m.get("Name", "")) == 64}


def clean(project: str) -> None:
    """Remove everything of ``project``: Compose's ``down -v`` (sees stacks made either way), then the helper's
    down for what carries only the course's labels, then the containers' anonymous volumes."""
    anonymous = _anonymous_volumes(project)
    _compose("down", "-v", "--remove-orphans", "--timeout", "5", project=project, check=False)
    h.down(project, volumes=True)
    for name in anonymous:
        try:
            h.client().volumes.get(name).remove(force=True)
        except NotFound:
            pass
    engine = h.client()
    label = {"label": f"{naming.PROJECT_LABEL}={project}"}
    left = [*engine.containers.list(all=True, filters=label), *engine.networks.list(filters=label),
            *engine.volumes.list(filters=label)]
    if left:
        raise SystemExit(f"could not clean project {project}: {[x.name for x in left]}")


def _wait_all_ready(project: str, compose: ComposeFile) -> None:
    engine = h.client()
    for service, spec in compose.services.items():
        (container,) = engine.containers.list(all=True, filters={"label": [f"{naming.PROJECT_LABEL}={project}",
                                                                          f"{naming.SERVICE_LABEL}={service}"]})
        check = spec.get("healthcheck")
        if check and not check.get("disable"):
            h.wait_healthy(container, timeout=TIMEOUT)
        else:
            h.wait_running(container, timeout=TIMEOUT)


def helper_path(project: str, mode: str) -> float:
    """``up`` as a notebook calls it, then the same wait as ``--wait``; seconds from the call to all-healthy."""
    started = time.monotonic()
    if mode == "cold":  # helpers.up builds with the cache; a cold rebuild is the same docker-py call with nocache
        h.client().images.build(path=str(stack.STACK_DIR), tag=stack.app_image(), rm=True, nocache=True)
    compose = stack.load(project)
    helper_up.up(compose, project, build=(mode == "warm"), timeout=TIMEOUT, progress=lambda _msg: None)
    _wait_all_ready(project, compose)
    return time.monotonic() - started


def compose_path(project: str, mode: str) -> float:
    """``docker compose up -d --wait`` (``--build`` for a warm build; ``build --no-cache`` first for a cold one)."""
    started = time.monotonic()
    if mode == "cold":
        _compose("build", "--no-cache", project=project)
    extra = ["--build"] if mode == "warm" else []
    _compose("up", "-d", "--wait", "--wait-timeout", str(TIMEOUT), "--pull", "never", *extra, project=project)
    return time.monotonic() - started


class ImageGuard:
    """The build modes re-tag the learner's ``cryphos-app:<learner>`` (docker-py builds with the classic builder,
    Compose with BuildKit: two ids for one Dockerfile). Afterwards: if the tag names an image this run built, it
    goes back to the image it named before; then the images this run built (read from the tag right after each
    build, and new since the start) are removed if nothing uses them: never an image that existed before, nor
    one someone else built."""

    def __init__(self) -> None:
        engine = h.client()
        try:
            self.original = engine.images.get(stack.app_image()).id
        except ImageNotFound:
            raise SystemExit(f"{stack.app_image()} is not on the engine: build it first "
                             "(python -c 'from helpers import stack; stack.build_app_image()').") from None
        self.before = {image.id for image in engine.images.list(all=True)}
        self.built: set[str] = set()

    def note(self) -> None:
        """Called right after a path built: remember the image the tag now names, if it is new."""
        image_id = h.client().images.get(stack.app_image()).id
        if image_id not in self.before:
            self.built.add(image_id)

    def restore(self) -> None:
        engine = h.client()
        current = engine.images.get(stack.app_image()).id
        if current in self.built - {self.original}:  # one of ours; someone else's newer build is left alone
            repository, tag = stack.app_image().rsplit(":", 1)
            engine.images.get(self.original).tag(repository, tag)
            _log(f"{stack.app_image()} tagged back to {self.original[:19]}")
        for image_id in self.built - {self.original}:
            try:
                engine.images.remove(image_id)  # no force: an image a container uses stays
                _log(f"removed the image this run built, {image_id[:19]}")
            except NotFound:
                pass
            except APIError as exc:
                _log(f"kept {image_id[:19]}: {exc.explanation}")


def _row(label: str, times: list[float]) -> str:
    return f"{label:<44}{len(times):>5}{min(times):>9.1f}{statistics.median(times):>9.1f}{max(times):>9.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each path (default 3)")
    build = parser.add_mutually_exclusive_group()
    build.add_argument("--build", action="store_true",
                       help="both paths run their build step (cache warm): helper up(build=True), compose up --build")
    build.add_argument("--no-cache", action="store_true",
                       help="both paths rebuild the image from scratch first (needs the network; minutes per run)")
    args = parser.parse_args(argv)
    mode = "cold" if args.no_cache else "warm" if args.build else "none"

    projects = {"helper": naming.project_name("eq-helper"), "compose": naming.project_name("eq-compose")}
    os.environ["DB_PORT"], os.environ["BACKEND_PORT"] = str(_free_port()), str(_free_port())  # beat stack/.env
    h.use_client(h.connect())
    guard = ImageGuard() if mode != "none" else None
    paths: dict[str, Callable[[str, str], float]] = {"helper": helper_path, "compose": compose_path}
    times: dict[str, list[float]] = {"helper": [], "compose": []}
    _log(f"projects {projects['helper']} and {projects['compose']}, host ports db {os.environ['DB_PORT']}, "
         f"backend {os.environ['BACKEND_PORT']}; Compose {compose_cli.version()}; build: {mode}")
    try:
        for project in projects.values():
            clean(project)
        for run in range(args.runs):
            for name in (["helper", "compose"] if run % 2 == 0 else ["compose", "helper"]):
                seconds = paths[name](projects[name], mode)
                if guard:
                    guard.note()
                times[name].append(seconds)
                _log(f"run {run + 1}/{args.runs} {name:<8} {seconds:6.1f} s")
                clean(projects[name])
    finally:
        for project in projects.values():
            clean(project)
        if guard:
            guard.restore()

    what = {"none": "image present, no build", "warm": "build step on a warm cache",
            "cold": "image rebuilt with --no-cache"}[mode]
    helper_label = {"none": "helper: up(build=False) + wait", "warm": "helper: up(build=True) + wait",
                    "cold": "helper: build(nocache) + up + wait"}[mode]
    compose_label = {"none": "docker compose up -d --wait", "warm": "docker compose up -d --wait --build",
                     "cold": "compose build --no-cache; up -d --wait"}[mode]
    print(f"\ncryphos stack ({len(stack.load(projects['helper']).services)} services), seconds from a clean project "
          f"to all-healthy; {what}")
    print(f"{'path':<44}{'runs':>5}{'min':>9}{'median':>9}{'max':>9}")
    print(_row(helper_label, times["helper"]))
    print(_row(compose_label, times["compose"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
