#!/usr/bin/env bash
# Builds a Debian bookworm base image with debootstrap (Docker Hub is not needed) and tags it.
# Usage: scripts/debian-base.sh <tag>; does nothing when the tag already exists.
set -euo pipefail
tag="${1:?usage: debian-base.sh <tag>}"
if docker image inspect "$tag" >/dev/null 2>&1; then exit 0; fi
command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
# The host's own Debian mirror (the one this machine can reach): active `deb` / `URIs:` lines only.
mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -E '^[[:space:]]*(deb[[:space:]]|URIs:)' | grep -oE 'https?://[^ ]+/debian/?' | grep -v -- '-security' | head -1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
root="$(mktemp -d /tmp/kiln-debian-XXXXXX)"
trap 'rm -rf "$root"' EXIT
echo "kiln: building $tag with debootstrap from $mirror (about 30 s)" >&2
log="$(mktemp /tmp/kiln-debootstrap-XXXXXX.log)"
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "kiln: debootstrap failed (full log: $log)" >&2
  exit 1
fi
rm -f "$log"
tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$tag" >/dev/null
