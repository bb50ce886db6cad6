"""Checks for ``01_image_and_container.ipynb``: per-container overrides on top of what the image bakes in.

The exercise starts a container of service ``collector`` from ``cryphos-app:latest`` with a command and an
environment of its own. The seed's collectors also run from ``/app/apis`` (``working_dir: /app/apis``), while the
image's ``WORKDIR`` is ``/app``. :func:`check_collector_workdir` looks at the live container: its ``Config`` and the
directory its main process really runs in.
"""

from __future__ import annotations

from docker.errors import ImageNotFound

from ..engine import client
from ..project import Project
from . import Verdict, verdict

IMAGE = "cryphos-app:latest"
SERVICE = "collector"
EXPECTED_DIR = "/app/apis"

_ADD_IT = (
    f"add working_dir=\"{EXPECTED_DIR}\" to the project.run(...) call in the exercise cell (in a compose file: "
    f"`working_dir: {EXPECTED_DIR}`), run that cell again, then this check."
)


def check_collector_workdir(project: Project) -> Verdict:
    """PASSED when the project's ``collector`` container runs ``cryphos-app:latest`` from ``/app/apis``."""
    found = project.containers(SERVICE)
    if not found:
        return verdict(
            False,
            f"no container of service '{SERVICE}' in project {project.name}.",
            "run the exercise cell (it starts the container), then this check.",
        )
    container = found[-1]  # the newest one
    container.reload()
    config = container.attrs["Config"]
    if config.get("Image") != IMAGE:
        return verdict(
            False,
            f"{container.name} runs {config.get('Image')}, not {IMAGE}.",
            f"keep \"{IMAGE}\" as the image: the point is one image, different containers.",
        )
    if container.status != "running":
        return verdict(
            False,
            f"{container.name} is {container.status} (exit code {container.attrs['State'].get('ExitCode')}).",
            "keep command=[\"sleep\", \"infinity\"] so that it keeps running; change only the working directory.",
        )
    try:
        baked = client().images.get(IMAGE).attrs["Config"].get("WorkingDir") or "/"
    except ImageNotFound:
        baked = "(image not found)"
    workdir = config.get("WorkingDir") or "/"
    if workdir != EXPECTED_DIR:
        if workdir == baked:
            seen = f"{container.name} has WorkingDir {workdir}: the image's WORKDIR, not overridden."
        else:
            seen = f"{container.name} has WorkingDir {workdir}; the seed's collectors run from {EXPECTED_DIR}."
        return verdict(False, seen, _ADD_IT)
    result = container.exec_run(["readlink", "/proc/1/cwd"])
    cwd = result.output.decode(errors="replace").strip()
    if result.exit_code != 0 or cwd != EXPECTED_DIR:
        return verdict(
            False,
            f"Config.WorkingDir is {workdir}, but the main process runs in {cwd or '(unknown)'}.",
            "does your command change directory (`cd ...`)? Keep command=[\"sleep\", \"infinity\"] and set the "
            "directory with working_dir only.",
        )
    return verdict(
        True,
        f"{container.name} runs from {cwd} (Config.WorkingDir {workdir}); the image still says {baked}.",
        "",
    )
