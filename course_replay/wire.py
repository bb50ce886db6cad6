"""HTTP/1.1 on unix sockets, as the Docker engine speaks it: heads, bodies, chunks, hijacked streams, frames.

Shared by the recording proxy and the replay engine. Stdlib only.
"""

from __future__ import annotations

import base64
import fcntl
import http.client
import os
import re
import select
import socket
import socketserver
import stat
import struct
import tempfile
import termios
import threading
import time
import traceback
from pathlib import Path
from typing import Any

Headers = list[tuple[str, str]]
NO_BODY_STATUS = (101, 204, 304)


class Conn:
    """A socket with a read buffer we own, so bytes read past a head (a hijacked stream's first frame) are kept."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def _take(self, n: int) -> bytes:
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def readline(self) -> bytes:
        while b"\n" not in self.buf:
            if not self.fill():
                raise EOFError("connection closed")
        return self._take(self.buf.index(b"\n") + 1)

    def read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self.fill():
                raise EOFError("connection closed")
        return self._take(n)

    def read_some(self) -> bytes:
        """What is buffered, else one recv (b"" at end of stream)."""
        if not self.buf and not self.fill():
            return b""
        return self._take(len(self.buf))

    def read_head(self) -> tuple[str, Headers] | None:
        """The start line and headers; None when the peer closed between messages."""
        try:
            line = self.readline()
            while line in (b"\r\n", b"\n"):
                line = self.readline()
        except EOFError:
            return None
        headers: Headers = []
        while True:
            h = self.readline().decode("latin-1").rstrip("\r\n")
            if not h:
                return line.decode("latin-1").rstrip("\r\n"), headers
            name, _, value = h.partition(":")
            headers.append((name.strip(), value.strip()))

    def read_chunk(self) -> bytes | None:
        """One chunk of a chunked body (None after the last one, trailers consumed)."""
        size = int(self.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while self.readline() not in (b"\r\n", b"\n"):
                pass
            return None
        data = self.read_exact(size)
        self.readline()
        return data

    def read_body(self, headers: Headers) -> bytes:
        """A request body: Content-Length or chunked (nothing otherwise)."""
        if "chunked" in header(headers, "Transfer-Encoding").lower():
            parts = []
            while (chunk := self.read_chunk()) is not None:
                parts.append(chunk)
            return b"".join(parts)
        return self.read_exact(int(header(headers, "Content-Length") or 0))

    def peer_closed(self, timeout: float = 0.0) -> bool:
        """Whether the peer closed (data it sends meanwhile is kept in the buffer)."""
        readable, _, _ = select.select([self.sock], [], [], timeout)
        if not readable:
            return False
        try:
            return not self.fill()
        except OSError:
            return True


def header(headers: Headers, name: str) -> str:
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), "")


def head_bytes(start: str, headers: Headers) -> bytes:
    return (start + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")


def chunk_bytes(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data) if data else b""


def wait_consumed(sock: socket.socket, limit: float = 3.0) -> None:
    """Wait until the peer has read everything sent (Linux: SIOCOUTQ of a unix socket drops to 0).

    docker-py reads a 101 head through a buffered file and then reads frames from the raw socket: bytes that arrive
    before it has read the head are swallowed by that buffer. So nothing follows a 101 head until it was read.
    """
    end = time.monotonic() + limit
    buf = bytearray(4)
    while time.monotonic() < end:
        try:
            fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf)
        except OSError:
            time.sleep(0.05)
            return
        if struct.unpack("i", buf)[0] == 0:
            return
        time.sleep(0.002)


def frames(data: bytes) -> list[tuple[int, bytes, int]] | None:
    """Split Docker's multiplexed stream (8-byte headers: stream id, 0, 0, 0, big-endian length) into
    ``(stream, payload, end offset)``; None when ``data`` is not exactly such a stream (e.g. a TTY's raw output)."""
    out, i = [], 0
    while i < len(data):
        if len(data) - i < 8 or data[i] > 2 or data[i + 1:i + 4] != b"\0\0\0":
            return None
        n = struct.unpack(">L", data[i + 4:i + 8])[0]
        if len(data) - i - 8 < n:
            return None
        out.append((data[i], data[i + 8:i + 8 + n], i + 8 + n))
        i += 8 + n
    return out


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


def enc(data: bytes | None) -> Any:
    """Bytes as stored: UTF-8 text as a string, anything else as ``{"b64": ...}``."""
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(data).decode("ascii")}


def dec(value: Any) -> bytes | None:
    """The bytes of a stored value (bytes pass through)."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return base64.b64decode(value["b64"])


def unix_path(docker_host: str) -> str:
    return docker_host.removeprefix("unix://")


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix)


def call(docker_host: str, method: str, path: str, body: bytes = b"", timeout: float = 10) -> tuple[int, bytes]:
    """One request to a unix socket: the status and the body."""
    conn = _UnixHTTP(unix_path(docker_host), timeout)
    try:
        conn.request(method, path, body=body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


LEARNER_IN = re.compile(r'io\.compose-course\.learner(?:=|"\s*:\s*")([a-z0-9_-]+)')  # the course's learner label


def learner_in(text: str) -> str | None:
    """The learner id a request names in the course's learner label (decoded query or body), if any."""
    m = LEARNER_IN.search(text)
    return m.group(1) if m else None


def sanitize(name: str) -> str:
    """A learner id as helpers.naming makes it."""
    return re.sub(r"[^a-z0-9_-]", "", name.lower()).lstrip("-_") or "learner"


def default_names() -> dict[str, str]:
    """The run-specific values every recording names: the checkout's path (bind mounts and Compose's working-dir
    labels contain it) and, when ``COURSE_LEARNER`` says it, the learner id (else the traffic tells: the course
    labels everything with it)."""
    names = {"root": str(Path(__file__).resolve().parents[1])}
    if os.environ.get("COURSE_LEARNER", "").strip():
        names["learner"] = sanitize(os.environ["COURSE_LEARNER"].strip())
    return names


class Service:
    """A threaded server on a unix socket (a fresh temporary path unless ``listen`` is given)."""

    def __init__(self, listen: str | None) -> None:
        self._tmp = None if listen else tempfile.mkdtemp(prefix="course-replay-")
        self.path = listen or os.path.join(self._tmp or "", "docker.sock")
        self._open: set[socket.socket] = set()
        self._server: socketserver.ThreadingUnixStreamServer | None = None

    @property
    def docker_host(self) -> str:
        return f"unix://{self.path}"

    def handle(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def start(self) -> None:
        if os.path.exists(self.path) and stat.S_ISSOCK(os.stat(self.path).st_mode):
            os.unlink(self.path)
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._open.add(self.request)
                try:
                    outer.handle(self.request)
                except (OSError, EOFError):
                    pass
                except Exception:  # noqa: BLE001 - one broken connection must not stop the service
                    traceback.print_exc()
                finally:
                    outer._open.discard(self.request)

        class Server(socketserver.ThreadingUnixStreamServer):
            daemon_threads = True
            block_on_close = False
            request_queue_size = 128  # Compose opens many connections at once (the default 5 refuses some)

        self._server = Server(self.path, Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        for sock in list(self._open):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if os.path.exists(self.path):
            os.unlink(self.path)
        if self._tmp:
            os.rmdir(self._tmp)
