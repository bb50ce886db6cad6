"""``up``: bring services of a compose file up by hand, through the Docker SDK, the way Compose does.

For each service: its networks and volumes (named and labelled as Compose names and labels them), its image
(built once from ``build:`` and tagged, or reused), then ``containers.create(**sdk_kwargs)`` and ``start()``.
A service starts only when each of its ``depends_on`` conditions holds (``service_started``: the dependency runs;
``service_healthy``: its healthcheck says healthy; ``service_completed_successfully``: it exited 0). Services
that do not depend on each other start in parallel, one thread each, every wait driven by engine events.

Because the labels are Compose's, ``docker compose -p PROJECT ps`` lists a stack built here and
``docker compose -p PROJECT down`` (or :func:`helpers.down`) removes it. Used in the stack notebooks and the
equivalence test.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

from docker.errors import ImageNotFound, NotFound
from docker.models.containers import Container

from . import naming
from .compose_file import ComposeFile, depends_on_conditions
from .engine import client
from .errors import CourseError
from .project import Project
from .stack import cache_from
from .timeline import Timeline
from .translate import create_container, image_name, sdk_kwargs, volume_name
from .wait import wait_exited, wait_healthy, wait_running

# on_wait(service, dependency, condition, started_at, ended_at): where a condition held a service back
WaitHook = Callable[[str, str, str, float, float], None]


def order(compose: ComposeFile, services: Iterable[str] | None = None) -> list[str]:
    """Services (and, transitively, their dependencies) in an order where each comes after what it depends on.

    (Compose refuses a file whose depends_on forms a cycle, so there is none here.)"""
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
    engine = client()
    for key, spec in (compose.volumes or {}).items():
        name = volume_name(compose, project, key)
        if (spec or {}).get("external"):
            try:
                engine.volumes.get(name)
            except NotFound:
                raise CourseError(f"External volume {name} does not exist.",
                                  f"create it: `docker volume create {name}`.") from None
        elif name == naming.resource_name(project, key):
            proj.volume(key)
        else:  # a volume with its own `name:`
            try:
                engine.volumes.get(name)
            except NotFound:
                engine.volumes.create(name, labels=proj.labels(**{naming.VOLUME_LABEL: key}))


def build_images(compose: ComposeFile, services: list[str], project: str,
                 progress: Callable[[str], None] = print) -> None:
    """Build each ``build:`` image once (Compose builds the service that has ``build:`` and tags it ``image:``)."""
    engine = client()
    built: set[str] = set()
    for service in services:
        spec = compose.services[service].get("build")
        if spec is None:
            continue
        tag = image_name(compose, service, project)
        if tag in built:
            continue
        context = spec if isinstance(spec, str) else spec.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(spec, str) else spec.get("dockerfile", "Dockerfile")
        path = (Path(compose.project_dir) / context).resolve()
        progress(f"[{service}] building {tag} from {path.name}/{dockerfile}")
        # cache_from: a loaded or pulled image serves as cache too (see helpers.stack.cache_from)
        engine.images.build(path=str(path), dockerfile=dockerfile, tag=tag, rm=True, cache_from=cache_from(tag))
        built.add(tag)


def _check_images(compose: ComposeFile, services: list[str], project: str) -> None:
    engine = client()
    for service in services:
        ref = image_name(compose, service, project)
        try:
            engine.images.get(ref)
        except ImageNotFound:
            raise CourseError(
                f"Service '{service}' needs image {ref}, which is not on the engine.",
                "build it (the service with `build:` builds it: up(..., build=True)), or run "
                "`python -m helpers.images` for the course's base images.",
            ) from None


def _await(dep: Container, condition: str, timeout: float) -> None:
    if condition == "service_started":
        wait_running(dep, timeout)
    elif condition == "service_healthy":
        wait_healthy(dep, timeout)
    elif condition == "service_completed_successfully":
        wait_exited(dep, timeout)
        code = dep.attrs["State"]["ExitCode"]
        if code != 0:
            raise CourseError(f"{dep.name} exited with code {code}; a service waiting for it cannot start.",
                              f"read its logs: `docker logs {dep.name}`.")
    else:
        raise CourseError(f"Unknown depends_on condition {condition!r}.", "use service_started, "
                          "service_healthy or service_completed_successfully.")


def up(
    compose: ComposeFile,
    project: str,
    services: Iterable[str] | None = None,
    *,
    build: bool = True,
    timeout: float = 180,
    on_wait: WaitHook | None = None,
    progress: Callable[[str], None] = print,
    timeline: Timeline | None = None,
) -> dict[str, Container]:
    """Create and start ``services`` (default: all) and what they depend on; returns the containers by service.

    With a :class:`~helpers.timeline.Timeline`, each wait for a depends_on condition is drawn on it as a
    "held back" span on the waiting service's row.

    Existing containers of the project are left as they are (this is ``up`` on a clean project; call
    :func:`helpers.project.down` first to start over).
    """
    wanted = order(compose, services)
    _networks_and_volumes(compose, project)
    if build:
        build_images(compose, wanted, project, progress)
    _check_images(compose, wanted, project)

    engine = client()
    created: dict[str, Container] = {}
    ready = {name: threading.Event() for name in wanted}
    errors: list[BaseException] = []

    def start(service: str) -> None:
        try:
            for dep, condition in depends_on_conditions(compose.services[service]).items():
                if not ready[dep].wait(timeout) or dep not in created:
                    raise CourseError(f"'{service}' waited for '{dep}', which never started.", "see the error for "
                                      f"'{dep}' above.")
                t0 = time.monotonic()
                with timeline.hold(service, f"held back: waiting for {dep} {condition}") if timeline else nullcontext():
                    _await(created[dep], condition, timeout)
                if on_wait:
                    on_wait(service, dep, condition, t0, time.monotonic())
            container = create_container(engine, sdk_kwargs(compose, service, project))
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
