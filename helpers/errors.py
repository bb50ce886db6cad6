"""Errors the course raises: each one says what went wrong and carries a ``Hint:`` on what to do."""

from __future__ import annotations


class CourseError(Exception):
    """Base class. ``str(err)`` is the message followed by ``Hint: ...`` when a hint is given."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message}\nHint: {hint}" if hint else message)


class EngineUnavailable(CourseError):
    """No Docker engine answered. Raised by :func:`helpers.engine.connect`."""


class WaitTimeout(CourseError):
    """A wait for a container condition ran out of time. Raised by :mod:`helpers.wait`."""


class ImageUnavailable(CourseError):
    """An image could be neither found, pulled nor built. Raised by :mod:`helpers.images`."""
