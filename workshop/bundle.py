"""Offline bundle: every image the course needs in one archive with a manifest, for a room without internet.

    ./course bundle save FILE     # where the images are (after ./course lab): writes FILE
    ./course bundle load FILE     # on each engine of the room: checks every sha256 first, then loads
    ./course bundle check [FILE]  # what this engine lacks (and, with FILE, what differs from the bundle)

The archive is a plain tar: one ``docker save`` tar per image under ``images/``, and ``course-bundle.json``, the
manifest (each image's reference, id, the size and sha256 of its saved tar). A tag already on the engine is never
replaced unless asked (``--replace``).

A loaded image has no build cache chain: ``docker save`` keeps an image's layers and history, not the classic
builder's intermediate images, so a plain rebuild of ``stack/Dockerfile`` after a code edit would run
``pip install`` again (network). The course's builds pass every ``cryphos-app`` image as ``cache_from``
(:func:`helpers.stack.cache_from`), which matches the steps against the loaded image's history instead: the
dependency layers come from the bundle. (Saving the chain along does not help on current engines: since Docker
25.0.2 and 24.0.9 the classic builder's local cache only trusts images built on that engine.)
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound

from helpers.errors import CourseError
from helpers.images import course_refs
from workshop.standins import BASE_IMAGE

MANIFEST = "course-bundle.json"
FORMAT = 1
CHUNK = 1 << 20
Progress = Callable[[str], None]


class BundleError(CourseError):
    """A bundle that cannot be written, read, trusted or loaded."""


@dataclass(frozen=True)
class Entry:
    """One image in a bundle: its tag, its id, and the size and sha256 of its saved tar (``member``)."""

    ref: str
    id: str
    size: int
    sha256: str
    member: str


def required_refs(engine: docker.DockerClient) -> list[str]:
    """What a bundle holds: the three base images, the stand-ins' base when this engine has it, the app image."""
    refs = course_refs()
    return refs if _image(engine, BASE_IMAGE) is None else [*refs[:-1], BASE_IMAGE, refs[-1]]


def _image(engine: docker.DockerClient, ref: str) -> Any:
    try:
        return engine.images.get(ref)
    except ImageNotFound:
        return None


def member_name(ref: str) -> str:
    """``images/postgres_17.tar`` for ``postgres:17`` (a name safe in any file system)."""
    return "images/" + "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in ref) + ".tar"


def _bar(total: int, desc: str) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, leave=False)


def _tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, int(time.time())
    header = info.tobuf(format=tarfile.USTAR_FORMAT)
    assert len(header) == tarfile.BLOCKSIZE, name  # short names only: the header is rewritten in place
    return header


def _pad(out: IO[bytes], size: int) -> None:
    if size % tarfile.BLOCKSIZE:
        out.write(b"\0" * (tarfile.BLOCKSIZE - size % tarfile.BLOCKSIZE))


def _save_one(engine: docker.DockerClient, ref: str, out: IO[bytes], bar: Any) -> tuple[int, str]:
    """Stream ``docker save REF`` into ``out``; returns (size, sha256)."""
    digest, size = hashlib.sha256(), 0
    for chunk in engine.api.get_image(ref, chunk_size=CHUNK):
        out.write(chunk)
        digest.update(chunk)
        size += len(chunk)
        bar.update(len(chunk))
    return size, digest.hexdigest()


def save(path: str | Path, engine: docker.DockerClient, refs: list[str] | None = None,
         progress: Progress = print) -> list[Entry]:
    """Write the bundle for ``refs`` (default :func:`required_refs`) to ``path``; returns its manifest entries.

    The file appears only when complete (it is written as ``FILE.part`` first).
    """
    refs = refs if refs is not None else required_refs(engine)
    missing = [ref for ref in refs if _image(engine, ref) is None]
    if missing:
        raise BundleError(f"This engine lacks {', '.join(missing)}, so no bundle can be made of it.",
                          "make the images first: `./course images` (base images) and "
                          "`python -c 'from helpers import stack; stack.build_app_image()'` (the app image).")
    path = Path(path)
    part = path.with_name(path.name + ".part")
    entries: list[Entry] = []
    total = sum(int(engine.images.get(ref).attrs.get("Size", 0)) for ref in refs)
    bar = _bar(total, "saving")
    try:
        with open(part, "wb") as out:
            for ref in refs:
                image = engine.images.get(ref)
                header_at = out.tell()
                out.write(b"\0" * tarfile.BLOCKSIZE)
                size, sha = _save_one(engine, ref, out, bar)
                _pad(out, size)
                end = out.tell()
                out.seek(header_at)
                out.write(_tar_header(member_name(ref), size))
                out.seek(end)
                entries.append(Entry(ref, image.id, size, sha, member_name(ref)))
                progress(f"[{ref}] saved: {size / 2**20:.0f} MiB")
            body = json.dumps({"format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "images": [asdict(e) for e in entries]}, indent=2).encode()
            out.write(_tar_header(MANIFEST, len(body)))
            out.write(body)
            _pad(out, len(body))
            out.write(b"\0" * tarfile.BLOCKSIZE * 2)  # end of archive
        os.replace(part, path)
    except (APIError, DockerException, OSError) as exc:
        part.unlink(missing_ok=True)
        raise BundleError(f"Writing the bundle failed: {exc}", "check the free space where FILE goes, and that "
                          "the engine answers (`docker info`).") from None
    finally:
        bar.close()
    return entries


def read_manifest(tar: tarfile.TarFile, path: str | Path = "") -> list[Entry]:
    """The entries of an open bundle, checked for shape (not yet for checksums)."""
    try:
        doc = json.load(tar.extractfile(MANIFEST) or io.BytesIO(b"{}"))
        if doc.get("format") != FORMAT:
            raise ValueError(f"format {doc.get('format')!r}, expected {FORMAT}")
        return [Entry(**item) for item in doc["images"]]
    except (KeyError, ValueError, TypeError) as exc:
        raise BundleError(f"{path or 'The file'} is not a course bundle ({exc}).",
                          "make one with `./course bundle save FILE` on a machine that has the images.") from None


def _open(path: str | Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:")
    except (OSError, tarfile.TarError) as exc:
        raise BundleError(f"Cannot read the bundle {path}: {exc}",
                          "give the path of a file written by `./course bundle save`; copy it again if the copy "
                          "was cut short.") from None


def verify(tar: tarfile.TarFile, entries: list[Entry], progress: Progress = print) -> None:
    """Check every image's size and sha256 against the manifest; raise :class:`BundleError` on the first mismatch."""
    bar = _bar(sum(e.size for e in entries), "checking")
    try:
        for entry in entries:
            try:
                member = tar.getmember(entry.member)
            except KeyError:
                raise BundleError(f"The bundle lists {entry.ref} but holds no {entry.member}.",
                                  "the file is damaged or incomplete: copy it again.") from None
            digest = hashlib.sha256()
            data = tar.extractfile(member)
            assert data is not None
            for chunk in iter(functools.partial(data.read, CHUNK), b""):
                digest.update(chunk)
                bar.update(len(chunk))
            if member.size != entry.size or digest.hexdigest() != entry.sha256:
                raise BundleError(f"{entry.ref} in the bundle does not match its checksum: nothing was loaded.",
                                  "the file is damaged (an interrupted copy, a full USB stick): copy it again, "
                                  "or save a new bundle.")
            progress(f"[{entry.ref}] checksum ok")
    finally:
        bar.close()


class _Reader:
    """A tar member as a request body with progress (``requests`` streams what it can iterate)."""

    def __init__(self, data: IO[bytes], size: int, bar: Any) -> None:
        self.data, self.size, self.bar = data, size, bar

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        for chunk in iter(lambda: self.data.read(CHUNK), b""):
            self.bar.update(len(chunk))
            yield chunk


@dataclass(frozen=True)
class Loaded:
    """What :func:`load` did with one image: ``loaded``, ``present`` (same id) or ``kept`` (another id is there)."""

    ref: str
    outcome: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.ref:34} {self.outcome}" + (f" ({self.detail})" if self.detail else "")


def load(path: str | Path, engine: docker.DockerClient, replace: bool = False,
         progress: Progress = print) -> list[Loaded]:
    """Verify every checksum of the bundle at ``path``, then load what the engine lacks; returns what happened.

    An image whose tag is present with the same id is skipped; with another id it is kept unless ``replace``.
    """
    with _open(path) as tar:
        entries = read_manifest(tar, path)
        verify(tar, entries, progress)
        plan: list[tuple[Entry, str]] = []
        results: list[Loaded] = []
        for entry in entries:
            here = _image(engine, entry.ref)
            if here is not None and here.id == entry.id:
                results.append(Loaded(entry.ref, "present", "same image"))
            elif here is not None and not replace:
                results.append(Loaded(entry.ref, "kept", "this engine has another image under that tag; "
                                                         "--replace loads the bundle's"))
            else:
                plan.append((entry, "replaced" if here is not None else "loaded"))
        bar = _bar(sum(e.size for e, _ in plan), "loading")
        try:
            for entry, outcome in plan:
                data = tar.extractfile(entry.member)
                assert data is not None
                for event in engine.api.load_image(_Reader(data, entry.size, bar)):
                    if isinstance(event, dict) and event.get("error"):
                        raise BundleError(f"Loading {entry.ref} failed: {event['error']}",
                                          "check the engine's free disk space (`docker system df`).")
                got = engine.images.get(entry.ref)
                if got.id != entry.id:
                    raise BundleError(f"After loading, {entry.ref} is {got.id[:19]}, not the bundle's {entry.id[:19]}.",
                                      "load the bundle again; if it persists, save a new bundle.")
                results.append(Loaded(entry.ref, outcome, f"{entry.size / 2**20:.0f} MiB"))
                progress(str(results[-1]))
        except (APIError, DockerException) as exc:
            raise BundleError(f"The engine refused the bundle: {exc}", "check `docker info` and its free disk "
                              "space, then load again (images already loaded are kept).") from None
        finally:
            bar.close()
    order = {e.ref: i for i, e in enumerate(entries)}
    return sorted(results, key=lambda r: order[r.ref])


@dataclass(frozen=True)
class Status:
    """One line of :func:`check`: an image the course needs and whether this engine has it."""

    ref: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"[{'ok ' if self.ok else 'FIX'}] {self.ref:34} {self.detail}"


def check(engine: docker.DockerClient, path: str | Path | None = None) -> list[Status]:
    """Each image the course needs: present or missing here, and with ``path``, whether it is the bundle's."""
    refs = course_refs()
    bundled: dict[str, Entry] = {}
    if path is not None:
        with _open(path) as tar:
            bundled = {e.ref: e for e in read_manifest(tar, path)}
        refs += [ref for ref in bundled if ref not in refs]
    fix = f"`./course bundle load {path}`" if path else "`./course bundle load FILE` (the workshop's bundle)"
    lines = []
    for ref in refs:
        here = _image(engine, ref)
        if here is None:
            lines.append(Status(ref, False, f"missing: {fix}"))
        elif ref in bundled and bundled[ref].id != here.id:
            lines.append(Status(ref, True, "present, but not the bundle's image (kept; `--replace` loads the "
                                           "bundle's)"))
        else:
            lines.append(Status(ref, True, "present" + (", the bundle's" if ref in bundled else "")))
    return lines
