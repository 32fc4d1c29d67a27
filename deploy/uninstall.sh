#!/usr/bin/env bash
# Removes what deploy/install.sh installed: the service, the command and the package. Keeps
# /etc/amahi (config and specs), /var/lib/amahi-controller (app ids), the app data and every
# container: apps keep running under Docker's restart policies, unmanaged. To remove the apps
# first, delete their specs and run `amahictl apply --once --prune-allow-empty` before this.
#   sudo deploy/uninstall.sh [--prefix /usr/local] [--destdir DIR]
set -euo pipefail
prefix=/usr/local
destdir=
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --destdir) destdir="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
unit="$destdir/etc/systemd/system/amahictl.service"
if [ -z "$destdir" ] && [ -d /run/systemd/system ] && [ -e "$unit" ]; then
  systemctl disable --now amahictl.service || true
fi
rm -f "$unit" "$destdir$prefix/bin/amahictl"
rm -rf "$destdir$prefix/lib/amahictl"
[ -z "$destdir" ] && [ -d /run/systemd/system ] && systemctl daemon-reload || true
echo "removed amahictl; kept /etc/amahi, /var/lib/amahi-controller, the app data and the containers"
