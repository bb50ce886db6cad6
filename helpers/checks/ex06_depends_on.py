"""Exercise of ``06_depends_on``: the backend starts only once the db is *healthy* (the engine's events, as the
exercise cell's :class:`~helpers.timeline.Timeline` recorded them), migrates, and is healthy."""

from __future__ import annotations

from ..containers import health, newest, state_of, summary
from ..project import Project
from ..timeline import Timeline, word
from . import Verdict, again, container_of, verdict

MIGRATION_DONE = "Applying market.0001_initial... OK"  # what `manage.py migrate` prints for the app's table
_CONDITIONS = "«4. The three conditions, and the real Compose»"
_ANSWER = ("`condition: service_healthy` under `depends_on: db:` in the SNIPPET: the backend starts once db's "
           "healthcheck passes.")


def order(timeline: Timeline, actions: tuple[str, ...] = ("start", "healthy", "die")) -> list[tuple[str, str]]:
    """The project's engine events in time order, as ``(service, word)``: ``[("db", "start"), ...]``."""
    return [(e["service"], word(e)) for e in timeline.events if e["action"] in actions]


def check(project: Project, timeline: Timeline) -> Verdict:
    """Backend started only after db was healthy (engine events), its migrate ran, and it is healthy now."""
    db, backend = container_of(project, "db", "db and backend from your file"), newest(project.containers("backend"))
    if isinstance(db, Verdict):
        return db
    if backend is None:
        return verdict(False, "db exists but there is no backend container: `up` never started it.",
                       "read the error the exercise cell printed. If `up` waited for db to exit, the condition was "
                       "service_completed_successfully: it is for one-shot jobs that end (like a migrate job), and a "
                       f"database runs until it is stopped. The table in {_CONDITIONS} has the condition for a "
                       "dependency that needs time to get ready.", answer=_ANSWER)
    healthy_at, started_at = timeline.first("db", "healthy"), timeline.first("backend", "start")
    # the three moments the condition is about, the first time each: db start -> backend start -> db healthy
    wanted = {("db", "start"), ("db", "healthy"), ("backend", "start")}
    steps = " -> ".join(dict.fromkeys(f"{s} {w}" for s, w in order(timeline, ("start", "healthy")) if (s, w) in wanted))
    steps = steps or "no events recorded"
    if started_at is None:
        return verdict(False, f"the timeline saw no start of the backend ({steps}).",
                       "run the exercise cell again: it records the engine's events while it brings the services "
                       "up, and this check reads them.")
    if healthy_at is None or started_at < healthy_at:
        return verdict(False, f"backend started before db was healthy ({steps}).",
                       "`condition: service_started` (which is also what the short form `depends_on: [db]` means) "
                       "waits only until db's container is running. Postgres then needs a few more seconds before it "
                       "accepts connections, and the backend's migrate does not wait: «2. Without a health "
                       f"condition: the backend starts, and fails». The table in {_CONDITIONS} has the condition "
                       "that waits for more." + again(), answer=_ANSWER)
    state, after = state_of(backend), f"backend started after db was healthy ({steps})"
    if state.get("Status") != "running":
        lines = backend.logs(tail=3).decode(errors="replace").strip().splitlines()
        return verdict(False, f"{after}, but it is {summary(state)}.", "read its last log lines: "
                       + (" | ".join(lines[-2:]) or "(none)") + ". The order is right; something else is wrong in "
                       "the file (the password variable, the command?).",
                       answer="change only the condition in the SNIPPET; keep the rest of the exercise cell as "
                       "committed.")
    if health(backend) != "healthy":
        return verdict(False, f"{after}, and is {summary(state)}.",
                       "it is not healthy yet: run this check again in a few seconds.")
    if MIGRATION_DONE not in backend.logs().decode(errors="replace"):
        return verdict(False, f"{after}, but its migrate applied nothing.",
                       "the exercise cell starts from an empty database volume; run it again, then this check.")
    return verdict(True, f"{after}; its migrate applied market.0001_initial and it is healthy.", "")
