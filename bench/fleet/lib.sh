# Shared by bench/fleet/up and bench/fleet/dragonfly: the fleet's namespaces and background
# processes, recorded in $dir so that bench/fleet/down stops them by PID and removes them.
log() { echo "fleet: $*" >&2; }
die() { log "$*"; exit 1; }
wait_for() { # what command... : up to 30 s
  local what=$1; shift
  for _ in $(seq 1 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "$what did not come up; see $dir"
}
attach() { # netns address : a namespace hanging off the fleet's bridge by a veth pair
  local ns=$1 addr=$2 host=rpf${2##*.}a peer=rpf${2##*.}b
  ip netns add "$ns"
  ip link add "$host" type veth peer name "$peer"
  ip link set "$peer" netns "$ns"
  ip link set "$host" master rpfbr0 up
  ip netns exec "$ns" ip addr add "$addr/24" dev "$peer"
  ip netns exec "$ns" ip link set "$peer" up
  ip netns exec "$ns" ip link set lo up
  echo "$ns" >> "$dir/namespaces"
}
bg() { # pidfile logfile command... : started in the background, recorded for bench/fleet/down
  local pidfile=$1 logfile=$2; shift 2
  "$@" > "$logfile" 2>&1 &
  echo $! > "$pidfile"
  echo "$pidfile" >> "$dir/pids"
}
