"""Read a compose file the way Docker Compose v2 reads it: YAML, ``.env``, ``${VARIABLES}``, checks, normal forms.

:func:`load` gives a :class:`ComposeFile`: what Compose sees after it has read the ``.env`` beside the file and
substituted the variables, checked with messages that name the service and the key. The normalisers below
(:func:`parse_ports`, :func:`parse_volumes`, :func:`environment_dict`, ...) turn the many ways of writing one
thing into one form; :mod:`helpers.translate` builds the Docker SDK call for a service from them.
Used from the compose-file lessons on, and by :mod:`helpers.up`.

Behaviour was checked against Compose v2.40 (``docker compose config``, which prints what Compose read).
Not handled: several ``-f`` files, ``include``, ``extends``, profiles.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .errors import CourseError
from .naming import sanitize


class ComposeError(CourseError):
    """A compose file (or its ``.env``) that Compose would refuse, or that would not do what it says."""


# The service keys of the Compose specification, as the schema inside Compose v2.40 lists them.
SERVICE_KEYS = frozenset("""
    annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs container_name
    cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset credential_spec
    depends_on deploy develop device_cgroup_rules devices dns dns_opt dns_search domainname entrypoint env_file
    environment expose extends external_links extra_hosts gpus group_add healthcheck hostname image init ipc
    isolation label_file labels links logging mac_address mem_limit mem_reservation mem_swappiness memswap_limit
    models network_mode networks oom_kill_disable oom_score_adj pid pids_limit platform ports post_start pre_stop
    privileged profiles provider pull_policy pull_refresh_after read_only restart runtime scale secrets
    security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits
    use_api_socket user userns_mode uts volumes volumes_from working_dir
""".split())
TOP_LEVEL_KEYS = frozenset("configs include models name networks secrets services version volumes".split())
DEPENDS_ON_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
_SHAPES: dict[str, tuple[type, ...]] = {"volumes": (list,), "ports": (list,), "environment": (list, dict),
                                       "labels": (list, dict), "depends_on": (list, dict), "env_file": (str, list)}
DURATION_KEYS = ("stop_grace_period", "healthcheck.interval", "healthcheck.timeout",
                 "healthcheck.start_period", "healthcheck.start_interval")

Lookup = Callable[[str], "str | None"]


# --- YAML -------------------------------------------------------------------------------------------------------

class _ComposeYAMLLoader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1; Compose's Go parser reads YAML 1.2. This loader reads the way Compose does:
    ``no``/``yes``/``on``/``off`` stay strings (only true/false are booleans), ``22:22`` stays a string
    (YAML 1.1 reads it as the base-60 number 1342!), dates stay strings, and a key given twice is an error."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers
                if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float", "timestamp")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }  # the resolvers for these four are added back below, in their YAML 1.2 form (no timestamps at all)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"mapping key {key_node.value!r} already defined", key_node.start_mark)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


_ComposeYAMLLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_ComposeYAMLLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"))
_ComposeYAMLLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
               r"|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_ComposeYAMLLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ComposeError(
            f"{path.name}{where}: the YAML does not parse: {problem}",
            "YAML goes by indentation: keys of one mapping line up exactly (spaces, never tabs), every `key:` is "
            "followed by a space, and a value holding ': ', ' #' or starting with * & { [ needs quotes.",
        ) from None


def go_string(value: Any) -> str:
    """How Compose (Go) writes a YAML scalar as a string: ``true`` not ``True``, ``1.5``, ``1000`` for ``1e3``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


# --- Interpolation ------------------------------------------------------------------------------------------------

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_BRACED = re.compile(r"([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[-+?])(.*))?", re.S)


def _closing_brace(text: str, start: int) -> int:
    """Index of the ``}`` that closes the ``${`` at ``start``: nested ``${`` count, a lone ``{`` does not."""
    depth, i = 0, start
    while i < len(text):
        if text.startswith("${", i):
            depth, i = depth + 1, i + 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def interpolate(text: str, variables: Mapping[str, str] | Lookup, where: str = "",
                warnings: list[str] | None = None, used: set[str] | None = None) -> str:
    """Substitute variables in ``text`` as Compose v2 does (the .env and variables lessons).

    ``$VAR`` ``${VAR}``; ``${VAR:-default}`` (unset or empty), ``${VAR-default}`` (unset);
    ``${VAR:?error}`` / ``${VAR?error}`` fail; ``${VAR:+alt}`` / ``${VAR+alt}`` give ``alt`` when set;
    defaults nest (``${A:-${B}}``); ``$$`` is a literal ``$``. An unset variable becomes "" and a warning,
    worded as Compose words it, is appended to ``warnings``. ``where`` names the place, for messages.
    """
    lookup: Lookup = variables.get if isinstance(variables, Mapping) else variables
    warnings = [] if warnings is None else warnings
    used = set() if used is None else used

    def value_of(name: str) -> str | None:
        used.add(name)
        return lookup(name)

    def unset(name: str) -> str:
        message = f'The "{name}" variable is not set. Defaulting to a blank string.'
        warnings.append(f"{message} ({where})" if where else message)
        return ""

    def braced(body: str) -> str:
        match = _BRACED.fullmatch(body)
        if not match:
            raise ComposeError(
                f"{where}: invalid interpolation format ${{{body}}}",
                "a variable is ${NAME} or $NAME (letters, digits, _); write $$ for a literal $ sign.")
        name, op, arg = match.groups()
        if op is None:
            value = value_of(name)
            return unset(name) if value is None else value
        arg = interpolate(arg, lookup, where, warnings, used)  # Compose substitutes the argument first, always
        value = value_of(name)
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise ComposeError(
                f"{where}: required variable {name} is missing a value" + (f": {arg}" if arg else ""),
                f"set {name} in the .env file beside the compose file, or in the environment "
                f"(a shell: `export {name}=...`; a notebook: `os.environ['{name}'] = ...`), then load again.")
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        if op == ":+":
            return arg if value else ""
        if op == "+":
            return "" if value is None else arg
        return value or ""  # ':?' and '?' that passed

    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] != "$" or i + 1 == len(text):
            out.append(text[i])
            i += 1
        elif text[i + 1] == "$":
            out.append("$")
            i += 2
        elif text[i + 1] == "{":
            end = _closing_brace(text, i)
            if end < 0:
                raise ComposeError(f"{where}: invalid interpolation format: {text!r} has a ${{ that is never closed",
                                   "close it with }, or write $$ for a literal $ sign.")
            out.append(braced(text[i + 2:end]))
            i = end + 1
        elif name := _NAME.match(text, i + 1):
            value = value_of(name.group())
            out.append(unset(name.group()) if value is None else value)
            i = name.end()
        else:  # '$5', '$ ', '$-': not a variable, kept as written
            out.append("$")
            i += 1
    return "".join(out)


def describe(file: str, path: tuple[Any, ...]) -> str:
    """``docker-compose.yml: service "db", key environment.POSTGRES_PASSWORD`` for a path in the document."""
    keys = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[2 if path[:1] == ("services",) else 0:])
    if path[:1] == ("services",) and len(path) > 1:
        return f'{file}: service "{path[1]}"' + (f", key {keys.lstrip('.')}" if keys else "")
    return f"{file}: key {keys.lstrip('.')}"


def _interpolate_tree(node: Any, file: str, path: tuple[Any, ...], variables: Mapping[str, str],
                      warnings: list[str], used: set[str]) -> Any:
    """Interpolate every string value (never a key) of a parsed YAML document."""
    if isinstance(node, str):
        return interpolate(node, variables, describe(file, path), warnings, used)
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, file, (*path, k), variables, warnings, used) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate_tree(v, file, (*path, i), variables, warnings, used) for i, v in enumerate(node)]
    return node


# --- .env files ---------------------------------------------------------------------------------------------------

_EXPORT = re.compile(r"export[ \t]+")
_KEY_CHAR = re.compile(r"[\w.\-\[\]]")
_ESCAPE = re.compile(r"""\\(?:[abfnrtv$"\\]|0[0-7]{0,3})""")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\",
            "$": "$$"}  # \$ stays a literal $: it is handed on as $$ to the interpolation


def _unescape(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group()[1:]
        return chr(int(code, 8)) if code.startswith("0") else _ESCAPES[code]
    return _ESCAPE.sub(one, value)


def _line_end(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def parse_dotenv(text: str, lookup: Lookup = lambda _: None, source: str = ".env",
                 warnings: list[str] | None = None, fallback: Lookup = lambda _: None) -> dict[str, str]:
    """Parse ``.env`` text as Compose does (the .env lesson), line by line.

    ``KEY=VALUE`` (also ``export KEY=VALUE`` and ``KEY: VALUE``); ``#`` starts a comment line, and on an
    unquoted value `` #`` starts an inline comment. 'single quotes' are literal; "double quotes" take escapes
    (``\\n``, ``\\"``, ...) and may span lines. Unquoted and double-quoted values substitute ``${VAR}``: from
    ``lookup`` (the shell) first, then earlier lines, then ``fallback``. A bare ``KEY`` line copies KEY from
    ``lookup``, if it is set there.
    """
    values: dict[str, str] = {}
    line, i, n = 1, 0, len(text)

    def expand(value: str) -> str:
        def find(name: str) -> str | None:
            for get in (lookup, values.get, fallback):
                if (found := get(name)) is not None:
                    return found
            return None
        return interpolate(value, find, f"{source} line {line}", warnings)

    def fail(problem: str) -> ComposeError:
        return ComposeError(f"{source} line {line}: {problem}",
                            "each line is KEY=value (a name of letters, digits and _), a # comment, or blank; "
                            "quote a value with ' #' in it, and close every quote you open.")

    while True:
        while i < n and text[i].isspace():  # blank lines and indentation
            line += text[i] == "\n"
            i += 1
        if i == n:
            return values
        if text[i] == "#":
            i = _line_end(text, i)
            continue
        if export := _EXPORT.match(text, i):
            i = export.end()
        start = i
        while i < n and text[i] not in "=:\n":
            if not (_KEY_CHAR.match(text[i]) or text[i] in " \t\r"):
                raise fail(f"unexpected character {text[i]!r} in variable name {text[start:i + 1].strip()!r}")
            i += 1
        key = text[start:i].strip()
        if not key:
            raise fail("a line starts with = or : but has no variable name before it")
        if " " in key or "\t" in key:
            raise fail(f"a variable name cannot contain a space: {key!r}")
        if i == n or text[i] == "\n":  # a bare KEY: taken from the environment
            if (inherited := lookup(key)) is not None:
                values[key] = inherited
            continue
        i += 1
        while i < n and text[i] in " \t":
            i += 1
        quote = text[i] if i < n and text[i] in "'\"" else ""
        if not quote:
            end = _line_end(text, i)
            values[key] = expand(text[i:end].split(" #", 1)[0].rstrip())
            i = end
            continue
        close, escaped = i + 1, False
        while close < n and (escaped or text[close] != quote):
            escaped = text[close] == "\\" and not escaped
            close += 1
        if close >= n:
            raise fail(f"the quoted value of {key} is never closed ({quote} missing)")
        raw = text[i + 1:close]
        values[key] = expand(_unescape(raw)) if quote == '"' else raw.replace("\\'", "'")
        line += raw.count("\n")
        i = close + 1


def parse_env_file(path: str | Path, lookup: Lookup = lambda _: None, warnings: list[str] | None = None,
                   fallback: Lookup = lambda _: None) -> dict[str, str]:
    """Read one env file (a project's ``.env`` or a service's ``env_file:``) with :func:`parse_dotenv`."""
    path = Path(path)
    return parse_dotenv(path.read_text(encoding="utf-8"), lookup, path.name, warnings, fallback)


# --- The file -----------------------------------------------------------------------------------------------------

@dataclass(repr=False)
class ComposeFile:
    """A compose file as Compose reads it: interpolated, checked. ``env`` may hold secrets: it is never printed."""

    path: Path
    project_dir: Path
    project_name: str
    services: dict[str, dict[str, Any]]
    volumes: dict[str, dict[str, Any]]
    networks: dict[str, dict[str, Any]]
    env: dict[str, str]          # the variables for interpolation: .env, overridden by the shell environment
    warnings: list[str]
    raw: dict[str, Any]          # the whole document, interpolated
    written: dict[str, Any] = field(default_factory=dict)  # the whole document as written, before interpolation
    referenced: set[str] = field(default_factory=set)      # the variables the file refers to

    def __repr__(self) -> str:
        return (f"ComposeFile(path={str(self.path)!r}, project_name={self.project_name!r}, "
                f"services={list(self.services)}, volumes={list(self.volumes)}, networks={list(self.networks)}, "
                f"env=<{len(self.env)} variables, values not shown>, warnings={len(self.warnings)})")


def load(path: str | Path, env_file: str | Path | bool | None = None, environ: Mapping[str, str] | None = None,
         project: str | None = None) -> ComposeFile:
    """Read, interpolate and check a compose file (every compose-file lesson, and :mod:`helpers.up`).

    ``env_file``: the ``.env`` beside the compose file by default; a path (from the current folder, as with
    ``docker compose --env-file``) to use another; ``False`` for none.
    ``environ``: the shell environment (default ``os.environ``); it wins over ``.env``. ``project``: the project
    name, as ``docker compose -p`` gives it; it fills ``${COMPOSE_PROJECT_NAME}`` as Compose does. Without it the
    name comes, as in Compose, from COMPOSE_PROJECT_NAME, else the file's ``name:``, else the folder's name.
    """
    path = Path(path).absolute()
    if not path.is_file():
        raise ComposeError(f"There is no compose file at {path}.",
                           "check the path (relative paths start from the notebook's folder).")
    project_dir = path.parent
    written = _read_yaml(path)
    if not isinstance(written, dict) or not isinstance(written.get("services"), dict):
        raise ComposeError(f"{path.name}: no `services:` mapping at the top level.",
                           "a compose file is a mapping with a `services:` key, each service a name with keys below.")
    environ = dict(os.environ if environ is None else environ)
    warnings: list[str] = []
    referenced: set[str] = set()

    dotenv: dict[str, str] = {}
    if env_file is not False:
        dotenv_path = project_dir / ".env" if env_file in (None, True) else Path(str(env_file))
        if dotenv_path.is_file():
            dotenv = parse_env_file(dotenv_path, environ.get, warnings)
        elif env_file not in (None, True):
            raise ComposeError(f"env file {dotenv_path.absolute()} not found",
                               "give the path of an existing file, or env_file=False to read no .env at all.")
    env = {**dotenv, **environ}
    name = project or env.get("COMPOSE_PROJECT_NAME") or written.get("name") or project_dir.name
    env["COMPOSE_PROJECT_NAME"] = name = sanitize(interpolate(str(name), env))

    if "version" in written:  # Compose's own warning
        warnings.append(f"{path.name}: the attribute `version` is obsolete, it will be ignored, please remove it "
                        "to avoid potential confusion")
    raw = _interpolate_tree(written, path.name, (), env, warnings, referenced)
    compose = ComposeFile(
        path=path, project_dir=project_dir, project_name=name,
        services={svc: spec if isinstance(spec, dict) else {} for svc, spec in raw["services"].items()},
        volumes={k: v or {} for k, v in (raw.get("volumes") or {}).items()},
        networks={k: v or {} for k, v in (raw.get("networks") or {}).items()},
        env=env, warnings=warnings, raw=raw, written=written, referenced=referenced)
    validate(compose)
    return compose


# --- Checks -------------------------------------------------------------------------------------------------------

def _fail(compose: ComposeFile, service: str, key: str, problem: str, hint: str) -> ComposeError:
    return ComposeError(f'{compose.path.name}: service "{service}", key {key}: {problem}', hint)


def validate(compose: ComposeFile) -> None:
    """Raise :class:`ComposeError` for the first thing Compose (or the engine, at create) would refuse.

    Called by :func:`load`. Checks: unknown keys, image/build, depends_on, named volumes, ports, durations,
    restart, env_file. The rest of the specification (types of every key) is left to Compose.
    """
    for key in compose.raw:
        if key not in TOP_LEVEL_KEYS and not str(key).startswith("x-"):
            close = difflib.get_close_matches(str(key), sorted(TOP_LEVEL_KEYS), n=1)
            raise ComposeError(
                f"{compose.path.name}: unknown top-level key {key!r} (Compose: additional properties "
                f"'{key}' not allowed)", f"did you mean {close[0]!r}?" if close else
                f"the top level takes {', '.join(sorted(TOP_LEVEL_KEYS))} (and x-... extensions).")
    for name, spec in compose.services.items():
        _check_service(compose, name, spec)


def _check_service(compose: ComposeFile, name: str, spec: dict[str, Any]) -> None:
    for key in spec:
        if key not in SERVICE_KEYS and not str(key).startswith("x-"):
            close = difflib.get_close_matches(str(key), sorted(SERVICE_KEYS), n=1)
            raise _fail(compose, name, key, f"unknown key (Compose: additional properties '{key}' not allowed)",
                        f"did you mean {close[0]!r}?" if close else
                        "see the service keys at https://docs.docker.com/reference/compose-file/services/.")
    for key, kinds in _SHAPES.items():
        if spec.get(key) is not None and not isinstance(spec[key], kinds):
            raise _fail(compose, name, key, f"must be a {' or a '.join(k.__name__ for k in kinds)}, "
                        f"not {type(spec[key]).__name__}",
                        f"see how to write it: https://docs.docker.com/reference/compose-file/services/#{key}")
    if "image" not in spec and "build" not in spec:
        raise _fail(compose, name, "image", f'service "{name}" has neither an image nor a build context specified',
                    "add `image: NAME:TAG` to run an existing image, or `build: .` to build one from a Dockerfile.")
    for dep, condition in depends_on_conditions(spec, f'{compose.path.name}: service "{name}", key depends_on').items():
        if dep not in compose.services:
            raise _fail(compose, name, f"depends_on.{dep}", f'service "{name}" depends on undefined service "{dep}"',
                        f"the services in this file are: {', '.join(compose.services)}. Check the spelling.")
        if condition not in DEPENDS_ON_CONDITIONS:
            raise _fail(compose, name, f"depends_on.{dep}.condition", f"{condition!r} is not a condition",
                        f"use one of {', '.join(DEPENDS_ON_CONDITIONS)}.")
    for i, mount in enumerate(parse_volumes(spec.get("volumes") or [], compose.project_dir,
                                            f'{compose.path.name}: service "{name}", key volumes')):
        if mount.type == "volume" and mount.source and mount.source not in compose.volumes:
            raise _fail(compose, name, f"volumes[{i}]", f'service "{name}" refers to undefined volume {mount.source}',
                        f"declare it at the top level: `volumes:` then `  {mount.source}:` on the next line. "
                        "(A host folder needs a path: ./name or /abs/path.)")
    parse_ports(spec.get("ports") or [], f'{compose.path.name}: service "{name}", key ports')
    for dotted in DURATION_KEYS:
        parent, _, leaf = dotted.rpartition(".")
        holder = spec.get(parent) if parent else spec
        if isinstance(holder, dict) and holder.get(leaf) is not None:
            parse_duration(holder[leaf], f'{compose.path.name}: service "{name}", key {dotted}')
    restart = spec.get("restart")
    if restart is not None and not re.fullmatch(r"no|always|unless-stopped|on-failure(:\d+)?", go_string(restart)):
        raise _fail(compose, name, "restart", f"{go_string(restart)!r} is not a restart policy "
                    "(Compose passes it on; the engine refuses it when creating the container)",
                    'use no, always, unless-stopped, on-failure or on-failure:N (at most N restarts).')
    for env_path, required in env_files(spec, compose.project_dir):
        if required and not env_path.is_file():
            raise _fail(compose, name, "env_file", f"env file {env_path} not found",
                        f"create it (paths are relative to {compose.project_dir}), e.g. by copying .env.example, "
                        "or write `env_file: [{path: FILE, required: false}]` to make it optional.")


# --- Normalisers --------------------------------------------------------------------------------------------------

_DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9, "m": 60 * 10**9,
                   "h": 3600 * 10**9}
_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def duration_ns(value: Any, where: str = "duration") -> int:
    """A Go duration (``1m30s``, ``1.5s``, ``500ms``, ``2h45m``) in whole nanoseconds, as the engine wants them."""
    text = str(value).strip() if isinstance(value, str) else None
    sign = -1 if text and text[0] == "-" else 1
    body = text.lstrip("+-") if text else ""
    if body == "0":
        return 0
    parts = _DURATION_PART.findall(body)
    if not body or "".join(a + b for a, b in parts) != body:
        raise ComposeError(
            f"{where}: {value!r} is not a duration",
            "write a number with a unit, as Go does: 500ms, 20s, 1m30s, 2h (units ns, us, ms, s, m, h; no spaces).")
    return sign * int(sum(Decimal(number) * _DURATION_UNITS[unit] for number, unit in parts))


def parse_duration(value: Any, where: str = "duration") -> float:
    """A Go duration in seconds: ``parse_duration("1m30s") == 90.0``. Used for stop_grace_period and healthchecks."""
    return duration_ns(value, where) / 1e9


@dataclass(frozen=True)
class PortBinding:
    """One published port: ``host_ip:host_port -> container_port/protocol``. None = any address / a free port."""

    host_ip: str | None
    host_port: int | None
    container_port: int
    protocol: str = "tcp"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _port_range(text: str, what: str, where: str, entry: Any) -> list[int]:
    match = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
    low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, -1)
    if not match or not 0 < low <= high <= 65535 or (what == "containerPort" and low == 0):
        raise ComposeError(f"{where}: {entry!r} is malformed: invalid {what}: {text}",
                           'write "CONTAINER", "HOST:CONTAINER" or "IP:HOST:CONTAINER" (add /udp for UDP), ports '
                           'between 1 and 65535, in quotes.')
    return list(range(low, high + 1))


def parse_ports(ports: list[Any], where: str = "ports") -> list[PortBinding]:
    """Every ``ports:`` entry as :class:`PortBinding` s (the ports lesson; translate uses it).

    Short syntax: ``"5432"``, ``"8000:8000"``, ``"127.0.0.1:5432:5432"``, ``"127.0.0.1::5432"`` (a free host
    port), ``"8000:8000/udp"``, ``"[::1]:80:80"``, ranges ``"9000-9001:9000-9001"``; long syntax
    ``{target: 80, published: 8080, host_ip: 127.0.0.1, protocol: tcp}``.
    """
    bindings: list[PortBinding] = []
    for entry in ports:
        if isinstance(entry, dict):
            if "target" not in entry:
                raise ComposeError(f"{where}: {entry!r} has no target",
                                   "the long syntax needs `target:` (the container's port).")
            host_ip, protocol = entry.get("host_ip") or "", entry.get("protocol", "tcp")
            host, container = go_string(entry.get("published") or ""), go_string(entry["target"])
        else:
            text = go_string(entry)
            spec, _, protocol = text.partition("/")
            protocol = protocol or "tcp"
            ipv6 = re.fullmatch(r"\[([0-9a-fA-F:.]+)\]:(.*)", spec)
            parts = [ipv6.group(1), *ipv6.group(2).split(":")] if ipv6 else spec.rsplit(":", 2)
            if ipv6 and len(parts) != 3:
                raise ComposeError(f"{where}: {entry!r} is malformed: an address needs a host and a container port",
                                   'write "[::1]:HOST:CONTAINER" or "[::1]::CONTAINER".')
            host_ip, host, container = ([""] * (3 - len(parts)) + parts)
        protocol = str(protocol).lower()
        if protocol not in ("tcp", "udp", "sctp"):
            raise ComposeError(f"{where}: {entry!r} is malformed: invalid proto: {protocol}",
                               "the protocol after / is tcp, udp or sctp.")
        if host_ip and not _is_ip(host_ip):
            raise ComposeError(f"{where}: {entry!r} is malformed: invalid IP address: {host_ip}",
                               "the first part is the host address to listen on, e.g. 127.0.0.1 (this machine only).")
        containers = _port_range(container, "containerPort", where, entry)
        hosts = _port_range(host, "hostPort", where, entry) if host else [None] * len(containers)
        if len(hosts) != len(containers):
            raise ComposeError(
                f"{where}: {entry!r}: a host port range published to one container port is valid Compose, "
                "but the course's helpers handle only ranges of the same length on both sides",
                'write equal ranges ("9000-9001:9000-9001"), or one entry per port.')
        bindings += [PortBinding(host_ip or None, h, c, protocol) for h, c in zip(hosts, containers)]
    return bindings


@dataclass(frozen=True)
class Mount:
    """One ``volumes:`` entry. ``source``: an absolute host path (bind), a volume name as written in the file ("" for
    an anonymous volume), "" (tmpfs). ``options``: the long syntax's ``bind:`` / ``volume:`` / ``tmpfs:`` block."""

    type: str
    source: str
    target: str
    read_only: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)


def _host_path(source: str, project_dir: Path) -> str:
    if source.startswith("~"):
        return os.path.expanduser(source)
    return os.path.normpath(os.path.join(project_dir, source))


def parse_volumes(volumes: list[Any], project_dir: str | Path, where: str = "volumes") -> list[Mount]:
    """Every service ``volumes:`` entry as a :class:`Mount` (the volumes lesson; translate uses it).

    Short syntax ``SOURCE:TARGET[:MODE]``: a SOURCE starting with ``.``, ``/`` or ``~`` is a host folder (a bind
    mount, relative paths from the compose file's folder), anything else a named volume; ``/path`` alone is an
    anonymous volume. MODE: ro, rw, nocopy, z/Z, a propagation. Long syntax: ``{type:, source:, target:, ...}``.
    """
    mounts = []
    for entry in volumes:
        if isinstance(entry, dict):
            kind, source, target = entry.get("type"), str(entry.get("source") or ""), entry.get("target")
            if kind not in ("bind", "volume", "tmpfs") or not target or (kind == "bind" and not source):
                raise ComposeError(f"{where}: {entry!r} is malformed",
                                   "the long syntax needs `type:` (bind, volume or tmpfs), `target:`, and for a "
                                   "bind mount `source:` (the host path).")
            options = dict(entry.get(kind) or {})
            read_only = go_string(entry.get("read_only", False)) == "true"
        else:
            text = str(entry)
            parts = text.split(":")
            if len(parts) > 3 or "" in parts:
                raise ComposeError(f"{where}: {text!r} is malformed (empty section between colons or too many colons)",
                                   "write SOURCE:TARGET or SOURCE:TARGET:ro, e.g. ./data:/data or dbdata:/var/lib/db.")
            if len(parts) == 1:
                parts = ["", parts[0]]
            source, target, mode = parts[0], parts[1], (parts[2].split(",") if len(parts) == 3 else [])
            kind = "bind" if source[:1] in (".", "/", "~") else "volume"
            read_only = "ro" in mode
            options = {"create_host_path": True} if kind == "bind" else {}  # what the short syntax implies
            for option in mode:  # (unknown options are ignored, as Compose ignores them)
                if option in ("rprivate", "private", "rshared", "shared", "rslave", "slave"):
                    options["propagation"] = option
                elif option in ("z", "Z"):
                    options["selinux"] = option
                elif option == "nocopy":
                    options["nocopy"] = True
        if kind == "bind":
            source = _host_path(source, Path(project_dir))
        mounts.append(Mount(kind, source, str(target), read_only, options))
    return mounts


def env_files(service: Mapping[str, Any], project_dir: Path) -> list[tuple[Path, bool]]:
    """(absolute path, required) for each ``env_file:`` entry (a path, a list, or ``{path:, required:}`` items)."""
    entries = service.get("env_file") or []
    result = []
    for entry in [entries] if isinstance(entries, (str, dict)) else entries:
        path, required = (entry["path"], entry.get("required", True)) if isinstance(entry, dict) else (entry, True)
        result.append((project_dir / str(path), go_string(required) != "false"))
    return result


def as_mapping(value: Any, separator: str = "=") -> dict[str, str | None]:
    """A key written as a list or a mapping (``environment``, ``labels``) as a dict of strings.
    A list item without ``=`` (or a mapping key without a value) maps to None."""
    if isinstance(value, dict):
        return {str(k): None if v is None else go_string(v) for k, v in value.items()}
    result: dict[str, str | None] = {}
    for item in value or []:
        key, sep, val = str(item).partition(separator)
        result[key] = val if sep else None
    return result


def environment_dict(service: Mapping[str, Any], project_dir: str | Path,
                     env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The container's environment, as Compose builds it (the environment lesson; translate uses it).

    The ``env_file:`` files in order (a later file wins), then ``environment:`` (list or mapping form), which wins
    over every file. A variable named without a value (``- DEBUG`` or ``DEBUG:``) takes its value from ``env``
    (the shell and ``.env``, i.e. ``ComposeFile.env``); when it is not there either it maps to None, which Compose
    and docker-py both pass on as a bare ``DEBUG``: the container then has no DEBUG at all.
    """
    env = env or {}
    inline = as_mapping(service.get("environment"))
    result: dict[str, str | None] = {}

    def lookup(name: str) -> str | None:  # ${VAR} in an env file: the project's variables, then `environment:`,
        return env[name] if name in env else inline.get(name)  # then the file's earlier lines, then earlier files

    for path, required in env_files(service, Path(project_dir)):
        if not path.is_file():
            if required:
                raise ComposeError(f"env file {path} not found", "create it, or mark it `required: false`.")
            continue
        result.update(parse_env_file(path, lookup, fallback=result.get))
    for key, value in inline.items():
        result[key] = env.get(key) if value is None else value
    return result


def depends_on_conditions(service: Mapping[str, Any], where: str = "depends_on") -> dict[str, str]:
    """``{dependency: condition}``; the list form means ``service_started`` for each (the depends_on lesson)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {str(d): "service_started" for d in deps}
    for dep, spec in deps.items():
        if spec is not None and not isinstance(spec, dict):
            raise ComposeError(f"{where}.{dep}: {spec!r} is not a mapping",
                               f"write `{dep}:` then, indented below it, `condition: service_healthy` (or a list of "
                               "service names, which waits for each to start).")
    return {str(d): (spec or {}).get("condition", "service_started") for d, spec in deps.items()}


def command_list(value: Any) -> list[str] | None:
    """``command:`` / ``entrypoint:`` as the list the engine runs: a string is split as a shell would (quotes
    group words, nothing is expanded); a list is taken as it is; absent (None) stays None: the image's default."""
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value)
    return [go_string(v) for v in value]
