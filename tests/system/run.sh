#!/bin/bash
# run.sh - the systemd integration tests, one command (called from .ci/run):
#   1. host packages (systemd-container, debootstrap) via apt-get
#   2. cargo build of the binaries that exist
#   3. static checks (systemd-analyze verify/security, generator output, udev lint)
#   4. boot a Debian bookworm container with systemd-nspawn, suite installed
#      (DEBS=<dir>: from our .debs, as CI does; else install-tree.sh from
#      BINDIR), and run test-suite.sh against it
# Fails loudly on any problem. Artifacts (journal, console) in $WORK/artifacts-*.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root (nspawn, debootstrap)" >&2; exit 1; }
t_all=$(date +%s)

need=()
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v udevadm >/dev/null || need+=(udev)
command -v systemd-analyze >/dev/null || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  echo "run.sh: installing ${need[*]}" >&2
  apt-get update -q >/dev/null || { echo "run.sh: apt-get update failed" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null \
    || { echo "run.sh: apt-get install ${need[*]} failed" >&2; exit 1; }
fi

echo "== build" >&2
(cd "$top" && cargo build --workspace --bins --locked 2>&1 | tail -3) >&2
BINDIR=${BINDIR:-$top/target/debug}
[ -x "$BINDIR/nut-driver-enumerator" ] || { echo "run.sh: build produced no nut-driver-enumerator" >&2; exit 1; }
for b in nut-driver upsd upsmon upsc; do
  [ -x "$BINDIR/$b" ] && echo "   have $b" >&2 || echo "   NOT BUILT YET: $b (its system tests are skipped)" >&2
done

echo "== static checks"
rc_static=0; "$here/static-checks.sh" "$BINDIR" || rc_static=$?

echo "== booted-container tests"
rc_boot=0
NAME=${NAME:-nutci-$$}
WORK=${WORK:-/var/tmp/nut-ci}
export WORK
[ -z "${DEBS:-}" ] || echo "   installing the .debs in $DEBS" >&2
NAME=$NAME BINDIR="$BINDIR" DEBS="${DEBS:-}" SETUP_HOOK="$here/setup-suite.sh" TEST_HOOK="$here/test-suite.sh" \
  "$here/systest.sh" || rc_boot=$?
if [ $rc_boot = 0 ] && [ "${KEEP_ARTIFACTS:-0}" != 1 ]; then rm -rf "$WORK/artifacts-$NAME"
else echo "run.sh: artifacts (journal, console) in $WORK/artifacts-$NAME" >&2; fi
echo "run.sh: total $(( $(date +%s) - t_all ))s (static rc=$rc_static, container rc=$rc_boot)"
[ $rc_static = 0 ] && [ $rc_boot = 0 ]
