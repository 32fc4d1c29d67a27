#!/usr/bin/env bash
# Builds the demo/test web image FROM scratch with Debian's busybox-static: build-image.sh [TAG]
set -euo pipefail
tag="${1:-amahi-demo/httpd:1}"
here="$(cd "$(dirname "$0")" && pwd)"
busybox="$(command -v busybox || true)"
[ -n "$busybox" ] || { echo "busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$here/image/Dockerfile" "$here/image/serve" "$context/"
cp "$busybox" "$context/busybox"
docker build -q -t "$tag" "$context" >/dev/null
echo "built $tag"
