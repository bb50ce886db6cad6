"""Exercise of ``04_health_and_restart``: the worker's restart policy brings it back after a crash and after exit 0,
not after ``docker stop`` (also across an engine restart). The check leaves the worker stopped."""

from __future__ import annotations

import time

from docker.models.containers import Container

from .. import events, wait
from ..containers import state_of
from ..faults import crash
from ..project import Project
from . import Verdict, again, container_of, verdict

SERVICE = "worker"
STAY_DOWN_SECONDS = 3.0  # after `docker stop`, a restart would come within ~100 ms; 3 s is plenty
_RETRY = again("The check crashed and stopped the worker:")
_TABLE = "«3. The four restart policies, side by side»"
_ANSWER = ("restart_policy={\"Name\": \"unless-stopped\"} (in a compose file: `restart: unless-stopped`): back "
           "after a crash and after exit 0, and down after `docker stop`, even across an engine restart.")


def outcome(container: Container, before: int, timeout: float = 20) -> str:
    """After the main process ended: ``"restarted"`` if the engine restarts it (``RestartCount`` rises above
    ``before``), ``"stayed down"`` if it marks the container exited; waits (on events) for that decision."""

    def restarted() -> bool:
        return int(container.attrs.get("RestartCount", 0)) > before

    wait.wait_until(container, lambda s: restarted() or (s.get("Status") in ("exited", "dead")
                                                          and not s.get("Restarting")),
                    "restarted or exited after its process ended", timeout)
    return "restarted" if restarted() else "stayed down"


def end_by_itself(container: Container) -> None:
    """Make the worker's main process exit 0 on its own: SIGTERM from inside the container, not through the API."""
    container.exec_run(["sh", "-c", "kill -TERM 1"])


def check(project: Project) -> Verdict:
    """The worker's restart policy: back after a crash and after exit 0, down after `docker stop`, unless-stopped."""
    worker = container_of(project, SERVICE, "the worker")
    if isinstance(worker, Verdict):
        return worker
    status = state_of(worker).get("Status")
    policy = worker.attrs["HostConfig"].get("RestartPolicy") or {}
    name, retries = policy.get("Name") or "no", int(policy.get("MaximumRetryCount") or 0)
    name = f"{name}:{retries}" if name == "on-failure" and retries else name
    if status != "running":
        return verdict(False, f"the worker is {status}, not running.",
                       "run the exercise cell again (it recreates the worker), then this check.")
    steps = (  # what happens to the worker; what was seen and the hint when the engine leaves it down
        (crash, f"after a crash (exit 137) the worker stayed down; its restart policy is {name!r}.",
         f"restart_policy={{'Name': {name!r}}} never restarts anything. Choose a policy that restarts a container "
         f"whose process died, whatever its exit code: one of those that brought the crashed worker back in {_TABLE}."),
        (end_by_itself, f"it came back after the crash, but not after exiting by itself with code 0 (restart policy "
         f"{name!r}).", "on-failure restarts only non-zero exits (and on-failure:N at most N times). The worker must "
         f"come back whatever its exit code: see the 'exits 0 by itself' column of the table in {_TABLE}."),
    )
    for action, seen, hint in steps:
        before = int(worker.attrs.get("RestartCount", 0))
        action(worker)
        if outcome(worker, before) == "stayed down":
            return verdict(False, seen, hint + _RETRY, answer=_ANSWER)
        wait.wait_restarted(worker, after=before, timeout=20)
    count = int(worker.attrs.get("RestartCount", 0))
    # `docker stop`, then the engine's events for a few seconds: a restart would be a start event
    worker.stop(timeout=5)
    wait.wait_exited(worker, timeout=15)
    since, began = time.time_ns(), time.time()
    starts = events.history({"container": worker.id, "event": "start"}, since, since + int(STAY_DOWN_SECONDS * 1e9))
    wait.record(f"no start for {STAY_DOWN_SECONDS:.0f} s after docker stop", worker.name, began, not starts)
    if starts:
        return verdict(False, f"after `docker stop` the worker started again (restart policy {name!r}).",
                       "nothing you can set restarts a container after `docker stop`: was the worker started again "
                       "by someone else? Run the exercise cell again, then this check.")
    if name != "unless-stopped":
        return verdict(False, f"restart policy {name!r}: it came back after a crash and after exit 0, and stayed "
                       "down after `docker stop` - but only until the engine restarts.",
                       "with `always`, a container you stopped by hand starts again when the Docker engine restarts "
                       "(a reboot, a Docker Desktop update). One policy remembers that you stopped it, even then: "
                       f"which one, the first table in {_TABLE} says." + _RETRY, answer=_ANSWER)
    return verdict(True, f"restart policy {name!r}: back after a crash and after exit 0 (RestartCount {count}), "
                   f"still {state_of(worker)['Status']} {STAY_DOWN_SECONDS:.0f} s after `docker stop`.", "")
