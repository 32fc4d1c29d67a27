#!/usr/bin/env bash
# Installs what the controller, its demo and its tests need on Debian 12, when missing: the Docker
# engine, Apache, nginx, busybox-static (test images), a registry and docker-compose (tests and
# benchmarks), Chromium (dashboard tests); then the npm dependencies and the build. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
packages=(docker.io apache2 nginx-light busybox-static docker-registry docker-compose chromium curl ca-certificates procps iproute2)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # policy-rc.d keeps the packages' own services (Apache and nginx on port 80) from starting: the
  # demo and the tests run private instances on loopback ports.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js >= 20.19 is required (https://nodejs.org or your distribution)" >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error(`Node.js ${process.versions.node} is too old: >= 20.19 is required`); process.exit(1); }'

cd "$root"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
