"""Exercise of ``00_preflight``: the second ``hello`` container prints the learner id. Its command runs in the
container's own Python, so the *value* of ``h.learner()`` must go into it (read from the container's log)."""

from __future__ import annotations

from ..naming import NUMBER_LABEL, learner
from ..project import Project
from ..wait import wait_exited
from . import Verdict, again, verdict

_SECTION = "«3. Your first course container — with the raw SDK»"  # where the command is a list of strings
_ANSWER = ("command=[\"python\", \"-c\", f\"print('{h.learner()}')\"]: the f-string puts your id into the text "
           "of the command before the container gets it.")
_RETRY = again()


def check(project: Project, timeout: float = 60) -> Verdict:
    """PASSED when container number 2 of ``hello`` exited 0 and printed exactly the learner id."""
    second = next((c for c in project.containers("hello") if c.labels.get(NUMBER_LABEL) == "2"), None)
    if second is None:
        return verdict(False, f"there is no second hello container in project {project.name}.",
                       "run the exercise cell (it starts it), then this check.")
    wait_exited(second, timeout=timeout)
    code, printed, me = second.attrs["State"]["ExitCode"], second.logs().decode(errors="replace").strip(), learner()
    found = len(project.containers())
    if code == 0 and printed == me:
        return verdict(True, f"{second.name} printed {me!r} and exited 0; the label filter finds {found} "
                       "containers, the first one too: an exited container stays until it is removed.")
    last = printed.splitlines()[-1] if printed else "(nothing)"
    if "NameError" in printed:
        return verdict(False, f"{second.name} exited {code}: its Python says {last!r}.", "the command is text "
                       "that the container's own Python runs: it has never heard of `h`, which lives in this "
                       f"notebook's kernel. {_SECTION} gives the command as a list of strings; build that string "
                       "here, with the value in it." + _RETRY, answer=_ANSWER)
    if printed == "hello again":
        return verdict(False, f"{second.name} printed 'hello again': the command as committed.", "change the "
                       "text that `print(...)` gets in the command, so that the container prints your learner id "
                       "(`h.learner()` gives it; it is also the end of the project's name)." + _RETRY, answer=_ANSWER)
    return verdict(False, f"{second.name} exited {code} and printed {last!r}, not your learner id {me!r}.",
                   "the container prints exactly what its command says: the id must be in the command's text, "
                   "as a value (quotes inside the Python the container runs)." + _RETRY, answer=_ANSWER)
