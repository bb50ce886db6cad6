"""The recording proxy: a unix socket in front of the real engine that writes down every exchange.

Every client that is pointed at it (``DOCKER_HOST=unix://...``: the Docker SDK, the ``docker`` CLI, ``docker
compose``) is recorded. Each client connection gets its own upstream connection, so keep-alive, streams and
hijacked connections behave exactly as they do against the engine. The recording is written when the proxy stops,
with every secret value replaced by ``<redacted-secret-N>``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import getpass
import glob
import gzip
import hashlib
import itertools
import json
import re
import select
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus

from .wire import (
    Conn,
    Service,
    call,
    chunk_bytes,
    default_names,
    enc,
    frames,
    head_bytes,
    header,
    learner_in,
    sanitize,
    unix_path,
    wait_consumed,
)

SECRET_KEY = rb"(?:[A-Z][A-Z0-9_]*)?(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY)[A-Z0-9_]*"
SECRET_ENV = re.compile(rb"(?<![A-Za-z0-9_])" + SECRET_KEY + rb"=([^\"'\s\\&,;\]]+)")
SECRET_URL = re.compile(rb"[a-z][a-z0-9+.-]*://[^:/@\s\"]+:([^@/\s\"]+)@")
SECRET_HEADERS = {"x-registry-auth", "x-registry-config", "authorization"}


class Secrets:
    """Secret values seen so far: ``KEY=value`` with a secret-like KEY anywhere in the traffic, passwords in URLs,
    the secret-like keys of the given ``.env`` files, and the whole content of the given files named like a secret
    (``api_key.txt``: a Compose ``secrets:`` file). Files are globs, re-read when they change."""

    def __init__(self, files: list[str]) -> None:
        self.files = files
        self._mtimes: dict[str, float] = {}
        self.values: dict[bytes, int] = {}
        self.in_files: dict[str, int] = {}  # a secret file's path -> the number its content is redacted with
        self._lock = threading.Lock()

    def add(self, value: bytes) -> int | None:
        value = value.strip().strip(b"'\"")
        if len(value) >= 4 and not value.startswith((b"<redacted", b"$", b"*")):
            with self._lock:
                return self.values.setdefault(value, len(self.values) + 1)
        return None

    def scan(self, data: bytes | None) -> None:
        if data:
            for rx in (SECRET_ENV, SECRET_URL):
                for m in rx.finditer(data):
                    self.add(m.group(1))

    def refresh(self) -> None:
        for pattern in self.files:
            for name in glob.glob(pattern):
                try:
                    mtime = Path(name).stat().st_mtime
                    if self._mtimes.get(name) != mtime:
                        self._mtimes[name] = mtime
                        if not name.endswith(".env"):
                            if re.fullmatch(SECRET_KEY, Path(name).stem.upper().encode()):
                                n = self.add(Path(name).read_bytes())
                                self.in_files.update({name: n} if n else {})
                            continue
                        for line in Path(name).read_bytes().splitlines():
                            if re.match(SECRET_KEY + rb"\s*=", line.strip()):
                                self.add(line.split(b"=", 1)[1])
                except OSError:
                    pass

    def redact(self, data: bytes) -> bytes:
        for value, n in sorted(self.values.items(), key=lambda kv: -len(kv[0])):
            for form in {value, json.dumps(value.decode("utf-8", "replace"))[1:-1].encode(), quote(value).encode()}:
                data = data.replace(form, b"<redacted-secret-%d>" % n)
        return data


def store_body(body: bytes, headers: list[tuple[str, str]]) -> Any:
    """A request body as stored: nothing, a hash for a tar (a build context: never needed by a replay), or bytes."""
    if not body:
        return None
    if "tar" in header(headers, "Content-Type") or body[257:262] == b"ustar":
        return {"sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
    return body


def client_kind(user_agent: str) -> str:
    ua = user_agent.lower()
    for needle, kind in (("compose", "compose"), ("docker-sdk-python", "docker-sdk-python"), ("docker-client", "cli")):
        if needle in ua:
            return kind
    return ua.split("/")[0] or "unknown"


def stored_stream(events: list[list[Any]], red: Callable[[bytes], bytes]) -> tuple[list[list[Any]], bool]:
    """Stream events (``[t, data]`` chunks, ``[t, "c"|"s", data]`` tunnel items) as stored, and whether the
    server's side is a multiplexed stream, stored frame by frame (data ``[stream, payload]``): a replay re-frames
    it after putting back this run's values, which may have another length than the recorded (or redacted) ones."""
    server = [e for e in events if e[-1] is not None and (len(e) == 2 or e[1] == "s")]
    split = frames(b"".join(e[-1] for e in server))
    if not split:
        return [[*e[:-1], enc(red(e[-1])) if e[-1] is not None else None] for e in events], False
    ends = list(itertools.accumulate(len(e[-1]) for e in server))
    side = server[0][1:-1]  # [] for chunks, ["s"] in a tunnel
    framed = [[server[bisect.bisect_left(ends, end)][0], *side, [sid, enc(red(payload))]]
              for sid, payload, end in split]
    ids = {id(e) for e in server}
    rest = [[*e[:-1], enc(red(e[-1])) if e[-1] is not None else None] for e in events if id(e) not in ids]
    return sorted(framed + rest, key=lambda e: (e[0], len(e) == 3 and e[1] == "s")), True


class RecordingProxy(Service):
    """Forwards ``listen`` to ``upstream`` and records; :meth:`stop` writes ``out`` (``.jsonl.gz``)."""

    def __init__(self, out: str | Path, upstream: str = "unix:///run/docker.sock", listen: str | None = None,
                 names: dict[str, str] | None = None, secret_files: list[str] | None = None) -> None:
        super().__init__(listen)
        self.out, self.upstream = Path(out), unix_path(upstream)
        self.names = {**default_names(), **(names or {})}
        self._learner_known = "learner" in self.names  # else the first learner label in the traffic tells
        root = self.names["root"]
        self.secrets = Secrets(secret_files if secret_files is not None
                               else [f"{root}/stack/.env", f"{root}/notebooks/_work/*/.env",
                                     f"{root}/notebooks/_work/*/*.txt"])
        self.exchanges: list[dict[str, Any]] = []
        self._lock, self._conns, self._t0 = threading.Lock(), 0, time.monotonic()
        self._t0_ns = time.time_ns()  # the wall clock at _t0: a replay shifts the engine's times by their distance
        self.meta: dict[str, Any] = {}
        self.facts: dict[str, list[Any]] = {}  # values the notebook got from outside the API (course_replay.fact)

    def start(self) -> None:
        status, body = call(f"unix://{self.upstream}", "GET", "/version")
        version = json.loads(body)
        recorded = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.meta = {"format": "course-replay/1", "recorded": recorded, "t0_ns": self._t0_ns,
                     "engine": {"version": version.get("Version"), "api": version.get("ApiVersion"),
                                "min_api": version.get("MinAPIVersion"), "os": version.get("Os")}}
        super().start()

    def handle(self, sock: socket.socket) -> None:
        with self._lock:
            self._conns += 1
            conn_id = self._conns
        client, upstream = Conn(sock), None
        try:
            while (got := client.read_head()) is not None:
                start, headers = got
                method, target, _ = start.split(" ", 2)
                body = client.read_body(headers)
                path, _, query = target.partition("?")
                if path.startswith("/_course_replay/"):
                    self._control(sock, method, path, body)
                    continue
                self.secrets.refresh()
                self.secrets.scan(unquote_plus(target).encode() + b"\n" + body)
                if not self._learner_known and (
                        found := learner_in(unquote_plus(target) + body[:65536].decode("latin-1"))):
                    self.names["learner"], self._learner_known = found, True
                ex: dict[str, Any] = {"conn": conn_id, "t": round(time.monotonic() - self._t0, 3), "method": method,
                                      "path": path, "query": query, "req_body": store_body(body, headers),
                                      "req_headers": [
                                          (k, "<redacted>" if k.lower() in SECRET_HEADERS else v)
                                          for k, v in headers if k.lower() not in ("host", "content-length")]}
                with self._lock:
                    self.exchanges.append(ex)
                if upstream is None or upstream.peer_closed():
                    upstream = Conn(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
                    upstream.sock.connect(self.upstream)
                fwd = [(k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")]
                if body or method in ("POST", "PUT"):
                    fwd.append(("Content-Length", str(len(body))))
                upstream.sock.sendall(head_bytes(start, fwd) + body)
                sent = time.monotonic()
                if not self._respond(client, upstream, ex, method, sent):
                    return
                if "close" in (header(headers, "Connection") + header(ex["headers"], "Connection")).lower():
                    return
        finally:
            if upstream:
                upstream.sock.close()

    def _respond(self, client: Conn, upstream: Conn, ex: dict[str, Any], method: str, sent: float) -> bool:
        """Forward one response and record it; False when the connection is over."""
        got = upstream.read_head()
        if got is None:
            raise EOFError("the engine closed the connection")
        start, headers = got
        parts = start.split(" ", 2)
        ex.update(status=int(parts[1]), reason=parts[2] if len(parts) > 2 else "", headers=headers,
                  lat=round(time.monotonic() - sent, 4))
        chunked = "chunked" in header(headers, "Transfer-Encoding").lower()
        length = header(headers, "Content-Length")
        status = ex["status"]
        if method == "HEAD" or status in (204, 304) or (100 <= status < 200 and status != 101):
            client.sock.sendall(head_bytes(start, headers))
            return True
        if status == 101 or not (chunked or length):  # hijacked: raw bytes both ways from here on
            client.sock.sendall(head_bytes(start, headers))
            wait_consumed(client.sock)
            self._tunnel(client, upstream, ex)
            return False
        if length:
            body = upstream.read_exact(int(length))
            client.sock.sendall(head_bytes(start, headers) + body)
            ex["body"] = body
            self.secrets.scan(body)
            return True
        client.sock.sendall(head_bytes(start, headers))
        t0, ex["chunks"], ex["end"] = time.monotonic(), [], "client"
        while True:
            if not upstream.buf:
                readable, _, _ = select.select([upstream.sock, client.sock], [], [])
                if client.sock in readable and client.peer_closed():
                    return False
                if upstream.sock not in readable:
                    continue
            chunk = upstream.read_chunk()
            if chunk is None:
                client.sock.sendall(b"0\r\n\r\n")
                ex["end"] = "server"
                return True
            client.sock.sendall(chunk_bytes(chunk))
            ex["chunks"].append([round(time.monotonic() - t0, 4), chunk])
            self.secrets.scan(chunk)

    def _tunnel(self, client: Conn, upstream: Conn, ex: dict[str, Any]) -> None:
        events: list[list[Any]] = []
        t0, ex["end"] = time.monotonic(), "client"
        ex["tunnel"] = events
        for side, sink, direction in ((upstream, client, "s"), (client, upstream, "c")):
            if side.buf:  # bytes that came with the head
                data = side.read_some()
                events.append([0.0, direction, data])
                sink.sock.sendall(data)
        client_open = True
        while True:
            watch = [upstream.sock] + ([client.sock] if client_open else [])
            readable, _, _ = select.select(watch, [], [])
            if client.sock in readable:
                data = client.sock.recv(65536)
                events.append([round(time.monotonic() - t0, 4), "c", data or None])
                self.secrets.scan(data)
                if data:
                    upstream.sock.sendall(data)
                else:
                    client_open = False
                    upstream.sock.shutdown(socket.SHUT_WR)
            if upstream.sock in readable:
                data = upstream.sock.recv(65536)
                events.append([round(time.monotonic() - t0, 4), "s", data or None])
                self.secrets.scan(data)
                if not data:
                    ex["end"] = "server"
                    client.sock.shutdown(socket.SHUT_WR)
                    return
                client.sock.sendall(data)

    def _control(self, sock: socket.socket, method: str, path: str, body: bytes) -> None:
        sent = json.loads(body) if body else {}
        if path == "/_course_replay/name" and method == "POST":
            self.names[str(sent["name"])] = str(sent["value"])
        if path == "/_course_replay/fact" and "value" in sent:
            self.facts.setdefault(str(sent["name"]), []).append(sent["value"])
        reply = json.dumps({"recording": True, "exchanges": len(self.exchanges)}).encode()
        sock.sendall(head_bytes("HTTP/1.1 200 OK", [("Content-Type", "application/json"),
                                                    ("Content-Length", str(len(reply)))]) + reply)

    def stop(self) -> None:
        super().stop()
        time.sleep(0.1)  # let handlers of the connections just closed finish their exchange
        self.write()

    def _finish(self, ex: dict[str, Any]) -> dict[str, Any]:
        """An exchange as stored: secrets redacted, bytes encoded, multiplexed streams frame by frame."""
        red, out = self.secrets.redact, dict(ex)
        for field in ("chunks", "tunnel"):
            if field in ex:
                out[field], mux = stored_stream(ex[field], red)
                out.update({"mux": True} if mux else {})
        for field in ("body", "req_body"):
            if isinstance(ex.get(field), bytes):
                out[field] = enc(red(ex[field]))
        for field in ("path", "query"):
            out[field] = red(ex[field].encode()).decode()
        return out

    def write(self) -> None:
        with self._lock:
            done = [self._finish(ex) for ex in self.exchanges if "status" in ex]
        if "learner" not in self.names:  # no learner label was seen: the OS user, as helpers.naming does
            self.names["learner"] = sanitize(getpass.getuser())
        agents = sorted({header(ex["req_headers"], "User-Agent") for ex in done} - {""})
        self.meta.update(names=self.names, facts=self.facts, user_agents=agents,
                         clients=sorted({client_kind(a) for a in agents}), exchanges=len(done),
                         secrets_redacted=len(self.secrets.values), notebook=self.out.name.split(".")[0],
                         secret_files=dict(self.secrets.in_files))
        ping = next((ex for ex in done if ex["path"].endswith("/_ping")), None)
        if ping:
            self.meta["ping"] = [(k, v) for k, v in ping["headers"] if k.lower() not in ("date", "content-length")]
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.out.with_name(self.out.name + ".tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            for line in [self.meta, *done]:
                f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        tmp.replace(self.out)
