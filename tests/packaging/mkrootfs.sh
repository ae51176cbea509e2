#!/bin/bash
# mkrootfs.sh - print the path of a cached Debian bookworm root tarball with
# systemd and Debian's NUT 2.8.0 (nut-server, nut-client, nut-snmp) in it,
# for the upgrade test. The system tests' script builds and caches it (with
# debootstrap from the host's apt mirror, first run only); only the package
# list differs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
EXTRA_PKGS=${EXTRA_PKGS:-nut-server,nut-client,nut-snmp} exec "$here/../system/mkrootfs.sh"
