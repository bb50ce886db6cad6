"""One short course-like session, run through the recording proxy against the real engine and then against a
replay: the Docker SDK (run, exec, logs follow, events, build), the docker CLI (ps, inspect, exec -i) and
docker compose (up --wait, ps, down -v). It returns what a notebook would print, with the learner id as ``L``."""
from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import docker

import course_replay

IMAGE = "python:3.13-slim"
LOGGER = "import time\nfor i in range(5):\n    print(f'line {i}', flush=True)\n    time.sleep(0.5)\n"
COMPOSE = """\
services:
  web:
    image: python:3.13-slim
    command: ["python", "-m", "http.server", "8000"]
    environment:
      DB_PASSWORD: ${{DB_PASSWORD}}
    labels: &labels
      io.compose-course.managed: "true"
      io.compose-course.learner: "{learner}"
    healthcheck:
      test: ["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000')"]
      interval: 1s
      timeout: 5s
      retries: 60
    volumes: [data:/data]
    stop_signal: SIGINT  # python as PID 1 ignores SIGTERM
volumes:
  data:
    labels: *labels
networks:
  default:
    labels: *labels
"""


def names(learner: str) -> dict[str, str]:
    return {"sleeper": f"rt-{learner}-sleeper", "logger": f"rt-{learner}-logger",
            "attacher": f"rt-{learner}-attacher", "tag": f"course-replay-test:rt-{learner}",
            "project": f"rt-compose-{learner}"}


def labels(learner: str) -> dict[str, str]:
    return {"io.compose-course.managed": "true", "io.compose-course.learner": learner,
            "com.docker.compose.project": f"rt-{learner}"}


def prepare(workdir: Path, learner: str, db_password: str) -> None:
    """The files the session uses: a compose file, its .env (a secret), a tiny build context."""
    (workdir / "tiny.yaml").write_text(COMPOSE.format(learner=learner))
    (workdir / ".env").write_text(f"DB_PASSWORD={db_password}\n")
    (workdir / "ctx").mkdir()
    (workdir / "ctx" / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN echo built > /built.txt && sleep 1\n")


def run(argv: list[str], host: str, stdin: str | None = None) -> tuple[int, str, str, float]:
    start = time.monotonic()
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "DOCKER_HOST": host})
    return done.returncode, done.stdout, done.stderr, time.monotonic() - start


def session(host: str, learner: str, workdir: Path, secret: str, compose: tuple[str, ...]) -> dict[str, Any]:
    n, lab = names(learner), labels(learner)
    client = docker.DockerClient(base_url=host, version="auto", timeout=300)
    out: dict[str, Any] = {"ping": client.ping(), "engine": client.version()["Version"]}
    # a value from outside the API (a host-side probe of a port): the replay gives back the recorded one
    out["probe"] = course_replay.fact(
        "probe", lambda: "recording" if os.environ.get("COURSE_RECORD") else "other", host)
    since = int(time.time()) - 1

    events = client.events(decode=True,
                           filters={"label": [f"io.compose-course.learner={learner}"], "type": "container"})
    seen: list[tuple[str, str]] = []

    def follow_events() -> None:
        for event in events:
            seen.append((event["Action"].split(":")[0], event["Actor"]["Attributes"].get("name", "")))
            if seen[-1] == ("die", n["logger"]):
                break
        events.close()

    reader = threading.Thread(target=follow_events, daemon=True)
    reader.start()

    sleeper = client.containers.run(IMAGE, ["sleep", "300"], detach=True, name=n["sleeper"], labels=lab,
                                    environment={"APP_PASSWORD": secret})
    out["exec"] = sleeper.exec_run(["sh", "-c", "printenv APP_PASSWORD; echo to-stderr >&2"], demux=True)
    out["cli_exec_i"] = run(["docker", "exec", "-i", n["sleeper"], "cat"], host, stdin="via stdin\n")[:3]
    out["cli_exec_t"] = run(["docker", "exec", "-t", n["sleeper"], "sh", "-c", "echo on a tty; tty"], host)[:3]
    out["cli_ps"] = run(["docker", "ps", "-a", "--filter", f"label=io.compose-course.learner={learner}",
                         "--format", "{{.Names}} {{.Image}}"], host)[:3]
    out["cli_inspect"] = run(["docker", "inspect", "--format",
                              '{{.State.Status}} {{index .Config.Labels "io.compose-course.learner"}}', n["sleeper"]],
                             host)[:3]

    logger = client.containers.run(IMAGE, ["python", "-u", "-c", LOGGER], detach=True, name=n["logger"], labels=lab)
    t0, lines = time.monotonic(), []
    for chunk in logger.logs(stream=True, follow=True):
        lines.append((round(time.monotonic() - t0, 3), chunk.decode().strip()))
    out["log_lines"] = [line for _, line in lines]
    out["log_times"] = [t for t, _ in lines]
    out["logger_exit"] = logger.wait()["StatusCode"]
    out["logger_id"] = logger.id
    reader.join(120)
    out["live_events"] = seen

    attacher = client.containers.create(IMAGE, ["sh", "-c", "echo attached; sleep 0.5; echo done >&2"],
                                        name=n["attacher"], labels=lab)
    attached = attacher.attach(stream=True, logs=True, stdout=True, stderr=True)
    attacher.start()
    out["attach"] = b"".join(attached).decode()
    out["attacher_exit"] = attacher.wait()["StatusCode"]

    image, build_log = client.images.build(path=str(workdir / "ctx"), tag=n["tag"], labels=lab, rm=True)
    out["build_tags"] = image.tags
    out["build_steps"] = [c["stream"].strip() for c in build_log if c.get("stream", "").startswith("Step")]

    base = [*compose, "--progress", "plain", "-p", n["project"], "-f", str(workdir / "tiny.yaml")]
    up = run([*base, "up", "-d", "--wait"], host)
    out["compose_up"] = (up[0], sorted({" ".join(line.split()) for line in up[2].splitlines()}))
    out["compose_ps"] = run([*base, "ps", "--format", "{{.Service}} {{.State}} {{.Health}}"], host)[:2]
    web = client.containers.get(f"{n['project']}-web-1")
    out["compose_env_has_password"] = any(e.startswith("DB_PASSWORD=") for e in web.attrs["Config"]["Env"])
    down = run([*base, "down", "-v"], host)
    out["compose_down"] = (down[0], sorted({" ".join(line.split()) for line in down[2].splitlines()}))

    sleeper.remove(force=True, v=True)
    logger.remove(v=True)
    attacher.remove(v=True)
    client.images.remove(image.id, force=True)
    past = client.events(since=since, until=int(time.time()) + 1, decode=True,
                         filters={"label": [f"io.compose-course.learner={learner}"], "type": "container"})
    out["past_events"] = sorted({e["Action"].split(":")[0] for e in past})
    client.close()
    return out


def normalised(result: dict[str, Any], learner: str) -> dict[str, Any]:
    """The result with the learner id as ``L``, without what varies by design (timing, the secret's value)."""
    text = repr({k: v for k, v in result.items() if k not in ("log_times", "exec")})
    return {"text": text.replace(learner, "L"), "exec_exit": result["exec"][0], "exec_err": result["exec"][1][1]}
