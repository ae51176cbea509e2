#!/bin/bash
# install-tree.sh DESTDIR BINDIR - install the suite's systemd integration and
# whatever binaries BINDIR has into the tree DESTDIR (a container root), with
# the layout a Debian package uses:
#   /lib/nut/nut-driver (+ one link per driver name), /lib/nut/nut-driver-enumerator
#   /sbin/upsd /sbin/upsmon /sbin/upsdrvctl /sbin/upsdrvsvcctl, clients in /bin
#   /lib/systemd/system-generators/nut-driver-enumerator-generator -> /lib/nut/nut-driver-enumerator
#   units in /lib/systemd/system, the generator in /lib/systemd/system-generators
#   /usr/lib/tmpfiles.d/nut.conf /usr/lib/sysusers.d/nut.conf /lib/udev/rules.d
#   /etc/nut/*.conf root:nut 0640 (only where missing)
set -euo pipefail
D=${1:?DESTDIR}; B=${2:?BINDIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
inst() { install -D -m "$1" "$2" "$D$3"; }

[ -x "$B/nut-driver-enumerator" ] || { echo "install-tree: $B/nut-driver-enumerator missing (cargo build first)" >&2; exit 1; }
inst 0755 "$B/nut-driver-enumerator" /lib/nut/nut-driver-enumerator
mkdir -p "$D/lib/systemd/system-generators" "$D/sbin" "$D/bin"
ln -sfn /lib/nut/nut-driver-enumerator "$D/lib/systemd/system-generators/nut-driver-enumerator-generator"
inst 0755 "$B/upsdrvsvcctl" /sbin/upsdrvsvcctl

if [ -x "$B/nut-driver" ]; then
  inst 0755 "$B/nut-driver" /lib/nut/nut-driver
  for d in dummy-ups usbhid-ups nutdrv_qx blazer_usb blazer_ser snmp-ups; do ln -sfn nut-driver "$D/lib/nut/$d"; done
fi
for s in upsd upsmon upsdrvctl upssched; do [ -x "$B/$s" ] && inst 0755 "$B/$s" "/sbin/$s"; done
for c in upsc upsrw upscmd upslog; do [ -x "$B/$c" ] && inst 0755 "$B/$c" "/bin/$c"; done

for u in "$src"/units/*.service "$src"/units/*.socket "$src"/units/*.target; do inst 0644 "$u" "/lib/systemd/system/$(basename "$u")"; done
inst 0644 "$src/tmpfiles.d/nut.conf" /usr/lib/tmpfiles.d/nut.conf
inst 0644 "$src/sysusers.d/nut.conf" /usr/lib/sysusers.d/nut.conf
for r in "$src"/udev-rules/*.rules; do inst 0644 "$r" "/lib/udev/rules.d/$(basename "$r")"; done

# the nut user and group, as the package's postinst would create them
systemd-sysusers --root="$D" "$D/usr/lib/sysusers.d/nut.conf" >/dev/null
gid=$(awk -F: '$1=="nut"{print $3}' "$D/etc/group")
[ -n "$gid" ] || { echo "install-tree: no nut group in $D/etc/group" >&2; exit 1; }
install -d -m 0750 -o 0 -g "$gid" "$D/etc/nut"
for c in "$src"/conf/*; do
  t="$D/etc/nut/$(basename "$c")"
  [ -e "$t" ] || install -m 0640 -o 0 -g "$gid" "$c" "$t"
done
mkdir -p "$D/etc/systemd/system/multi-user.target.wants"
ln -sfn /lib/systemd/system/nut.target "$D/etc/systemd/system/multi-user.target.wants/nut.target"
