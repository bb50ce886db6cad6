"""``python -m workshop``: the instructor's commands (``./course bundle ...``, ``./course room ...``).

    bundle save FILE                write every image the course needs into FILE (with a manifest)
    bundle load FILE [--replace]    check every checksum in FILE, then load what this engine lacks
    bundle check [FILE]             what this engine lacks (with FILE: what differs from the bundle)
    room [--no-stats]               every learner on this engine: projects, services, memory/CPU, verdicts
    room reset LEARNER              remove LEARNER's course containers, networks, volumes and records
"""

from __future__ import annotations

import argparse
import sys

from helpers.errors import CourseError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="./course", description="The workshop kit (see docs/instructor.md).")
    sub = parser.add_subparsers(dest="command", required=True)
    bundle = sub.add_parser("bundle", help="the offline image bundle").add_subparsers(dest="action", required=True)
    save = bundle.add_parser("save", help="write every image the course needs into FILE")
    save.add_argument("file")
    load = bundle.add_parser("load", help="check every checksum in FILE, then load what this engine lacks")
    load.add_argument("file")
    load.add_argument("--replace", action="store_true", help="also replace images present under another id")
    check = bundle.add_parser("check", help="what this engine lacks")
    check.add_argument("file", nargs="?")
    room = sub.add_parser("room", help="every learner on this engine")
    room.add_argument("action", nargs="?", choices=["show", "reset"], default="show")
    room.add_argument("learner", nargs="?")
    room.add_argument("--no-stats", action="store_true", help="skip memory and CPU (faster)")
    return parser


def _bundle(args: argparse.Namespace) -> int:
    import helpers
    from workshop import bundle

    engine = helpers.connect()
    if args.action == "save":
        entries = bundle.save(args.file, engine)
        size = sum(e.size for e in entries)
        print(f"wrote {args.file}: {len(entries)} images, {size / 2**30:.2f} GiB")
        return 0
    if args.action == "load":
        results = bundle.load(args.file, engine, replace=args.replace)
        print("\n".join(str(r) for r in results))
        loaded = sum(r.outcome in ("loaded", "replaced") for r in results)
        print(f"{loaded} image(s) loaded, {len(results) - loaded} already here")
        return 0
    lines = bundle.check(engine, args.file)
    print("\n".join(str(line) for line in lines))
    missing = [line for line in lines if not line.ok]
    print("this engine has every image the course needs" if not missing else f"{len(missing)} image(s) missing")
    return 1 if missing else 0


def _room(args: argparse.Namespace) -> int:
    import helpers
    from workshop import room

    engine = helpers.connect()
    if args.action == "reset":
        if not args.learner:
            raise CourseError("`room reset` needs the learner id.", "e.g. `./course room reset ana` (the ids are "
                              "in the first column of `./course room`).")
        print(f"{args.learner}: {room.reset(args.learner, engine)}")
        return 0
    print(room.render_text(room.snapshot(engine, stats=not args.no_stats)))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _bundle(args) if args.command == "bundle" else _room(args)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
