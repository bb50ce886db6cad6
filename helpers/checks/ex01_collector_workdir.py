"""Exercise of ``01_image_and_container``: the ``collector`` container runs from ``/app/apis``, the image from ``/app``
(read from the live container's ``Config`` and the directory its main process really runs in)."""

from __future__ import annotations

from docker.errors import ImageNotFound

from ..containers import run_in
from ..engine import client
from ..project import Project
from . import Verdict, container_of, verdict

IMAGE = "cryphos-app:latest"
SERVICE = "collector"
EXPECTED_DIR = "/app/apis"


def check(project: Project) -> Verdict:
    """PASSED when the project's ``collector`` container runs ``cryphos-app:latest`` from ``/app/apis``."""
    container = container_of(project, SERVICE, "the container")
    if isinstance(container, Verdict):
        return container
    config = container.attrs["Config"]
    if config.get("Image") != IMAGE:
        return verdict(False, f"{container.name} runs {config.get('Image')}, not {IMAGE}.",
                       f"keep \"{IMAGE}\" as the image: the point is one image, different containers.")
    if container.status != "running":
        return verdict(False, f"{container.name} is {container.status} (exit code "
                       f"{container.attrs['State'].get('ExitCode')}).", "keep command=[\"sleep\", \"infinity\"] so "
                       "that it keeps running; change only the working directory.")
    try:
        baked = client().images.get(IMAGE).attrs["Config"].get("WorkingDir") or "/"
    except ImageNotFound:
        baked = "(image not found)"
    workdir = config.get("WorkingDir") or "/"
    if workdir != EXPECTED_DIR:
        why = ("the image's WORKDIR, not overridden." if workdir == baked
               else f"the seed's collectors run from {EXPECTED_DIR}.")
        return verdict(False, f"{container.name} has WorkingDir {workdir}; {why}",
                       f"add working_dir=\"{EXPECTED_DIR}\" to the project.run(...) call in the exercise cell (in a "
                       f"compose file: `working_dir: {EXPECTED_DIR}`), run that cell again, then this check.")
    code, cwd = run_in(container, ["readlink", "/proc/1/cwd"])
    if code != 0 or cwd.strip() != EXPECTED_DIR:
        return verdict(False, f"Config.WorkingDir is {workdir}, but the main process runs in "
                       f"{cwd.strip() or '(unknown)'}.", "does your command change directory (`cd ...`)? Keep "
                       "command=[\"sleep\", \"infinity\"] and set the directory with working_dir only.")
    return verdict(True, f"{container.name} runs from {cwd.strip()} (Config.WorkingDir {workdir}); the image still "
                   f"says {baked}.", "")
