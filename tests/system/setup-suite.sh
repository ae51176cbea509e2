#!/bin/bash
# setup-suite.sh - before boot: install our suite into ROOT and configure a
# standalone NUT with two dummy UPSes (one named ups+1).
#   DEBS=<dir>: install the .debs built there (tests/packaging/build-debs.sh;
#     what CI does) with dpkg in a chroot, maintainer scripts and all;
#   else: install-tree.sh copies BINDIR's binaries in the package layout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${DEBS:-}" ]; then
  ls "$DEBS"/nut-rs-client_*.deb "$DEBS"/nut-rs-server_*.deb >/dev/null \
    || { echo "setup: no nut-rs-client/-server .deb in DEBS=$DEBS" >&2; exit 1; }
  mkdir -p "$ROOT/var/tmp/debs"
  cp "$DEBS"/nut-rs-client_*.deb "$DEBS"/nut-rs-server_*.deb "$DEBS"/nut-rs_*.deb "$ROOT/var/tmp/debs/"
  # not booted: the maintainer scripts enable nut.target, start nothing
  chroot "$ROOT" sh -c 'dpkg -i /var/tmp/debs/*.deb' </dev/null > "$ROOT/var/tmp/debs/dpkg.log" 2>&1 \
    || { tail -30 "$ROOT/var/tmp/debs/dpkg.log" >&2; echo "setup: dpkg -i of our .debs failed" >&2; exit 1; }
  rm -f "$ROOT"/var/tmp/debs/*.deb
  [ -L "$ROOT/etc/systemd/system/multi-user.target.wants/nut.target" ] \
    || { echo "setup: the package did not enable nut.target" >&2; exit 1; }
  echo "setup: installed $(chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}, ' 'nut-rs*')" >&2
else
  "$here/install-tree.sh" "$ROOT" "${BINDIR:?BINDIR}"
fi
e=$ROOT/etc/nut
printf 'MODE=standalone\n' > "$e/nut.conf"
cat > "$e/ups.conf" <<'UPS'
[myups]
	driver = dummy-ups
	port = myups.dev
	desc = "CI dummy"
[ups+1]
	driver = dummy-ups
	port = ups1.dev
[wd]
	driver = dummy-ups
	port = wd.dev
[a:b]
	driver = dummy-ups
	port = myups.dev
[very-long-ups-name-very-long-ups-name-very-long-ups-name]
	driver = dummy-ups
	port = myups.dev
[h------------------------------------------------------------]
	driver = dummy-ups
	port = myups.dev
UPS
printf 'ups.status: OL\nbattery.charge: 100\n' > "$e/myups.dev"
printf 'ups.status: OL\nbattery.charge: 90\n' > "$e/ups1.dev"
printf 'ups.status: OL\nbattery.charge: 70\n' > "$e/wd.dev"
printf 'LISTEN 127.0.0.1 3493\nLISTEN ::1 3493\n' > "$e/upsd.conf"
printf '[mon]\n\tpassword = ci\n\tupsmon primary\n' > "$e/upsd.users"
printf 'MONITOR myups@localhost 1 mon ci primary\nSHUTDOWNCMD "/bin/true"\nPOWERDOWNFLAG /run/nut/killpower\n' > "$e/upsmon.conf"
gid=$(awk -F: '$1=="nut"{print $3}' "$ROOT/etc/group")
chown 0:"$gid" "$e"/*; chmod 0640 "$e"/*

if [ -x "$ROOT/lib/nut/nut-driver" ]; then
  # [wd] is for the watchdog test: a short watchdog
  mkdir -p "$ROOT/etc/systemd/system/nut-driver@wd.service.d"
  printf '[Service]\nWatchdogSec=3s\n' > "$ROOT/etc/systemd/system/nut-driver@wd.service.d/ci-watchdog.conf"
else
  # nut-driver is not built yet: a fixture stands in for it so the
  # enumerator's behaviour can still be checked (the test reports it).
  mkdir -p "$ROOT/etc/systemd/system/nut-driver@.service.d"
  cat > "$ROOT/etc/systemd/system/nut-driver@.service.d/ci-fixture.conf" <<'FIX'
[Service]
Type=exec
WatchdogSec=0
ExecStart=
ExecStart=/bin/sleep infinity
FIX
  echo "setup: nut-driver not built; driver fixture installed" >&2
fi
