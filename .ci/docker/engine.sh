# A Docker engine for one CI run, sourced by .ci/run: Debian's dockerd in a network namespace of
# its own, so that its bridges, NAT and iptables rules exist only there and nothing of the host's
# network changes. slirp4netns gives that namespace outbound access (user-mode NAT over ordinary
# host sockets: enough for builds to reach the package registries) and forwards host ports into it
# on request (its API socket, exported as DOCKER_SLIRP4NETNS_API for the tests).
#
#   engine_start DIR   starts it, state and data under DIR; exports DOCKER_HOST and friends
#   engine_stop        removes every container, leaves the swarm, stops the daemon and slirp4netns,
#                      kills whatever is left in the namespace, deletes the namespace and DIR
#
# Every process it starts lives in the namespace or is slirp4netns, by pid: engine_stop ends
# exactly those.

ENGINE_DIR=""
ENGINE_NS=""
ENGINE_SLIRP_PID=""
ENGINE_DOCKERD_PID=""

engine_log() { printf '    engine: %s\n' "$*"; }

engine_start() {
  ENGINE_DIR="$1"
  ENGINE_NS="api-starter-ci-$$"
  mkdir -p "$ENGINE_DIR" || return 1
  ip netns add "$ENGINE_NS" || return 1
  ip -n "$ENGINE_NS" link set lo up || return 1

  slirp4netns --configure --mtu=65520 --disable-host-loopback \
    --api-socket "$ENGINE_DIR/slirp.sock" --netns-type=path "/run/netns/$ENGINE_NS" tap0 \
    >"$ENGINE_DIR/slirp4netns.log" 2>&1 &
  ENGINE_SLIRP_PID=$!
  local i
  for i in $(seq 1 100); do
    [ -S "$ENGINE_DIR/slirp.sock" ] && ip -n "$ENGINE_NS" -4 addr show tap0 2>/dev/null | grep -q inet && break
    kill -0 "$ENGINE_SLIRP_PID" 2>/dev/null || { cat "$ENGINE_DIR/slirp4netns.log"; return 1; }
    sleep 0.1
  done
  ENGINE_ADDR="$(ip -n "$ENGINE_NS" -4 -o addr show tap0 | awk '{ split($4, a, "/"); print a[1] }')"
  [ -n "$ENGINE_ADDR" ] || { engine_log "slirp4netns gave the namespace no address"; return 1; }

  # `nsenter --net`, not `ip netns exec`: the latter remounts /sys and hides the cgroup mounts
  # dockerd needs. Data and runtime state live under ENGINE_DIR, never in the host's /var/lib/docker.
  nsenter --net="/run/netns/$ENGINE_NS" dockerd \
    --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" --pidfile "$ENGINE_DIR/dockerd.pid" \
    -H "unix://$ENGINE_DIR/docker.sock" --storage-driver overlay2 --cgroup-parent "/$ENGINE_NS" \
    >"$ENGINE_DIR/dockerd.log" 2>&1 &
  ENGINE_DOCKERD_PID=$!

  export DOCKER_HOST="unix://$ENGINE_DIR/docker.sock"
  export DOCKER_SLIRP4NETNS_API="$ENGINE_DIR/slirp.sock"
  # The address swarm advertises (the namespace's own), and an address pool for its overlay
  # networks that does not overlap slirp4netns's 10.0.2.0/24.
  export DOCKER_SWARM_ADVERTISE_ADDR="$ENGINE_ADDR"
  export DOCKER_SWARM_ADDR_POOL="10.200.0.0/16"
  for i in $(seq 1 300); do
    docker version >/dev/null 2>&1 && return 0
    kill -0 "$ENGINE_DOCKERD_PID" 2>/dev/null || break
    sleep 0.1
  done
  engine_log "dockerd did not start:"
  tail -n 30 "$ENGINE_DIR/dockerd.log"
  return 1
}

# Waits up to $2 tenths of a second for pid $1 to exit.
engine_wait_gone() {
  local i
  for i in $(seq 1 "$2"); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# Processes left in this engine's containers (they live in their own namespaces, but in cgroups
# under the engine's own --cgroup-parent).
engine_container_pids() {
  local root
  for root in /sys/fs/cgroup/pids /sys/fs/cgroup/memory /sys/fs/cgroup; do
    [ -d "$root/$ENGINE_NS" ] && find "$root/$ENGINE_NS" -name cgroup.procs -exec cat {} + 2>/dev/null && return
  done
}

engine_stop() {
  [ -n "$ENGINE_NS" ] || return 0
  if [ -n "$ENGINE_DOCKERD_PID" ] && kill -0 "$ENGINE_DOCKERD_PID" 2>/dev/null; then
    docker swarm leave --force >/dev/null 2>&1
    # shellcheck disable=SC2046
    docker rm -f -v $(docker ps -aq) >/dev/null 2>&1
    kill -TERM "$ENGINE_DOCKERD_PID" 2>/dev/null
    engine_wait_gone "$ENGINE_DOCKERD_PID" 200 || kill -KILL "$ENGINE_DOCKERD_PID" 2>/dev/null
  fi
  # Anything still in the namespace (a containerd shim, a container's process) was started by
  # this engine.
  local pid
  for pid in $(ip netns pids "$ENGINE_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  if [ -n "$ENGINE_SLIRP_PID" ]; then
    kill -TERM "$ENGINE_SLIRP_PID" 2>/dev/null
    engine_wait_gone "$ENGINE_SLIRP_PID" 50 || kill -KILL "$ENGINE_SLIRP_PID" 2>/dev/null
  fi
  for pid in $(ip netns pids "$ENGINE_NS" 2>/dev/null) $(engine_container_pids); do kill -KILL "$pid" 2>/dev/null; done
  ip netns del "$ENGINE_NS" 2>/dev/null
  # Overlay mounts of stopped containers go with their daemon; unmount whatever is left before
  # deleting the data.
  if [ -d "$ENGINE_DIR" ]; then
    grep -F " $ENGINE_DIR/" /proc/self/mounts | awk '{ print $2 }' | sort -r | while read -r mnt; do
      umount -l "$mnt" 2>/dev/null
    done
    rm -rf "$ENGINE_DIR"
  fi
  ENGINE_NS=""
}
