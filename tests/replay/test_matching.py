"""The replay's matching and the recorder's redaction, on hand-made recordings (no engine)."""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

import course_replay
from course_replay.record import Secrets
from course_replay.replay import ADVICE, Recording, ReplayEngine, request_key
from course_replay.wire import frame, frames

HASH = "ab" * 32


def write(path: Path, exchanges: list[dict[str, Any]], learner: str = "rec") -> Path:
    meta = {"format": "course-replay/1", "recorded": "2026-05-01T10:00:00+00:00", "names": {"learner": learner},
            "engine": {"version": "20.10.24", "api": "1.41"}}
    base: dict[str, Any] = {"query": "", "req_body": None, "status": 200, "reason": "OK", "headers": [], "lat": 0,
                            "body": ""}
    with gzip.open(path, "wt") as f:
        for line in [meta, *({**base, **e} for e in exchanges)]:
            f.write(json.dumps(line) + "\n")
    return path


def served(engine: ReplayEngine, method: str, path: str, query: str = "",
           body: bytes | None = None) -> tuple[Recording, dict[str, Any]]:
    found = engine.match(method, path, query, body)
    assert not isinstance(found, str), found
    return found[0], found[1]


def test_the_key_drops_what_varies_by_run() -> None:
    one = request_key("GET", "/v1.41/events", "until=1700000001&filters=%7B%22b%22%3A1%2C%22a%22%3A2%7D&since=17", None)
    two = request_key("GET", "/v1.45/events", "since=99&filters=%7B%22a%22%3A+2%2C%22b%22%3A+1%7D&until=5", None)
    assert one == two == 'GET /events?filters={"a":2,"b":1}&since=<time>&until=<time>\n'
    tar = {"sha256": "0" * 64, "size": 3}
    assert request_key("POST", "/build", "", tar).endswith("\n<tar>")
    assert request_key("POST", "/x", "", b'{"At": "2026-05-01T10:00:00.5Z"}').endswith('{"At":"<time>"}')


def test_multiplexed_frames_split_and_join() -> None:
    data = frame(1, b"out\n") + frame(2, b"err\n")
    assert [(s, p) for s, p, _ in frames(data) or []] == [(1, b"out\n"), (2, b"err\n")]
    assert frames(b"on a tty\r\n") is None and frames(data[:-1]) is None


def test_secrets_are_found_and_redacted(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DB_PASSWORD='from-the-file'\nPOSTGRES_DB=cryphos\n")
    found = Secrets([str(tmp_path / "*.env"), str(tmp_path / ".env")])
    found.refresh()
    found.scan(b'{"Env":["PGPASSWORD=s3cr3t-value","DJANGO_SECRET_KEY=k3y-value","PATH=/bin"]}')
    found.scan(b"DATABASE_URL=postgres://user:url-pass@db/x")
    text = found.redact(b"from-the-file s3cr3t-value k3y-value url-pass cryphos /bin").decode()
    assert text == "<redacted-secret-1> <redacted-secret-2> <redacted-secret-3> <redacted-secret-4> cryphos /bin"


@pytest.mark.parametrize("key", ["API_KEY", "PASSWORD", "TOKEN", "SECRET"])
def test_a_key_that_is_only_the_secret_word_is_a_secret(tmp_path: Path, key: str) -> None:
    (tmp_path / ".env").write_text(f"{key}=from-the-env-file\n")
    found = Secrets([str(tmp_path / ".env")])
    found.refresh()
    found.scan(f'{{"Env":["{key}=seen-in-traffic"]}}'.encode())
    assert found.redact(b"from-the-env-file seen-in-traffic") == b"<redacted-secret-1> <redacted-secret-2>"


def test_this_runs_values_are_put_back_and_learned(tmp_path: Path) -> None:
    create = {"method": "POST", "path": "/v1.41/containers/create", "query": "name=03-db-rec-db-1",
              "req_body": json.dumps({"Env": ["POSTGRES_PASSWORD=<redacted-secret-1>"],
                                      "Labels": {"com.docker.compose.config-hash": HASH,
                                                 "io.compose-course.learner": "rec"}}),
              "status": 201, "body": '{"Id":"%s"}' % ("c" * 64)}
    listing = {"method": "GET", "path": "/v1.41/containers/json",
               "body": json.dumps([{"Names": ["/03-db-rec-db-1"], "Labels": {"com.docker.compose.config-hash": HASH},
                                    "Env": ["POSTGRES_PASSWORD=<redacted-secret-1>"]}])}
    engine = ReplayEngine(write(tmp_path / "03_db.jsonl.gz", [create, listing]), names={"learner": "ana"})
    body = json.dumps({"Labels": {"io.compose-course.learner": "ana", "com.docker.compose.config-hash": "cd" * 32},
                       "Env": ["POSTGRES_PASSWORD=live-password"]}).encode()
    assert served(engine, "POST", "/v1.41/containers/create", "name=03-db-ana-db-1", body)[1]["status"] == 201
    rec, ex = served(engine, "GET", "/v1.41/containers/json")
    shown = rec.to_live(ex["body"].encode()).decode()
    assert "/03-db-ana-db-1" in shown and "cd" * 32 in shown and "POSTGRES_PASSWORD=live-password" in shown
    assert served(engine, "GET", "/v1.41/containers/json")[1] is ex  # polls get the last answer again


def test_the_learner_is_learned_from_the_traffic_and_replaced_only_where_the_course_puts_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_LEARNER", raising=False)
    cleanup = {"method": "GET", "path": "/v1.41/containers/json",
               "query": "filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3D00-x-root%22%5D%7D"}
    create = {"method": "POST", "path": "/v1.41/containers/create", "query": "name=00-x-root-hello-1",
              "req_body": '{"User":"root","Labels":{"io.compose-course.learner":"root"}}', "status": 201,
              "body": '{"Warnings":["root user: root"],"Name":"/00-x-root-hello-1"}'}
    engine = ReplayEngine(write(tmp_path / "00_x.jsonl.gz", [cleanup, create], learner="root"))
    served(engine, "GET", "/v1.41/containers/json",
           "filters=%7B%22label%22%3A+%5B%22com.docker.compose.project%3D00-x-ana-b%22%5D%7D")
    rec, ex = served(engine, "POST", "/v1.41/containers/create", "name=00-x-ana-b-hello-1",
                     b'{"User": "root", "Labels": {"io.compose-course.learner": "ana-b"}}')
    assert rec.to_live(ex["body"].encode()) == b'{"Warnings":["root user: root"],"Name":"/00-x-ana-b-hello-1"}'


def test_a_changed_request_gets_the_message_and_a_rerun_rewinds(tmp_path: Path) -> None:
    calls = [{"method": "POST", "path": "/v1.41/containers/create", "query": f"name=c{i}", "status": 201}
             for i in range(3)]
    engine = ReplayEngine(write(tmp_path / "01_x.jsonl.gz", calls))
    for i in range(2):
        served(engine, "POST", "/v1.41/containers/create", f"name=c{i}")
    message = engine.match("POST", "/v1.41/containers/create", "name=changed", None)
    assert message == ("course-replay: POST /containers/create?name=changed is not in the recording '01_x' "
                       f"(it expected next: POST /containers/create?name=c2). {ADVICE}")
    message = engine.match("POST", "/v1.41/containers/create", "name=c2", b'{"Cmd":["echo","changed"]}')
    assert "(it expected next: the same call, with ...POST /containers/create?name=c2\n... where this one has " \
           '...POST /containers/create?name=c2\n{"Cmd":["echo","changed"]}...)' in message
    served(engine, "POST", "/v1.41/containers/create", "name=c0")  # the notebook run again
    assert engine.recordings[0].consumed == [True, False, False]


def test_a_folder_serves_each_notebook_from_its_own_recording(tmp_path: Path) -> None:
    for nb in ("01_a", "02_b"):
        write(tmp_path / f"{nb}.jsonl.gz", [{"method": "GET", "path": "/version", "body": nb},
                                            {"method": "POST", "path": f"/containers/{nb}-rec-x/start"}])
    engine = ReplayEngine(tmp_path, names={"learner": "ana"})
    assert served(engine, "POST", "/v1.41/containers/02_b-ana-x/start")[0].name == "02_b"
    assert served(engine, "GET", "/version")[1]["body"] == "02_b"  # generic calls: the notebook that answered last


def test_declared_names_and_the_banner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "08_x.jsonl.gz", [{"method": "POST", "path": "/exec/1/start",
                                                "req_body": '{"Cmd":["push","93421"]}', "status": 201}])
    with gzip.open(path, "rt") as f:
        lines = f.read().splitlines()
    meta = {**json.loads(lines[0]), "names": {"learner": "rec", "update": "93421"}}
    with gzip.open(path, "wt") as f:
        f.write("\n".join([json.dumps(meta), *lines[1:]]) + "\n")
    monkeypatch.setenv("COURSE_REPLAY", str(path))
    with course_replay.replay_engine(path) as host:
        assert course_replay.declare("update", "95555", host)
        engine_status = course_replay.status(host)
    assert engine_status["replay"] is True
    assert not course_replay.declare("update", "1", "unix:///nonexistent.sock")
    assert course_replay.banner(path).startswith(
        "No Docker engine here: this is a replay of the run recorded on 2026-05-01 on Docker 20.10.24. "
        "Changed cells cannot be replayed. To run it for real:")


def test_a_hijacked_stream_reaches_docker_py_whole(tmp_path: Path) -> None:
    """docker-py reads a 101 head through a buffered file, then frames from the raw socket: a frame sent before it
    has read the head is lost (without the replay's wait, most of these runs lose it)."""
    import docker

    start = {"method": "POST", "path": "/v1.41/exec/abc/start", "req_body": '{"Detach":false,"Tty":false}',
             "status": 101, "reason": "UPGRADED", "mux": True, "end": "server",
             "headers": [["Content-Type", "application/vnd.docker.raw-stream"], ["Connection", "Upgrade"],
                         ["Upgrade", "tcp"]], "tunnel": [[0.0, "s", [1, "hello\n"]], [0.0, "s", None]]}
    path = write(tmp_path / "x.jsonl.gz", [start])
    for _ in range(10):
        with course_replay.replay_engine(path, speed=1000) as host:
            api = docker.APIClient(base_url=host, version="1.41", timeout=10)
            assert api.exec_start("abc") == b"hello\n"
            api.close()


def test_the_engines_times_are_moved_to_this_run() -> None:
    from course_replay.replay import shift_times

    hour = 3600 * 10**9
    text = ('{"StartedAt":"2026-05-01T10:00:00.123456789Z","FinishedAt":"0001-01-01T00:00:00Z","time":1777629600,'
            '"timeNano":1777629600123456789,"Created":"2026-05-01T12:00:00+02:00","Id":"%s"}' % ("1" * 64))
    assert shift_times(text, hour + 10**9 // 2) == (
        '{"StartedAt":"2026-05-01T11:00:00.623456789Z","FinishedAt":"0001-01-01T00:00:00Z","time":1777633200,'
        '"timeNano":1777633200623456789,"Created":"2026-05-01T13:00:00+02:00","Id":"%s"}' % ("1" * 64))


def test_composes_environment_matches_in_any_order() -> None:
    # Compose lists a service's environment in Go map order, which changes from run to run
    one = request_key("POST", "/containers/create", "", json.dumps({
        "Env": ["B=2", "A=1"], "HostConfig": {"Binds": ["b", "a"]},
        "Labels": {"com.docker.compose.depends_on": "redis:service_healthy:false,db:service_healthy:false"}}).encode())
    assert one == request_key("POST", "/containers/create", "", json.dumps({
        "HostConfig": {"Binds": ["a", "b"]}, "Env": ["A=1", "B=2"],
        "Labels": {"com.docker.compose.depends_on": "db:service_healthy:false,redis:service_healthy:false"}}).encode())


def test_a_secret_file_is_redacted_when_recorded_and_known_when_replayed(tmp_path: Path) -> None:
    work = tmp_path / "10-x-rec"
    work.mkdir()
    (work / "api_key.txt").write_text("recorded-secret\n")
    (work / "notes.txt").write_text("not a secret\n")
    found = Secrets([str(tmp_path / "*" / "*.txt")])
    found.refresh()
    assert found.redact(b"cat: recorded-secret, not a secret") == b"cat: <redacted-secret-1>, not a secret"
    exec_out = {"method": "GET", "path": "/v1.41/containers/c/logs", "body": "<redacted-secret-1>"}
    path = write(tmp_path / "10_x.jsonl.gz", [exec_out])
    with gzip.open(path, "rt") as f:
        lines = f.read().splitlines()
    meta = {**json.loads(lines[0]), "secret_files": {str(work / "api_key.txt"): 1}}
    with gzip.open(path, "wt") as f:
        f.write("\n".join([json.dumps(meta), *lines[1:]]) + "\n")
    live = tmp_path / "10-x-ana"
    live.mkdir()
    (live / "api_key.txt").write_text("this-runs-secret")
    engine = ReplayEngine(path, names={"learner": "ana"})
    rec, ex = served(engine, "GET", "/v1.41/containers/c/logs")
    assert rec.to_live(ex["body"].encode()) == b"this-runs-secret"  # the learner's own file, read back by `cat`
    (live / "api_key.txt").write_text("written-again")  # the cell run again: a new secret in the same file
    rec, ex = served(engine, "GET", "/v1.41/containers/c/logs")
    assert rec.to_live(ex["body"].encode()) == b"written-again"


def test_a_poll_sooner_than_recorded_waits_for_its_place_on_the_clock(tmp_path: Path) -> None:
    """Answers come at their recorded moments (not just after the client asks), so polls and a stream's chunks
    keep the recorded order; a client that falls behind moves the clock instead of being hurried."""
    import time

    polls = [{"method": "GET", "path": "/v1.41/containers/c/json", "t": t, "lat": 0.01, "body": f'{{"n":{n}}}'}
             for n, t in enumerate((0.0, 0.6, 1.2))]
    engine = ReplayEngine(write(tmp_path / "04_x.jsonl.gz", polls))
    rec, ex, fresh = engine.match("GET", "/v1.41/containers/c/json", "", None)  # type: ignore[misc]
    due = [engine._timing(rec, ex, fresh)(ex["lat"])]
    for _ in range(2):
        rec, ex, fresh = engine.match("GET", "/v1.41/containers/c/json", "", None)  # type: ignore[misc]
        due.append(engine._timing(rec, ex, fresh)(ex["lat"]))
    assert 0.55 < due[1] - due[0] < 0.65 and 0.55 < due[2] - due[1] < 0.65  # asked at once: still 0.6 s apart
    time.sleep(0.1)
    rec, ex, fresh = engine.match("GET", "/v1.41/containers/c/json", "", None)  # type: ignore[misc]
    assert not fresh  # polled past the recording: the last answer again, at once
    assert engine._timing(rec, ex, fresh)(0) - time.monotonic() < 0.05


def test_an_event_has_one_time_live_and_in_the_history() -> None:
    """The clock moves (a learner reads between cells): a time already given keeps its value, so a timeline that
    merges the live stream with the engine's history sees the same event once."""
    from course_replay.replay import shift_times

    memo: dict[str, str] = {}
    live = shift_times('{"timeNano":1777629600123456789}', 10**9, memo)
    later = shift_times('[{"timeNano":1777629600123456789},{"timeNano":1777629601000000000}]', 5 * 10**9, memo)
    assert live == '{"timeNano":1777629601123456789}'
    assert later == '[{"timeNano":1777629601123456789},{"timeNano":1777629606000000000}]'


def test_a_get_asked_more_often_than_recorded_gets_the_last_answer_not_a_later_one(tmp_path: Path) -> None:
    """A listing polled once more than when recorded must not take the answer from 20 s later (and move the
    recording's clock there): it gets the answer it got last."""
    polls = [{"method": "GET", "path": "/v1.41/containers/json", "t": t, "body": f'[{{"n":{n}}}]'}
             for n, t in enumerate((0.0, 0.1, 20.0))]
    engine = ReplayEngine(write(tmp_path / "07_x.jsonl.gz", polls))
    answers = []
    for _ in range(3):
        found = engine.match("GET", "/v1.41/containers/json", "", None)
        assert not isinstance(found, str)
        rec, ex, fresh = found
        engine._timing(rec, ex, fresh)
        answers.append((ex["body"], fresh))
    assert answers == [('[{"n":0}]', True), ('[{"n":1}]', True), ('[{"n":1}]', False)]


def test_each_caller_gets_its_own_recorded_answers_in_order(tmp_path: Path) -> None:
    """The lesson's wait and the dashboard's thread poll one container; recorded, the dashboard read "running"
    just before the wait read "exited". Replayed, the wait asks first: it still gets its own answer."""
    poll = {"method": "GET", "path": "/v1.41/containers/abc/json"}
    rec = write(tmp_path / "05_x.jsonl.gz", [
        {**poll, "t": 1.0, "body": '{"State":"running"}'},
        {**poll, "t": 2.0, "body": '{"State":"running"}',
         "req_headers": [["X-Course-Caller", "dashboard-05-x-rec"]]},
        {**poll, "t": 2.1, "body": '{"State":"exited"}'},
    ])
    engine = ReplayEngine(rec, names={"learner": "me"})
    assert served(engine, "GET", "/v1.45/containers/abc/json")[1]["body"] == '{"State":"running"}'
    assert served(engine, "GET", "/v1.45/containers/abc/json")[1]["body"] == '{"State":"exited"}'
    found = engine.match("GET", "/v1.45/containers/abc/json", "", None, caller="dashboard-05-x-me")
    assert not isinstance(found, str) and found[1]["t"] == 2.0


def test_a_thread_inside_caller_tags_its_requests() -> None:
    import requests

    from helpers import engine as course_engine

    class Fake:  # what _tag_requests needs of a DockerClient: .api, a requests Session
        api = requests.Session()

    fake: Any = Fake()
    course_engine._tag_requests(fake)
    plain = fake.api.prepare_request(requests.Request("GET", "http://x/containers/json"))
    with course_engine.caller("timeline-p"):
        tagged = fake.api.prepare_request(requests.Request("GET", "http://x/containers/json"))
    assert course_engine.CALLER_HEADER not in plain.headers
    assert tagged.headers[course_engine.CALLER_HEADER] == "timeline-p"


def test_a_poll_made_once_for_two_events_gets_the_answer_after_both(tmp_path: Path) -> None:
    """Recorded: an event, a poll ("starting"), another event, a poll ("healthy"). Replayed, both events came
    before the client's one poll: it gets "healthy", not the answer that the second event made out of date."""
    poll = {"method": "GET", "path": "/v1.41/containers/abc/json"}
    rec = write(tmp_path / "03_x.jsonl.gz", [
        {"method": "GET", "path": "/v1.41/events", "t": 1.0, "chunks": [[0.5, "created"], [0.6, "healthy"]]},
        {**poll, "t": 1.51, "body": '{"Health":"starting"}'},
        {**poll, "t": 1.61, "body": '{"Health":"healthy"}'},
        {"method": "POST", "path": "/v1.41/containers/abc/restart", "t": 2.0},
        {**poll, "t": 2.1, "body": '{"Health":"starting"}'},
    ])
    engine = ReplayEngine(rec, names={"learner": "me"})
    recording = engine.recordings[0]
    assert served(engine, "GET", "/v1.45/containers/abc/json")[1]["t"] == 1.51  # no event sent yet: in order
    recording.consumed[1] = False
    recording.shown = 1.6  # both events sent (the replay sets this as it sends a /events chunk)
    assert served(engine, "GET", "/v1.45/containers/abc/json")[1]["t"] == 1.61
    assert recording.consumed[1]  # the answer passed over is used up with it
    recording.shown = 2.5  # events after the restart were sent: the poll of 1.51 is out of date, but the one
    assert not recording._superseded(1, 4)  # of 2.1 shows the restart, which this run has not made yet
    recording.consumed[3] = True
    assert recording._superseded(1, 4)
