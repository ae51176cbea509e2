#!/bin/bash
# mkrootfs.sh - print the path of a cached Debian bookworm root tarball with
# systemd and Debian's NUT 2.8.0 (nut-server, nut-client, nut-snmp) in it,
# building it with debootstrap from the host's apt mirror if it is missing.
# After the first run, the packaging tests need no network.
set -euo pipefail
cache=${ROOTFS_CACHE:-/var/cache/nut-ci}
suite=${SUITE:-bookworm}
extra=${EXTRA_PKGS:-nut-server,nut-client,nut-snmp}
key=$(printf '%s|%s|v1' "$suite" "$extra" | sha256sum | cut -c1-12)
tarball=$cache/rootfs-$suite-$key.tar
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "FAIL: debootstrap is not installed" >&2; exit 1; }
  mirror=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1 || true)
  [ -n "$mirror" ] || { echo "FAIL: no Debian mirror in the host's apt sources" >&2; exit 1; }
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  debootstrap --variant=minbase --include="systemd,systemd-sysv,dbus,udev,$extra" \
      "$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
      || { tail -20 "$tmp/debootstrap.log" >&2; echo "FAIL: debootstrap" >&2; exit 1; }
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$tmp/root/etc/hosts"
  echo nut-ci > "$tmp/root/etc/hostname"
  : > "$tmp/root/etc/machine-id"
  rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
  tar -C "$tmp/root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
fi
echo "$tarball"
