"""A learner's project on the engine: labelled containers, networks and volumes, cleaned up by label.

``Project("05-db")`` is named ``05-db-<learner>``. All it creates carries Compose's and the course's labels
(:mod:`helpers.naming`): ``docker compose -p 05-db-<learner> ps`` lists it, and cleanup finds it by label only,
never by name. Creating a ``Project`` first removes what a crashed earlier run of the same lesson left behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import Container
from docker.models.networks import Network
from docker.models.volumes import Volume

from . import naming
from .engine import client
from .errors import CourseError


@dataclass
class CleanupReport:
    """What :func:`down` or :func:`clean_course` removed, by kind."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)  # course records (helpers.records): clean_course only
    images: list[str] = field(default_factory=list)  # the learner's app image tag: clean_course only

    def __str__(self) -> str:
        n = len(self.containers), len(self.networks), len(self.volumes)
        if not any(n) and not self.records and not self.images:
            return "nothing to clean up"
        records = f", {len(self.records)} course record(s)" if self.records else ""
        images = f", image tag {', '.join(self.images)}" if self.images else ""
        return f"removed {n[0]} container(s), {n[1]} network(s), {n[2]} volume(s){records}{images}"


def _remove_labelled(labels: list[str], volumes: bool, engine: docker.DockerClient | None) -> CleanupReport:
    """Remove the containers, networks and (with ``volumes``) volumes that carry all of ``labels``."""
    engine = engine or client()
    report = CleanupReport()
    # v=volumes: also the containers' anonymous volumes (an image's VOLUME, e.g. redis's /data), as
    # `docker compose down -v` removes them; without it they would be left behind, unnamed and unlabelled
    found: list[tuple[Any, list[str], dict[str, bool]]] = [
        (c, report.containers, {"force": True, "v": volumes})
        for c in engine.containers.list(all=True, filters={"label": labels}, ignore_removed=True)]
    found += [(n, report.networks, {}) for n in engine.networks.list(filters={"label": labels})]
    found += [(v, report.records if naming.RECORD_LABEL in (v.attrs.get("Labels") or {}) else report.volumes,
               {"force": True}) for v in (engine.volumes.list(filters={"label": labels}) if volumes else [])]
    for resource, removed, options in found:
        try:
            resource.remove(**options)
            removed.append(str(resource.name))
        except APIError as exc:  # removed meanwhile (auto-remove), or 409: removal already in progress
            if not (isinstance(exc, NotFound) or exc.status_code == 409):
                raise
    return report


def check_ports(ports: object) -> None:
    """Refuse a ``ports=`` that docker-py would fail on deep inside (a list, as a compose file writes it), with a
    :class:`CourseError` that says what it takes. Call it before removing what a new container replaces."""
    if ports is not None and not isinstance(ports, dict):
        raise CourseError(f"ports= must be a dict, not a {type(ports).__name__}: {ports!r}.",
                          'docker-py maps the container port to the host port: {"5432/tcp": ("127.0.0.1", '
                          '15432)} is the compose file\'s "127.0.0.1:15432:5432" read from the right. Nothing was '
                          "replaced: what runs is still the container from before, and a check judges that one.")


def down(project: str, volumes: bool = False, engine: docker.DockerClient | None = None) -> CleanupReport:
    """``docker compose down`` of one project, by label; its volumes only with ``volumes=True`` (``down -v``).
    Course records carry no project label: they stay."""
    return _remove_labelled([f"{naming.COURSE_LABEL}=true", f"{naming.PROJECT_LABEL}={project}"], volumes, engine)


def clean_course(learner: str | None = None, engine: docker.DockerClient | None = None) -> CleanupReport:
    """Remove everything the course labelled for ``learner`` (every learner's when None), course records
    (:mod:`helpers.records`) included, and the learner's app image tag (``cryphos-app:<learner>``; layers other
    images use stay). Anything without the course label is never touched."""
    from .stack import untag_app_images

    labels = [f"{naming.COURSE_LABEL}=true"] + ([f"{naming.LEARNER_LABEL}={learner}"] if learner else [])
    report = _remove_labelled(labels, True, engine)
    report.images = untag_app_images(learner, engine)
    return report


class Project:
    """One lesson's namespaced project. ``Project("05-db").run("db", "postgres:17", ...)``."""

    def __init__(self, lesson: str, clean_start: bool = True, name: str | None = None) -> None:
        """``name`` overrides the derived ``<lesson>-<learner>``."""
        self.lesson = lesson
        self.name = name or naming.project_name(lesson)
        if clean_start:
            leftovers = down(self.name, volumes=True)
            if leftovers.containers or leftovers.volumes or leftovers.networks:
                print(f"Cleaned what an earlier run of {self.name} left: {leftovers}")

    def labels(self, **extra: str) -> dict[str, str]:
        """The course's labels for this project, plus ``extra``."""
        return {**naming.course_labels(self.name), naming.LESSON_LABEL: self.lesson, **extra}

    def network(self, name: str = "default") -> Network:
        """The project's network ``<project>_<name>`` (created once, labelled as Compose labels it)."""
        full = naming.resource_name(self.name, name)
        engine = client()
        for net in engine.networks.list(names=[full]):
            if net.name == full:
                self._check_ours("network", full, net.attrs.get("Labels"))
                return net
        return engine.networks.create(full, driver="bridge", labels=self.labels(**{naming.NETWORK_LABEL: name}))

    def volume(self, name: str) -> Volume:
        """The project's named volume ``<project>_<name>`` (created once, labelled as Compose labels it)."""
        full = naming.resource_name(self.name, name)
        engine = client()
        try:
            found = engine.volumes.get(full)
        except NotFound:
            return engine.volumes.create(full, labels=self.labels(**{naming.VOLUME_LABEL: name}))
        self._check_ours("volume", full, found.attrs.get("Labels"))
        return found

    def _check_ours(self, kind: str, full: str, labels: dict[str, str] | None) -> None:
        """Refuse to use a same-named resource the course did not create (as Compose refuses)."""
        labels = labels or {}
        if labels.get(naming.COURSE_LABEL) != "true" or labels.get(naming.PROJECT_LABEL) != self.name:
            raise CourseError(
                f"A {kind} named {full} exists, but the course did not create it, so it will not use or remove it.",
                f"if it is yours and you no longer need it: `docker {kind} rm {full}`; otherwise pick another "
                "learner id (COURSE_LEARNER) so the course's names differ from yours.",
            )

    def run(self, service: str, image: str, *, number: int = 1, network: str | None = "default",
            **kwargs: Any) -> Container:
        """``client.containers.run(image, detach=True, **kwargs)`` as Compose runs it: named
        ``<project>-<service>-<number>`` (unless ``name=``), labelled, on the project network with the service name
        as DNS alias."""
        check_ports(kwargs.get("ports"))
        engine = client()
        labels = {**naming.container_labels(self.name, service, number), naming.LESSON_LABEL: self.lesson,
                  **(kwargs.pop("labels", None) or {})}
        name = kwargs.pop("name", None) or naming.container_name(self.name, service, number)
        create_kwargs: dict[str, Any] = {"name": name, "labels": labels, "detach": True, **kwargs}
        if network:
            net = self.network(network)
            # by id: network names are not unique, and a learner may own one with the same name
            create_kwargs["network"] = net.id
            create_kwargs["networking_config"] = {net.id: engine.api.create_endpoint_config(aliases=[service, name])}
        try:
            return engine.containers.run(image, **create_kwargs)
        except APIError as exc:
            raise _explain_create_error(exc, name) from None

    def containers(self, service: str | None = None) -> list[Container]:
        """This project's containers (optionally of one service), found by label, oldest first."""
        labels = [f"{naming.PROJECT_LABEL}={self.name}", f"{naming.COURSE_LABEL}=true",
                  *([f"{naming.SERVICE_LABEL}={service}"] if service else [])]
        found = client().containers.list(all=True, filters={"label": labels}, ignore_removed=True)
        return sorted(found, key=lambda c: c.attrs.get("Created", ""))

    def down(self, volumes: bool = False) -> CleanupReport:
        """``docker compose down`` of this project (``volumes=True``: ``down -v``, the lesson's last cell)."""
        return down(self.name, volumes)

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.down(volumes=True)


def _explain_create_error(exc: APIError, name: str) -> Exception:
    text = str(exc.explanation or exc)
    if any(words in text for words in ("port is already allocated", "address already in use",
                                       "Ports are not available", "forbidden by its access permissions")):
        return CourseError(
            f"Cannot start {name}: a host port it publishes is already in use.\n({text})",
            "find who holds it with `docker ps --filter publish=PORT` or `ss -ltnp` (Linux) / `lsof -i :PORT` "
            "(macOS) / `netstat -ano | findstr :PORT` (Windows; `netsh interface ipv4 show excludedportrange "
            "protocol=tcp` lists ports Windows reserves); stop that, or choose another host port: stop JupyterLab, "
            "then e.g. `DB_PORT=15432 BACKEND_PORT=18000 ./course lab`.",
        )
    if "is already in use by container" in text:
        return CourseError(
            f"Cannot create {name}: a container with that name exists.\n({text})",
            "an earlier run left it behind: re-run the notebook from the top (it cleans its own project), "
            f"or remove it yourself with `docker rm -f {name}` if it is yours.",
        )
    return CourseError(f"Creating {name} failed: {text}", "read the engine's message above.")
