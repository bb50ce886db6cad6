#!/bin/sh
# Minimal equivalent of the official redis image's entrypoint.
set -eu
if [ "${1:-}" = "redis-server" ]; then
    case "${2:-}" in
        *.conf) ;;                                   # a config file decides for itself
        *) shift; set -- redis-server --protected-mode no "$@" ;;
    esac
    if [ "$(id -u)" = "0" ]; then
        chown -R redis:redis /data 2>/dev/null || true
        exec gosu redis "$@"
    fi
fi
exec "$@"
