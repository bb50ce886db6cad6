"""``up``: bring services of a compose file up by hand, through the Docker SDK, the way Compose does.

Services that do not depend on each other start in parallel. The labels are Compose's, so ``docker compose -p
PROJECT ps`` lists the stack and ``docker compose -p PROJECT down`` (or :func:`helpers.down`) removes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from docker.errors import APIError, ImageNotFound, NotFound
from docker.models.containers import Container

from . import naming
from .compose_file import ComposeFile, depends_on_conditions
from .containers import summary
from .engine import caller, client
from .errors import CourseError
from .project import Project
from .stack import cache_from
from .timeline import Timeline
from .translate import create_container, image_name, sdk_kwargs, volume_name
from .wait import wait_completed, wait_healthy, wait_running

# on_wait(service, dependency, condition, started_at, ended_at): where a condition held a service back, from
# when the service began to wait for that dependency (its container may not exist yet) until the condition held
WaitHook = Callable[[str, str, str, float, float], None]
_WAIT_FOR = {"service_started": wait_running, "service_healthy": wait_healthy,
             "service_completed_successfully": wait_completed}


def order(compose: ComposeFile, services: Iterable[str] | None = None) -> list[str]:
    """Services (and, transitively, their dependencies), each after what it depends on (Compose refuses cycles)."""
    done: list[str] = []

    def visit(name: str) -> None:
        if name not in done:
            for dep in depends_on_conditions(compose.services[name]):
                visit(dep)
            done.append(name)

    for name in services or compose.services:
        visit(name)
    return done


def _networks_and_volumes(compose: ComposeFile, project: str) -> None:
    """The project's default network and its declared volumes, named as :mod:`helpers.translate` names them."""
    proj = Project(project, clean_start=False, name=project)
    proj.network("default")
    for key, spec in compose.volumes.items():
        name, external = volume_name(compose, project, key), (spec or {}).get("external")
        if name == naming.resource_name(project, key) and not external:
            proj.volume(key)
            continue
        try:  # external, or with its own `name:`
            client().volumes.get(name)
        except NotFound:
            if external:
                raise CourseError(f"External volume {name} does not exist.",
                                  f"create it: `docker volume create {name}`.") from None
            client().volumes.create(name, labels=proj.labels(**{naming.VOLUME_LABEL: key}))


def build_images(compose: ComposeFile, services: list[str], project: str,
                 progress: Callable[[str], None] = print) -> None:
    """Build each ``build:`` image once (Compose builds the service that has ``build:`` and tags it ``image:``)."""
    built: set[str] = set()
    for service in services:
        spec, tag = compose.services[service].get("build"), image_name(compose, service, project)
        if spec is None or tag in built:
            continue
        spec = {"context": spec} if isinstance(spec, str) else spec
        context, dockerfile = spec.get("context", "."), spec.get("dockerfile", "Dockerfile")
        path = (Path(compose.project_dir) / context).resolve()
        progress(f"[{service}] building {tag} from {path.name}/{dockerfile}")
        # cache_from: a loaded or pulled image serves as cache too (see helpers.stack.cache_from)
        client().images.build(path=str(path), dockerfile=dockerfile, tag=tag, rm=True, cache_from=cache_from(tag))
        built.add(tag)


def _await(dep: Container, condition: str, timeout: float, service: str = "",
           progress: Callable[[str], None] = print) -> None:
    """Wait until ``condition`` holds for ``dep``. A wait for a job to end may be long, or never end: it says what
    it waits for at once, then every 10 s how the job is doing (on ``progress``, as ``[service] ...``)."""
    if condition not in _WAIT_FOR:
        raise CourseError(f"Unknown depends_on condition {condition!r}.", f"use one of {', '.join(_WAIT_FOR)}.")
    if condition != "service_completed_successfully":
        _WAIT_FOR[condition](dep, timeout)
        return
    progress(f"[{service}] waits for {dep.name} to exit with code 0 ({condition}), at most {timeout:.0f} s")

    def still(state: dict[str, Any], waited: float) -> None:
        progress(f"[{service}] still waiting for {dep.name} to exit: {summary(state)} after {waited:.0f} s")

    wait_completed(dep, timeout, report=still)
    if (code := dep.attrs["State"]["ExitCode"]) != 0:
        raise CourseError(f"{dep.name} exited with code {code}; a service waiting for it cannot start.",
                          f"read its logs: `docker logs {dep.name}`.")


def _existing(project: str, service: str, kwargs: dict[str, Any], conflict: APIError) -> Container:
    """The service's container that holds the name: kept if its config hash is the file's (as Compose keeps it),
    else removed with its anonymous volumes and made anew. A container of another project is never touched."""
    old = [c for c in Project(project, clean_start=False, name=project).containers(service) if c.name == kwargs["name"]]
    if not old:
        raise CourseError(f"Cannot create {kwargs['name']}: {conflict.explanation}",
                          f"a container of that name is not this project's: `docker rm -f {kwargs['name']}` "
                          "if it is yours to remove, or use another project name.") from None
    if old[0].labels.get(naming.CONFIG_HASH_LABEL) == kwargs["labels"][naming.CONFIG_HASH_LABEL]:
        return old[0]
    old[0].remove(force=True, v=True)
    return create_container(client(), kwargs)


def up(compose: ComposeFile, project: str, services: Iterable[str] | None = None, *, build: bool = True,
       timeout: float = 180, on_wait: WaitHook | None = None, progress: Callable[[str], None] = print,
       timeline: Timeline | None = None) -> dict[str, Container]:
    """Create and start ``services`` (default: all) and what they depend on; returns the containers by service.

    ``timeline`` draws each depends_on wait as a "held back" span. Run again, it does what ``docker compose up``
    does with a service's container that exists: the same configuration is kept (started if it is not running),
    another is replaced (:func:`_existing`); :func:`helpers.project.down` first to start over."""
    wanted = order(compose, services)
    _networks_and_volumes(compose, project)
    if build:
        build_images(compose, wanted, project, progress)
    for service in wanted:
        try:
            client().images.get(ref := image_name(compose, service, project))
        except ImageNotFound:
            raise CourseError(
                f"Service '{service}' needs image {ref}, which is not on the engine.",
                "build it (the service with `build:` builds it: up(..., build=True)), or run "
                "`python -m helpers.images` for the course's base images.",
            ) from None

    created: dict[str, Container] = {}
    ready = {name: threading.Event() for name in wanted}
    errors: list[BaseException] = []

    def start(service: str) -> None:
        with caller(f"up-{service}"):  # this thread's polls are its own in a replay (see engine.caller)
            try:
                for dep, condition in depends_on_conditions(compose.services[service]).items():
                    t0 = time.monotonic()  # held back from here: until dep exists, then until its condition holds
                    held = f"held back: waiting for {dep} {condition}"
                    with timeline.hold(service, held) if timeline else nullcontext():
                        if not ready[dep].wait(timeout) or dep not in created:
                            raise CourseError(f"'{service}' waited for '{dep}', which never started.",
                                              f"see the error for '{dep}' above.")
                        _await(created[dep], condition, timeout, service, progress)
                    if on_wait:
                        on_wait(service, dep, condition, t0, time.monotonic())
                kwargs = sdk_kwargs(compose, service, project)
                try:
                    container = create_container(client(), kwargs)
                except APIError as exc:
                    if exc.status_code != 409:  # 409: the name is taken (a run of this cell before)
                        raise
                    container = _existing(project, service, kwargs, exc)
                if container.status != "running":
                    container.start()
                created[service] = container
                progress(f"[{service}] started {container.name}")
            except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the caller's thread
                errors.append(exc)
            finally:
                ready[service].set()

    with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
        list(pool.map(start, wanted))
    if errors:
        raise errors[0]
    return created
