#!/bin/bash
# run.sh - the packaging checks, in the order CI runs them:
#   0. debian/copyright is not stale (debian/update-copyright --check)
#   1. dpkg-buildpackage -b -us -uc (Debian 12 tools, cargo on PATH, offline;
#      DEB_BUILD_OPTIONS from the environment, CI: noopt)
#   2. lintian: no errors (warnings are printed and kept in the artifacts)
#   3. the upgrade test: Debian's NUT 2.8.0 -> ours -> remove -> purge, in a
#      booted systemd-nspawn container (upgrade-test.sh)
#   4. reproducibility: a second build in another directory, byte-identical .debs
#   5. rpmbuild of rpm/nut-rs.spec (PKG_RPM=0 skips it)
# Host packages it needs are installed with apt-get; anything missing fails.
# WORK (default /var/tmp/nut-pkg) holds builds and artifacts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
export WORK=${WORK:-/var/tmp/nut-pkg}
out=$WORK/out-a
mkdir -p "$WORK"
t0=$(date +%s)
step() { printf '\n=== %s (%d s)\n' "$*" $(( $(date +%s) - t0 )) >&2; }

step "host packages"
need=(debhelper dpkg-dev lintian rpm systemd-container debootstrap nut-client)
missing=()
for p in "${need[@]}"; do dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1 \
    || { tail -20 "$WORK/apt.log" >&2; echo "FAIL: apt-get install ${missing[*]}" >&2; exit 1; }
fi
command -v cargo >/dev/null || { echo "FAIL: cargo is not on PATH" >&2; exit 1; }
# the build is offline: fetch the locked crates once (no-op when present)
(cd "$src" && cargo fetch --locked -q) || { echo "FAIL: cargo fetch --locked" >&2; exit 1; }

step "debian/copyright lists every crate of Cargo.lock"
"$src/debian/update-copyright" --check

step "build .debs"
rm -rf "$out"
BUILD_NAME=build-a "$here/build-debs.sh" "$src" "$out"
ls -l "$out"/*.deb >&2

step "lintian"
set +e
lintian --fail-on error --display-info "$out"/*.changes > "$WORK/lintian.txt" 2>&1
lrc=$?
set -e
grep -v 'running with root privileges' "$WORK/lintian.txt" >&2 || true
[ $lrc = 0 ] || { echo "FAIL: lintian reports errors" >&2; exit 1; }
echo "lintian: $(grep -c '^E:' "$WORK/lintian.txt" || true) errors, $(grep -c '^W:' "$WORK/lintian.txt" || true) warnings" >&2

step "upgrade test (container)"
ART=$WORK/artifacts-upgrade "$here/upgrade-test.sh" "$out"

step "reproducibility"
"$here/repro-check.sh" "$src" "$out"

if [ "${PKG_RPM:-1}" = 1 ]; then
  step "rpmbuild"
  "$here/build-rpms.sh" "$src" "$WORK/rpm"
fi
step "packaging checks passed"
