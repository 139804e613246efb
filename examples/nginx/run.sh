#!/usr/bin/env bash
# Quick start: builds seed 001's nginx image (Debian base) end to end on a fresh machine:
# installs what is missing, starts a local engine if none answers, builds the base image
# locally (Docker Hub is not needed), runs `kiln build`, then checks `nginx -v` in the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v debootstrap >/dev/null || ! command -v dockerd >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi
[ -d node_modules ] && [ -f dist/cli/main.js ] || npm ci
bash scripts/ensure-engine.sh
bash scripts/debian-base.sh debian:bookworm
npx kiln build examples/nginx/template.json
docker run --rm terraform-workshop/debian-nginx:0.0.1 nginx -v
