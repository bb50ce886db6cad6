"""Exercise of ``02_names_and_dns``: the Redis of service ``kv`` answers as ``cache`` on the project network (a
probe container resolves ``cache`` and PINGs it; otherwise kv's networks and aliases say what is missing)."""

from __future__ import annotations

from .. import naming
from ..containers import newest
from ..project import Project
from ..wait import wait_exited
from . import Verdict, verdict

ALIAS = "cache"
SERVICE = "kv"
PROBE_IMAGE = "redis:8"  # the kv's own image: it has redis-cli
PROBE_SERVICE = "dns-check"
# Runs in the probe: the address the name resolves to (or an empty line), then PING (a fresh Redis may refuse briefly).
_PROBE = (f"a=$(getent hosts {ALIAS} | cut -d' ' -f1); echo \"$a\"; [ -n \"$a\" ] || exit 0; "
          f"for i in $(seq 20); do redis-cli -h {ALIAS} ping && exit 0; sleep 0.25; done")


def _probe(project: Project, timeout: float) -> list[str]:
    """Resolve ``cache`` and PING it from a throw-away container on the project network: [address, reply]."""
    for old in project.containers(PROBE_SERVICE):  # a probe an interrupted check left behind
        old.remove(force=True, v=True)
    probe = project.run(PROBE_SERVICE, PROBE_IMAGE, command=["sh", "-c", _PROBE], labels={naming.ONEOFF_LABEL: "True"})
    try:
        wait_exited(probe, timeout=timeout)
        return [*probe.logs().decode(errors="replace").strip().splitlines(), "", "(no answer)"]
    finally:
        probe.remove(force=True, v=True)


def check(project: Project, timeout: float = 60) -> Verdict:
    """PASSED when, on the project network, ``cache`` resolves to the ``kv`` Redis and it answers ``PONG``."""
    net = project.network()
    address, *replies = _probe(project, timeout)
    on = f"on {net.name}, '{ALIAS}'"
    if address:
        net.reload()  # who holds that address: the network's Containers, as the engine has them now
        holder = next((str(info.get("Name")) for info in (net.attrs.get("Containers") or {}).values()
                       if str(info.get("IPv4Address", "")).split("/")[0] == address),
                      "a container outside the project")
        if holder not in {c.name for c in project.containers(SERVICE)}:
            return verdict(False, f"{on} resolves to {holder}, not to the container of service '{SERVICE}'.",
                           f"give the name '{ALIAS}' to the Redis container of service '{SERVICE}' (and to no other "
                           "container on that network).")
        if holder == ALIAS:  # kv.rename("cache"), or name="cache": the container's own name resolves
            return verdict(False, f"{on} resolves because the kv container itself is now named '{ALIAS}'.",
                           "a container name is not an alias: Compose names a service's containers itself "
                           f"(<project>-{SERVICE}-1) and a second copy could not take the same name. Keep the "
                           f"name and add the alias '{ALIAS}' on the project network (section 4 reads them).")
        if "PONG" in replies:
            return verdict(True, f"{on} resolves to {holder}, which answered PONG.", "")
        return verdict(False, f"{on} resolves to {holder}, but PING got {next(r for r in replies if r)}.",
                       f"the alias must point at the Redis container of service '{SERVICE}', and that must be running.")
    kv = newest(project.containers(SERVICE))
    if kv is None:
        return verdict(False, f"{on} does not resolve, and there is no container of service '{SERVICE}'.",
                       "run the exercise cell (it starts the Redis container), then this check.")
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
