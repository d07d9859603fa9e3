#!/bin/sh
# The part of the official postgres image's entrypoint the project's compose and stack files rely
# on, for CI's stand-in of that image (postgres.Dockerfile):
# - POSTGRES_PASSWORD, or POSTGRES_PASSWORD_FILE naming a file that holds it (a secret): required
#   to make the data directory; POSTGRES_USER (default postgres), the superuser; POSTGRES_DB
#   (default: the user's name), a database made for it;
# - the data directory PGDATA (/var/lib/postgresql/data, a volume), made by initdb on the first
#   start only: a data directory that exists is used as it is, its password unchanged;
# - every address on port 5432, a password (scram-sha-256) asked of every TCP client;
# - the server runs as the postgres user, as PID 1 (SIGINT stops it, fast).
# Not kept: /docker-entrypoint-initdb.d scripts, POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD.
set -eu

# NAME from NAME or from the file NAME_FILE names, as the official image's file_env.
file_env() {
  eval "value=\${$1:-}; file=\${$1_FILE:-}"
  if [ -n "$value" ] && [ -n "$file" ]; then
    echo "$0: both $1 and $1_FILE are set; set one" >&2
    exit 1
  fi
  [ -z "$file" ] || value="$(cat "$file")"
  eval "$1=\$value"
}

if [ "${1:-}" = postgres ]; then
  if [ "$(id -u)" = 0 ]; then
    # A fresh volume, or one made by another image, belongs to root: the server's user takes it.
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    file_env POSTGRES_PASSWORD
    if [ -z "$POSTGRES_PASSWORD" ]; then
      echo "$0: the database is uninitialized and no superuser password is given: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2
      exit 1
    fi
    user="${POSTGRES_USER:-postgres}"
    db="${POSTGRES_DB:-$user}"
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA"
    rm -f "$pwfile"
    printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
      # Single-user mode: nothing listens while the database is made.
      printf 'CREATE DATABASE "%s"\n' "$(printf '%s' "$db" | sed 's/"/""/g')" |
        postgres --single -D "$PGDATA" postgres >/dev/null
    fi
    echo "$0: PostgreSQL init process complete; ready for start up."
  fi
fi
exec "$@"
