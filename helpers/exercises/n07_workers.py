"""Exercise check for ``07_collectors_and_celery.ipynb``, and the two ways that notebook watches its workers.

* :func:`wait_for_log` waits for a line in a container's log (Celery says "ready.", beat says "Sending due task"):
  it follows the log stream, so it returns the moment the line is written, without polling.
* :func:`redis_monitor` runs ``redis-cli MONITOR`` in the project's Redis for a few seconds: every command any
  client sends, with the number of the database it went to and the client's address.

:func:`check` inspects the live ``spare-liquidations`` collector of the exercise: the ``REDIS_URL`` it was given
(``Config.Env``) and, through ``MONITOR``, the database its ``LPUSH`` really lands in. The collectors' records
belong in database 1, where the move task collects them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from docker.models.containers import Container

from ..engine import client
from ..project import Project
from ..wait import state_of, summary, wait_log
from . import Verdict, verdict

SERVICE = "spare-liquidations"
REDIS_SERVICE = "redis"
COLLECTOR_DB = 1              # the database the collectors write to and the move task reads from
MONITOR_SECONDS = 5           # a collector pushes once a second: 5 s of MONITOR is plenty to see one push

_RETRY = " Then run the exercise cell again (it recreates the collector), and this check."


# --- watching -------------------------------------------------------------------------------------------------

def started_at(container: Container) -> datetime:
    """``State.StartedAt`` as a datetime (the engine's clock, UTC), e.g. to read only the logs of the latest start."""
    text = state_of(container)["StartedAt"]
    head, _, frac = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00")


wait_for_log = wait_log  # the notebook's name for helpers.wait.wait_log


@dataclass(frozen=True)
class RedisCommand:
    """One line of ``redis-cli MONITOR``: the database, the client's IP, the command and its first argument."""

    db: int
    ip: str
    name: str
    key: str


_MONITOR_LINE = re.compile(r'^\d+\.\d+ \[(\d+) ([^\]]+)\] "([^"]+)"(?: "((?:[^"\\]|\\.)*)")?')


def parse_monitor_line(line: str) -> RedisCommand | None:
    """``1764150000.123 [1 172.18.0.5:40112] "LPUSH" "collected:collector" "{...}"`` -> a :class:`RedisCommand`."""
    match = _MONITOR_LINE.match(line.strip())
    if not match:
        return None
    db, address, name, key = match.groups()
    return RedisCommand(int(db), address.rsplit(":", 1)[0], name.upper(), key or "")


def redis_container(project: Project) -> Container | None:
    """The project's running Redis container, or None."""
    running = [c for c in project.containers(REDIS_SERVICE) if c.status == "running"]
    return running[-1] if running else None


def redis_monitor(project: Project, seconds: float = MONITOR_SECONDS,
                  stop_when: Callable[[RedisCommand], bool] | None = None) -> list[RedisCommand]:
    """The commands the project's Redis receives during ``seconds`` (``redis-cli MONITOR`` inside its container).

    ``stop_when(command)`` returning True ends the watch early. ``timeout`` (coreutils) ends redis-cli itself,
    so nothing is left running in the Redis container.
    """
    redis = redis_container(project)
    if redis is None:
        return []
    api = client().api
    exec_id = api.exec_create(redis.id, ["timeout", str(int(seconds)), "redis-cli", "monitor"])["Id"]
    stream = api.exec_start(exec_id, stream=True)
    seen: list[RedisCommand] = []
    buffer = b""
    try:
        for chunk in stream:
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for raw in lines:
                command = parse_monitor_line(raw.decode(errors="replace"))
                if command is None:
                    continue
                seen.append(command)
                if stop_when and stop_when(command):
                    return seen
    finally:
        close = getattr(stream, "close", None)
        if close:
            close()
    return seen


def ips(project: Project) -> dict[str, str]:
    """The IP address of each running container of the project on its networks -> its service name."""
    found: dict[str, str] = {}
    for container in project.containers():
        if container.status != "running":
            continue
        service = container.labels.get("com.docker.compose.service", container.name)
        for net in (container.attrs.get("NetworkSettings", {}).get("Networks") or {}).values():
            if net.get("IPAddress"):
                found[net["IPAddress"]] = service
    return found


def redis_url(container: Container) -> str | None:
    """The ``REDIS_URL`` in the container's environment (``Config.Env``), or None."""
    env = dict(item.split("=", 1) for item in container.attrs["Config"].get("Env") or [] if "=" in item)
    return env.get("REDIS_URL")


# --- the exercise ---------------------------------------------------------------------------------------------

def check(project: Project) -> Verdict:
    """The spare collector's records land in Redis database 1 (seen by MONITOR), not in Celery's database 0."""
    found = project.containers(SERVICE)
    if not found:
        return verdict(False, f"there is no {SERVICE} container in this project.",
                       "run the exercise cell (it starts the spare collector), then this check.")
    spare = found[-1]
    state = state_of(spare)
    url = redis_url(spare)
    given = f"REDIS_URL={url}" if url else "no REDIS_URL (the collector's default: database 1)"
    if state.get("Status") != "running":
        last = (spare.logs(tail=1).decode(errors="replace").strip() or "(no log)")[-160:]
        return verdict(False, f"{SERVICE} is {summary(state)}; its last log line: {last}",
                       "the collector must keep running: is the command `python -m apis.collectors.liquidations`?"
                       + _RETRY)
    if redis_container(project) is None:
        return verdict(False, "no Redis container of this project is running.",
                       "run the notebook from section 1 (it starts redis and the collectors), then the exercise.")
    ip = next(iter((spare.attrs["NetworkSettings"].get("Networks") or {}).values()), {}).get("IPAddress", "")
    pushes = [c for c in redis_monitor(project, stop_when=lambda c: c.ip == ip and c.name == "LPUSH")
              if c.ip == ip and c.name == "LPUSH"]
    if not pushes:
        last = (spare.logs(tail=1).decode(errors="replace").strip() or "(no log)")[-160:]
        return verdict(False, f"{given}, but Redis saw no LPUSH from {SERVICE} in {MONITOR_SECONDS} s. "
                       f"Its last log line: {last}",
                       "in redis://HOST:PORT/DB the host must be the service name `redis` (Docker's DNS on the "
                       "project network resolves it) and the port 6379." + _RETRY)
    db, key = pushes[0].db, pushes[0].key
    if db == 0:
        return verdict(False, f"{given}: its LPUSH {key} goes to database 0, Celery's database. The move task "
                       f"reads database {COLLECTOR_DB} and never sees these records.",
                       "that value comes from the env file (the stack's .env sets REDIS_URL for Celery). Put "
                       "REDIS_URL into the `environment` dict of the exercise cell: it is merged after the file, so "
                       "it wins, as Compose's `environment:` wins over `env_file:`. The number after the last `/` "
                       "is the database." + _RETRY)
    if db != COLLECTOR_DB:
        return verdict(False, f"{given}: its LPUSH {key} goes to database {db}, which nobody reads.",
                       f"the collectors and the move task share database {COLLECTOR_DB}: the number after the last "
                       "`/` of REDIS_URL." + _RETRY)
    return verdict(True, f"{given}: its LPUSH {key} goes to database {db}, with the other collectors' records, "
                   "where the move task collects them.", "")


__all__ = ["COLLECTOR_DB", "SERVICE", "RedisCommand", "check", "ips", "parse_monitor_line", "redis_container",
           "redis_monitor", "redis_url", "started_at", "wait_for_log"]
