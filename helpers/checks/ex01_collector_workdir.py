"""Exercise of ``01_image_and_container``: the ``collector`` container runs from ``/app/apis``, the image from ``/app``.

The check reads the live container's ``Config`` and the directory its main process really runs in.
"""

from __future__ import annotations

from docker.errors import ImageNotFound

from ..containers import newest, run_in
from ..engine import client
from ..project import Project
from . import Verdict, verdict

IMAGE = "cryphos-app:latest"
SERVICE = "collector"
EXPECTED_DIR = "/app/apis"
_ADD_IT = (f"add working_dir=\"{EXPECTED_DIR}\" to the project.run(...) call in the exercise cell (in a compose "
           f"file: `working_dir: {EXPECTED_DIR}`), run that cell again, then this check.")


def check(project: Project) -> Verdict:
    """PASSED when the project's ``collector`` container runs ``cryphos-app:latest`` from ``/app/apis``."""
    container = newest(project.containers(SERVICE))
    if container is None:
        return verdict(False, f"no container of service '{SERVICE}' in project {project.name}.",
                       "run the exercise cell (it starts the container), then this check.")
    container.reload()
    config = container.attrs["Config"]
    if config.get("Image") != IMAGE:
        return verdict(False, f"{container.name} runs {config.get('Image')}, not {IMAGE}.",
                       f"keep \"{IMAGE}\" as the image: the point is one image, different containers.")
    if container.status != "running":
        return verdict(False, f"{container.name} is {container.status} (exit code "
                       f"{container.attrs['State'].get('ExitCode')}).",
                       "keep command=[\"sleep\", \"infinity\"] so that it keeps running; change only the working "
                       "directory.")
    try:
        baked = client().images.get(IMAGE).attrs["Config"].get("WorkingDir") or "/"
    except ImageNotFound:
        baked = "(image not found)"
    workdir = config.get("WorkingDir") or "/"
    if workdir != EXPECTED_DIR:
        why = ("the image's WORKDIR, not overridden." if workdir == baked
               else f"the seed's collectors run from {EXPECTED_DIR}.")
        return verdict(False, f"{container.name} has WorkingDir {workdir}; {why}", _ADD_IT)
    code, cwd = run_in(container, ["readlink", "/proc/1/cwd"])
    cwd = cwd.strip()
    if code != 0 or cwd != EXPECTED_DIR:
        return verdict(False, f"Config.WorkingDir is {workdir}, but the main process runs in {cwd or '(unknown)'}.",
                       "does your command change directory (`cd ...`)? Keep command=[\"sleep\", \"infinity\"] and "
                       "set the directory with working_dir only.")
    return verdict(True, f"{container.name} runs from {cwd} (Config.WorkingDir {workdir}); the image still says "
                   f"{baked}.", "")
