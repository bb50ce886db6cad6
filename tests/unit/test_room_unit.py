"""The room view without an engine: stats arithmetic, grouping by learner label, records, rendering."""
from __future__ import annotations

from helpers import naming, records
from workshop import room


def test_usage_is_computed_as_docker_stats_computes_it():
    v2 = {"memory_stats": {"usage": 300, "stats": {"inactive_file": 100}},
          "cpu_stats": {"cpu_usage": {"total_usage": 2_000}, "system_cpu_usage": 20_000, "online_cpus": 2},
          "precpu_stats": {"cpu_usage": {"total_usage": 1_000}, "system_cpu_usage": 10_000}}
    assert room.usage(v2) == (200, 20.0)
    v1 = {"memory_stats": {"usage": 300, "stats": {"total_inactive_file": 50}}, "cpu_stats": {}, "precpu_stats": {}}
    assert room.usage(v1) == (250, None)
    assert room.usage({}) == (None, None)


class _Container:
    def __init__(self, name, learner, project, service, status="running", health=None, restarts=0):
        self.id, self.name, self.status = name, name, status
        self.labels = {naming.COURSE_LABEL: "true", naming.LEARNER_LABEL: learner, naming.PROJECT_LABEL: project,
                       naming.SERVICE_LABEL: service}
        state = {"Status": status, **({"Health": {"Status": health}} if health else {})}
        self.attrs = {"State": state, "RestartCount": restarts}

    @property
    def health(self):  # as docker-py's Container.health
        return (self.attrs["State"].get("Health") or {}).get("Status", "unknown")

    def stats(self, stream):
        assert stream is False
        return {"memory_stats": {"usage": 2**20 * 10, "stats": {}}}


class _Labelled:
    def __init__(self, labels):
        self.attrs = {"Labels": labels}


class FakeEngine:
    def __init__(self, containers, volumes=(), networks=()):
        self.containers = type("C", (), {"list": lambda _s, **kw: list(containers)})()
        self.volumes = type("V", (), {"list": lambda _s, **kw: [_Labelled(v) for v in volumes]})()
        self.networks = type("N", (), {"list": lambda _s, **kw: [_Labelled(n) for n in networks]})()


def _verdict(learner, exercise, passed):
    labels = records._verdict_labels(exercise, passed, "seen it", None, "2026-12-01T19:32:05Z")
    return {naming.COURSE_LABEL: "true", naming.LEARNER_LABEL: learner, naming.RECORD_LABEL: "verdict", **labels}


def _engine():
    return FakeEngine(
        [_Container("05-backend-ana-db-1", "ana", "05-backend-ana", "db", health="healthy", restarts=2),
         _Container("05-backend-ana-tg-1", "ana", "05-backend-ana", "tg", status="exited"),
         _Container("03-db-bob-db-1", "bob", "03-db-bob", "db")],
        volumes=[_verdict("ana", "03_db_port", True), _verdict("bob", "03_db_port", False),
                 {naming.COURSE_LABEL: "true", naming.LEARNER_LABEL: "cy", naming.PROJECT_LABEL: "09-whole-file-cy"},
                 {naming.COURSE_LABEL: "true", naming.LEARNER_LABEL: "ana", naming.RECORD_LABEL: "ports",
                  "io.compose-course.ports.db": "20000", "io.compose-course.ports.backend": "20002"}])


def test_snapshot_groups_by_learner_with_services_answers_and_ports():
    seen = room.snapshot(_engine())
    assert [item.learner for item in seen.learners] == ["ana", "bob", "cy"]
    ana = seen.get("ana")
    assert [(s.service, s.state, s.health, s.restarts) for s in ana.services] == [
        ("db", "running", "healthy", 2), ("tg", "exited", "-", 0)]
    assert ana.memory == 2**20 * 10 and ana.running == 1  # only running containers are sampled
    assert ana.ports == {"DB_PORT": 20000, "BACKEND_PORT": 20002}
    assert [(a.exercise, a.passed, a.attempts) for a in ana.answers] == [("03_db_port", True, 1)]
    assert seen.get("cy").projects == {"09-whole-file-cy": 1}  # volumes left without containers


def test_text_and_html_show_every_learner_and_verdict():
    seen = room.snapshot(_engine())
    text = room.render_text(seen)
    assert "ana · 1 running of 2 container(s) · memory 10 MiB" in text
    assert "exercise 03_db_port PASSED 19:32 (1 attempt)" in text
    assert "exercise 03_db_port NOT YET 19:32 (1 attempt): seen it" in text
    assert "09-whole-file-cy: no containers" in text
    page = room.render_html(seen)
    assert page.count("<h4>") == 3 and "NOT YET" in page and "PASSED" in page
    assert "no learner" in room.render_text(room.snapshot(FakeEngine([])))


def test_without_stats_no_container_is_sampled():
    engine = _engine()
    for c in engine.containers.list():
        c.stats = None  # would fail if called
    assert room.snapshot(engine, stats=False).get("ana").memory == 0
