#!/usr/bin/env bash
# The full test suite on a Debian 12 machine: installs what it needs (as
# root, through apt), then builds, lints and runs every test, the system
# tests in a booted systemd container included. A missing dependency fails
# the run loudly; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'run-all.sh: %s\n' "$*" >&2; exit 1; }

# Debian packages: the reference NUT 2.8.0 our tests compare against, and
# the tools the tests drive (pty pairs, the system-test container).
apt_pkgs=(nut-server nut-client nut-snmp python3-nut socat dbus systemd libusb-1.0-0-dev pkg-config)
[ -x tests/system/run.sh ] && apt_pkgs+=(systemd-container debootstrap)
# the packaging checks: dpkg-buildpackage, lintian, the upgrade test's container
[ -x tests/packaging/run.sh ] && apt_pkgs+=(debhelper dpkg-dev lintian systemd-container debootstrap rpm)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's packages start their own NUT services where systemd runs; our
# tests start every daemon themselves on private ports, so those don't matter.

command -v cargo >/dev/null || die "cargo not found: install a Rust toolchain (rust-version in Cargo.toml)"
need=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -1)
have=$(rustc --version | awk '{print $2}')
[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" = "$need" ] || die "rustc $have is older than $need"

say "format"
cargo fmt --all -- --check
say "build"
cargo build --locked --workspace --all-targets
say "clippy"
cargo clippy --locked --workspace --all-targets -- -D warnings
say "tests"
cargo test --locked --workspace
# The packaging checks (tests/packaging/run.sh): .deb build, lintian, the
# upgrade from Debian's NUT in a booted container, a second build in another
# directory for reproducibility, rpmbuild of the spec. CI builds with
# DEB_BUILD_OPTIONS=noopt (Cargo profile pkg-noopt; `rpmbuild --with noopt`),
# which keeps the stage within its time budget (about 8.5 min on 2 cores,
# rpmbuild about 2 of them; PKG_RPM=0 leaves it out). The system tests
# then install those .debs.
pkg_work=${PKG_WORK:-/var/tmp/nut-pkg}
say "packaging (.debs, lintian, upgrade test, reproducibility)"
t_pkg=$(date +%s)
WORK=$pkg_work DEB_BUILD_OPTIONS="noopt ${DEB_BUILD_OPTIONS:-}" PKG_RPM=${PKG_RPM:-1} tests/packaging/run.sh
say "packaging took $(( $(date +%s) - t_pkg )) s"
say "system tests (booted systemd container, our .debs installed)"
DEBS=$pkg_work/out-a tests/system/run.sh
say "all tests passed"
