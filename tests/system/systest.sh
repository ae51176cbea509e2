#!/bin/bash
# systest.sh - boot a throwaway Debian tree with systemd-nspawn, run a test hook
# against it, tear it down (always, by PID).
#   NAME, WORK, SETUP_HOOK (before boot, gets ROOT), TEST_HOOK (after boot, gets
#   CPID ROOT ART NAME), NET (default --private-network), KEEP_ROOT=1 to keep the tree.
# Exits with the test hook's status.
set -euo pipefail
NAME=${NAME:-nutci-$$}
WORK=${WORK:-/var/tmp/nut-ci}
ART=${ART:-$WORK/artifacts-$NAME}
ROOT=$WORK/$NAME
NET=${NET:---private-network}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK" "$ART"
NSPAWN_PID=""; CPID=""

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&2; }
in_ct() { nsenter -t "$CPID" -a "$@"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'; }

teardown() {
  local rc=$?
  set +e
  if [ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null; then
    in_ct journalctl --no-pager -o short-monotonic > "$ART/journal.txt" 2>&1
    in_ct systemctl --no-pager --failed > "$ART/failed-units.txt" 2>&1
  fi
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    local t0; t0=$(date +%s.%N)
    kill -TERM "$NSPAWN_PID"
    for _ in $(seq 1 150); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then
      log "forcing"; kill -KILL "$CPID" 2>/dev/null; sleep 1; kill -KILL "$NSPAWN_PID" 2>/dev/null
    fi
    log "container stopped in $(elapsed "$t0")s"
  fi
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    [ -d "$h/ci-$NAME" ] && find "$h/ci-$NAME" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  [ "${KEEP_ROOT:-0}" = 1 ] || rm -rf --one-file-system "$ROOT"
  log "teardown done (artifacts in $ART)"
  exit $rc
}
trap teardown EXIT

tarball=$("$here/mkrootfs.sh")
t0=$(date +%s.%N)
mkdir -p "$ROOT"; tar -C "$ROOT" -xf "$tarball"
log "unpacked $tarball in $(elapsed "$t0")s"
if [ -n "${SETUP_HOOK:-}" ]; then log "setup hook"; ROOT="$ROOT" "$SETUP_HOOK"; fi

# an own cgroup subtree: on v1/hybrid hosts without systemd nspawn would put
# every container into the same /payload
for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
  if mountpoint -q "$h"; then mkdir -p "$h/ci-$NAME"; fi
done
if ! mountpoint -q /sys/fs/cgroup/systemd && [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p "/sys/fs/cgroup/ci-$NAME"
fi
log "boot"
t0=$(date +%s.%N)
(
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified /sys/fs/cgroup; do
    [ -d "$h/ci-$NAME" ] && echo $BASHPID > "$h/ci-$NAME/cgroup.procs"
  done
  exec systemd-nspawn -D "$ROOT" -M "$NAME" --register=no --keep-unit -b --console=passive $NET
) </dev/null >"$ART/console.log" 2>&1 &
NSPAWN_PID=$!
for _ in $(seq 1 200); do
  CPID=$(pgrep -P "$NSPAWN_PID" -x systemd || true); [ -n "$CPID" ] && break; sleep 0.05
done
[ -n "$CPID" ] || { log "container init not found"; cat "$ART/console.log" >&2; exit 1; }
state=""
for _ in $(seq 1 900); do
  state=$(nsenter -t "$CPID" -a systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded|maintenance|stopping) break;; esac
  sleep 0.1
done
BOOT_SECONDS=$(elapsed "$t0")
log "system state: $state after ${BOOT_SECONDS}s"
case "$state" in running|degraded) ;; *) tail -30 "$ART/console.log" >&2; exit 1;; esac

export CPID ROOT ART NAME BOOT_SECONDS
"${TEST_HOOK:?set TEST_HOOK to a script}"
