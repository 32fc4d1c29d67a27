#!/usr/bin/env bash
# Builds the Amahi App Controller from this checkout and installs it as a system service:
#   <prefix>/lib/amahictl/            the package (npm pack) with its production dependencies
#   <prefix>/bin/amahictl             the command (a link to dist/src/cli/main.js)
#   /etc/amahi/controller.yaml        the controller config, only if there is none yet
#   /etc/amahi/apps/                  the specs directory
#   /etc/systemd/system/amahictl.service
# then enables and starts the service when systemd runs (and --no-start is not given).
# Installing again upgrades the package and the unit and keeps the config, specs, state and data.
#
#   sudo deploy/install.sh [--prefix /usr/local] [--proxy apache|nginx] [--layout debian|fedora]
#                          [--destdir DIR] [--no-start] [--no-build]
# --destdir installs into a staging root (packaging, tests): nothing is started then.
set -euo pipefail

prefix=/usr/local
destdir=
proxy=apache
layout=
start=yes
build=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --destdir) destdir="$2"; shift 2 ;;
    --proxy) proxy="$2"; shift 2 ;;
    --layout) layout="$2"; shift 2 ;;
    --no-start) start=no; shift ;;
    --no-build) build=no; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$proxy" in apache|nginx) ;; *) echo "install.sh: --proxy must be apache or nginx" >&2; exit 2 ;; esac
if [ -z "$layout" ]; then
  if [ -e /etc/fedora-release ] || [ -e /etc/redhat-release ]; then layout=fedora; else layout=debian; fi
fi
case "$layout" in debian|fedora) ;; *) echo "install.sh: --layout must be debian or fedora" >&2; exit 2 ;; esac

root="$(cd "$(dirname "$0")/.." && pwd)"
node="$(command -v node || true)"
if [ -z "$node" ]; then echo "install.sh: Node.js >= 20.19 is required" >&2; exit 1; fi
node="$(readlink -f "$node")"
"$node" -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error(`Node.js ${process.versions.node} is too old: >= 20.19 is required`); process.exit(1); }'

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. Build and pack exactly what package.json's "files" lists.
cd "$root"
if [ "$build" = yes ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi
  npm run build --silent
fi
[ -f dist/src/cli/main.js ] || { echo "install.sh: dist/ is missing; run without --no-build" >&2; exit 1; }
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"

# 2. Stage the package with its production dependencies, from the lockfile (offline when cached).
mkdir "$work/package"
tar -xzf "$work/$tarball" -C "$work/package" --strip-components=1
cp package-lock.json "$work/package/"
(cd "$work/package" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --silent)
chmod 0755 "$work/package/dist/src/cli/main.js"

# 3. Swap it in: the old version stays whole until the new one is complete.
lib="$destdir$prefix/lib/amahictl"
mkdir -p "$(dirname "$lib")" "$destdir$prefix/bin"
rm -rf "$lib.new" "$lib.old"
cp -a "$work/package" "$lib.new"
[ -d "$lib" ] && mv "$lib" "$lib.old"
mv "$lib.new" "$lib"
rm -rf "$lib.old"
ln -sfn "$prefix/lib/amahictl/dist/src/cli/main.js" "$destdir$prefix/bin/amahictl"

# 4. Config and specs directory: never overwrite what the admin has.
config_source="$root/deploy/config/controller.$layout.yaml"
[ "$proxy" = nginx ] && config_source="$root/deploy/config/controller.nginx.yaml"
install -d -m 0755 "$destdir/etc/amahi" "$destdir/etc/amahi/apps"
if [ -e "$destdir/etc/amahi/controller.yaml" ]; then
  echo "kept the existing /etc/amahi/controller.yaml (the new example is $prefix/lib/amahictl/deploy/config/$(basename "$config_source"))"
else
  sed "s#/usr/local/lib/amahictl/#$prefix/lib/amahictl/#g" "$config_source" > "$destdir/etc/amahi/controller.yaml"
  chmod 0644 "$destdir/etc/amahi/controller.yaml"
  echo "wrote /etc/amahi/controller.yaml from $(basename "$config_source"): set domain: to your server's domain"
fi

# 5. The unit, with the paths of this installation.
install -d -m 0755 "$destdir/etc/systemd/system"
sed -e "s#^ExecStart=.*#ExecStart=$node $prefix/lib/amahictl/dist/src/cli/main.js --config /etc/amahi/controller.yaml run#" \
    -e "s#/usr/local/lib/amahictl/#$prefix/lib/amahictl/#g" \
    "$root/deploy/systemd/amahictl.service" > "$destdir/etc/systemd/system/amahictl.service"
chmod 0644 "$destdir/etc/systemd/system/amahictl.service"

echo "installed amahictl $("$node" -p "require('$lib/package.json').version") in $prefix (node: $node)"
if [ -z "$destdir" ] && [ "$start" = yes ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable amahictl.service
  systemctl restart amahictl.service
  echo "amahictl.service is enabled and running: journalctl -u amahictl -f"
else
  echo "not started; when ready: systemctl daemon-reload && systemctl enable --now amahictl"
fi
