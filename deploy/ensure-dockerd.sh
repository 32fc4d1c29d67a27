#!/usr/bin/env bash
# Starts dockerd when it is not running and waits for its socket. Robust to a stale pid file or
# socket left by a killed daemon. Used by the demo, CI and the test setup.
set -euo pipefail
socket=/var/run/docker.sock
log=/var/log/amahi-dockerd.log

engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if engine_up; then exit 0; fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl start docker >/dev/null 2>&1 || true
  for _ in $(seq 1 50); do engine_up && exit 0; sleep 0.2; done
fi
# No service manager (containers, CI): start the daemon ourselves, after clearing what a killed one left.
for pidfile in /var/run/docker.pid /var/run/docker/containerd/containerd.pid; do
  if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then rm -f "$pidfile"; fi
done
if [ -S "$socket" ] && ! engine_up; then rm -f "$socket"; fi
nohup dockerd >>"$log" 2>&1 &
for _ in $(seq 1 150); do
  if [ -S "$socket" ] && engine_up; then exit 0; fi
  sleep 0.2
done
echo "dockerd did not come up; see $log" >&2
tail -n 20 "$log" >&2 || true
exit 1
