"""Checks of what the learner did by hand with the Compose CLI in lessons 03-09 (``docker compose up -d db``,
``stop``, ``start``, ``exec``, ``logs``, ``down``): each reads the live engine, as the exercise checks do, and
records its verdict under ``NN_cli`` (``03_cli`` for lesson ``03-db``).

Compose labels what it creates with ``com.docker.compose.version`` (the helpers never set it) and
``com.docker.compose.config-hash``: that is how a check tells a container Compose made from one the helpers made.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

from docker.models.containers import Container

from .. import events
from ..containers import health_status, newest, started_at, state_of, summary
from ..engine import client
from ..naming import CONFIG_HASH_LABEL, ONEOFF_LABEL, PROJECT_LABEL, SERVICE_LABEL
from ..project import Project
from . import Verdict, verdict

VERSION_LABEL = "com.docker.compose.version"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"


def exercise_id(project: Project) -> str:
    """``"03_cli"`` for the project of lesson ``03-db``."""
    return f"{project.lesson[:2]}_cli"


def _containers(labels: list[str]) -> list[Container]:
    return client().containers.list(all=True, filters={"label": labels}, ignore_removed=True)


def of_service(project: Project, service: str) -> list[Container]:
    """Every container of ``service`` in ``project``, by Compose's labels only (whoever made it), oldest first."""
    found = _containers([f"{PROJECT_LABEL}={project.name}", f"{SERVICE_LABEL}={service}"])
    return sorted(found, key=lambda c: c.attrs.get("Created", ""))


def by_compose(container: Container) -> bool:
    """Whether Compose created ``container`` (it carries the version and config-hash labels Compose sets)."""
    return VERSION_LABEL in container.labels and CONFIG_HASH_LABEL in container.labels


def elsewhere(service: str, project: Project, files: list[Path]) -> list[str]:
    """The other projects in which Compose made a ``service`` container from one of ``files`` (a wrong ``-p``)."""
    wanted = {str(Path(f).resolve()) for f in files}
    names = {c.labels.get(PROJECT_LABEL, "") for c in _containers([f"{SERVICE_LABEL}={service}", VERSION_LABEL])
             if wanted & set(c.labels.get(CONFIG_FILES_LABEL, "").split(","))}
    return sorted(names - {project.name, ""})


def _last_state(project: Project, service: str, to_do: str, status: str, command: str) -> dict[str, Any] | Verdict:
    """The ``State`` of the newest ``service`` container of ``project`` when its status is ``status``; else the NOT YET
    that says ``to_do`` (no container) or to run ``docker compose ... COMMAND SERVICE``."""
    last = newest(of_service(project, service))
    if last is None:
        return verdict(False, f"there is no {service} container in project {project.name}.", to_do,
                       exercise=exercise_id(project))
    state = state_of(last)
    if state["Status"] != status:
        return verdict(False, f"{service} is {summary(state)}, not {status}.",
                       f"run `docker compose -p {project.name} {command} {service}`, then this check.",
                       exercise=exercise_id(project))
    return state


def check_up(project: Project, service: str, files: list[Path], healthy: bool = True) -> Verdict:
    """After ``docker compose -p PROJECT -f FILE up -d SERVICE``: a container of ``service`` in ``project``, created
    by Compose, running (and ``healthy``: healthy)."""
    exercise = exercise_id(project)
    found = of_service(project, service)
    made = newest(c for c in found if by_compose(c))
    if made is None:
        others = elsewhere(service, project, files)
        if others:
            return verdict(False, f"Compose started {service} in project {others[0]}, not in {project.name}.",
                           f"-p names the project: type `-p {project.name}` as shown, and remove the other one with "
                           f"`docker compose -p {others[0]} down -v` (with `-v`: its volumes too; this lesson's "
                           "own cleanup removes only its project).", exercise=exercise)
        if found:
            return verdict(False, f"the {service} container of project {project.name} was made by the helpers, not "
                           f"by Compose (it has no {VERSION_LABEL} label).",
                           "run the cell with the `docker compose ... up` command, then this check.", exercise=exercise)
        return verdict(False, f"there is no {service} container in project {project.name}.",
                       "run the cell with the `docker compose ... up` command, then this check.", exercise=exercise)
    state = state_of(made)
    health = health_status(state)
    if state["Status"] != "running" or (healthy and health != "healthy"):
        return verdict(False, f"Compose's {service} container is {summary(state)}.",
                       "`docker compose ... up -d --wait` waits until it is healthy; if it never gets there, "
                       f"`docker compose -p {project.name} logs {service}` says why.", exercise=exercise)
    return verdict(True, f"{service} in project {project.name} was created by Compose ({VERSION_LABEL}, "
                   f"config-hash) and is {summary(state)}.", "", exercise=exercise)


def check_down(project: Project, keeps_volumes: bool = False) -> Verdict:
    """After ``docker compose -p PROJECT down``: no container and no network of ``project`` is left
    (``keeps_volumes``: and its named volumes are, as a plain ``down`` leaves them; ``down -v`` is not the step)."""
    exercise = exercise_id(project)
    labels = [f"{PROJECT_LABEL}={project.name}"]
    left = sorted(str(c.name) for c in _containers(labels))
    nets = sorted(str(n.name) for n in client().networks.list(filters={"label": labels}))
    volumes = len(client().volumes.list(filters={"label": labels}))
    if left or nets:
        return verdict(False, f"project {project.name} still has {len(left)} container(s) and {len(nets)} "
                       f"network(s): {', '.join(left + nets)}.",
                       f"run `docker compose -p {project.name} down` (the same -p as `up`), then this check.",
                       exercise=exercise)
    if keeps_volumes and not volumes:
        return verdict(False, f"no container, no network and no volume of project {project.name} is left.",
                       "the volumes went too: a `down -v`, a `docker volume rm`, or the lesson's Clean up did that "
                       "(or the project never came up). A plain `down` keeps "
                       "the named volumes, so the data is there at the next `up`. Bring the project up again "
                       "(`up -d --wait`, the cells above), then `down` without `-v`, then this check.",
                       exercise=exercise)
    return verdict(True, f"no container and no network of project {project.name} is left; volumes kept: "
                   f"{volumes}.", "", exercise=exercise)


def check_stopped(project: Project, service: str, exit_code: int = 0) -> Verdict:
    """After ``docker compose ... stop SERVICE``: its container exists, is exited, with ``exit_code``."""
    state = _last_state(project, service, "run the cells above that start it, then the `stop` command.", "exited",
                        "stop")
    if isinstance(state, Verdict):
        return state
    if state["ExitCode"] != exit_code:
        return verdict(False, f"{service} stopped with exit code {state['ExitCode']}, not {exit_code}.",
                       "137 is a SIGKILL: the grace period ended before the process did.",
                       exercise=exercise_id(project))
    return verdict(True, f"{service} is exited with exit code {exit_code}.", "", exercise=exercise_id(project))


def check_stop_during_update(project: Project, service: str, update: int) -> Verdict:
    """After ``docker compose ... stop -t N SERVICE`` of lesson 08's bot while it handles ``update``: the bot's log
    since its last start says SIGTERM came during that update, and it finished the update and exited 0."""
    state = _last_state(project, service, "run the cells above that start it, then the `stop` command.", "exited",
                        "stop -t 10")
    if isinstance(state, Verdict):
        return state
    bot = newest(of_service(project, service))
    assert bot is not None  # _last_state found it
    log = bot.logs(since=started_at(bot)).decode(errors="replace")  # this start's lines only
    during, done = f"got SIGTERM during update {update}" in log, f"update {update} done" in log
    if state["ExitCode"] != 0:
        return verdict(False, f"{service} stopped with exit code {state['ExitCode']}"
                       + (" during the update" if during else "") + ".",
                       "137 is a SIGKILL: the grace period of that stop ended before the update did. Did the line "
                       "carry `-t 10`? Without it the stop gives the container's own 2 s.",
                       exercise=exercise_id(project))
    if not during:
        return verdict(False, f"{service} exited 0, but update {update} was "
                       + ("over" if done else "not running") + " when the stop came: this stop shows nothing of `-t`.",
                       "an update takes 5 s. Have the line ready in the terminal, run the cell above again (it hands "
                       "the bot a new update), then press Enter within those 5 s.", exercise=exercise_id(project))
    return verdict(True, f"SIGTERM came during update {update}; {service} finished it"
                   + (f" ('update {update} done')" if done else "") + " and exited 0: the 10 s covered it.", "",
                   exercise=exercise_id(project))


def check_running(project: Project, service: str, started_before: str | None = None) -> Verdict:
    """After ``docker compose ... start SERVICE``: its container is running again (``started_before``: the
    ``State.StartedAt`` it had before, so the start must be a new one)."""
    state = _last_state(project, service, "run the cells above that create it.", "running", "start")
    if isinstance(state, Verdict):
        return state
    if started_before is not None and state.get("StartedAt") == started_before:
        return verdict(False, f"{service} runs, but it has not been started again since you looked.",
                       f"stop it, then run `docker compose -p {project.name} start {service}`.",
                       exercise=exercise_id(project))
    return verdict(True, f"{service} is running again"
                   + ("" if started_before is None else " (a new State.StartedAt)") + ".", "",
                   exercise=exercise_id(project))


def check_output(project: Project, done: subprocess.CompletedProcess[str], pattern: str, what: str) -> Verdict:
    """After a command (``exec``, ``logs``, ``docker logs``): it exited 0 and its output matches ``pattern``
    (a regular expression; ``what`` says in words what it should have printed)."""
    exercise = exercise_id(project)
    text = f"{done.stdout}\n{done.stderr}"   # `docker logs` hands the container's stderr to its own
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        hint = f"check the project name (-p {project.name}) and the service name, then run it again."
        if re.search(r"is not running|No such container|no container found", last, re.IGNORECASE):
            hint = (f"Compose finds no running container of that service in project {project.name}. If the names "
                    "are right, it does not run now (after the lesson's Clean up, or before its section started "
                    "it): run the section from its first cell, then this line again.")
        return verdict(False, f"the command failed (exit {done.returncode}): {last}", hint, exercise=exercise)
    found = re.search(pattern, text, re.MULTILINE)
    if found is None:
        return verdict(False, f"the command exited 0 but did not print {what}.",
                       "run the cells above first (the container must have got that far), then this one again.",
                       exercise=exercise)
    return verdict(True, f"exit 0, and it printed {what}.", "", exercise=exercise)


class OneOffRuns:
    """Follows, from now on, the engine's events of the one-off ``service`` containers of ``project`` (what
    ``docker compose run`` makes, typed in a terminal or run by a cell), for :func:`check_run_rm`.

    Live, because the engine keeps only its last 256 events for a later ``docker events --since``: on a busy
    (shared) engine that can be less than a minute. A new follower of the same project and service ends the old."""

    _open: dict[tuple[str, str], OneOffRuns] = {}

    def __init__(self, project: Project, service: str) -> None:
        self.project, self.service, self.since_ns = project, service, time.time_ns()
        self.seen: dict[str, dict[str, str]] = {}  # container id -> action -> exit code ("" for the others)
        labels = [f"{PROJECT_LABEL}={project.name}", f"{SERVICE_LABEL}={service}", f"{ONEOFF_LABEL}=True"]
        self.filters = {"type": ["container"], "label": labels}
        old = self._open.pop((project.name, service), None)
        if old is not None:
            old.close()
        self._follower = events.Follower(self.filters, self._add, name=f"runs of {service}").start()
        self._open[(project.name, service)] = self

    def _add(self, event: events.Event) -> None:
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        self.seen.setdefault(str(event.get("id")), {})[str(event.get("Action"))] = str(attrs.get("exitCode", ""))

    def close(self) -> None:
        """Stop following (idempotent)."""
        self._follower.close()

    def containers(self) -> dict[str, dict[str, str]]:
        """What was seen so far: container id -> {action: exit code ("" for actions without one)}."""
        if self._follower.ended:  # the engine went away meanwhile: what it still keeps is all there is
            for event in events.history(self.filters, self.since_ns, time.time_ns()):
                self._add(event)
        time.sleep(0.2)  # the events of a run that has just ended are on their way
        return dict(self.seen)

    def __repr__(self) -> str:
        return f"<one-off {self.service} containers of {self.project.name}, followed since this cell ran>"


def check_run_rm(runs: OneOffRuns) -> Verdict:
    """After ``docker compose -p PROJECT run --rm SERVICE ...`` (typed, or run by a cell): the engine's events since
    ``runs`` began show one-off containers of the service that exited 0 and were removed."""
    project, service = runs.project, runs.service
    seen = runs.containers()
    done = [actions for actions in seen.values() if actions.get("die") == "0" and "destroy" in actions]
    if not done:
        failed = sorted(a["die"] for a in seen.values() if a.get("die") not in (None, "0"))
        return verdict(False, f"the engine ran {len(seen)} one-off {service} container(s) of project {project.name}"
                       + (f" (exit codes {', '.join(failed)})" if failed else "") + ", none of which exited 0 and "
                       "was removed.", f"type the line printed above with `-p {project.name}` (or run its cell), "
                       "then this check.", exercise=exercise_id(project))
    left = len(seen) - len(done)
    return verdict(True, f"the engine ran {len(done)} one-off {service} container(s) of project {project.name} "
                   f"({ONEOFF_LABEL}=True) that exited 0 and were removed right after (--rm)"
                   + (f"; {left} other(s) did not" if left else "") + ".", "", exercise=exercise_id(project))
