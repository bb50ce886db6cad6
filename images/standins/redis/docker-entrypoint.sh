#!/usr/bin/env bash
# Entrypoint of the redis:8 LOCAL STAND-IN. Written for this course; it reproduces what the official image's
# entrypoint does, so that a container of either image behaves the same:
#   - a first argument that is an option ("--appendonly yes") or a *.conf file means: redis-server with it;
#   - started as root (the default), the server's files are made the redis user's (the working directory
#     /data when it holds nothing but *.rdb files and appendonlydir/, and a config file alone in its folder;
#     SKIP_FIX_PERMS=1 skips this), then it runs itself again as redis (uid 999) through setpriv, without
#     any capability but sys_resource and with no_new_privs (SKIP_DROP_PRIVS=1 stays root);
#   - umask 0077 when it is the default 0022, so dump.rdb and the AOF are readable by redis only;
#   - "Starting Redis Server", modules found in /usr/local/lib/redis/modules/*.so are loaded;
#   - finally redis-server replaces this script (exec): it is PID 1 and gets docker stop's SIGTERM (it saves
#     and exits 0).
# One thing is the stand-in's own: the official image compiles redis with protected mode OFF by default
# (a container is reached from other containers, and published ports are explicit). Debian's redis-server
# keeps it on, so this script passes "--protected-mode no" right after the config file (or first, without
# one) unless that config file sets protected-mode itself; a later command-line option still wins.
set -e

readonly DROP_PRIVS="setpriv --reuid redis --regid redis --clear-groups"
readonly NOTICE="Use SKIP_FIX_PERMS=1 to skip permission changes."
readonly MODULES_DIR=/usr/local/lib/redis/modules

has_capability() {
    setpriv -d | grep -q "Capability bounding set:.*\b$1\b"
}

# Give the redis user access to each NUL-separated path on stdin that it cannot use yet. $1: r or rw.
give_to_redis() {
    local mode="$1" path want err
    while IFS= read -r -d '' path; do
        if [ "$mode" = rw ] && $DROP_PRIVS test -r "$path" -a -w "$path"; then
            continue
        fi
        if [ "$mode" = r ] && $DROP_PRIVS test -r "$path"; then
            continue
        fi
        want="$mode"
        [ -d "$path" ] && want="${mode}x"
        err="$(chown redis "$path" 2>&1)" \
            || echo "Warning: cannot change owner to 'redis' for '$path': $err. $NOTICE"
        err="$(chmod "u+$want" "$path" 2>&1)" \
            || echo "Warning: cannot change mode to 'u+$want' for '$path': $err. $NOTICE"
    done
}

fix_data_dir() {  # the working directory, only when it holds nothing but Redis' own files
    local other
    other="$(find . -mindepth 1 -maxdepth 1 ! -name '*.rdb' ! \( -type d -name appendonlydir \) -print -quit)"
    if [ -n "$other" ]; then
        echo "Notice: Unknown file '$other' found in data dir. Permissions will not be modified. $NOTICE"
        return 0
    fi
    find . -print0 | give_to_redis rw
}

fix_config_file() {  # $1: the config file, $2: r or rw; only when it is alone in its folder
    local config="$1" mode="$2" dir other
    [ -f "$config" ] || return 0
    dir="$(dirname "$config")"
    [ -d "$dir" ] || return 0
    other="$(find "$dir" -mindepth 1 -maxdepth 1 ! -name "$(basename "$config" | sed 's/[][?*]/\\&/g')" -print -quit)"
    if [ -n "$other" ]; then
        echo "Notice: Unknown file '$other' found in '$dir'. Permissions will not be modified. $NOTICE"
        return 0
    fi
    printf '%s\0%s\0' "$dir" "$config" | give_to_redis "$mode"
}

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi

server=""
sentinel=""
config=""
command_path="$(command -v "$1" 2>/dev/null || true)"
if [ -n "$command_path" ] && [ "$(readlink -f "$command_path")" = "$(readlink -f /usr/local/bin/redis-server)" ]; then
    server=yes
    if [ "$(basename "$command_path")" = redis-sentinel ]; then
        sentinel=yes
    fi
    for arg in "${@:2}"; do
        [ "$arg" = --sentinel ] && sentinel=yes
    done
    if [ -n "${2:-}" ] && [ "${2#-}" = "$2" ]; then
        config="$2"
    fi
fi

if [ -n "$server" ] && [ -z "${SKIP_DROP_PRIVS:-}" ] && [ "$(id -u)" = 0 ] \
        && has_capability setuid && has_capability setgid; then
    if [ -z "${SKIP_FIX_PERMS:-}" ]; then
        if [ -n "$sentinel" ]; then
            fix_config_file "$config" rw       # sentinel rewrites its config file
        else
            fix_data_dir
            fix_config_file "$config" r
        fi
    fi
    keep=""
    if has_capability sys_resource; then
        keep=",+sys_resource"                # lets redis raise its open-files limit
    fi
    exec $DROP_PRIVS --nnp --inh-caps="-all$keep" --ambient-caps="-all$keep" --bounding-set="-all$keep" \
        "$0" "$@"
fi

if [ "$(umask)" = 0022 ]; then
    umask 0077
fi

if [ -n "$server" ]; then
    # protected mode off by default, as compiled into the official image (see the top of this file)
    if [ -z "$config" ] || ! grep -Eiq '^[[:space:]]*protected-mode[[:space:]]' "$config" 2>/dev/null; then
        if [ -n "$config" ]; then
            set -- "$1" "$2" --protected-mode no "${@:3}"
        else
            set -- "$1" --protected-mode no "${@:2}"
        fi
    fi
fi

if [ -n "$server" ] && [ -z "$sentinel" ]; then
    echo "Starting Redis Server"
    if [ ! -d "$MODULES_DIR" ]; then
        echo "Warning: Default Redis modules directory $MODULES_DIR/ does not exist."
    else
        for module in "$MODULES_DIR"/*.so; do
            [ -e "$module" ] || continue
            if [ ! -s "$module" ]; then echo "Skipping module $module: file has no size."; continue; fi
            if [ -d "$module" ]; then echo "Skipping module $module: is a directory."; continue; fi
            if [ ! -r "$module" ]; then echo "Skipping module $module: file is not readable."; continue; fi
            if [ ! -x "$module" ]; then echo "Warning: Module $module is not executable."; continue; fi
            set -- "$@" --loadmodule "$module"
        done
    fi
fi

exec "$@"
