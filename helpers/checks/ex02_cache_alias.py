"""Exercise of ``02_names_and_dns``: the Redis of service ``kv`` answers as ``cache`` on the project network.

A short-lived probe container on ``<project>_default`` resolves ``cache`` and sends Redis a ``PING``; when that
fails, the ``kv`` container's networks and aliases say what is missing.
"""

from __future__ import annotations

import json

from docker.errors import NotFound

from .. import naming
from ..containers import newest
from ..engine import client
from ..project import Project
from ..wait import wait_exited
from . import Verdict, verdict

ALIAS = "cache"
SERVICE = "kv"
PROBE_IMAGE = "python:3.13-slim"
PROBE_SERVICE = "dns-check"

# Runs inside the probe: resolve the name, then PING it (a Redis that just started may refuse briefly). One JSON line.
_PROBE = """
import json, socket, time
out = {"address": None, "reply": None, "error": None}
try:
    out["address"] = socket.gethostbyname(%r)
    for attempt in range(20):
        try:
            with socket.create_connection((out["address"], 6379), timeout=3) as s:
                s.sendall(b"PING\\r\\n")
                out["reply"] = s.recv(64).decode(errors="replace").strip()
            break
        except ConnectionRefusedError:
            time.sleep(0.25)
    else:
        out["error"] = "ConnectionRefusedError"
except Exception as exc:
    out["error"] = type(exc).__name__ + ": " + str(exc)
print(json.dumps(out))
"""


def _probe(project: Project, timeout: float) -> dict[str, str | None]:
    """Resolve ``cache`` and PING it from a throw-away container on the project network."""
    for old in project.containers(PROBE_SERVICE):  # a probe an interrupted check left behind
        old.remove(force=True, v=True)
    probe = project.run(PROBE_SERVICE, PROBE_IMAGE, command=["python", "-c", _PROBE % ALIAS],
                        labels={naming.ONEOFF_LABEL: "True"})
    try:
        wait_exited(probe, timeout=timeout)
        lines = probe.logs(stdout=True, stderr=False).decode(errors="replace").strip().splitlines()
        return json.loads(lines[-1]) if lines else {"address": None, "reply": None, "error": "no output"}
    finally:
        try:
            probe.remove(force=True, v=True)
        except NotFound:
            pass


def _holder(network: str, address: str) -> str:
    """The name of the container that holds ``address`` on ``network``."""
    for info in (client().networks.get(network).attrs.get("Containers") or {}).values():
        if str(info.get("IPv4Address", "")).split("/")[0] == address:
            return str(info.get("Name"))
    return "a container outside the project"


def check(project: Project, timeout: float = 60) -> Verdict:
    """PASSED when, on the project network, ``cache`` resolves to the ``kv`` Redis and it answers ``+PONG``."""
    net = project.network()
    seen = _probe(project, timeout)
    on = f"on {net.name}, '{ALIAS}'"
    if seen.get("address"):
        holder = _holder(str(net.name), str(seen["address"]))
        if holder not in {c.name for c in project.containers(SERVICE)}:
            return verdict(False, f"{on} resolves to {holder}, not to the container of service '{SERVICE}'.",
                           f"give the name '{ALIAS}' to the Redis container of service '{SERVICE}' (and to no other "
                           "container on that network).")
        if seen.get("reply") == "+PONG":
            return verdict(True, f"{on} resolves to {holder}, which answered +PONG.", "")
        return verdict(False, f"{on} resolves to {holder}, but PING got {seen.get('reply') or seen.get('error')}.",
                       f"the alias must point at the Redis container of service '{SERVICE}', and that must be running.")
    kv = newest(project.containers(SERVICE))
    if kv is None:
        return verdict(False, f"{on} does not resolve, and there is no container of service '{SERVICE}'.",
                       "run the exercise cell (it starts the Redis container), then this check.")
    kv.reload()
    networks = kv.attrs["NetworkSettings"]["Networks"] or {}
    if net.name not in networks:
        return verdict(False, f"{on} does not resolve: {kv.name} is on {', '.join(sorted(networks)) or 'no network'} "
                       "only.", f"connect it to the project network under the name '{ALIAS}': "
                       f"net.connect(kv, aliases=[\"{ALIAS}\"])  (in a compose file: networks: default: aliases: "
                       f"[{ALIAS}]).")
    aliases = sorted(a for a in (networks[net.name].get("Aliases") or []) if a != str(kv.id)[:12])
    return verdict(False, f"{on} does not resolve: {kv.name} is there, known as {aliases}.",
                   f"give it the alias '{ALIAS}': disconnect it (net.disconnect(kv)) and connect it again with "
                   f"aliases=[\"{ALIAS}\"].")
