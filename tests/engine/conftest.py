"""Engine tests: the learner's app image must exist (a notebook builds it for learners; here it is built if missing,
before each test: ``clean_course``, which some tests call, removes the learner's tag)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def app_image() -> str:
    from docker.errors import ImageNotFound

    import helpers as h
    from helpers import stack

    try:
        return str(h.client().images.get(stack.app_image()).id)
    except ImageNotFound:
        return stack.build_app_image(progress=lambda _msg: None)


@pytest.fixture
def client():
    """The course's engine client, shared with the helpers (as a notebook's first cells do)."""
    import helpers as h

    engine = h.client()
    h.use_client(engine)
    return engine
