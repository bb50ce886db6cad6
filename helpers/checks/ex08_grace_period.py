"""Exercise of ``08_bot_grace_period``: a ``stop_grace_period`` (``Config.StopTimeout``) that lets the tg bot finish
the update in hand after SIGTERM, judged by one :func:`stop_during_update`. The check leaves the bot stopped."""

from __future__ import annotations

import json
from typing import NamedTuple

from docker.models.containers import Container

from .. import wait
from ..containers import env_of, run_in, state_of, summary
from ..project import Project
from . import Verdict, again, container_of, running_container, verdict

QUEUE = "tg:updates"          # apis.market.keys.TG_QUEUE
DEFAULT_STOP_TIMEOUT = 10     # what `docker stop` waits when the container has no Config.StopTimeout
DEFAULT_UPDATE_SECONDS = 5.0  # settings.TG_UPDATE_SECONDS when the environment does not set it
LONGEST_SENSIBLE = 60         # a grace period above this holds up every stop and deploy for a hung bot
_RETRY = again("The check stopped the bot:")
_HOW_LONG = "«4. `docker stop -t`: the grace period of one stop»"  # it ends with "How long should it be?"
MARGIN = 3  # seconds above one update that the answer suggests (the solution's 15 s for 12 s updates)


def push_update(redis: Container, update_id: int, text: str = "hello") -> int:
    """``redis-cli LPUSH tg:updates '{"update_id": ..., "text": ...}'`` in the redis container; the list's length."""
    code, output = run_in(redis, ["redis-cli", "LPUSH", QUEUE, json.dumps({"update_id": update_id, "text": text})])
    if code != 0:
        raise RuntimeError(f"LPUSH failed: {output.strip()}")
    return int(output.strip() or 0)


def message(line: str) -> str:
    """A bot log line without its timestamp: ``tg: update 7 done (1 done so far)``."""
    return line.split(" INFO ", 1)[-1].strip()


class StopResult(NamedTuple):
    """What a ``docker stop`` during an update gave."""

    exit_code: int
    finished: bool          # the bot logged "update N done"
    lines: tuple[str, ...]  # the bot's log lines from "update N started" on, without timestamps


def stop_during_update(tg: Container, redis: Container, update_id: int, *, stop_timeout: int | None = None,
                       timeout: float = 60) -> StopResult:
    """Hand the bot one update, wait for ``update N started``, then ``docker stop`` it (``-t stop_timeout``;
    None: the container's ``Config.StopTimeout``, i.e. ``stop_grace_period``, or 10 s when that is not set)."""
    push_update(redis, update_id)
    started = f"update {update_id} started"
    wait.wait_log(tg, started, timeout)
    tg.stop(**({} if stop_timeout is None else {"timeout": stop_timeout}))
    wait.wait_exited(tg, timeout=timeout)
    lines = tg.logs().decode(errors="replace").splitlines()
    first = next((i for i, line in enumerate(lines) if started in line), len(lines))
    mine = tuple(message(line) for line in lines[first:])  # this update, and what the bot logged after it
    return StopResult(int(tg.attrs["State"]["ExitCode"]), any(f"update {update_id} done" in m for m in mine), mine)


def update_seconds(container: Container) -> float:
    """The bot's ``TG_UPDATE_SECONDS`` from its ``Config.Env`` (the settings' default 5 when not set)."""
    return float(env_of(container).get("TG_UPDATE_SECONDS", DEFAULT_UPDATE_SECONDS))


def check(project: Project, timeout: float = 60) -> Verdict:
    """The bot's grace period: long enough to finish an update of TG_UPDATE_SECONDS, and not absurdly long."""
    tg, redis = container_of(project, "tg", "the bot from your file"), running_container(project, "redis")
    if isinstance(tg, Verdict):
        return tg
    if redis is None:
        return verdict(False, "Redis (service `redis`) is not running, so the bot gets no updates.",
                       "run the notebook from section 1 (it starts redis), then the exercise cell and this check.")
    state = state_of(tg)
    if state.get("Status") != "running":
        return verdict(False, f"the bot is {summary(state)}, not running.",
                       "run the exercise cell again (it recreates the bot), then this check.")
    grace, n = tg.attrs["Config"].get("StopTimeout"), update_seconds(tg)
    waited = DEFAULT_STOP_TIMEOUT if grace is None else int(grace)
    setting = (f"no stop_grace_period (Config.StopTimeout not set: docker stop waits {DEFAULT_STOP_TIMEOUT} s)"
               if grace is None else f"stop_grace_period {grace} s (Config.StopTimeout {grace})")
    print(f"handing the bot one update ({n:g} s of work), then docker stop while it works: about "
          f"{min(n, waited) + 1:g} s ...", flush=True)  # the stop ends when the bot exits or the grace period ends
    started = sum(" started" in line for line in tg.logs().decode(errors="replace").splitlines())
    result = stop_during_update(tg, redis, 90001 + started, timeout=timeout)  # an id this bot has not had
    above = f"What must the grace period cover, then? The end of {_HOW_LONG} has the rule."
    clean = result.exit_code == 0 and result.finished
    answer = (f"`stop_grace_period: {int(n) + MARGIN}s` in the service: one update ({n:g} s) plus a margin for "
              f"the bot to record its progress and exit (anything from a few seconds above {n:g} s to "
              f"{LONGEST_SENSIBLE} s passes).")
    if clean and waited > LONGEST_SENSIBLE:
        return verdict(False, f"{setting}: the bot finished its {n:g} s update and exited 0, but the grace period "
                       f"is {waited} s.", "it works, but the grace period is also how long a bot that hangs holds "
                       "up `docker compose stop`, `down` and every deploy before it is killed: how long it should "
                       f"be is at the end of {_HOW_LONG}. Keep it at most {LONGEST_SENSIBLE} s." + _RETRY,
                       answer=answer)
    if clean and waited <= n:
        return verdict(False, f"{setting}: this time the bot finished its update and exited 0, but the grace "
                       f"period is not longer than one update ({n:g} s).", "It was a near thing: SIGTERM came a "
                       "moment after the update started. Had it come at the very start, the bot would have needed "
                       f"the full {n:g} s and a moment to exit. {above}" + _RETRY, answer=answer)
    if clean:
        return verdict(True, f"{setting}, updates of {n:g} s: SIGTERM came during an update, the bot finished it "
                       "('update ... done') and exited 0 before the grace period ran out.", "")
    if result.exit_code == 137:
        if grace is None:
            hint = (f"Without stop_grace_period the engine waits {DEFAULT_STOP_TIMEOUT} s, less than one update "
                    f"({n:g} s): «1. The bot, and how it stops» has the three steps of `docker stop`, and the key "
                    "that sets the second.")
        elif waited <= n:
            hint = (f"{waited} s is not more than one update ({n:g} s). SIGTERM can come right after an update "
                    f"started; the bot then needs up to {n:g} s, and a moment to exit, as «3. The same with 2 s: "
                    f"SIGKILL» showed. {above}")
        else:
            hint = (f"{waited} s is only just above one update ({n:g} s): the bot also needs a moment to record "
                    f"its progress and exit. Leave a margin: the end of {_HOW_LONG} says how much.")
        return verdict(False, f"{setting}: SIGTERM came just after a {n:g} s update started; {waited} s later the "
                       "engine sent SIGKILL: exit 137, no 'done' line.", hint + _RETRY, answer=answer)
    return verdict(False, f"{setting}: after docker stop the bot exited with code {result.exit_code}; it logged: "
                   f"{' | '.join(result.lines) or 'nothing about the update'}.",
                   "read `docker logs` of the bot: did it start at all?" + _RETRY)
