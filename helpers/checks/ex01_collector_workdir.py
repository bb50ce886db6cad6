"""Exercise of ``01_image_and_container``: the ``collector`` container runs from ``/app/apis``, the image from ``/app``
(read from the live container's ``Config`` and the directory its main process really runs in)."""

from __future__ import annotations

from docker.errors import ImageNotFound

from ..containers import run_in
from ..engine import client
from ..project import Project
from ..stack import app_image
from . import Verdict, again, container_of, verdict

SERVICE = "collector"
EXPECTED_DIR = "/app/apis"
_OVERRIDES = "«3. The Dockerfile bakes, the compose file overrides»"  # where the lesson overrides WORKDIR (celery)
_ANSWER = (f"add working_dir=\"{EXPECTED_DIR}\" to the project.run(...) call in the exercise cell (in a compose "
           f"file: `working_dir: {EXPECTED_DIR}`).")
_KEEP = "keep command=[\"sleep\", \"infinity\"] and set the directory with working_dir only."
_RETRY = again()


def check(project: Project) -> Verdict:
    """PASSED when the project's ``collector`` container runs the learner's app image from ``/app/apis``."""
    image = app_image()
    container = container_of(project, SERVICE, "the container")
    if isinstance(container, Verdict):
        return container
    config = container.attrs["Config"]
    if config.get("Image") != image:
        return verdict(False, f"{container.name} runs {config.get('Image')}, not {image}.",
                       "the point is one image and different containers: every container of «2. Two containers, "
                       "one image» runs the same image, and what differs is given to the container." + _RETRY,
                       answer=f"keep IMAGE (\"{image}\") as the image, and change only the working directory.")
    if container.status != "running":
        return verdict(False, f"{container.name} is {container.status} (exit code "
                       f"{container.attrs['State'].get('ExitCode')}).", "the check looks inside the running "
                       "container: its stand-in command keeps it running, so leave the command as it was and "
                       "change only the directory it runs in." + _RETRY, answer=_KEEP)
    try:
        baked = client().images.get(image).attrs["Config"].get("WorkingDir") or "/"
    except ImageNotFound:
        baked = "(image not found)"
    workdir = config.get("WorkingDir") or "/"
    code, cwd = run_in(container, ["readlink", "/proc/1/cwd"])  # where the main process really runs
    cwd = cwd.strip() if code == 0 else ""
    if workdir == baked and cwd == EXPECTED_DIR:  # sh -c "cd /app/apis && ...": the process moved, the container not
        return verdict(False, f"{container.name} has WorkingDir {workdir}, the image's: its main process runs in "
                       f"{cwd} only because the command changes directory.", "a `cd` in the command moves that one "
                       "process; `docker exec`, `docker compose exec` and a healthcheck still start in the image's "
                       f"WORKDIR. Override the container's working directory itself, as the celery service of "
                       f"{_OVERRIDES} does." + _RETRY, answer=f"{_ANSWER} {_KEEP}")
    if workdir != EXPECTED_DIR:
        why = ("the image's WORKDIR (not overridden, or overridden with the same directory)." if workdir == baked
               else f"the seed's collectors run from {EXPECTED_DIR}.")
        hint = (f"the container still runs from the image's WORKDIR. {_OVERRIDES} shows which argument of the SDK "
                f"call (and which key of a compose file) overrides it: its celery service runs from {EXPECTED_DIR} "
                "too." if workdir == baked else "the override is there, but not the seed's directory: a directory "
                "the image does not have is created empty, without a warning, and the collector's code is not in "
                f"it. Compare with the celery service of {_OVERRIDES}.")
        return verdict(False, f"{container.name} has WorkingDir {workdir}; {why}", hint + _RETRY,
                       answer=_ANSWER if workdir == baked else f"working_dir=\"{EXPECTED_DIR}\", exactly.")
    if cwd != EXPECTED_DIR:
        return verdict(False, f"Config.WorkingDir is {workdir}, but the main process runs in "
                       f"{cwd or '(unknown)'}.", "does your command change directory (`cd ...`)? The main process "
                       "should start where the working directory says." + _RETRY, answer=_KEEP)
    return verdict(True, f"{container.name} runs from {cwd} (Config.WorkingDir {workdir}); the image still "
                   f"says {baked}.", "")
