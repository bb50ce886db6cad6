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
    monkeypatch.delenv("WSL_DISTRO_NAME", raising=False)
    monkeypatch.setattr(engine.platform, "release", lambda: "6.1.0")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    monkeypatch.setattr(engine.platform, "system", lambda: system)
    with pytest.raises(h.EngineUnavailable) as err:
        h.connect(timeout=2)
    assert words in str(err.value) and "Hint:" in str(err.value)


def test_docker_context_variable_beats_the_current_context(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    _context(tmp_path, "desktop-linux", f"unix://{tmp_path}/desktop.sock")
    _context_meta_only = tmp_path / "contexts" / "meta" / hashlib.sha256(b"colima").hexdigest()
    _context_meta_only.mkdir(parents=True)
    (_context_meta_only / "meta.json").write_text(json.dumps(
        {"Name": "colima", "Metadata": {}, "Endpoints": {"docker": {"Host": f"unix://{tmp_path}/colima.sock",
                                                                   "SkipTLSVerify": False}}}))
    monkeypatch.setenv("DOCKER_CONTEXT", "colima")
    where, kwargs = engine._where()
    assert where == f"Docker context 'colima' (unix://{tmp_path}/colima.sock)"


def test_inside_wsl_the_hint_is_docker_desktops_integration(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    monkeypatch.setattr(engine.platform, "system", lambda: "Linux")
    monkeypatch.setenv("WSL_DISTRO_NAME", "Ubuntu")
    with pytest.raises(h.EngineUnavailable) as err:
        h.connect(timeout=2)
    assert "WSL integration" in str(err.value) and "systemctl" not in str(err.value)
