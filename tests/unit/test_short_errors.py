"""The short error display that ``open_lesson`` installs in IPython: course errors, the engine's refusals and a
keyword an SDK call does not take show as a message and a hint; anything else keeps IPython's full traceback."""
from __future__ import annotations

import docker
from IPython.core.interactiveshell import InteractiveShell

from helpers import CourseError, _show_briefly


class Shell:
    """What the handler uses of IPython's shell: the full traceback, and the call that shows the lines."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.InteractiveTB = InteractiveShell.instance().InteractiveTB

    def _showtraceback(self, etype, value, lines):
        self.shown = lines


def shown(exc: BaseException) -> str:
    shell = Shell()
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - the test raises it itself
        _show_briefly(shell, type(caught), caught, caught.__traceback__)
    return "\n".join(shell.shown)


def test_a_course_error_is_its_message_and_hint():
    assert shown(CourseError("no db", "run the cell")) == "CourseError: no db\nHint: run the cell"


def test_the_engine_refusing_is_short_with_a_hint():
    text = shown(docker.errors.APIError("500 Server Error", explanation="cannot unmarshal string into Aliases"))
    assert text.startswith("APIError") and "cannot unmarshal string into Aliases" in text and "Hint:" in text
    assert "Traceback" not in text


def test_a_removed_container_says_to_run_the_section_again():
    text = shown(docker.errors.NotFound("404 Client Error", explanation="No such container: 0123abcd"))
    assert text.startswith("NotFound: No such container") and "Clean up" in text and "Traceback" not in text


def test_an_unknown_keyword_names_the_sdk_reference():
    text = shown(TypeError("run() got an unexpected keyword argument 'workdir'"))
    assert "workdir" in text and "docker-py.readthedocs.io" in text and "Traceback" not in text


def test_a_value_of_the_wrong_type_names_the_sdks_shape():
    text = shown(TypeError("Invalid type for restart_policy param: expected dict but found <class 'str'>"))
    assert "restart_policy" in text and "another shape" in text and "Traceback" not in text


def test_any_other_error_keeps_the_full_traceback():
    text = shown(ZeroDivisionError("division by zero"))
    assert "ZeroDivisionError" in text and "Hint:" not in text and "test_short_errors.py" in text
