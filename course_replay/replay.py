"""The replay engine: serves recordings on a unix socket, as the engine served them when they were recorded.

A request is matched by its *key*: method, path without the API-version prefix, sorted decoded query, canonical
JSON body (a tar body is ``<tar>``), with ``since``/``until`` and RFC 3339 times as ``<time>``. Before matching,
this run's values are put back to the recording's: the learner id and the checkout path (and values declared with
:func:`course_replay.declare`) by name, and values learned so far. A recorded key that holds a redacted secret or
a 64/12-hex token the client made up itself (Compose's config hashes) matches as a template: whatever this run
sent there is learned, so later requests are translated to the recording and responses back to this run.

Among exchanges with the key, the first unconsumed one in recording order wins (Compose creates containers in
parallel: any order matches; Compose's environment, binds and depends_on label are sorted, being in Go map order).
A GET whose exchanges are used up, or whose next one lies more than ``AHEAD`` seconds on, gets the last of them
again (polls); a GET asked less often passes over answers made out of date by an event already sent
(:meth:`Recording._superseded`); another request that matches a used exchange rewinds its recording to there (a
notebook run again). The ``X-Course-Caller`` header (``helpers.engine.caller``) is part of the key: each of the
course's background threads gets its own recorded answers in order.

Timing (:meth:`ReplayEngine._timing`): each recording has a clock; every answer, stream chunk and hijacked byte is
due at its recorded moment on it, and the clock waits for a client that falls behind. The engine's times in
responses follow the clock, each recorded time keeping the value it was first given.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus

from .record import store_body
from .wire import (
    NO_BODY_STATUS,
    Conn,
    Service,
    chunk_bytes,
    dec,
    default_names,
    frame,
    head_bytes,
    header,
    wait_consumed,
)

ADVICE = ("This is a replay of a recorded run; changed cells cannot be replayed. "
          "To run the course for real, run it on your own machine with Docker: ./course lab")
VERSION = re.compile(r"^/v\d+\.\d+(?=/)")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")
TOKENS = r"<redacted-secret-\d+>|(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])|(?<![0-9A-Za-z])[0-9a-f]{12}(?![0-9A-Za-z])"
TOKEN = re.compile(f"({TOKENS})")
SECRET_VALUE = r'(?:[^"\\\s&]|\\.)+?'
SLACK = 0.5  # seconds a client may fall behind the recording's clock before the clock waits for it
AHEAD = 5.0  # seconds a request may be held for its place on the clock (more: a call made sooner than recorded)
# who in the course made a request: helpers.engine.CALLER_HEADER sends it (the helpers do not import course_replay
# at import time: it needs a Unix socket library, and the helpers run on Windows too)
CALLER_HEADER = "X-Course-Caller"
HOP = {"content-length", "transfer-encoding", "date", "connection", "keep-alive"}
# the engine's times in responses (a zero time, 0001-01-01, is left alone): RFC 3339, events' time and timeNano,
# listings' Created
WHEN = re.compile(r"(?<![0-9])((?:19[7-9]\d|2\d{3})-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")
EPOCH = re.compile(r'("timeNano":)(\d{19})|("(?:time|Created)":)(\d{10})(?![0-9.])')


def shift_times(text: str, ns: int, memo: dict[str, str] | None = None) -> str:
    """``text`` with the engine's times moved by ``ns`` nanoseconds (fractions keep their number of digits). With
    ``memo``, a time moved once keeps that value: an event seen live, then again in the engine's history, has one
    time, whatever ``ns`` is by then."""
    def rfc3339(m: re.Match[str]) -> str:
        zone = dt.timezone.utc
        if m[3] != "Z":
            sign = -1 if m[3][0] == "-" else 1
            zone = dt.timezone(sign * dt.timedelta(hours=int(m[3][1:3]), minutes=int(m[3][4:6])))
        base = dt.datetime.strptime(m[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=zone)
        frac = (m[2] or ".")[1:]
        secs, rest = divmod(int(base.timestamp()) * 10**9 + int(frac.ljust(9, "0") or 0) + ns, 10**9)
        new = dt.datetime.fromtimestamp(secs, zone).strftime("%Y-%m-%dT%H:%M:%S")
        return new + (f".{rest:09d}"[:len(frac) + 1] if frac else "") + m[3]

    def epoch(m: re.Match[str]) -> str:
        if m[1]:
            return f"{m[1]}{int(m[2]) + ns}"
        return f"{m[3]}{int(m[4]) + round(ns / 1e9)}"

    def kept(move: Callable[[re.Match[str]], str]) -> Callable[[re.Match[str]], str]:
        if memo is None:
            return move

        def moved(m: re.Match[str]) -> str:
            if m[0] not in memo:
                memo[m[0]] = move(m)
            return memo[m[0]]
        return moved

    return EPOCH.sub(kept(epoch), WHEN.sub(kept(rfc3339), text))


def _canon(text: str) -> str:
    try:
        obj = json.loads(text)
    except ValueError:
        return TIME.sub("<time>", text)
    if isinstance(obj, dict):  # Compose lists a service's environment and mounts in Go map order (random)
        for where, field in ((obj, "Env"), (obj.get("HostConfig"), "Binds"), (obj.get("HostConfig"), "Mounts")):
            if isinstance(where, dict) and isinstance(where.get(field), list):
                where[field] = sorted(where[field], key=lambda item: json.dumps(item, sort_keys=True))
        labels, depends = obj.get("Labels"), "com.docker.compose.depends_on"
        if isinstance(labels, dict) and isinstance(labels.get(depends), str):
            labels[depends] = ",".join(sorted(labels[depends].split(",")))
    return TIME.sub("<time>", json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def request_key(method: str, path: str, query: str, stored_body: Any, caller: str = "") -> str:
    """The normalised key of a request (``stored_body`` as :func:`course_replay.record.store_body` stores it);
    ``caller``: its ``X-Course-Caller`` header (``helpers.engine.caller``), so each background thread of the
    course gets its own recorded answers in its own order."""
    params = sorted((k, "<time>" if k in ("since", "until") else _canon(v))
                    for k, v in parse_qsl(query, keep_blank_values=True))
    if isinstance(stored_body, dict) and "sha256" in stored_body:
        body = "<tar>"
    else:
        body = _canon((dec(stored_body) or b"").decode("utf-8", "replace"))
    key = f"{method} {unquote(VERSION.sub('', path))}?{'&'.join(f'{k}={v}' for k, v in params)}\n{body}"
    return f"{key}\n@{caller}" if caller else key


def _name_rx(name: str, value: str) -> str:
    """Where a run-specific value is replaced. The learner id only where the course puts it (``<lesson>-<learner>``
    and what is named after it, the learner label's value), so that an id like ``root`` leaves ``"User":"root"``."""
    if name == "learner":
        return r'(?:(?<=-)|(?<=learner=)|(?<=LEARNER=)|(?<=learner":"))' + re.escape(value) + "(?![A-Za-z0-9])"
    return r"(?<![A-Za-z0-9.])" + re.escape(value) + "(?![A-Za-z0-9])"


class Recording:
    """One notebook's recording, with what this replay consumed and learned."""

    def __init__(self, path: Path, names: dict[str, str]) -> None:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            self.meta: dict[str, Any] = json.loads(f.readline())
            self.ex: list[dict[str, Any]] = [json.loads(line) for line in f]
        self.name = path.name.split(".")[0]
        self.learner = self.meta.get("names", {}).get("learner", "")
        self.split = re.compile(f"({TOKENS}|{_name_rx('learner', self.learner)})") if self.learner else TOKEN
        self.names: list[tuple[re.Pattern[str], str, re.Pattern[str], str]] = []
        for k, v in names.items():
            self.declare(k, v)
        self.learned: dict[str, str] = {}  # this run's value -> the recording's
        self.facts_used: dict[str, int] = {}
        # when the recorded run started (wall clock, ns), and how far this replay moves the engine's times: set when
        # the first exchange is served (and again on a rewind), so the times in responses read as this run's
        self.t0_ns: int = self.meta.get("t0_ns") or int(
            dt.datetime.fromisoformat(self.meta.get("recorded", "1970-01-01T00:00:00+00:00")).timestamp() * 10**9)
        self.shift_ns: int | None = None
        self.times: dict[str, str] = {}  # each recorded time as this replay gave it first (then always the same)
        # the recording's clock: (time.monotonic(), seconds into the recording) that are the same moment; set by the
        # first exchange served, moved forward when the client falls behind (a learner reading between cells)
        self.anchor: tuple[float, float] | None = None
        self.consumed, self.cursor = [False] * len(self.ex), -1
        self.shown = float("-inf")  # when (seconds into the recording) the latest event this replay sent happened
        self.keys = [request_key(e["method"], e["path"], e["query"], e.get("req_body"),
                                 header(e.get("req_headers", []), CALLER_HEADER)) for e in self.ex]
        self.by_key: dict[str, list[int]] = {}
        self.templates: dict[str, list[tuple[int, str, re.Pattern[str], dict[str, str]]]] = {}
        # A token is the engine's once a response had it before the request was sent: a stream's later chunks
        # (an events stream opened first) do not make a token the client sends meanwhile (a config hash) the engine's
        said = sorted(self._said(), key=lambda item: item[0])
        engine_ids: set[str] = set()
        n = 0
        for i, (e, key) in enumerate(zip(self.ex, self.keys, strict=True)):
            while n < len(said) and said[n][0] < e.get("t", float("inf")):
                engine_ids.update(said[n][1])
                n += 1
            self.by_key.setdefault(key, []).append(i)
            tpl = self._template(key, engine_ids)
            if tpl:
                self.templates.setdefault(e["method"], []).append((i, *tpl))
            if "t" not in e:  # an older recording without request times: in request order
                engine_ids.update(self._tokens([e.get("body"), e.get("chunks"), e.get("tunnel")]))

    def _tokens(self, stored: Any) -> set[str]:
        found = {m for m in TOKEN.findall(json.dumps(stored)) if not m.startswith("<") and m != self.learner}
        return found | {m[:12] for m in found}

    def _said(self) -> list[tuple[float, set[str]]]:
        """When each response part arrived (seconds from the recording's start) and the tokens it held."""
        out: list[tuple[float, set[str]]] = []
        for e in self.ex:
            if "t" not in e:
                continue
            at = e["t"] + e.get("lat", 0)
            if e.get("body") is not None:
                out.append((at, self._tokens(e["body"])))
            for t, item in e.get("chunks") or []:
                out.append((at + t, self._tokens(item)))
            for t, direction, item in e.get("tunnel") or []:
                if direction == "s":
                    out.append((at + t, self._tokens(item)))
            out.append((at, self._tokens([h for h in e.get("headers", [])])))
        return [(t, tokens) for t, tokens in out if tokens]

    def declare(self, name: str, live: str) -> None:
        recorded = self.meta.get("names", {}).get(name)
        if recorded and live and recorded != live:
            names = [n for n in self.names if n[1] != recorded]
            names.append((re.compile(_name_rx(name, live)), recorded, re.compile(_name_rx(name, recorded)), live))
            self.names = sorted(names, key=lambda n: -len(n[1]))

    def _template(self, key: str, engine_ids: set[str]) -> tuple[str, re.Pattern[str], dict[str, str]] | None:
        """A recorded key as a pattern: redacted secrets, client-made hex tokens and the learner id become groups."""
        rx, groups = "", dict[str, str]()
        for i, part in enumerate(self.split.split(key)):
            if i % 2 == 0 or part in engine_ids:
                rx += re.escape(part)
            elif part in groups:
                rx += f"(?P={groups[part]})"
            else:
                groups[part] = f"g{len(groups)}"
                value = SECRET_VALUE if part.startswith("<") else "[a-z0-9][a-z0-9_-]*?" if part == self.learner \
                    else f"[0-9a-f]{{{len(part)}}}"
                rx += f"(?P<{groups[part]}>{value})"
        prefix = self.split.split(key, 1)[0]  # matched first, as a plain string
        return (prefix, re.compile(rx), {g: tok for tok, g in groups.items()}) if groups else None

    def learn_secret_files(self) -> None:
        """The content of this run's secret files (a Compose ``secrets:`` file, redacted when recorded) is known
        without being sent: it stands for the recorded ``<redacted-secret-N>`` (exec output, a ``cat`` of it)."""
        for recorded_path, n in self.meta.get("secret_files", {}).items():
            try:
                value = Path(self.to_live(recorded_path.encode()).decode()).read_bytes().strip().strip(b"'\"")
            except OSError:
                continue
            live, redacted = value.decode("utf-8", "surrogateescape"), f"<redacted-secret-{n}>"
            if len(live) >= 4 and self.learned.get(live) != redacted:  # the file's content now, not an earlier one
                self.learned = {k: v for k, v in self.learned.items() if v != redacted} | {live: redacted}

    def to_recorded(self, key: str) -> str:
        for live, recorded in sorted(list(self.learned.items()), key=lambda kv: -len(kv[0])):
            key = key.replace(live, recorded)
        for live_rx, recorded, _, _ in self.names:
            key = live_rx.sub(recorded, key)
        return key

    def to_live(self, data: bytes) -> bytes:
        if not (self.learned or self.names or self.shift_ns):
            return data
        text = data.decode("utf-8", "surrogateescape")
        if self.shift_ns:
            text = shift_times(text, self.shift_ns, self.times)
        for live, recorded in list(self.learned.items()):
            text = text.replace(recorded, live)
        for _, _, recorded_rx, live in self.names:
            text = recorded_rx.sub(live, text)
        return text.encode("utf-8", "surrogateescape")

    def now(self, speed: float) -> float | None:
        """Where this replay is on the recording's clock (seconds into the recording), once it has started."""
        return self.anchor[1] + (time.monotonic() - self.anchor[0]) * speed if self.anchor else None

    def find(self, key: str, method: str, used: bool, learner_known: bool,
             now: float | None = None) -> tuple[int, dict[str, str]] | None:
        """The exchange for ``key`` among the unconsumed (``used=False``) or the consumed ones, and what it teaches
        (this run's value -> the recorded one); the learner id is learned only while it is not known. A GET asked
        more often than when recorded does not take an answer from more than ``AHEAD`` seconds later on the
        recording's clock (``now``) while one was given before: it gets that one again, as a poll does."""
        reads = method in ("GET", "HEAD")
        hits = [i for i in self.by_key.get(key, []) if self.consumed[i] == used]
        passed = []  # out-of-date answers passed over: consumed with the one given
        while reads and not used and len(hits) > 1 and self._superseded(hits[0], hits[1]):
            passed.append(hits.pop(0))
        if hits and reads and not used and now is not None and self.ex[hits[0]].get("t", now) - now > AHEAD \
                and any(self.consumed[i] for i in self.by_key[key]):
            return None
        for i in passed:
            self.consumed[i] = True
        if hits:
            return (hits[-1] if used and reads else hits[0]), {}
        found = None
        for i, prefix, rx, groups in self.templates.get(method, []):
            if self.consumed[i] == used and key.startswith(prefix) and (m := rx.fullmatch(key)):
                learned = {m.group(g): tok for g, tok in groups.items() if m.group(g) != tok}
                if learner_known and self.learner in learned.values():
                    continue
                found = i, learned
                if not (used and reads):
                    break
        return found

    def _superseded(self, old: int, new: int) -> bool:
        """Whether a poll's recorded answer ``old`` is out of date, ``new`` (the same request, recorded later) being
        the one to give now: an event already sent happened after ``old`` was answered and shortly before ``new``
        was asked, and no change was recorded between the two. A client that got two events at once polls once
        where the recorded run polled twice; the first answer would contradict the events it has seen."""
        if "t" not in self.ex[old] or "t" not in self.ex[new]:
            return False
        t_old, t_new = self.ex[old]["t"] + self.ex[old].get("lat", 0), self.ex[new]["t"]
        return t_old < self.shown and t_new <= self.shown + SLACK and not any(
            not self.consumed[j] and e["method"] not in ("GET", "HEAD") and t_old < e.get("t", t_old) < t_new
            for j, e in enumerate(self.ex))

    def take(self, i: int, learned: dict[str, str]) -> dict[str, Any]:
        rewind = self.consumed[i] and self.ex[i]["method"] not in ("GET", "HEAD")
        if rewind:
            self.consumed[i:] = [False] * (len(self.ex) - i)  # run again: rewind to here
            self.anchor, self.times, self.shown = None, {}, float("-inf")
        if (self.shift_ns is None or rewind) and "t" in self.ex[i]:
            self.shift_ns = time.time_ns() - (self.t0_ns + int(self.ex[i]["t"] * 1e9))
        self.consumed[i], self.cursor = True, i
        for live, recorded in learned.items():
            if len(live) >= 4 and recorded != self.learner:  # the latest value this run sent for a recorded one wins
                self.learned = {k: v for k, v in self.learned.items() if v != recorded} | {live: recorded}
        return self.ex[i]

    def expected(self, key: str) -> str:
        """What the recording expected instead of the request with (this run's) ``key``."""
        todo = [i for i in range(len(self.ex)) if not self.consumed[i]]
        if not todo:
            return "nothing more: the recorded run ends here"
        i = next((i for i in todo if i > self.cursor), todo[0])
        recorded, key = self.keys[i], self.to_recorded(key)
        if recorded.split("\n")[0] != key.split("\n")[0]:
            return self.describe(i)
        # the first differing character; the two keys may differ in length (then the shorter one's end)
        at = next((n for n, (a, b) in enumerate(zip(recorded, key, strict=False)) if a != b),
                  min(len(recorded), len(key)))
        recorded, key = (self.to_live(text[max(at - 40, 0):at + 40].encode()).decode() for text in (recorded, key))
        return f"the same call, with ...{recorded}... where this one has ...{key}..."

    def describe(self, i: int) -> str:
        e = self.ex[i]
        call = f"{e['method']} {VERSION.sub('', e['path'])}" + (f"?{e['query']}" if e["query"] else "")
        return self.to_live(unquote_plus(call)[:160].encode()).decode()


def _trace(entry: dict[str, Any]) -> None:
    """With COURSE_REPLAY_TRACE (a file): one line of what the replay did, and when (``time.monotonic()``)."""
    if os.environ.get("COURSE_REPLAY_TRACE"):
        with open(os.environ["COURSE_REPLAY_TRACE"], "a", encoding="utf-8") as f:
            f.write(json.dumps({**entry, "at": round(time.monotonic(), 3)}) + "\n")


class ReplayEngine(Service):
    """Serves one recording, or a folder of them (one per notebook) to a whole course session."""

    def __init__(self, recording: str | Path, speed: float = 1.0, listen: str | None = None,
                 names: dict[str, str] | None = None) -> None:
        super().__init__(listen)
        path = Path(recording)
        files = sorted(path.glob("*.jsonl.gz")) if path.is_dir() else [path]
        if not files:
            raise FileNotFoundError(f"no recordings (*.jsonl.gz) in {path}")
        live = {**default_names(), **(names or {})}
        self.recordings = [Recording(f, live) for f in files]
        self.current, self.speed = self.recordings[0], speed
        self._learner_known = "learner" in live  # else learned from the first request that names it
        self.served = 0
        self.divergences: list[str] = []
        self._lock = threading.Lock()

    def match(self, method: str, path: str, query: str, body: Any,
              caller: str = "") -> tuple[Recording, dict[str, Any], bool] | str:
        """The recording and exchange that answer this request, and whether it is served for the first time (a GET
        polled again past its recording is not), else the divergence message."""
        key = request_key(method, path, query, body, caller)
        with self._lock:
            others = [r for r in self.recordings if r is not self.current]
            steps = [([self.current], False), ([self.current], True), (others, False), (others, True)]
            if method not in ("GET", "HEAD"):
                steps = [steps[0], steps[2], steps[1], steps[3]]
            for rec in self.recordings:
                rec.learn_secret_files()
            for recordings, used in steps:
                for rec in recordings:
                    hit = rec.find(rec.to_recorded(key), method, used, self._learner_known, rec.now(self.speed))
                    if hit:
                        self.current, self.served = rec, self.served + 1
                        _trace({"recording": rec.name, "exchange": hit[0], "used": used,  # which answered
                                "t": rec.ex[hit[0]].get("t"), "call": f"{method} {path}"[:120], "caller": caller})
                        learner = next((live for live, tok in hit[1].items() if tok == rec.learner), None)
                        if learner:  # this run's learner id, learned from the first request that names it
                            self._learner_known = True
                            for each in self.recordings:
                                each.declare("learner", learner)
                        return rec, rec.take(*hit), not used or method not in ("GET", "HEAD")
            call = f"{method} {VERSION.sub('', path)}" + (f"?{unquote_plus(query)}" if query else "")
            message = (f"course-replay: {call[:200]} is not in the recording '{self.current.name}' "
                       f"(it expected next: {self.current.expected(key)}). {ADVICE}")
            self.divergences.append(message)
            if os.environ.get("COURSE_REPLAY_DEBUG"):  # a file: each divergent key, for comparing with the recording
                with open(os.environ["COURSE_REPLAY_DEBUG"], "a", encoding="utf-8") as f:
                    f.write(json.dumps({"recording": self.current.name, "key": key,
                                        "as_recorded": self.current.to_recorded(key)}) + "\n")
            return message

    def handle(self, sock: socket.socket) -> None:
        client = Conn(sock)
        while (got := client.read_head()) is not None:
            start, headers = got
            method, target, _ = start.split(" ", 2)
            body = store_body(client.read_body(headers), headers)
            path, _, query = target.partition("?")
            if path.startswith("/_course_replay/"):
                self._reply(sock, 200, self._control(method, path, body if isinstance(body, bytes) else None))
                continue
            found = self.match(method, path, query, body, header(headers, CALLER_HEADER))
            if isinstance(found, str):
                if path.endswith("/_ping"):  # clients ping whenever they like: always answered
                    meta = self.recordings[0].meta
                    ping = meta.get("ping") or [("Api-Version", meta["engine"]["api"])]
                    self._reply(sock, 200, b"" if method == "HEAD" else b"OK", "text/plain", ping)
                else:
                    self._reply(sock, 500, json.dumps({"message": found}).encode())
                continue
            if not self._serve(client, method, *found) or "close" in header(headers, "Connection").lower():
                return

    def _reply(self, sock: socket.socket, status: int, body: bytes, ctype: str = "application/json",
               extra: list[tuple[str, str]] | None = None) -> None:
        reason = {200: "OK", 500: "Internal Server Error"}[status]
        extra = [(k, v) for k, v in extra or [] if k.lower() != "content-type"]
        sock.sendall(head_bytes(f"HTTP/1.1 {status} {reason}", [*extra, ("Content-Type", ctype),
                                                             ("Content-Length", str(len(body)))]) + body)

    def _control(self, method: str, path: str, body: bytes | None) -> bytes:
        sent = json.loads(body) if body else {}
        with self._lock:
            if path == "/_course_replay/name" and method == "POST":
                for rec in self.recordings:
                    rec.declare(str(sent["name"]), str(sent["value"]))
            if path == "/_course_replay/fact":  # the next recorded value (the last one again when used up)
                for rec in [self.current, *self.recordings]:
                    values = rec.meta.get("facts", {}).get(sent["name"])
                    if values:
                        n = rec.facts_used[sent["name"]] = rec.facts_used.get(sent["name"], -1) + 1
                        return json.dumps({"value": values[min(n, len(values) - 1)]}).encode()
        return json.dumps(self.status()).encode()

    def status(self) -> dict[str, Any]:
        return {"replay": True, "served": self.served, "divergences": list(self.divergences),
                "current": self.current.name,
                "recordings": {r.name: {"exchanges": len(r.ex), "consumed": sum(r.consumed), "not_replayed": [
                    r.describe(i) for i, e in enumerate(r.ex)  # the course's records: written on a real engine only
                    if not r.consumed[i] and e["method"] not in ("GET", "HEAD")
                    and "course-record-" not in json.dumps([e["path"], e.get("req_body")])]}
                    for r in self.recordings}}

    def _wait(self, client: Conn, until: float) -> bool:
        """Sleep until ``until`` (monotonic); True if the client went away meanwhile."""
        while (left := until - time.monotonic()) > 0:
            if client.peer_closed(left):
                return True
        return False

    def _timing(self, rec: Recording, ex: dict[str, Any], fresh: bool) -> Callable[[float], float]:
        """When (``time.monotonic()``) the part of ``ex`` that came ``dt`` seconds after its request is due.

        Every exchange of a recording keeps its place on the recording's clock (divided by the speed), so a poll
        that comes sooner than it came when recorded waits, and a stream's chunks and the answers to polls arrive
        in the recorded order. When the client is behind the clock (a learner reading between cells), the clock
        waits for it; a request that would wait more than ``AHEAD`` moves the clock forward. An exchange served
        again (a GET polled past its recording) just takes as long as it took."""
        now, t = time.monotonic(), ex.get("t")
        if not fresh or t is None:
            return lambda dt: now + dt / self.speed
        with self._lock:
            late = now - (rec.anchor[0] + (t - rec.anchor[1]) / self.speed) if rec.anchor else 0.0
            if rec.anchor is None or late > SLACK or late < -AHEAD:
                rec.anchor = (now, t)  # the engine's times in responses move with the clock: events stay in order
                rec.shift_ns = time.time_ns() - (rec.t0_ns + int(t * 1e9))  # with the marks a lesson makes
        return lambda dt: rec.anchor[0] + (t + dt - rec.anchor[1]) / self.speed if rec.anchor else now + dt

    def _serve(self, client: Conn, method: str, rec: Recording, ex: dict[str, Any], fresh: bool) -> bool:
        """Send one recorded response at its time (:meth:`_timing`); False when the connection is over. A stream's
        chunks and a hijacked connection's bytes come at their times; the answer to a plain call after the time
        it took (a ``docker stop`` that waited for the grace period still does: lessons time such calls)."""
        when = self._timing(rec, ex, fresh)
        lat = ex.get("lat", 0)
        if self._wait(client, when(lat)):
            return False
        live = rec.to_live

        def out(item: Any) -> bytes:
            return frame(item[0], live(dec(item[1]) or b"")) if ex.get("mux") else live(dec(item) or b"")

        status, headers = ex["status"], [(k, live(v.encode()).decode()) for k, v in ex["headers"]]
        start = f"HTTP/1.1 {status} {ex['reason']}".rstrip()
        if method == "HEAD" or (status in NO_BODY_STATUS and "tunnel" not in ex):
            client.sock.sendall(head_bytes(start, headers))
            return True
        headers = headers if status == 101 else [(k, v) for k, v in headers if k.lower() not in HOP]
        if "tunnel" in ex:
            client.sock.sendall(head_bytes(start, headers))
            wait_consumed(client.sock)
            self._play_tunnel(client, ex, out, lambda t: when(lat + t))
            return False
        if "chunks" not in ex:
            body = live(dec(ex.get("body")) or b"")
            client.sock.sendall(head_bytes(start, [*headers, ("Content-Length", str(len(body)))]) + body)
            return True
        client.sock.sendall(head_bytes(start, [*headers, ("Transfer-Encoding", "chunked")]))
        for t, item in ex["chunks"]:
            if self._wait(client, when(lat + t)):
                return False
            client.sock.sendall(chunk_bytes(out(item)))
            if ex["path"].endswith("/events") and "t" in ex:  # an event: what a poll's answer must not contradict
                rec.shown = max(rec.shown, ex["t"] + lat + t)
                _trace({"recording": rec.name, "event_sent": rec.shown})
        if ex.get("end") == "server":
            client.sock.sendall(b"0\r\n\r\n")
            return True
        self._wait(client, time.monotonic() + 3600)  # the client ended this stream when it was recorded
        return False

    def _play_tunnel(self, client: Conn, ex: dict[str, Any], out: Callable[[Any], bytes],
                     when: Callable[[float], float]) -> None:
        """Replay a hijacked stream: server bytes at their times (``when``), each one only after the client bytes
        that came before it when recorded (or 5 s of waiting for them)."""
        needed, client_eof = 0, False
        for t, direction, data in ex["tunnel"]:
            if direction == "c":
                needed += len(dec(data) or b"") if data is not None else 0
                continue
            give_up = time.monotonic() + 5
            while True:
                ready = client_eof or len(client.buf) >= needed or time.monotonic() > give_up
                left = (when(t) if ready else give_up) - time.monotonic()
                if ready and left <= 0:
                    break
                if not client_eof and client.peer_closed(max(left, 0)):
                    client_eof = True
                elif client_eof:
                    time.sleep(max(left, 0))
            if data is None:
                client.sock.shutdown(socket.SHUT_WR)
                return
            client.sock.sendall(out(data))
        if ex.get("end") != "server" and not client_eof:
            self._wait(client, time.monotonic() + 3600)
