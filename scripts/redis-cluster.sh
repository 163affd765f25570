#!/usr/bin/env bash
# A local Redis Cluster for tests and benches: 3 masters + 3 replicas from `redis-server` on loopback.
#   scripts/redis-cluster.sh start    # idempotent: does nothing when the cluster already answers cluster_state:ok
#   scripts/redis-cluster.sh stop     # stops the nodes this script started (by the PIDs in their pid files)
#   scripts/redis-cluster.sh status   # exit 0 when cluster_state:ok
#   scripts/redis-cluster.sh nodes    # prints REDIS_CLUSTER_NODES for it (127.0.0.1:7000,...)
#   scripts/redis-cluster.sh restart-node <port>   # a killed node rejoins (as a replica)
# Env: REDIS_CLUSTER_PORT (first port, default 7000; six ports from it), REDIS_CLUSTER_DIR
# (default /tmp/godel-redis-cluster-<port>), REDIS_CLUSTER_NODE_TIMEOUT (ms, default 1000: a killed
# master is replaced by its replica within a few seconds).
# Nothing on disk survives a restart of a node (no RDB/AOF): tests only.
set -euo pipefail

BASE=${REDIS_CLUSTER_PORT:-7000}
DIR=${REDIS_CLUSTER_DIR:-/tmp/godel-redis-cluster-$BASE}
TIMEOUT=${REDIS_CLUSTER_NODE_TIMEOUT:-1000}
PORTS=$(seq "$BASE" $((BASE + 5)))

ok() { redis-cli -h 127.0.0.1 -p "$BASE" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

nodes() { local out=""; for p in $PORTS; do out="$out${out:+,}127.0.0.1:$p"; done; echo "$out"; }

start_node() {
  local p=$1
  mkdir -p "$DIR/$p"
  if redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1; then return; fi
  # A fresh node forgets a previous run's cluster config (its peers are gone); a restarted one rejoins.
  if [ "${2:-fresh}" = fresh ]; then rm -f "$DIR/$p/nodes.conf"; fi
  redis-server --port "$p" --bind 127.0.0.1 --daemonize yes --dir "$DIR/$p" \
    --pidfile "$DIR/$p/redis.pid" --logfile "$DIR/$p/redis.log" \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout "$TIMEOUT" \
    --cluster-require-full-coverage no --cluster-allow-reads-when-down no \
    --save "" --appendonly no
}

start() {
  if ok; then echo "redis-cluster: already up on $(nodes)"; return; fi
  # Half-started from an earlier run: start over.
  if [ -d "$DIR" ]; then stop >/dev/null; fi
  for p in $PORTS; do start_node "$p"; done
  for p in $PORTS; do
    for _ in $(seq 1 100); do redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
  done
  local hosts=()
  for p in $PORTS; do hosts+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${hosts[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 ||
    { cat "$DIR/create.log" >&2; exit 1; }
  for _ in $(seq 1 200); do
    if ok && [ "$(redis-cli -h 127.0.0.1 -p "$BASE" cluster info | grep -c '^cluster_known_nodes:6')" = 1 ]; then break; fi
    sleep 0.05
  done
  ok || { echo "redis-cluster: not ok after create" >&2; exit 1; }
  # Every replica linked to its master (a replica still syncing would make the first failover lose writes).
  for _ in $(seq 1 200); do
    [ "$(for p in $PORTS; do redis-cli -h 127.0.0.1 -p "$p" info replication | grep -c 'master_link_status:up'; done | paste -sd+ | bc)" -ge 3 ] && break
    sleep 0.05
  done
  echo "redis-cluster: up on $(nodes)"
}

stop() {
  for p in $PORTS; do
    local f="$DIR/$p/redis.pid"
    if [ -f "$f" ]; then
      local pid; pid=$(cat "$f")
      if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$DIR"
  echo "redis-cluster: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ok ;;
  nodes) nodes ;;
  # Restarts one node that was killed (a test's failover): it rejoins with its nodes.conf, as a replica.
  restart-node) start_node "${2:?port}" rejoin ;;
  *) echo "usage: $0 start|stop|status|nodes|restart-node <port>" >&2; exit 2 ;;
esac
