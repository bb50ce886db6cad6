"""Exercise checks for ``04_health_and_restart.ipynb``: pick the restart policy of a worker.

The worker must come back after a crash, come back when its process ends by itself (even with exit code 0), and
stay down after ``docker stop``, also across an engine restart. :func:`check` inspects the live container's
``HostConfig.RestartPolicy`` and tests its behaviour: it crashes the worker (SIGKILL from outside the API), makes
it exit 0 by itself, then stops it. The check leaves the worker stopped: run the exercise cell again to retry.
"""

from __future__ import annotations

import time
from typing import Any

from docker.models.containers import Container

from .. import wait
from ..engine import client
from ..faults import crash
from ..project import Project
from . import Verdict, verdict

SERVICE = "worker"
STAY_DOWN_SECONDS = 3.0  # after `docker stop`, a restart would come within ~100 ms; 3 s is plenty

_RETRY = " (The check crashed and stopped the worker: run the exercise cell again, then this check.)"


def _policy(container: Container) -> dict[str, Any]:
    container.reload()
    return dict(container.attrs.get("HostConfig", {}).get("RestartPolicy") or {})


def _policy_text(policy: dict[str, Any]) -> str:
    name = policy.get("Name") or "no"
    retries = int(policy.get("MaximumRetryCount") or 0)
    return f"{name}:{retries}" if name == "on-failure" and retries else name


def outcome(container: Container, before: int, timeout: float = 20) -> str:
    """After the main process ended: ``"restarted"`` if the engine restarts it, else ``"stayed down"``.

    The engine decides at the moment the process dies: it either counts a restart (``RestartCount`` rises and the
    status turns ``restarting``) or marks the container ``exited``. This waits (on events) for that decision.
    """

    def decided(state: dict[str, Any]) -> bool:
        restarted = int(container.attrs.get("RestartCount", 0)) > before
        return restarted or (state.get("Status") in ("exited", "dead") and not state.get("Restarting"))

    wait.wait_until(container, decided, "restarted or exited after its process ended", timeout)
    return "restarted" if int(container.attrs.get("RestartCount", 0)) > before else "stayed down"


def end_by_itself(container: Container) -> None:
    """Make the worker's main process exit 0 on its own: SIGTERM from inside the container, not through the API."""
    container.exec_run(["sh", "-c", "kill -TERM 1"])


def _stays_down_after_stop(container: Container) -> bool:
    """``docker stop``, then watch the engine's events for a start for a few seconds (a restart would be one)."""
    container.stop(timeout=5)
    wait.wait_exited(container, timeout=15)
    since = time.time()
    events = client().events(
        since=since, until=since + STAY_DOWN_SECONDS, decode=True,
        filters={"container": container.id, "event": "start"},
    )
    return not list(events)


def check(project: Project) -> Verdict:
    """The worker's restart policy: back after a crash and after exit 0, down after `docker stop`, unless-stopped."""
    found = project.containers(SERVICE)
    if not found:
        return verdict(False, "there is no worker container in this project.",
                       "run the exercise cell (it starts the worker), then this check.")
    worker = found[-1]
    policy = _policy(worker)
    name = _policy_text(policy)
    if worker.attrs["State"].get("Status") != "running":
        return verdict(False, f"the worker is {worker.attrs['State'].get('Status')}, not running.",
                       "run the exercise cell again (it recreates the worker), then this check.")

    before = int(worker.attrs.get("RestartCount", 0))
    crash(worker)
    if outcome(worker, before) == "stayed down":
        return verdict(
            False, f"after a crash (exit 137) the worker stayed down; its restart policy is {name!r}.",
            f"restart_policy={{'Name': {name!r}}} never restarts anything. Choose a policy that restarts a "
            "container whose process died, whatever its exit code: one of the policies that brought the crashed "
            "container back in section 3." + _RETRY)
    wait.wait_restarted(worker, after=before, timeout=20)

    before = int(worker.attrs.get("RestartCount", 0))
    end_by_itself(worker)
    if outcome(worker, before) == "stayed down":
        return verdict(
            False, f"it came back after the crash, but not after exiting by itself with code 0 "
            f"(restart policy {name!r}).",
            "on-failure restarts only non-zero exits (and on-failure:N at most N times). The worker must come "
            "back whatever its exit code: see the 'exits 0 by itself' column of the table in section 3." + _RETRY)
    wait.wait_restarted(worker, after=before, timeout=20)

    count = int(worker.attrs.get("RestartCount", 0))
    if not _stays_down_after_stop(worker):
        return verdict(False, f"after `docker stop` the worker started again (restart policy {name!r}).",
                       "nothing you can set restarts a container after `docker stop`: was the worker started "
                       "again by someone else? Run the exercise cell again, then this check.")
    worker.reload()
    if name != "unless-stopped":
        return verdict(
            False, f"restart policy {name!r}: it came back after a crash and after exit 0, and stayed down after "
            "`docker stop` - but only until the engine restarts.",
            "with `always`, a container you stopped by hand starts again when the Docker engine restarts (a reboot, "
            "a Docker Desktop update). One policy remembers that you stopped it, even then: the last row of the "
            "table in section 3." + _RETRY)
    return verdict(
        True, f"restart policy {name!r}: back after a crash and after exit 0 (RestartCount {count}), still "
        f"{worker.attrs['State']['Status']} {STAY_DOWN_SECONDS:.0f} s after `docker stop`.", "")


__all__ = ["SERVICE", "check", "end_by_itself", "outcome"]
