#!/bin/bash
# setup-suite.sh - before boot: install our tree into ROOT and configure a
# standalone NUT with two dummy UPSes (one named ups+1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-tree.sh" "$ROOT" "${BINDIR:?BINDIR}"
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
