"""Record notebooks: execute them on the real engine, write their outputs into the .ipynb files and, from the same
run, the replay recording ``binder/recordings/NN_topic.jsonl.gz`` (what Binder replays; see course_replay/README.md).

    .venv/bin/python tools/record.py notebooks/03_db.ipynb [...]     (no argument: every lesson notebook)
    ./course record [03_db ...]                                        (the same, after setting up)

Each notebook's kernel talks to a recording proxy in front of the real engine (``DOCKER_HOST`` points at it,
``COURSE_RECORD=1``), so the SDK, the docker CLI and Compose are all recorded, and the committed outputs and the
recording come from one run. Secrets are redacted by the proxy before the recording is written. A notebook that
fails leaves both its committed outputs and its committed recording as they were.

Runs as learner ``learner`` (the id the committed outputs name), without widget state (it would add hundreds of
KB per dashboard). Cells tagged ``engine-details`` show the learner's own engine (version, OS, memory, whether an
image is a local stand-in): their outputs are dropped from the notebook, so a reader of the committed notebook
is never told what the recording machine had. Check afterwards with ``pytest NOTEBOOK`` (twice: idempotent) and
``pytest --replay NOTEBOOK`` (the recording replays to the same outputs).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course_replay import RecordingProxy  # noqa: E402 - after the checkout is on the path

DETAILS_TAG = "engine-details"
RECORDINGS = ROOT / "binder" / "recordings"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"


KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def upstream() -> str:
    """The real engine's socket, where the docker CLI would connect (the proxy forwards to a unix socket only)."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host:
        from helpers.engine import _where  # the CLI's rule: DOCKER_HOST, else the current Docker context

        host = _where()[1].get("base_url", DEFAULT_SOCKET)
    if not host.startswith("unix://"):
        raise SystemExit(f"record: the engine at {host} is not a unix socket; the recording proxy needs one "
                         "(set DOCKER_HOST=unix:///path/to/docker.sock)")
    return host


def recording_of(path: Path) -> Path:
    return RECORDINGS / f"{path.stem}.jsonl.gz"


def record(path: Path, timeout: int = 900, engine: str | None = None) -> Path:
    """Execute ``path`` in its folder through a recording proxy; write it back with the new outputs and write its
    recording. Returns the recording's path."""
    nb = nbformat.read(path, as_version=4)
    out = recording_of(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    # the notebooks' folder is a name of its own: a learner's copies run in my_notebooks/ (./course lab --replay)
    names = {"learner": os.environ["COURSE_LEARNER"], "notebooks": str(path.parent)}
    proxy = RecordingProxy(partial, engine or upstream(), names=names)
    proxy.start()
    env = {"DOCKER_HOST": proxy.docker_host, "COURSE_RECORD": "1"}
    saved = {k: os.environ.get(k) for k in [*env, "COURSE_REPLAY"]}
    os.environ.pop("COURSE_REPLAY", None)
    os.environ.update(env)  # the kernel, and every docker/compose process it starts, inherit them
    ok = False
    try:
        runner = ExecutePreprocessor(timeout=timeout, kernel_name="python3", store_widget_state=False)
        runner.preprocess(nb, {"metadata": {"path": str(path.parent)}})
        ok = True
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        proxy.stop()  # writes the recording
        if ok:
            partial.replace(out)
        else:
            partial.unlink(missing_ok=True)
    for cell in nb.cells:
        if cell.cell_type == "code" and DETAILS_TAG in cell.metadata.get("tags", []):
            cell.outputs = []
    # the kernel as JupyterLab names it, and no Python version of the recording machine
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.get("language_info", {}).pop("version", None)
    nbformat.write(nb, path)
    size = out.stat().st_size
    print(f"recorded {path.relative_to(ROOT)} and {out.relative_to(ROOT)} "
          f"({proxy.meta.get('exchanges', '?')} exchanges, {size / 1e6:.2f} MB)", file=sys.stderr)
    return out


def resolve(arg: str) -> Path:
    """A notebook from a path, or from its name as ``./course record`` takes it (``03_db``, ``03``)."""
    given = Path(arg)
    if given.suffix == ".ipynb" and given.exists():
        return given.resolve()
    found = sorted((ROOT / "notebooks").glob(f"{given.stem}*.ipynb"))
    if len(found) != 1:
        raise SystemExit(f"record: no single lesson notebook matches {arg!r} (e.g. 03_db or notebooks/03_db.ipynb)")
    return found[0]


def main(argv: list[str]) -> int:
    os.environ["COURSE_LEARNER"] = "learner"
    paths = [resolve(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        record(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
