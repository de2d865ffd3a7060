#!/usr/bin/env bash
# A private three-node RabbitMQ cluster on this machine, for the cluster tests and for trying failover by hand.
#
#   scripts/cluster.sh start    start c1..c3@localhost (AMQP 5681-5683, distribution 25681-25683) and join them
#   scripts/cluster.sh stop     stop the three nodes and delete their data
#   scripts/cluster.sh status   cluster status as c1 sees it
#   scripts/cluster.sh kill N   SIGKILL node N's Erlang VM (a crash, for failover tests)
#   scripts/cluster.sh urls     the RABBITMQ_URL value that lists the three nodes
#
# It never touches the system broker (rabbit@localhost, 5672): each node gets its own node name, ports, data
# and log directories, config file (the system one pins 5672), env file, plugins file and Erlang cookie (HOME).
# Everything lives under $CLUSTER_DIR (default .rabbit-nodes/cluster, gitignored).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/.rabbit-nodes/cluster}"
RABBIT_BIN="${RABBIT_BIN:-/usr/lib/rabbitmq/bin}"
NODES=(1 2 3)
START_TIMEOUT_S="${CLUSTER_START_TIMEOUT_S:-90}"

node_name() { echo "c$1@localhost"; }
amqp_port() { echo $((5680 + $1)); }
dist_port() { echo $((25680 + $1)); }
node_dir() { echo "$CLUSTER_DIR/c$1"; }

# The environment every rabbitmq-server / rabbitmqctl call for node $1 runs with.
node_env() {
  local n=$1 dir
  dir="$(node_dir "$n")"
  echo HOME="$CLUSTER_DIR/home" \
    RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_PID_FILE="$dir/beam.pid" \
    ERL_EPMD_ADDRESS=127.0.0.1
}

ctl() {
  local n=$1
  shift
  env $(node_env "$n") "$RABBIT_BIN/rabbitmqctl" -n "$(node_name "$n")" "$@"
}

prepare() {
  mkdir -p "$CLUSTER_DIR/home"
  local cookie="$CLUSTER_DIR/home/.erlang.cookie"
  if [ ! -f "$cookie" ]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F' >"$cookie"
    chmod 400 "$cookie"
  fi
  for n in "${NODES[@]}"; do
    local dir
    dir="$(node_dir "$n")"
    mkdir -p "$dir/mnesia" "$dir/log"
    cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$(amqp_port "$n")
loopback_users = none
cluster_partition_handling = pause_minority
vm_memory_high_watermark.relative = 0.2
EOF
    echo 'ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"' >"$dir/rabbitmq-env.conf"
    echo '[].' >"$dir/enabled_plugins"
  done
}

is_running() { ctl "$1" ping >/dev/null 2>&1; }

start_node() {
  local n=$1 dir
  dir="$(node_dir "$n")"
  if is_running "$n"; then return 0; fi
  # setsid: the node must outlive the shell (and the test runner) that started it.
  env $(node_env "$n") setsid "$RABBIT_BIN/rabbitmq-server" >"$dir/log/startup.log" 2>&1 </dev/null &
}

# `wait` on the pid file, as scripts/rabbit-node.sh does: await_startup alone fails at once while
# the node's Erlang VM has not registered yet (seen on a loaded machine).
await_node() {
  local n=$1
  if ! ctl "$n" -q wait --timeout "$START_TIMEOUT_S" "$(node_dir "$n")/beam.pid" >/dev/null 2>&1; then
    echo "node $(node_name "$n") did not start within ${START_TIMEOUT_S}s; see $(node_dir "$n")/log" >&2
    tail -n 20 "$(node_dir "$n")/log/startup.log" >&2 || true
    return 1
  fi
}

join_node() {
  local n=$1
  if ctl 1 cluster_status --formatter json 2>/dev/null | grep -q "\"$(node_name "$n")\""; then
    # already a running member?
    if ctl 1 cluster_status --formatter json | node -e '
      const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
      process.exit((s.running_nodes || []).includes(process.argv[1]) ? 0 : 1)' "$(node_name "$n")"; then
      return 0
    fi
  fi
  ctl "$n" stop_app >/dev/null
  ctl "$n" join_cluster "$(node_name 1)" >/dev/null
  ctl "$n" start_app >/dev/null
}

cmd_start() {
  prepare
  for n in "${NODES[@]}"; do start_node "$n"; done
  for n in "${NODES[@]}"; do await_node "$n"; done
  join_node 2
  join_node 3
  ctl 1 await_online_nodes 3 --timeout 60 >/dev/null 2>&1 || ctl 1 cluster_status >&2
  echo "cluster up: $(cmd_urls)"
}

beam_pid() {
  local f
  f="$(node_dir "$1")/beam.pid"
  [ -s "$f" ] && cat "$f"
}

cmd_stop() {
  [ -d "$CLUSTER_DIR" ] || return 0
  for n in "${NODES[@]}"; do
    if is_running "$n"; then ctl "$n" stop --idle-timeout 30 >/dev/null 2>&1 || true; fi
  done
  # A node that would not stop, or that was killed half-way: end its VM by its own pid file only.
  for n in "${NODES[@]}"; do
    local pid
    pid="$(beam_pid "$n" || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$CLUSTER_DIR"
  echo "cluster stopped"
}

cmd_status() {
  for n in "${NODES[@]}"; do
    if is_running "$n"; then echo "$(node_name "$n") running (amqp $(amqp_port "$n"))"; else echo "$(node_name "$n") down"; fi
  done
  ctl 1 cluster_status 2>/dev/null || true
}

cmd_kill() {
  local n=${1:?node number 1-3} pid
  pid="$(beam_pid "$n" || true)"
  if [ -z "$pid" ]; then
    echo "no pid file for $(node_name "$n")" >&2
    return 1
  fi
  kill -9 "$pid"
  echo "killed $(node_name "$n") (pid $pid)"
}

cmd_urls() {
  local urls=()
  for n in "${NODES[@]}"; do urls+=("amqp://guest:guest@127.0.0.1:$(amqp_port "$n")"); done
  (IFS=,; echo "${urls[*]}")
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill) cmd_kill "${2:-}" ;;
  urls) cmd_urls ;;
  ctl) shift; n=$1; shift; ctl "$n" "$@" ;;
  *)
    echo "usage: $0 start|stop|status|kill N|urls|ctl N <rabbitmqctl args>" >&2
    exit 2
    ;;
esac
