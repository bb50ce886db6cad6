"""The local stand-ins must be configured like the official images they replace (no engine needed).

Each stand-in Dockerfile in images/standins/ is read instruction by instruction and turned into the image
configuration it produces (User, WorkingDir, Volumes, StopSignal, ExposedPorts, Entrypoint, Cmd, Env). That
configuration is compared with the official image's, written down below from the official Dockerfiles:

- postgres:17       https://github.com/docker-library/postgres/blob/master/17/trixie/Dockerfile
                    (and its docker-entrypoint.sh)
- redis:8           https://github.com/redis/docker-library-redis/blob/master/debian/Dockerfile
                    (8.x on trixie: the image declares no VOLUME any more; redis:8-bookworm, 8.2, still does)
- python:3.13-slim  https://github.com/docker-library/python/blob/master/3.13/slim-trixie/Dockerfile

images/standins/README.md explains the differences that are allowed here (ALLOWED_ENV_DIFFERENCES) and why
no lesson can notice them. A change to a recipe that a lesson could notice fails here.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from workshop import standins

STANDINS = standins.STANDINS_DIR

# What the classic builder puts into PATH for a base image without one (ours comes from `docker import`).
BUILDER_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The official images' configuration, instruction by instruction (from the Dockerfiles cited above).
OFFICIAL = {
    "postgres": {
        "User": "",                                   # no USER: root, the entrypoint steps down to postgres (gosu)
        "WorkingDir": "",
        "Volumes": ["/var/lib/postgresql/data"],      # VOLUME /var/lib/postgresql/data
        "StopSignal": "SIGINT",                       # fast shutdown, exit 0
        "ExposedPorts": ["5432"],
        "Entrypoint": ["docker-entrypoint.sh"],
        "Cmd": ["postgres"],
        "Env": {
            "LANG": "en_US.utf8",
            "PG_MAJOR": "17",
            "PATH": BUILDER_DEFAULT_PATH + ":/usr/lib/postgresql/17/bin",   # ENV PATH $PATH:/usr/lib/...
            "PGDATA": "/var/lib/postgresql/data",
            "GOSU_VERSION": "1.19",
            "PG_VERSION": "17.*",
        },
    },
    "redis": {
        "User": "",                                   # root; the entrypoint steps down to redis (setpriv)
        "WorkingDir": "/data",
        "Volumes": [],                                # redis:8 on trixie: no VOLUME /data
        "StopSignal": "",                             # SIGTERM: redis saves dump.rdb and exits 0
        "ExposedPorts": ["6379"],
        "Entrypoint": ["docker-entrypoint.sh"],
        "Cmd": ["redis-server"],
        "Env": {"REDIS_VERSION": "8.*"},
    },
    "python": {
        "User": "",
        "WorkingDir": "",
        "Volumes": [],
        "StopSignal": "",
        "ExposedPorts": [],
        "Entrypoint": None,
        "Cmd": ["python3"],
        "Env": {
            "PATH": "/usr/local/bin:" + BUILDER_DEFAULT_PATH,                 # ENV PATH /usr/local/bin:$PATH
            "GPG_KEY": "*",
            "PYTHON_VERSION": "3.13.*",
            "PYTHON_SHA256": "*",
        },
    },
}

# Variables of the official image a stand-in may leave out or set differently, and why (see the README).
ALLOWED_ENV_DIFFERENCES = {
    "postgres": {
        "GOSU_VERSION": "gosu comes from Debian's package, not a download of that release",
        "PG_VERSION": "the version of the PGDG package the official image installs; Debian's differs",
    },
    "redis": {"REDIS_VERSION": "Debian trixie ships redis 8.0; the variable names that version"},
    "python": {
        "GPG_KEY": "verifies the python.org tarball the official image compiles; nothing is compiled here",
        "PYTHON_SHA256": "the same",
        "PYTHON_VERSION": "Debian trixie ships python3 3.13.5; the variable names that version",
    },
}

# The user each official image's entrypoint steps down to, with its ids (groupadd/useradd in the Dockerfiles).
OFFICIAL_USERS = {"postgres": ("postgres", 999, 999), "redis": ("redis", 999, 999)}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):           # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, args = pending.strip().partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, f"{dockerfile}: the last instruction ends with a line continuation"
    return result


def _substitute(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), value)


def _env_pairs(args: str, env: dict[str, str]) -> dict[str, str]:
    if "=" not in args.split()[0]:                     # legacy form: ENV KEY value with spaces
        key, _, value = args.partition(" ")
        return {key: _substitute(value.strip(), env)}
    pairs = {}
    for match in re.finditer(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)', args):
        value = match.group(2)
        if value.startswith('"'):
            value = json.loads(value)
        pairs[match.group(1)] = _substitute(value, env)
    return pairs


def _exec_form(args: str) -> list[str]:
    assert args.startswith("["), f"not the exec (JSON) form: {args}"
    return json.loads(args)


def image_config(name: str) -> dict:
    """The configuration the stand-in's Dockerfile gives its image (what `docker inspect` shows under Config)."""
    config = {"User": "", "WorkingDir": "", "Volumes": [], "StopSignal": "", "ExposedPorts": [],
              "Entrypoint": None, "Cmd": None, "Env": {}}
    env = {"PATH": BUILDER_DEFAULT_PATH}
    for keyword, args in instructions(STANDINS / name / "Dockerfile"):
        if keyword == "ENV":
            new = _env_pairs(args, env)
            env.update(new)
            config["Env"].update(new)
        elif keyword == "USER":
            config["User"] = args
        elif keyword == "WORKDIR":
            config["WorkingDir"] = args
        elif keyword == "VOLUME":
            config["Volumes"] += _exec_form(args) if args.startswith("[") else args.split()
        elif keyword == "STOPSIGNAL":
            config["StopSignal"] = args
        elif keyword == "EXPOSE":
            config["ExposedPorts"] += [p.split("/")[0] for p in args.split()]
        elif keyword == "ENTRYPOINT":
            config["Entrypoint"] = _exec_form(args)
            config["Cmd"] = None                       # as the builder does: a new ENTRYPOINT resets CMD
        elif keyword == "CMD":
            config["Cmd"] = _exec_form(args)
    return config


@pytest.mark.parametrize("name", sorted(OFFICIAL))
@pytest.mark.parametrize("key", ["User", "WorkingDir", "Volumes", "StopSignal", "ExposedPorts", "Entrypoint", "Cmd"])
def test_instruction_matches_the_official_image(name, key):
    assert image_config(name)[key] == OFFICIAL[name][key], f"{name}: {key} differs from the official image"


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_environment_matches_the_official_image(name):
    ours, theirs = image_config(name)["Env"], OFFICIAL[name]["Env"]
    allowed = ALLOWED_ENV_DIFFERENCES[name]
    assert not set(ours) - set(theirs), f"{name}: variables the official image does not set: {set(ours) - set(theirs)}"
    for key, pattern in theirs.items():
        if key not in ours:
            assert key in allowed, f"{name}: {key} is missing"
            continue
        regex = re.escape(pattern).replace(r"\*", ".*")
        assert re.fullmatch(regex, ours[key]), f"{name}: {key}={ours[key]!r}, official {pattern!r}"
        if "*" not in pattern:
            continue
        assert key in allowed, f"{name}: {key} may differ only when the README says why"


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_built_from_the_base_that_helpers_passes(name):
    steps = instructions(STANDINS / name / "Dockerfile")
    assert steps[0] == ("ARG", "BASE") and steps[1] == ("FROM", "${BASE}")
    assert [k for k, _ in steps].count("FROM") == 1


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_no_build_step_runs_under_a_declared_volume(name):
    """A RUN/COPY/ADD after VOLUME runs in a container that gets an anonymous volume (left behind on failure)."""
    keywords = [k for k, _ in instructions(STANDINS / name / "Dockerfile")]
    if "VOLUME" in keywords:
        first_volume = keywords.index("VOLUME")
        assert not {"RUN", "COPY", "ADD", "WORKDIR"} & set(keywords[first_volume:]), keywords[first_volume:]


@pytest.mark.parametrize("name", sorted(OFFICIAL_USERS))
def test_the_service_user_has_the_official_ids(name):
    user, uid, gid = OFFICIAL_USERS[name]
    steps = instructions(STANDINS / name / "Dockerfile")
    runs = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert re.search(rf"groupadd [^&]*--gid {gid} {user}\b", runs), f"group {user} with gid {gid}"
    assert re.search(rf"useradd [^&]*--uid {uid} --gid {user} [^&]*\b{user}\b", runs), f"user {user} with uid {uid}"
    # created before any package install, so the package's postinst keeps it
    first_user = next(i for i, (k, a) in enumerate(steps) if k == "RUN" and "useradd" in a)
    first_install = next(i for i, (k, a) in enumerate(steps) if k == "RUN" and "apt-get install" in a)
    assert first_user < first_install


@pytest.mark.parametrize("name,drop", [("postgres", "exec gosu postgres"), ("redis", "setpriv --reuid redis")])
def test_entrypoint_steps_down_and_execs_the_server(name, drop):
    steps = instructions(STANDINS / name / "Dockerfile")
    assert ("COPY", "docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh") in steps
    script = (STANDINS / name / "docker-entrypoint.sh").read_text()
    assert script.startswith("#!/usr/bin/env bash\n")
    assert drop in script
    assert script.rstrip().splitlines()[-1] in ('exec "$@"', 'main "$@"')
    if shutil.which("bash"):
        subprocess.run(["bash", "-n", str(STANDINS / name / "docker-entrypoint.sh")], check=True)


def test_postgres_entrypoint_reads_what_the_official_one_reads():
    script = (STANDINS / "postgres" / "docker-entrypoint.sh").read_text()
    for needle in ("POSTGRES_PASSWORD", "POSTGRES_USER postgres", "POSTGRES_DB \"$POSTGRES_USER\"",
                   "POSTGRES_INITDB_ARGS", "POSTGRES_INITDB_WALDIR", "POSTGRES_HOST_AUTH_METHOD", "_FILE",
                   "/docker-entrypoint-initdb.d/", "listen_addresses=", "PG_VERSION",
                   "PostgreSQL init process complete; ready for start up.",
                   "host all all all", "password_encryption"):
        assert needle in script, needle


def test_redis_protected_mode_is_off_unless_configured():
    script = (STANDINS / "redis" / "docker-entrypoint.sh").read_text()
    assert "--protected-mode no" in script
    assert "umask 0077" in script


def test_python_trusts_the_build_hosts_ca_bundle_without_extra_variables():
    steps = instructions(STANDINS / "python" / "Dockerfile")
    assert ("COPY", "ca-bundle.crt /usr/local/share/ca-certificates/build-host-bundle.crt") in steps
    env = image_config("python")["Env"]
    assert not {"PIP_CERT", "REQUESTS_CA_BUNDLE", "LANG"} & set(env), "the official image sets none of these"
    runs = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert "EXTERNALLY-MANAGED" in runs                  # pip installs system-wide, as in the official image
    for link in ("/usr/local/bin/python", "/usr/local/bin/pip"):
        assert link in runs


def test_readme_explains_every_allowed_difference():
    readme = (STANDINS / "README.md").read_text()
    for name, allowed in ALLOWED_ENV_DIFFERENCES.items():
        for key in allowed:
            assert key in readme, f"README.md does not mention {key} ({name})"
