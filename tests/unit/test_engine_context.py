"""connect() goes where the docker CLI would: DOCKER_HOST first, else the current Docker context."""
from __future__ import annotations

import hashlib
import json

import pytest

import helpers as h
from helpers import engine


def _context(config_dir, name: str, host: str) -> None:
    """A Docker context as `docker context create NAME --docker host=HOST` stores it."""
    (config_dir / "config.json").write_text(json.dumps({"currentContext": name}))
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps(
        {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}}))


def test_the_current_context_is_used_and_named(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    _context(tmp_path, "desktop-linux", f"unix://{tmp_path}/desktop.sock")
    where, kwargs = engine._where()
    assert where == f"Docker context 'desktop-linux' (unix://{tmp_path}/desktop.sock)"
    assert kwargs["base_url"] == f"unix://{tmp_path}/desktop.sock"
    with pytest.raises(h.EngineUnavailable, match="Docker context 'desktop-linux'"):
        h.connect(timeout=2)


def test_docker_host_beats_the_context(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    _context(tmp_path, "desktop-linux", f"unix://{tmp_path}/desktop.sock")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/other.sock")
    where, kwargs = engine._where()
    assert where == f"DOCKER_HOST=unix://{tmp_path}/other.sock" and kwargs == {}


@pytest.mark.parametrize("system, words", [("Linux", "systemctl start docker"), ("Darwin", "Docker Desktop"),
                                           ("Windows", "WSL 2")])
def test_the_hint_fits_the_system(monkeypatch, tmp_path, system, words):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    monkeypatch.setattr(engine.platform, "system", lambda: system)
    with pytest.raises(h.EngineUnavailable) as err:
        h.connect(timeout=2)
    assert words in str(err.value) and "Hint:" in str(err.value)
