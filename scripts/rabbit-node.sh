#!/usr/bin/env bash
# A private RabbitMQ node beside the system one (which listens on 5672 and must never be touched).
#
#   scripts/rabbit-node.sh start NAME PORT   start NAME@localhost on 127.0.0.1:PORT (dist port PORT+20000), wait for it
#   scripts/rabbit-node.sh stop  NAME PORT   stop it (PORT is accepted for symmetry and ignored)
#   scripts/rabbit-node.sh ctl   NAME ARGS…  rabbitmqctl -n NAME@localhost ARGS…
#   RABBIT_NODE_FRESH=1 … start …           start from empty data (a restart keeps queues and cluster membership otherwise)
#   RABBIT_NODE_TLS_PORT=P RABBIT_NODE_TLS_CA=ca.pem RABBIT_NODE_TLS_CERT=cert.pem RABBIT_NODE_TLS_KEY=key.pem … start …
#                                           also a TLS listener on 127.0.0.1:P that requires a client certificate signed by the CA
#
# Everything the node writes lives under $RABBIT_NODE_ROOT/NAME (default /tmp/amqp-relay-rabbit):
# data, logs, its own config (the system /etc/rabbitmq/rabbitmq.conf pins port 5672) and, shared by
# every node under the root so that they can form a cluster, the Erlang cookie.
set -euo pipefail

ROOT="${RABBIT_NODE_ROOT:-/tmp/amqp-relay-rabbit}"
BIN=/usr/lib/rabbitmq/bin
cmd="${1:-}"; name="${2:-}"
[ -n "$cmd" ] && [ -n "$name" ] || { echo "usage: $0 start|stop NAME PORT | ctl NAME ARGS..." >&2; exit 2; }
node="$name@localhost"
dir="$ROOT/$name"

env_for_node() {
  export HOME="$ROOT"                          # the Erlang cookie ($HOME/.erlang.cookie)
  export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
  export RABBITMQ_NODENAME="$node"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/node.pid"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq"  # .conf is appended
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_ENABLED_PLUGINS=""
  export ERL_EPMD_ADDRESS=127.0.0.1
}

ctl() { env_for_node; "$BIN/rabbitmqctl" -n "$node" "$@"; }

case "$cmd" in
  start)
    port="${3:?PORT is required}"
    [ "$port" != 5672 ] || { echo "refusing to use 5672: that is the system node's port" >&2; exit 2; }
    mkdir -p "$dir/mnesia" "$dir/log"
    if [ ! -f "$ROOT/.erlang.cookie" ]; then
      head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$ROOT/.erlang.cookie"
      chmod 400 "$ROOT/.erlang.cookie"
    fi
    echo "export ERL_FLAGS=\"-kernel inet_dist_use_interface {127,0,0,1}\"" > "$dir/rabbitmq-env.conf"
    echo "[]." > "$dir/enabled_plugins"
    cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$port
loopback_users = none
log.console = false
log.file.level = warning
CONF
    if [ -n "${RABBIT_NODE_TLS_PORT:-}" ]; then
      [ "$RABBIT_NODE_TLS_PORT" != 5671 ] || { echo "refusing to use 5671: that is the system node's TLS port" >&2; exit 2; }
      for f in RABBIT_NODE_TLS_CA RABBIT_NODE_TLS_CERT RABBIT_NODE_TLS_KEY; do
        [ -r "${!f:-}" ] || { echo "$f must name a readable PEM file when RABBIT_NODE_TLS_PORT is set" >&2; exit 2; }
      done
      cat >> "$dir/rabbitmq.conf" <<CONF
listeners.ssl.1 = 127.0.0.1:$RABBIT_NODE_TLS_PORT
ssl_options.cacertfile = $RABBIT_NODE_TLS_CA
ssl_options.certfile = $RABBIT_NODE_TLS_CERT
ssl_options.keyfile = $RABBIT_NODE_TLS_KEY
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true
CONF
    fi
    env_for_node
    export RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$((port + 20000))"
    if ctl -q status >/dev/null 2>&1; then echo "$node already running"; exit 0; fi
    # RABBIT_NODE_FRESH=1: no queues or messages (or cluster membership) left by an earlier run.
    if [ "${RABBIT_NODE_FRESH:-0}" = 1 ]; then rm -rf "$dir/mnesia"; fi
    "$BIN/rabbitmq-server" -detached
    # -detached returns before the node registers with epmd: wait for its pid file, then for the app.
    timeout 90 "$BIN/rabbitmqctl" -n "$node" -q wait --timeout 90 "$RABBITMQ_PID_FILE"
    echo "$node listening on 127.0.0.1:$port"
    ;;
  stop)
    env_for_node
    if ctl -q status >/dev/null 2>&1; then timeout 60 "$BIN/rabbitmqctl" -n "$node" -q stop "$RABBITMQ_PID_FILE"; fi
    echo "$node stopped"
    ;;
  ctl)
    shift 2
    ctl "$@"
    ;;
  *)
    echo "unknown command $cmd" >&2; exit 2
    ;;
esac
