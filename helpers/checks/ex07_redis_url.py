"""Exercise of ``07_collectors_and_celery``: the spare collector's ``LPUSH`` (seen by ``redis-cli MONITOR``) must
land in Redis database 1, where the move task collects the records, not in Celery's database 0."""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from typing import NamedTuple, cast

from docker.models.containers import Container

from ..containers import env_of, state_of, summary
from ..project import Project
from . import Verdict, again, container_of, running_container, verdict

SERVICE = "spare-liquidations"
COLLECTOR_DB = 1      # the database the collectors write to and the move task reads from
MONITOR_SECONDS = 5   # a collector pushes once a second: 5 s of MONITOR is plenty to see one push
_RETRY = again()
_DATABASES = "«1. One Redis server, numbered databases»"
_ANSWER = ("\"REDIS_URL\": \"redis://redis:6379/1\" in the `environment` dict of the exercise cell: host `redis`, "
           "port 6379, database 1.")
_MONITOR_LINE = re.compile(r'^\d+\.\d+ \[(\d+) ([^\]]+)\] "([^"]+)"(?: "((?:[^"\\]|\\.)*)")?')


class RedisCommand(NamedTuple):
    """One line of ``redis-cli MONITOR``: the database, the client's IP, the command and its first argument."""

    db: int
    ip: str
    name: str
    key: str


def parse_monitor_line(line: str) -> RedisCommand | None:
    """``1764150000.123 [1 172.18.0.5:40112] "LPUSH" "collected:collector" "{...}"`` -> a :class:`RedisCommand`."""
    match = _MONITOR_LINE.match(line.strip())
    if not match:
        return None
    db, address, name, key = match.groups()
    return RedisCommand(int(db), address.rsplit(":", 1)[0], name.upper(), key or "")


def redis_monitor(project: Project, seconds: float = MONITOR_SECONDS,
                  stop_when: Callable[[RedisCommand], bool] | None = None) -> list[RedisCommand]:
    """The commands the project's running Redis receives during ``seconds`` (``redis-cli MONITOR`` in its
    container; coreutils' ``timeout`` ends it, so nothing is left running); ``stop_when(command)`` ends it early."""
    redis = running_container(project, "redis")
    if redis is None:
        return []
    argv = ["timeout", str(int(seconds)), "redis-cli", "monitor"]
    stream = cast(Generator[bytes, None, None], redis.exec_run(argv, stream=True).output)
    seen: list[RedisCommand] = []
    buffer = b""
    try:
        for chunk in stream:
            *lines, buffer = (buffer + chunk).split(b"\n")
            for command in filter(None, (parse_monitor_line(raw.decode(errors="replace")) for raw in lines)):
                seen.append(command)
                if stop_when and stop_when(command):
                    return seen
    finally:
        stream.close()
    return seen


def _last_line(container: Container) -> str:
    return (container.logs(tail=1).decode(errors="replace").strip() or "(no log)")[-160:]


def check(project: Project) -> Verdict:
    """The spare collector's records land in Redis database 1 (seen by MONITOR), not in Celery's database 0."""
    spare = container_of(project, SERVICE, "the spare collector")
    if isinstance(spare, Verdict):
        return spare
    state, url = state_of(spare), env_of(spare).get("REDIS_URL")
    given = f"REDIS_URL={url}" if url else "no REDIS_URL (the collector's default: database 1)"
    if state.get("Status") != "running":
        return verdict(False, f"{SERVICE} is {summary(state)}; its last log line: {_last_line(spare)}",
                       "the collector must keep running: change only the `environment` dict of the exercise cell, "
                       "not its command." + _RETRY,
                       answer="command=[\"python\", \"-m\", \"apis.collectors.liquidations\"], as committed.")
    if running_container(project, "redis") is None:
        return verdict(False, "no Redis container of this project is running.",
                       "run the notebook from section 1 (it starts redis and the collectors), then the exercise.")
    ip = next((n.get("IPAddress", "") for n in (spare.attrs["NetworkSettings"].get("Networks") or {}).values()), "")

    def is_push(command: RedisCommand) -> bool:
        return command.ip == ip and command.name == "LPUSH"

    pushes = [c for c in redis_monitor(project, stop_when=is_push) if is_push(c)]
    if not pushes:
        return verdict(False, f"{given}, but Redis saw no LPUSH from {SERVICE} in {MONITOR_SECONDS} s. "
                       f"Its last log line: {_last_line(spare)}",
                       "in redis://HOST:PORT/DB the host is a name Docker's DNS resolves on the project network, "
                       f"and the port is the one Redis listens on: {_DATABASES} takes the stack's URLs apart."
                       + _RETRY, answer=_ANSWER)
    db, key = pushes[0].db, pushes[0].key
    if db == 0 and url and not re.search(r"/\d+$", url):
        return verdict(False, f"{given}: its LPUSH {key} goes to database 0, Celery's database. The move task "
                       f"reads database {COLLECTOR_DB} and never sees these records.",
                       "the URL wins over the file's, but it names no database, and a URL without a number after "
                       f"the last `/` is database 0: {_DATABASES}." + _RETRY, answer=_ANSWER)
    if db == 0:
        return verdict(False, f"{given}: its LPUSH {key} goes to database 0, Celery's database. The move task "
                       f"reads database {COLLECTOR_DB} and never sees these records.",
                       "that value comes from the env file (the stack's .env sets REDIS_URL for Celery). An entry "
                       "of the `environment` dict is merged after the file, so it wins, as Compose's `environment:` "
                       f"wins over `env_file:`. {_DATABASES} shows how the collectors override it, and the number "
                       "after the last `/` of the URL is the database." + _RETRY, answer=_ANSWER)
    if db != COLLECTOR_DB:
        return verdict(False, f"{given}: its LPUSH {key} goes to database {db}, which nobody reads.",
                       "the collectors and the move task share one database: the table in "
                       f"{_DATABASES}, and the number after the last `/` of REDIS_URL." + _RETRY, answer=_ANSWER)
    return verdict(True, f"{given}: its LPUSH {key} goes to database {db}, with the other collectors' records, "
                   "where the move task collects them.", "")
