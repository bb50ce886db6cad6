"""Errors the course raises: each says what went wrong and, as ``Hint: ...``, what to do."""

from __future__ import annotations


class CourseError(Exception):
    """Base class. ``str(err)`` is the message followed by ``Hint: ...`` when a hint is given."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message, self.hint = message, hint
        super().__init__(f"{message}\nHint: {hint}" if hint else message)


class EngineUnavailable(CourseError):
    """No Docker engine answered (:func:`helpers.engine.connect`)."""


class WaitTimeout(CourseError):
    """A wait for a container condition ran out of time (:mod:`helpers.wait`)."""


class ImageUnavailable(CourseError):
    """An image could be neither found, pulled nor built (:mod:`helpers.images`)."""
