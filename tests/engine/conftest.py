"""Engine tests: the app image must exist (a notebook builds it for learners; here it is built if missing)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def app_image() -> str:
    from helpers import stack

    return stack.build_app_image(progress=lambda _msg: None)


@pytest.fixture
def client():
    """The course's engine client, shared with the helpers (as a notebook's first cells do)."""
    import helpers as h

    engine = h.client()
    h.use_client(engine)
    return engine
