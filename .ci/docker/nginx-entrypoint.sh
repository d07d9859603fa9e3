#!/bin/sh
# What the official nginx image's entrypoint does before nginx starts: each
# /etc/nginx/templates/*.template becomes /etc/nginx/conf.d/<name> with the defined environment
# variables substituted (nginx's own $variables are left alone), then every executable
# /docker-entrypoint.d/*.sh runs, in order.
set -eu
if [ "${1:-}" = nginx ]; then
  if [ -d /etc/nginx/templates ]; then
    defined="$(env | cut -d= -f1 | sed 's/.*/${&}/' | tr '\n' ' ')"
    for template in /etc/nginx/templates/*.template; do
      [ -f "$template" ] || continue
      output="/etc/nginx/conf.d/$(basename "$template" .template)"
      envsubst "$defined" <"$template" >"$output"
      echo "$0: rendered $template to $output"
    done
  fi
  for script in /docker-entrypoint.d/*.sh; do
    [ -x "$script" ] || continue
    echo "$0: running $script"
    "$script"
  done
fi
exec "$@"
