# Compose v2 for CI, sourced by .ci/run. Debian bookworm has only compose v1, which rejects the
# project's compose files; Debian trixie's docker-compose package is compose v2 (a static binary).
# It is fetched with apt-get download through a private sources list and private list and cache
# directories (the host's apt configuration is not touched) and cached.
#
#   compose_plugin_install CACHE_DIR CONFIG_DIR   puts the plugin in CONFIG_DIR/cli-plugins
compose_plugin_install() {
  local cache="$1" config="$2"
  local plugin="$cache/docker-compose"
  if [ ! -x "$plugin" ]; then
    local work
    work="$(mktemp -d)"
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$cache"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
      >"$work/sources.list"
    local apt_opts=(
      -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::Etc::PreferencesParts=/dev/null
      -o APT::Sandbox::User=root -qq
    )
    (cd "$work" && apt-get "${apt_opts[@]}" update && apt-get "${apt_opts[@]}" download docker-compose/trixie) &&
      dpkg-deb --fsys-tarfile "$work"/docker-compose_*.deb |
      tar -x -O ./usr/libexec/docker/cli-plugins/docker-compose >"$plugin.part" &&
      chmod +x "$plugin.part" && mv "$plugin.part" "$plugin"
    local status=$?
    rm -rf "$work"
    [ $status -eq 0 ] || return 1
  fi
  mkdir -p "$config/cli-plugins" && cp "$plugin" "$config/cli-plugins/docker-compose"
}
