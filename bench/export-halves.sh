#!/bin/bash
# Each half of export → import alone and both piped, straight on the Engine API (curl), with the
# CPU the daemon used (its own and its children's, from /proc): where the time of kiln's streamed
# export_path + docker-import goes. Needs curl, a unix-socket DOCKER_HOST, and read access to the
# daemon's /proc entry. Usage:
#   bash bench/export-halves.sh CONTAINER DOCKERD_PID [RUNS]
# e.g. with a container holding a 200 MB random file:
#   head -c 200M /dev/urandom > /tmp/big.bin; id=$(docker create kiln-test/busybox:1 true)
#   docker cp /tmp/big.bin $id:/big.bin; bash bench/export-halves.sh $id $(pidof dockerd) 4
# The imported images are untagged; remove them afterwards (docker image prune).
set -eu
ID=$1 P=$2 RUNS=${3:-3}
S=${DOCKER_HOST#unix://}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cpu() { awk '{print $14+$15+$16+$17}' "/proc/$P/stat"; }
tick=$(getconf CLK_TCK)
t() {
  local s c
  s=$(date +%s%N) c=$(cpu)
  sh -c "$1" >/dev/null 2>&1
  echo "$(( ($(date +%s%N) - s) / 1000000 )) ms (dockerd CPU $(( ($(cpu) - c) * 1000 / tick )) ms)"
}
api="curl -sf --unix-socket $S"
for _ in $(seq "$RUNS"); do
  echo "export to /dev/null:       $(t "$api http://d/containers/$ID/export -o /dev/null")"
  echo "export to a file:          $(t "$api http://d/containers/$ID/export -o $T/e.tar")"
  echo "import from that file:     $(t "$api -X POST -H 'Content-Type: application/x-tar' -T $T/e.tar 'http://d/images/create?fromSrc=-'")"
  echo "export piped into import:  $(t "$api http://d/containers/$ID/export | $api -X POST -H 'Content-Type: application/x-tar' -T - 'http://d/images/create?fromSrc=-'")"
done
