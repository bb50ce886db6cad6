#!/usr/bin/env bash
# Entrypoint of the postgres:17 LOCAL STAND-IN. Written for this course; it reproduces what the official
# image's entrypoint does, so that a container of either image behaves the same:
#   - a first argument starting with "-" means: postgres with these options;
#   - as root it prepares $PGDATA and /var/run/postgresql, then runs itself again as user postgres (gosu);
#   - on an EMPTY data directory only: POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust) is required,
#     initdb creates the cluster with superuser POSTGRES_USER (default postgres), POSTGRES_INITDB_ARGS and
#     POSTGRES_INITDB_WALDIR are honoured, remote connections ("host all all all") need the password
#     (scram-sha-256, or POSTGRES_HOST_AUTH_METHOD) while the local socket and loopback are trusted;
#     a temporary server that listens on the unix socket only creates POSTGRES_DB (default: the user's name)
#     and runs /docker-entrypoint-initdb.d/* (*.sh, *.sql, *.sql.gz, *.sql.xz, *.sql.zst); then it stops;
#   - the *_FILE variants (POSTGRES_PASSWORD_FILE, ...) read a value from a file (Docker secrets);
#   - finally postgres replaces this script (exec), so it is PID 1 and gets docker stop's SIGINT.
set -Eeo pipefail

prog="$0"

say() { printf '%s\n' "$*"; }
fail() { printf '%s\n' "$@" >&2; exit 1; }

# VAR or VAR_FILE (not both) -> exported VAR; $2 is the default.
from_env_or_file() {
    local name="$1" default="${2:-}" file_name="${1}_FILE"
    local value="${!name:-}" file="${!file_name:-}"
    if [ -n "$value" ] && [ -n "$file" ]; then
        fail "error: both $name and $file_name are set (but are exclusive)"
    fi
    if [ -n "$file" ]; then
        value="$(< "$file")"
    elif [ -z "$value" ]; then
        value="$default"
    fi
    export "$name=$value"
    unset "$file_name"
}

wants_help() {  # options after which postgres prints something and exits
    local arg
    for arg in "$@"; do
        case "$arg" in
            -'?'|--help|--describe-config|-V|--version) return 0 ;;
        esac
    done
    return 1
}

read_settings() {
    from_env_or_file POSTGRES_PASSWORD
    from_env_or_file POSTGRES_USER postgres
    from_env_or_file POSTGRES_DB "$POSTGRES_USER"
    from_env_or_file POSTGRES_INITDB_ARGS
    POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-}"
    HAS_DATABASE=
    if [ -s "$PGDATA/PG_VERSION" ]; then
        HAS_DATABASE=yes
    fi
}

prepare_directories() {
    mkdir -p "$PGDATA"
    chmod 0700 "$PGDATA" || true           # postgres refuses a data directory others can read
    mkdir -p /var/run/postgresql || true
    chmod 3775 /var/run/postgresql || true
    if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
        mkdir -p "$POSTGRES_INITDB_WALDIR"
        if [ "$(id -u)" = 0 ]; then
            find "$POSTGRES_INITDB_WALDIR" ! -user postgres -exec chown postgres '{}' +
        fi
        chmod 0700 "$POSTGRES_INITDB_WALDIR"
    fi
    if [ "$(id -u)" = 0 ]; then
        find "$PGDATA" ! -user postgres -exec chown postgres '{}' +
        find /var/run/postgresql ! -user postgres -exec chown postgres '{}' +
    fi
}

check_first_start_settings() {
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
        fail "Error: Database is uninitialized and superuser password is not specified." \
             "       You must specify POSTGRES_PASSWORD to a non-empty value for the" \
             "       superuser, e.g. \"-e POSTGRES_PASSWORD=password\" on \"docker run\"." \
             "       (POSTGRES_HOST_AUTH_METHOD=trust would let everybody in without a" \
             "       password: not recommended; see" \
             "       https://www.postgresql.org/docs/current/auth-trust.html)"
    fi
    if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
        printf '%s\n' \
            "********************************************************************************" \
            "WARNING: POSTGRES_HOST_AUTH_METHOD has been set to \"trust\". Every client that can" \
            "         reach the Postgres port gets in without a password, even if" \
            "         POSTGRES_PASSWORD is set. With Docker's defaults that is any other" \
            "         container on the same network. Use POSTGRES_PASSWORD instead." \
            "********************************************************************************" >&2
    fi
}

run_initdb() {
    # initdb wants the current uid in /etc/passwd; for an arbitrary --user, fake an entry with nss_wrapper.
    local wrapper=""
    if ! getent passwd "$(id -u)" > /dev/null 2>&1; then
        for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so /lib/*/libnss_wrapper.so; do
            [ -s "$wrapper" ] && break
            wrapper=""
        done
        if [ -n "$wrapper" ]; then
            NSS_WRAPPER_PASSWD="$(mktemp)"
            NSS_WRAPPER_GROUP="$(mktemp)"
            export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
            printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$(id -u)" "$(id -g)" "$PGDATA" > "$NSS_WRAPPER_PASSWD"
            printf 'postgres:x:%s:\n' "$(id -g)" > "$NSS_WRAPPER_GROUP"
        fi
    fi

    local extra=()
    if [ -n "${POSTGRES_INITDB_WALDIR:-}" ]; then
        extra+=(--waldir "$POSTGRES_INITDB_WALDIR")
    fi
    # POSTGRES_INITDB_ARGS is split into words the way a shell would split it (quotes are honoured).
    local initdb_args=()
    eval "initdb_args=($POSTGRES_INITDB_ARGS)"
    # The password goes through a pipe, never a command line. The trailing newline matters: initdb rejects
    # an empty file.
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
        "${initdb_args[@]}" "${extra[@]}"

    if [ -n "$wrapper" ]; then
        rm -f "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
        unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    fi
}

allow_remote_logins() {  # "$@": the server's options, to read the configured password_encryption
    [ "${1:-}" = postgres ] && shift
    local method="$POSTGRES_HOST_AUTH_METHOD"
    if [ -z "$method" ]; then
        method="$(postgres -C password_encryption "$@")"
    fi
    {
        printf '\n'
        if [ "$method" = trust ]; then
            printf '# warning: trust is enabled for all connections\n'
            printf '# see https://www.postgresql.org/docs/17/auth-trust.html\n'
        fi
        printf 'host all all all %s\n' "$method"
    } >> "$PGDATA/pg_hba.conf"
}

sql() {  # psql as the superuser over the unix socket, stopping at the first error
    local args=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
    if [ -n "$POSTGRES_DB" ]; then
        args+=(--dbname "$POSTGRES_DB")
    fi
    PGHOST= PGHOSTADDR= "${args[@]}" "$@"
}

docker_process_sql() { sql "$@"; }  # the name sourced init scripts for the official image may call

start_socket_only_server() {  # "$@": the server's options
    [ "${1:-}" = postgres ] && shift
    local options=("$@" -c "listen_addresses=" -p "${PGPORT:-5432}")
    NOTIFY_SOCKET= PGUSER="${PGUSER:-$POSTGRES_USER}" \
        pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${options[@]}")" -w start
}

stop_socket_only_server() {
    PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

create_database() {
    local found
    found="$(POSTGRES_DB= sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only \
             <<< "SELECT 1 FROM pg_database WHERE datname = :'db' ;")"
    if [ -z "$found" ]; then
        POSTGRES_DB= sql --dbname postgres --set db="$POSTGRES_DB" <<< 'CREATE DATABASE :"db" ;'
        printf '\n'
    fi
}

run_init_scripts() {
    # shellcheck disable=SC2034  # scripts written for the official image may use "${psql[@]}"
    psql=(sql)
    printf '\n'
    local f
    for f in "$@"; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    say "$prog: running $f"
                    "$f"
                else
                    say "$prog: sourcing $f"
                    # shellcheck disable=SC1090
                    . "$f"
                fi
                ;;
            *.sql)     say "$prog: running $f"; sql -f "$f"; printf '\n' ;;
            *.sql.gz)  say "$prog: running $f"; gunzip -c "$f" | sql; printf '\n' ;;
            *.sql.xz)  say "$prog: running $f"; xzcat "$f" | sql; printf '\n' ;;
            *.sql.zst) say "$prog: running $f"; zstd -dc "$f" | sql; printf '\n' ;;
            *)         say "$prog: ignoring $f" ;;
        esac
        printf '\n'
    done
}

main() {
    if [ "${1:0:1}" = - ]; then
        set -- postgres "$@"
    fi

    if [ "$1" = postgres ] && ! wants_help "$@"; then
        read_settings
        prepare_directories
        if [ "$(id -u)" = 0 ]; then
            exec gosu postgres "$prog" "$@"
        fi

        if [ -z "$HAS_DATABASE" ]; then
            check_first_start_settings
            ls /docker-entrypoint-initdb.d/ > /dev/null     # fail early on an unreadable folder
            run_initdb
            allow_remote_logins "$@"
            # psql needs it when POSTGRES_INITDB_ARGS makes local connections ask for a password
            export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
            start_socket_only_server "$@"
            create_database
            run_init_scripts /docker-entrypoint-initdb.d/*
            stop_socket_only_server
            unset PGPASSWORD
            printf '\nPostgreSQL init process complete; ready for start up.\n\n'
        else
            printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
        fi
    fi

    exec "$@"
}

main "$@"
