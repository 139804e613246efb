#!/usr/bin/env bash
# Makes sure a Docker engine answers: uses DOCKER_HOST or /var/run/docker.sock when one does,
# otherwise starts Debian's dockerd in the background (installing docker.io if needed).
set -euo pipefail
# node is always there (curl may not be); DOCKER_HOST=tcp://… is checked by the docker CLI.
ping_engine() {
  if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then docker version >/dev/null 2>&1; return; fi
  node -e 'require("http").get({socketPath: (process.env.DOCKER_HOST||"unix:///var/run/docker.sock").replace(/^unix:\/\//,""), path: "/_ping", timeout: 3000}, r => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1))'
}
if ping_engine; then exit 0; fi
if ! command -v dockerd >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
echo "kiln: no Docker engine answered; starting dockerd in the background (log: /var/log/kiln-dockerd.log)" >&2
nohup dockerd >/var/log/kiln-dockerd.log 2>&1 &
for _ in $(seq 1 60); do ping_engine && exit 0; sleep 1; done
echo "kiln: dockerd did not come up within 60 s; see /var/log/kiln-dockerd.log" >&2
exit 1
