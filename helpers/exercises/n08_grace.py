"""Exercise checks for ``08_bot_grace_period.ipynb``: a grace period that lets the tg bot finish its update.

The bot (``python manage.py tg``, see ``stack/apis/market/management/commands/tg.py``) takes updates from the Redis
list ``tg:updates`` and spends ``TG_UPDATE_SECONDS`` on each; on SIGTERM it finishes the update in hand, logs
``update N done`` and exits 0. :func:`check` reads the live bot's ``Config.StopTimeout`` (what
``stop_grace_period`` became) and its ``TG_UPDATE_SECONDS``, hands it an update, waits for the log line
``update N started``, then stops it the way ``docker stop`` does without ``-t`` and reads the outcome. The check
leaves the bot stopped: run the exercise cell again to retry.

Also here, for the notebook: :func:`wait_log` (wait for a log line by following the log stream, no sleeps),
:func:`push_update` and :func:`stop_during_update`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass

from docker.models.containers import Container

from .. import wait
from ..project import Project
from . import Verdict, verdict

QUEUE = "tg:updates"          # apis.market.keys.TG_QUEUE
DEFAULT_STOP_TIMEOUT = 10     # what `docker stop` waits when the container has no Config.StopTimeout
DEFAULT_UPDATE_SECONDS = 5.0  # settings.TG_UPDATE_SECONDS when the environment does not set it
LONGEST_SENSIBLE = 60         # a grace period above this holds up every stop and deploy for a hung bot


def wait_log(container: Container, text: str, timeout: float = 60) -> str:
    """The first log line containing ``text`` (the log stream is followed; no polling): :func:`helpers.wait.wait_log`
    with a plain text instead of a regex."""
    return wait.wait_log(container, re.escape(text), timeout)


def push_update(redis: Container, update_id: int, text: str = "hello", seconds: float | None = None) -> int:
    """``redis-cli LPUSH tg:updates '{"update_id": ..., ...}'`` in the redis container; returns the list's length."""
    update: dict[str, object] = {"update_id": update_id, "text": text}
    if seconds is not None:
        update["seconds"] = seconds
    result = redis.exec_run(["redis-cli", "LPUSH", QUEUE, json.dumps(update)])
    if result.exit_code != 0:
        raise RuntimeError(f"LPUSH failed: {result.output.decode(errors='replace').strip()}")
    return int(result.output.decode().strip() or 0)


def message(line: str) -> str:
    """A bot log line without its timestamp: ``tg: update 7 done (1 done so far)``."""
    return line.split(" INFO ", 1)[-1].strip()


@dataclass(frozen=True)
class StopResult:
    """What a ``docker stop`` during an update gave: the exit code, the seconds it took, what the bot logged."""

    exit_code: int
    seconds: float
    got_sigterm: bool     # the bot logged that SIGTERM came during the update
    finished: bool        # the bot logged "update N done"
    lines: tuple[str, ...]  # the bot's log lines from "update N started" on, without timestamps


def stop_during_update(tg: Container, redis: Container, update_id: int, *, stop_timeout: int | None = None,
                       seconds: float | None = None, timeout: float = 60) -> StopResult:
    """Hand the bot one update, wait for ``update N started``, then ``docker stop`` it (``-t stop_timeout``).

    ``stop_timeout=None`` is ``docker stop`` without ``-t``: the engine uses the container's ``Config.StopTimeout``
    (``stop_grace_period``), or 10 s when that is not set.
    """
    push_update(redis, update_id, seconds=seconds)
    wait_log(tg, f"update {update_id} started", timeout)
    began = time.monotonic()
    if stop_timeout is None:
        tg.stop()
    else:
        tg.stop(timeout=stop_timeout)
    took = time.monotonic() - began
    wait.wait_exited(tg, timeout=timeout)
    logs = tg.logs().decode(errors="replace")
    lines = logs.splitlines()
    first = max((i for i, line in enumerate(lines) if f"update {update_id} started" in line), default=len(lines))
    mine = tuple(message(line) for line in lines[first:])  # this update, and what the bot logged after it
    return StopResult(
        exit_code=int(tg.attrs["State"]["ExitCode"]),
        seconds=took,
        got_sigterm=any(f"got SIGTERM during update {update_id}:" in line for line in mine),
        finished=any(f"update {update_id} done" in line for line in mine),
        lines=mine,
    )


def update_seconds(container: Container) -> float:
    """The bot's ``TG_UPDATE_SECONDS`` from its ``Config.Env`` (the settings' default 5 when not set)."""
    for item in container.attrs["Config"].get("Env") or []:
        key, _, value = item.partition("=")
        if key == "TG_UPDATE_SECONDS":
            return float(value)
    return DEFAULT_UPDATE_SECONDS


def _last(project: Project, service: str) -> Container | None:
    found = project.containers(service)
    return found[-1] if found else None


_RETRY = " (The check stopped the bot: run the exercise cell again, then this check.)"


def check(project: Project, timeout: float = 60) -> Verdict:
    """The bot's grace period: long enough to finish an update of TG_UPDATE_SECONDS, and not absurdly long."""
    tg, redis = _last(project, "tg"), _last(project, "redis")
    if tg is None:
        return verdict(False, "there is no tg container in this project.",
                       "run the exercise cell (it starts the bot from your file), then this check.")
    if redis is None or wait.state_of(redis).get("Status") != "running":
        return verdict(False, "Redis (service `redis`) is not running, so the bot gets no updates.",
                       "run the notebook from section 1 (it starts redis), then the exercise cell and this check.")
    state = wait.state_of(tg)
    if state.get("Status") != "running":
        return verdict(False, f"the bot is {wait.summary(state)}, not running.",
                       "run the exercise cell again (it recreates the bot), then this check.")

    grace = tg.attrs["Config"].get("StopTimeout")
    n = update_seconds(tg)
    if grace is None:
        setting = f"no stop_grace_period (Config.StopTimeout not set: docker stop waits {DEFAULT_STOP_TIMEOUT} s)"
    else:
        setting = f"stop_grace_period {grace} s (Config.StopTimeout {grace})"
    result = stop_during_update(tg, redis, 90000 + secrets.randbelow(10000), timeout=timeout)
    waited = DEFAULT_STOP_TIMEOUT if grace is None else int(grace)

    if result.exit_code == 0 and result.finished:
        if waited > LONGEST_SENSIBLE:
            return verdict(
                False, f"{setting}: the bot finished its {n:g} s update and exited 0, but the grace period is "
                       f"{waited} s.",
                f"It works, but the grace period is also how long a bot that hangs holds up `docker compose stop`, "
                f"`down` and every deploy before it is killed. A few seconds above one update ({n:g} s) is enough: "
                f"keep it at most {LONGEST_SENSIBLE} s." + _RETRY)
        if waited <= n:
            return verdict(
                False, f"{setting}: this time the bot finished its update and exited 0, but the grace period is "
                       f"not longer than one update ({n:g} s).",
                f"It was a near thing: SIGTERM came a moment after the update started. Had it come at the very "
                f"start, the bot would have needed the full {n:g} s and a moment to exit. Choose a grace period "
                f"above {n:g} s." + _RETRY)
        return verdict(True, f"{setting}, updates of {n:g} s: SIGTERM came during an update, the bot finished it "
                             "('update ... done') and exited 0 before the grace period ran out.", "")
    if result.exit_code == 137:
        seen = (f"{setting}: SIGTERM came just after a {n:g} s update started; {waited} s later the engine sent "
                "SIGKILL: exit 137, no 'done' line.")
        if grace is None:
            hint = (f"Without stop_grace_period the engine waits {DEFAULT_STOP_TIMEOUT} s, less than one update "
                    f"({n:g} s). Add stop_grace_period to the service, long enough for the bot to finish a whole "
                    "update after SIGTERM.")
        elif waited <= n:
            hint = (f"{waited} s is not more than one update ({n:g} s). SIGTERM can come right after an update "
                    f"started; the bot then needs up to {n:g} s, and a moment to exit. Choose a grace period "
                    f"above {n:g} s.")
        else:
            hint = (f"{waited} s is only just above one update ({n:g} s): the bot also needs a moment to record "
                    "its progress and exit. Leave a few seconds of margin.")
        return verdict(False, seen, hint + _RETRY)
    return verdict(False, f"{setting}: after docker stop the bot exited with code {result.exit_code}; "
                          f"it logged: {' | '.join(result.lines) or 'nothing about the update'}.",
                   "read `docker logs` of the bot: did it start at all?" + _RETRY)


__all__ = ["StopResult", "check", "message", "push_update", "stop_during_update", "update_seconds", "wait_log"]
