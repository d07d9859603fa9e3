#!/bin/sh
# Run by the nginx image's entrypoint before nginx starts (it runs /docker-entrypoint.d/*.sh).
# nginx resolves the upstreams' names (SYNC_API_UPSTREAM, ASYNC_API_UPSTREAM) once, when it loads
# its configuration. This asks Docker's DNS again every NGINX_FOLLOW_SECONDS (5) and reloads nginx
# when the addresses changed, so replicas added later (`--scale`, a rolling update) get requests
# and gone ones stop getting them. A reload is graceful: requests in flight finish on the old
# workers. Should a name not resolve at that moment, the reload fails and the running
# configuration stays. No-op outside a container that runs nginx.
set -eu

names="$(printf '%s\n%s\n' "${SYNC_API_UPSTREAM:-}" "${ASYNC_API_UPSTREAM:-}" | sed 's/:[0-9]*$//' | sort -u)"
[ -n "$names" ] || exit 0

addresses() {
  for name in $names; do
    getent ahostsv4 "$name" | awk -v name="$name" '{ print name, $1 }' | sort -u
  done
}

(
  known="$(addresses)"
  while sleep "${NGINX_FOLLOW_SECONDS:-5}"; do
    now="$(addresses)"
    [ "$now" = "$known" ] && continue
    if nginx -s reload 2>/dev/null; then
      echo "$0: replicas changed, nginx reloaded: $(echo "$now" | tr '\n' ' ')"
      known="$now"
    fi
  done
) &
