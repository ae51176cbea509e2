#!/bin/bash
# static-checks.sh BINDIR - checks that need no booted systemd:
#   systemd-analyze verify of the units (in a scratch root, so units installed
#   on the host cannot interfere) and of the generator's output,
#   systemd-analyze security thresholds, udevadm test lint of our rules.
set -uo pipefail
B=${1:?BINDIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
PASS=0; FAIL=0
ok()  { PASS=$((PASS+1)); echo "PASS: $*"; }
bad() { FAIL=$((FAIL+1)); echo "FAIL: $*"; }
r=$(mktemp -d /var/tmp/nut-static.XXXXXX)
trap 'rm -rf "$r"; rm -f /run/udev/rules.d/62-nut-usbups.rules /run/udev/rules.d/63-nut-ci-broken.rules' EXIT

# a scratch root: the host's system units without any nut*, plus ours
mkdir -p "$r/usr/lib/systemd" "$r/etc/nut" "$r/run"
cp -a /lib/systemd/system "$r/usr/lib/systemd/"
rm -rf "$r"/usr/lib/systemd/system/nut*
"$src/tests/system/install-tree.sh" "$r" "$B" >/dev/null 2>&1 || { bad "install-tree"; exit 1; }
for x in /lib/nut/nut-driver /sbin/upsd /sbin/upsmon; do   # executables not built yet
  [ -e "$r$x" ] || { mkdir -p "$(dirname "$r$x")"; printf '#!/bin/sh\n' > "$r$x"; chmod +x "$r$x"; }
done
units=$(cd "$src/units" && ls *.service *.socket *.target)
out=$(cd "$r/usr/lib/systemd/system" 2>/dev/null || cd "$r/lib/systemd/system"; systemd-analyze verify --man=no --root="$r" $units nut-driver@myups.service 2>&1); rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify units/*"; else bad "systemd-analyze verify units/* (rc=$rc):"; echo "$out"; fi

# the generator's output for a config with every kind of driver and odd names
g=$r/run/systemd/generator; mkdir -p "$g"
printf 'MODE=netserver\n' > "$r/etc/nut/nut.conf"
cat > "$r/etc/nut/ups.conf" <<'UPS'
maxretry = 3
[ups+1]
	driver = usbhid-ups
	port = auto
[net.ups-2]
	driver = snmp-ups
	port = 192.0.2.1
[a:b]
	driver = nutdrv_qx
	port = /dev/ttyS0
[rep]
	driver = dummy-ups
	port = ups+1@localhost
"[with space]"
	driver = dummy-ups
	port = x.dev
UPS
printf 'LISTEN 0.0.0.0 3493\nLISTEN :: 3493\n' > "$r/etc/nut/upsd.conf"
printf 'MONITOR other@192.0.2.9 1 u p secondary\n' > "$r/etc/nut/upsmon.conf"
NUT_CONFPATH=$r/etc/nut "$r/lib/nut/nut-driver-enumerator" generate "$g" "$g" "$g" || bad "generator run"
inst=$(ls "$g/nut-driver.target.wants")
echo "   generated: $(echo $inst)"
# load the generated links and drop-ins from /etc/systemd/system of the scratch root
cp -a "$g"/. "$r/etc/systemd/system/"
# (systemd-analyze 252 cannot take a unit name with ':' on its command line -
# "Couldn't process aliases" - so a:b is checked by starting it in the container)
out=$(cd "$r"; systemd-analyze verify --man=no --root="$r" nut.target nut-server.socket nut-monitor.service $(echo "$inst" | grep -v :) 2>&1); rc=$?
if [ $rc = 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify of the generated instances"; else bad "verify of generated instances (rc=$rc):"; echo "$out"; fi
for f in "$g"/nut-driver@*.service.d/*.conf "$g"/nut-server.socket.d/*.conf; do
  grep -q '^\[' "$f" || bad "drop-in $f has no section"
done
grep -qx 'After=network-online.target' "$g/nut-driver@net.ups\x2d2.service.d/50-nut-driver-enumerator.conf" && ok "network driver ordered after network-online.target" || bad "network driver ordering"
grep -qx 'After=systemd-udev-trigger.service' "$g/nut-driver@ups\x2b1.service.d/50-nut-driver-enumerator.conf" && ok "USB driver ordered after udev coldplug" || bad "USB driver ordering"
grep -qx 'After=dev-ttyS0.device' "$g/nut-driver@a:b.service.d/50-nut-driver-enumerator.conf" && ok "serial driver ordered after its device" || bad "serial driver ordering"
grep -qx 'After=nut-driver@ups\\x2b1.service' "$g/nut-driver@rep.service.d/50-nut-driver-enumerator.conf" && ok "repeater ordered after the driver it repeats" || bad "repeater ordering"
grep -qx 'After=network-online.target' "$g/nut-monitor.service.d/50-network.conf" && ok "upsmon of a remote UPS ordered after network-online.target" || bad "upsmon network ordering"
grep -qx 'ListenStream=\[::\]:3493' "$g/nut-server.socket.d/50-listen.conf" && ok "LISTEN :: became ListenStream=[::]:3493" || bad "socket drop-in"

# security exposure (offline; --threshold is on the 0-100 scale)
sec() {
  local unit=$1 max=$2 line
  line=$(cd "$src/units" && systemd-analyze security --offline=yes "$unit" 2>&1 | tail -1)
  if (cd "$src/units" && systemd-analyze security --offline=yes --threshold="$max" "$unit" >/dev/null 2>&1); then
    ok "security $unit: ${line#*level for } (limit $(awk -v m="$max" 'BEGIN{printf "%.1f", m/10}'))"
  else bad "security $unit over limit: $line"; fi
}
sec nut-driver@.service 25
sec nut-server.service 25
sec nut-monitor.service 35
sec nut-driver-enumerator.service 25

# udev rules: udevadm test reads /run/udev/rules.d; a broken file must be caught
mkdir -p /run/udev/rules.d
lint() { udevadm test --action=add /sys/class/net/lo 2>&1 | grep -E "^/run/udev/rules.d/$1:[0-9]+ " ; }
printf 'ATTR{idVendor}=="0001", GRUP="nut"\n' > /run/udev/rules.d/63-nut-ci-broken.rules
if [ -n "$(lint 63-nut-ci-broken.rules)" ]; then ok "udevadm test catches a broken rule (control)"; else bad "udevadm lint does not work here"; fi
rm -f /run/udev/rules.d/63-nut-ci-broken.rules
cp "$src/udev-rules/62-nut-usbups.rules" /run/udev/rules.d/62-nut-usbups.rules
msgs=$(lint 62-nut-usbups.rules)
all=$(udevadm test --action=add /sys/class/net/lo 2>&1)
if [ -z "$msgs" ] && grep -q 'Reading rules file: /run/udev/rules.d/62-nut-usbups.rules' <<<"$all"; then
  ok "udevadm test: udev-rules/62-nut-usbups.rules parses cleanly"
else bad "udevadm test on our rules:"; echo "$msgs"; fi
echo "static-checks: $PASS passed, $FAIL failed"
[ $FAIL = 0 ]
