"""Exercise of ``03_db``: publish the db's port on 127.0.0.1 only, at a given host port (the live ``db``
container's ``NetworkSettings.Ports["5432/tcp"]``, then whether Postgres answers from the host there)."""

from __future__ import annotations

import ipaddress
import socket
import struct
from typing import Any

from ..engine import on_host
from ..project import Project
from . import Verdict, container_of, verdict

SERVICE = "db"
CONTAINER_PORT = "5432/tcp"


def postgres_answers(host: str, port: int, timeout: float = 3.0) -> bool:
    """True when a Postgres server answers at ``host:port``: any Postgres replies ``S`` or ``N`` to an SSLRequest
    (the first message of its protocol; no driver, no password). Something else on that port, or nothing: False."""
    def ask() -> bool:
        try:
            with socket.create_connection((host, port), timeout=timeout) as sock:
                sock.sendall(struct.pack("!II", 8, 80877103))
                return sock.recv(1) in (b"S", b"N")
        except OSError:
            return False

    return on_host("postgres answers on a host port", ask)


_PORTS = "«4. `ports:` — who can reach the database»"
_ANSWER = "ports={\"5432/tcp\": (\"127.0.0.1\", ALT_PORT)} (in YAML: \"127.0.0.1:<ALT_PORT>:5432\")."


def binding_problem(ports: dict[str, Any], port: int, asked: tuple[str, ...] = ()) -> tuple[str, str, str] | None:
    """What is wrong with ``NetworkSettings.Ports`` for the exercise, as (seen, hint, answer); None when it is
    right. ``asked``: the host addresses the container asked for (``HostConfig.PortBindings``)."""
    bindings = ports.get(CONTAINER_PORT) or []
    published = sorted(key for key, value in ports.items() if value)
    if published and not bindings:
        return (f"the db publishes {published}, but not {CONTAINER_PORT}.", "the key of ports= is the port inside "
                f"the container, where Postgres listens; the host port goes into the value ({_PORTS}).", _ANSWER)
    if not bindings:
        return ("the db publishes no port: only containers on its network can reach it.", f"{_PORTS} publishes "
                "the db for the host: up_db hands a ports= argument to containers.run, a dict from the container's "
                "port to where the host listens (an address and a port).", _ANSWER)
    ips = sorted({b.get("HostIp") or "" for b in bindings})
    if ips != ["127.0.0.1"]:
        every = {"": "every address", "0.0.0.0": "every IPv4 address (0.0.0.0)", "::": "every IPv6 address (::)"}
        shown = ", ".join(every.get(ip, ip) for ip in ips)
        names = [ip for ip in asked if ip and not _is_address(ip)]
        if names:  # e.g. "localhost": the engine takes an address only, and listened everywhere instead
            return (f"{CONTAINER_PORT} is published on {shown}, although the binding asked for {names[0]!r}.",
                    f"the engine takes an IP address there, not a host name: given a name, it listens on every "
                    f"interface, with no error. \"Why 127.0.0.1?\" at the end of {_PORTS} names the address.",
                    f"write the address itself: ('127.0.0.1', ALT_PORT), not ({names[0]!r}, ALT_PORT).")
        return (f"{CONTAINER_PORT} is published on {shown}: other machines that can reach yours can try to log in.",
                f"a binding without an address listens on every interface of the host: \"Why 127.0.0.1?\" at the "
                f"end of {_PORTS}. The value of ports= can say which address to listen on.",
                "give the host IP in the value of ports=: a tuple ('127.0.0.1', ALT_PORT) instead of a bare port "
                "number (in YAML: \"127.0.0.1:PORT:5432\" instead of \"PORT:5432\").")
    host_ports = sorted({str(b.get("HostPort")) for b in bindings})
    if host_ports != [str(port)]:
        extra = [p for p in host_ports if p != str(port)]
        if len(extra) < len(host_ports):  # ALT_PORT and others: one binding too many
            return (f"{CONTAINER_PORT} is published on 127.0.0.1 at ALT_PORT ({port}), and also at host port "
                    f"{', '.join(extra)}.", "the exercise asks for one binding: the list of the value holds one "
                    f"pair per host port ({_PORTS}).", "one tuple, not a list: ('127.0.0.1', ALT_PORT).")
        return (f"{CONTAINER_PORT} is published on 127.0.0.1, but at host port {', '.join(host_ports)}, "
                f"not at ALT_PORT ({port}).", "the address is right; the host port is the other half of the value, "
                f"as in the last cell of {_PORTS}.", "the host port is the second item of the tuple: "
                "('127.0.0.1', ALT_PORT).")
    return None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def check(project: Project, port: int) -> Verdict:
    """The db publishes container port 5432 on 127.0.0.1:``port`` only, and Postgres answers there from the host."""
    db = container_of(project, SERVICE, "the db and waits until it is healthy", running=True)
    if isinstance(db, Verdict):
        return db
    asked = tuple(b.get("HostIp") or "" for b in (db.attrs["HostConfig"].get("PortBindings") or {}).get(
        CONTAINER_PORT) or [])
    problem = binding_problem(db.attrs["NetworkSettings"].get("Ports") or {}, port, asked)
    if problem:
        seen, hint, answer = problem
        return verdict(False, seen, hint, answer=answer)
    if not postgres_answers("127.0.0.1", port):
        return verdict(False, "the binding is right, but nothing answered at 127.0.0.1:ALT_PORT from the host.",
                       "is the db still healthy (h.state_of(db))? Run the exercise cell again, then this check.")
    return verdict(True, f"{CONTAINER_PORT} is published on 127.0.0.1 only, at ALT_PORT, and Postgres answered "
                   "from the host.", "")
