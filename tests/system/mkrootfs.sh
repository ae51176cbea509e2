#!/bin/bash
# mkrootfs.sh - print the path of a cached Debian rootfs tarball for the system
# tests, building it with debootstrap when it is not cached yet.
#   ROOTFS_CACHE (default /var/cache/nut-ci), SUITE (default bookworm),
#   EXTRA_PKGS (comma-separated packages added to the minbase tree).
set -euo pipefail
cache=${ROOTFS_CACHE:-/var/cache/nut-ci}
suite=${SUITE:-bookworm}
extra=${EXTRA_PKGS:-procps,iproute2}
key=$(printf '%s|%s|v1' "$suite" "$extra" | sha256sum | cut -c1-12)
tarball=$cache/rootfs-$suite-$key.tar
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || { echo "mkrootfs: debootstrap is not installed" >&2; exit 1; }
  mirror=$(grep -hoE '^URIs: *\S+' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hoE '^deb +\S+' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1 || true)
  [ -n "$mirror" ] || { echo "mkrootfs: no Debian mirror configured in apt" >&2; exit 1; }
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  echo "mkrootfs: debootstrap $suite from $mirror (first run only)" >&2
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,udev${extra:+,$extra} \
      "$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
      || { tail -20 "$tmp/debootstrap.log" >&2; rm -rf "$tmp"; exit 1; }
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$tmp/root/etc/hosts"
  echo nut-ci > "$tmp/root/etc/hostname"
  : > "$tmp/root/etc/machine-id"            # a fresh machine id on every boot
  rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
  tar -C "$tmp/root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
  rm -rf "$tmp"
fi
echo "$tarball"
