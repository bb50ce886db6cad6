"""Course records and verdict recording without an engine: names, labels, which exercise asked, never failing."""
from __future__ import annotations

import time

import pytest

from helpers import naming, records
from helpers.checks import Verdict, exercise_of, verdict
from helpers.project import CleanupReport


def test_record_names_are_valid_volume_names():
    assert records.volume_name("verdict", "ana", "03_db_port") == "course-record-verdict-ana-03_db_port"
    assert records.volume_name("verdict", "ana", "a b/c") == "course-record-verdict-ana-a_b_c"


def test_a_verdict_record_carries_attempts_and_the_first_pass_forward():
    first = records._verdict_labels("03_db_port", False, "no db", None, "T1")
    assert first[records.VERDICT + "attempts"] == "1" and first[records.VERDICT + "first-passed"] == ""
    second = records._verdict_labels("03_db_port", True, "ok", first, "T2")
    third = records._verdict_labels("03_db_port", False, "broke it again", second, "T3")
    assert second[records.VERDICT + "first-passed"] == "T2"
    assert third[records.VERDICT + "first-passed"] == "T2" and third[records.VERDICT + "attempts"] == "3"
    assert third[records.VERDICT + "passed"] == "false"
    assert len(records._verdict_labels("x", True, "s" * 1000, None, "T")[records.VERDICT + "seen"]) == 300


def test_the_exercise_is_the_check_modules_name_without_ex():
    import pkgutil

    from helpers import checks

    # every module but cli (the Compose-by-hand checks of 03-09, which name their NN_cli id themselves)
    modules = [m.name for m in pkgutil.iter_modules(checks.__path__) if m.name != "cli"]
    assert exercise_of("helpers.checks.cli") is None
    assert [exercise_of(f"helpers.checks.{m}") for m in modules] == [m[2:] for m in modules]
    assert "03_db_port" in [m[2:] for m in modules]
    assert all(hasattr(__import__(f"helpers.checks.{m}", fromlist=["check"]), "check") for m in modules)
    assert exercise_of(__name__) is None and exercise_of("helpers.checks") is None  # not an exercise module


def test_a_verdict_is_recorded_under_the_module_that_answered(monkeypatch):
    from helpers.checks import ex03_db_port

    seen = []
    monkeypatch.setattr(records, "record_verdict", lambda *a: seen.append(a))
    namespace = {"__name__": ex03_db_port.__name__, "verdict": verdict}
    source = "def check():\n    return _helper()\ndef _helper():\n    return verdict(False, 'no db', 'run it')\n"
    exec(source, namespace)  # noqa: S102 - a check defined in the module's namespace
    assert str(namespace["check"]()) == "NOT YET: no db\nHint: run it"
    assert seen == [("03_db_port", False, "no db")]


def test_verdict_outside_an_exercise_module_records_nothing(monkeypatch):
    seen = []
    monkeypatch.setattr(records, "record_verdict", lambda *a: seen.append(a))
    assert verdict(True, "fine", "never shown") == Verdict(True, "fine", "")
    assert seen == []


class _Hanging:
    """An engine that never answers."""

    class volumes:  # noqa: N801 - mimics client.volumes
        @staticmethod
        def get(name):
            time.sleep(5)


class _Broken:
    class volumes:  # noqa: N801 - mimics client.volumes
        @staticmethod
        def get(name):
            raise RuntimeError("engine gone")


@pytest.mark.parametrize("engine", [_Hanging, _Broken])
def test_recording_never_fails_and_never_takes_more_than_a_second(monkeypatch, engine):
    monkeypatch.delenv("COURSE_REPLAY", raising=False)
    monkeypatch.setattr(records, "client", lambda: engine)
    started = time.monotonic()
    records.record_verdict("03_db_port", True, "ok")
    assert time.monotonic() - started < records.RECORD_SECONDS + 0.3


def test_recording_is_off_in_a_replay(monkeypatch):
    monkeypatch.setenv("COURSE_REPLAY", "x")
    monkeypatch.setattr(records, "client", lambda: pytest.fail("no engine in a replay"))
    records.record_verdict("03_db_port", True, "ok")


def test_a_cleanup_report_names_records_apart_from_volumes():
    assert str(CleanupReport()) == "nothing to clean up"
    assert str(CleanupReport(records=["r"])) == "removed 0 container(s), 0 network(s), 0 volume(s), 1 course record(s)"
    assert str(CleanupReport(volumes=["v"])) == "removed 0 container(s), 0 network(s), 1 volume(s)"


def test_a_record_is_the_learners_and_in_no_project():
    made = {}

    class Volumes:
        def get(self, name):
            from docker.errors import NotFound
            raise NotFound("no")

        def create(self, name, labels):
            made[name] = labels

    engine = type("E", (), {"volumes": Volumes()})()
    records.put("verdict", "03_db_port", {"k": "v"}, learner="ana", engine=engine)
    labels = made["course-record-verdict-ana-03_db_port"]
    assert labels[naming.COURSE_LABEL] == "true" and labels[naming.LEARNER_LABEL] == "ana"
    assert labels[records.RECORD_LABEL] == "verdict" and labels["k"] == "v"
    assert naming.PROJECT_LABEL not in labels  # what keeps it out of every lesson's cleanup (by project)


def test_a_verdict_renders_its_text_exactly_in_html():
    """Angle brackets are text (``<project>_celerybeat_data``), and a YAML hint keeps its indentation."""
    answer = Verdict(False, "Compose names <project>_celerybeat_data", "volumes:\n  celerybeat_data:")
    page = answer._repr_html_()
    assert "&lt;project&gt;_celerybeat_data" in page and "<project>" not in page
    assert "volumes:\n  celerybeat_data:" in page and "white-space:pre-wrap" in page
    assert "NOT YET" in page and "Hint:" in page
    passed = Verdict(True, "a & b")._repr_html_()
    assert "Hint" not in passed and "a &amp; b" in passed
