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


_DNS = "«4. Service names are DNS names — on the project's network»"
_CONNECT = f"net.connect(kv, aliases=[\"{ALIAS}\"])"
_ANSWER = (f"`{_CONNECT}`. In a compose file, the same under the service `kv`:\n"
           f"networks:\n  default:\n    aliases: [{ALIAS}]\n")


def check(project: Project, timeout: float = 60) -> Verdict:
    """PASSED when, on the project network, ``cache`` resolves to the ``kv`` Redis and it answers ``PONG``."""
    on = f"on {naming.resource_name(project.name, 'default')}, '{ALIAS}'"
    kv = newest(project.containers(SERVICE))
    if kv is None:  # nothing to probe (e.g. after Clean up), so nothing to create either
        return verdict(False, f"{on} does not resolve, and there is no container of service '{SERVICE}'.",
                       "run the exercise cell (it starts the Redis container), then this check.")
    net = project.network()
    address, *replies = _probe(project, timeout)
    if address:
        net.reload()  # who holds that address: the network's Containers, as the engine has them now
        holder = next((str(info.get("Name")) for info in (net.attrs.get("Containers") or {}).values()
                       if str(info.get("IPv4Address", "")).split("/")[0] == address),
                      "a container outside the project")
        if holder not in {c.name for c in project.containers(SERVICE)}:
            return verdict(False, f"{on} resolves to {holder}, not to the container of service '{SERVICE}'.",
                           f"the name must lead to the Redis of service '{SERVICE}', but another container on the "
                           f"network answers to '{ALIAS}' (its service name, or an alias). {_DNS} lists the names a "
                           "container is known by there.",
                           answer=f"remove the other container that holds the name, and give '{ALIAS}' to kv "
                           f"alone: {_ANSWER}")
        if holder == ALIAS:  # kv.rename("cache"), or name="cache": the container's own name resolves
            return verdict(False, f"{on} resolves because the kv container itself is now named '{ALIAS}'.",
                           "a container name is not an alias: it is global to the engine, so a second copy of the "
                           "project (or the next learner) could not take the same name - «3. Two copies of a "
                           f"project, one fixed name». Keep the name Compose gives (<project>-{SERVICE}-1), and "
                           f"find the other kind of name in {_DNS}.",
                           answer=f"run the exercise cell again (it starts kv under its own name), then {_ANSWER}")
        if "PONG" in replies:
            return verdict(True, f"{on} resolves to {holder}, which answered PONG.", "")
        return verdict(False, f"{on} resolves to {holder}, but PING got {next(r for r in replies if r)}.",
                       f"the name leads to the container of service '{SERVICE}', but its Redis did not answer: is "
                       "it running (h.state_of(kv))?",
                       answer=f"run the exercise cell again (it starts kv), then {_ANSWER}")
    kv.reload()  # its networks as the engine has them after the probe
    networks = kv.attrs["NetworkSettings"]["Networks"] or {}
    if net.name not in networks:
        where = f"is on {', '.join(sorted(networks))} only" if networks else "is on no network at all"
        return verdict(False, f"{on} does not resolve: {kv.name} {where}.",
                       f"a name resolves only on a network the container is attached to, and only Docker's "
                       f"DNS on a user-defined network answers it: {_DNS}. A container can join a network under "
                       "names of its own, and that works on a running container (the SDK's Network.connect, "
                       "linked in the exercise).", answer=_ANSWER)
    aliases = sorted(a for a in (networks[net.name].get("Aliases") or []) if a != str(kv.id)[:12])
    return verdict(False, f"{on} does not resolve: {kv.name} is there, known as {aliases}.",
                   f"kv is on the project network, but not under the name '{ALIAS}': the extra names (aliases) of "
                   f"a container on a network are given when it joins that network ({_DNS}).",
                   answer=f"disconnect it (net.disconnect(kv)) and connect it again with aliases=[\"{ALIAS}\"].")
