"""Checks for ``02_names_and_dns.ipynb``: a service name is a DNS name, but only on the project's network.

The exercise starts a Redis container of service ``kv`` on Docker's default bridge, where no other container of
the project can find it. The app of the exercise expects its cache at ``cache:6379``. :func:`check_cache_alias`
asks the project network itself: a short-lived probe container on ``<project>_default`` resolves ``cache`` and
sends Redis a ``PING``. When that fails it looks at the ``kv`` container to say what is missing.
"""

from __future__ import annotations

import json

from docker.errors import NotFound

from .. import naming
from ..engine import client
from ..project import Project
from ..wait import wait_exited
from . import Verdict, verdict

ALIAS = "cache"
SERVICE = "kv"
PROBE_IMAGE = "python:3.13-slim"
PROBE_SERVICE = "dns-check"

# Runs inside the probe: resolve the name, then speak the Redis protocol to it. Prints one JSON line.
# A Redis that started a moment ago may refuse connections briefly: retry that for a few seconds.
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


def _probe(project: Project, name: str, timeout: float) -> dict[str, str | None]:
    """Resolve ``name`` and PING it from a throw-away container on the project network."""
    for old in project.containers(PROBE_SERVICE):  # a probe an interrupted check left behind
        old.remove(force=True, v=True)
    probe = project.run(
        PROBE_SERVICE, PROBE_IMAGE, command=["python", "-c", _PROBE % name],
        labels={naming.ONEOFF_LABEL: "True"},
    )
    try:
        wait_exited(probe, timeout=timeout)
        lines = probe.logs(stdout=True, stderr=False).decode(errors="replace").strip().splitlines()
        return json.loads(lines[-1]) if lines else {"address": None, "reply": None, "error": "no output"}
    finally:
        try:
            probe.remove(force=True, v=True)
        except NotFound:
            pass


def _owner(network_name: str, address: str | None) -> str | None:
    """The name of the container that holds ``address`` on the network, if any."""
    if not address:
        return None
    net = client().networks.get(network_name)
    for info in (net.attrs.get("Containers") or {}).values():
        if str(info.get("IPv4Address", "")).split("/")[0] == address:
            return str(info.get("Name"))
    return None


def check_cache_alias(project: Project, timeout: float = 60) -> Verdict:
    """PASSED when, on the project network, ``cache`` resolves to a Redis that answers ``PING`` with ``PONG``."""
    net = project.network()
    seen = _probe(project, ALIAS, timeout)
    if seen.get("address"):
        owner = _owner(net.name, seen["address"]) or "a container outside the project"
        if owner not in {c.name for c in project.containers(SERVICE)}:
            return verdict(
                False,
                f"on {net.name}, '{ALIAS}' resolves to {owner}, not to the container of service '{SERVICE}'.",
                f"give the name '{ALIAS}' to the Redis container of service '{SERVICE}' (and to no other container "
                "on that network).",
            )
        if seen.get("reply") == "+PONG":
            return verdict(True, f"on {net.name}, '{ALIAS}' resolves to {owner}, which answered +PONG.", "")
        return verdict(
            False,
            f"on {net.name}, '{ALIAS}' resolves to {owner}, but PING got {seen.get('reply') or seen.get('error')}.",
            f"the alias must point at the Redis container of service '{SERVICE}', and that must be running.",
        )
    kvs = project.containers(SERVICE)
    if not kvs:
        return verdict(
            False,
            f"on {net.name}, '{ALIAS}' does not resolve, and there is no container of service '{SERVICE}'.",
            "run the exercise cell (it starts the Redis container), then this check.",
        )
    kv = kvs[-1]
    kv.reload()
    networks = kv.attrs["NetworkSettings"]["Networks"] or {}
    if net.name not in networks:
        on = ", ".join(sorted(networks)) or "no network"
        return verdict(
            False,
            f"on {net.name}, '{ALIAS}' does not resolve: {kv.name} is on {on} only.",
            f"connect it to the project network under the name '{ALIAS}': "
            f"net.connect(kv, aliases=[\"{ALIAS}\"])  (in a compose file: networks: default: aliases: [{ALIAS}]).",
        )
    aliases = sorted(a for a in (networks[net.name].get("Aliases") or []) if a != kv.id[:12])
    return verdict(
        False,
        f"on {net.name}, '{ALIAS}' does not resolve: {kv.name} is there, known as {aliases}.",
        f"give it the alias '{ALIAS}': disconnect it (net.disconnect(kv)) and connect it again with "
        f"aliases=[\"{ALIAS}\"].",
    )
