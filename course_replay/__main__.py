"""``python -m course_replay record|serve|info``: the recording proxy, the replay engine, a recording's summary."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from . import metadata
from .record import RecordingProxy
from .replay import ReplayEngine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_replay", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record every client of SOCK, forwarding to the real engine")
    rec.add_argument("--listen", required=True, help="unix socket to listen on (clients: DOCKER_HOST=unix://SOCK)")
    rec.add_argument("--upstream", default="unix:///run/docker.sock")
    rec.add_argument("--out", required=True, help="the recording, NN_topic.jsonl.gz (written on SIGINT/SIGTERM)")
    rec.add_argument("--secret-file", action="append", help=".env files whose secrets to redact (globs; "
                     "default: stack/.env and notebooks/_work/*/.env)")
    serve = sub.add_parser("serve", help="replay recordings on SOCK")
    serve.add_argument("--listen", required=True)
    serve.add_argument("--recording", required=True, help="a .jsonl.gz, or a folder of them (one per notebook)")
    serve.add_argument("--speed", type=float, default=1.0, help="playback rate: 2 plays streams twice as fast")
    serve.add_argument("--exit-with", type=int, metavar="PID", help="stop when process PID ends (binder/start)")
    for p in (rec, serve):
        p.add_argument("--name", action="append", default=[], metavar="NAME=VALUE",
                       help="a run-specific value (default: learner=$COURSE_LEARNER, root=the checkout)")
    info = sub.add_parser("info", help="print a recording's metadata")
    info.add_argument("recording")
    args = parser.parse_args(argv)
    if args.command == "info":
        print(json.dumps(metadata(args.recording), indent=2))
        return 0
    names = dict(n.split("=", 1) for n in args.name)
    try:
        service = (RecordingProxy(args.out, args.upstream, args.listen, names, args.secret_file)
                   if args.command == "record" else ReplayEngine(args.recording, args.speed, args.listen, names))
    except OSError as exc:  # no such recording (or folder without any)
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        service.start()
    except OSError as exc:
        print(f"{args.command}: cannot start: {exc} (is the engine at {args.upstream} running?)"
              if args.command == "record" else f"serve: cannot start: {exc}", file=sys.stderr)
        return 1
    print(f"{args.command}: DOCKER_HOST={service.docker_host}", flush=True)
    if getattr(args, "exit_with", None):
        threading.Thread(target=_watch, args=(args.exit_with, stop), daemon=True).start()
    stop.wait()
    service.stop()
    if isinstance(service, ReplayEngine):
        done = service.status()
        print(f"served {done['served']} exchanges, {len(done['divergences'])} divergence(s)", file=sys.stderr)
    else:
        print(f"wrote {args.out} ({service.meta['exchanges']} exchanges)", file=sys.stderr)
    return 0


def _watch(pid: int, stop: threading.Event) -> None:
    """Set ``stop`` once process ``pid`` is gone."""
    while not stop.wait(1):
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as f:  # Linux: a zombie (ended, not yet reaped) is gone too
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    stop.set()
        except ProcessLookupError:
            stop.set()
        except OSError:  # it exists, as another user's; or no /proc (macOS)
            pass


if __name__ == "__main__":
    sys.exit(main())
