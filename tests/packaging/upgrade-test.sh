#!/bin/bash
# upgrade-test.sh DEBS_DIR - the upgrade path, in a booted Debian 12 container:
#   1. a machine runs Debian's NUT 2.8.0 (dummy-ups, upsd, upsmon) with a
#      working config in /etc/nut, and upsc shows its data;
#   2. our .debs are installed with apt, no dpkg question asked (they replace
#      nut-server, nut-client; nut-snmp goes, we have no SNMP driver);
#      /etc/nut must be exactly as it was (content, owner, mode),
#      the stack must come back up and serve the same data to upsc (Debian's
#      upsc from the host, in the container's network namespace, and ours);
#   3. remove, then purge: nothing of ours is left but what policy allows
#      (the admin's own file in /etc/nut, the nut system user, and the
#      conffiles of Debian's removed-not-purged packages).
# Exits non-zero on the first failed check; always tears the container down.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
debs=$(cd "${1:?directory with the .debs}" && pwd)
NAME=${NAME:-nutpkg-$$}
WORK=${WORK:-/var/tmp/nut-pkg}
ART=${ART:-$WORK/artifacts-upgrade}
ROOT=$WORK/$NAME
REF_UPSC=${REF_UPSC:-/usr/bin/upsc}
mkdir -p "$WORK" "$ART"
NSPAWN_PID=""; CPID=""

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
c() { nsenter -t "$CPID" -a "$@"; }
[ -x "$REF_UPSC" ] || fail "Debian's upsc ($REF_UPSC) is missing on the host: install nut-client"

boot() {
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
    if mountpoint -q "$h"; then mkdir -p "$h/ci-$NAME"; fi
  done
  (
    for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
      [ -d "$h/ci-$NAME" ] && echo $BASHPID > "$h/ci-$NAME/cgroup.procs"
    done
    exec systemd-nspawn -D "$ROOT" -M "$NAME" --register=no --keep-unit -b --console=passive --private-network
  ) </dev/null >"$ART/console.log" 2>&1 &
  NSPAWN_PID=$!
  for _ in $(seq 1 200); do
    CPID=$(pgrep -P "$NSPAWN_PID" -x systemd || true); [ -n "$CPID" ] && break; sleep 0.05
  done
  [ -n "$CPID" ] || fail "container init not found"
  local state=""
  for _ in $(seq 1 900); do
    state=$(c systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded|maintenance|stopping) break;; esac
    sleep 0.1
  done
  log "system state: $state"
  case "$state" in running|degraded) ;; *) fail "container did not boot";; esac
}

teardown() {
  set +e
  if [ -n "$CPID" ] && kill -0 "$CPID" 2>/dev/null; then
    c journalctl --no-pager -o short-monotonic > "$ART/journal.txt" 2>&1
    c systemctl --no-pager --failed > "$ART/failed-units.txt" 2>&1
  fi
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID"
    for _ in $(seq 1 150); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then
      kill -KILL "$CPID" 2>/dev/null; sleep 1; kill -KILL "$NSPAWN_PID" 2>/dev/null
    fi
    wait "$NSPAWN_PID" 2>/dev/null
  fi
  for h in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
    [ -d "$h/ci-$NAME" ] && find "$h/ci-$NAME" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  [ "${KEEP_ROOT:-0}" = 1 ] || rm -rf --one-file-system "$ROOT"
  log "teardown done (artifacts in $ART)"
}
trap teardown EXIT

# data upsc shows, without what legitimately differs between implementations
# (driver and server versions, the driver's own parameters)
upsc_data() {  # upsc_data CMD... -> sorted "var: value" lines
  "$@" dummy@127.0.0.1 2>/dev/null | grep -vE '^(driver\.(version|parameter)|server\.)' | LC_ALL=C sort
}
wait_upsc() {  # wait_upsc WHAT CMD...: until ups.status is served (30 s)
  local what=$1; shift
  for _ in $(seq 1 300); do
    "$@" dummy@127.0.0.1 ups.status 2>/dev/null | grep -qx 'OL' && return 0; sleep 0.1
  done
  fail "$what: upsc never got ups.status from upsd"
}
ref_upsc() { nsenter -t "$CPID" -n "$REF_UPSC" "$@"; }
# Owner, mode and content hash of the admin's files in /etc/nut: all but
# Debian's samples the admin never touched (PRISTINE; dpkg rightly replaces
# an unmodified conffile with the new package's) and our .dpkg-dist samples.
PRISTINE=""
etc_state() {
  c env PRISTINE="$PRISTINE" sh -c 'cd /etc/nut && for f in $(find . -mindepth 1 ! -name "*.dpkg-dist" | LC_ALL=C sort); do
      case " $PRISTINE " in *" ${f#./} "*) continue;; esac
      stat -c "%n %U:%G %a" "$f"; [ -f "$f" ] && sha256sum "$f"; done; true'
}

# ---------------------------------------------------------------- 1. Debian's NUT
tarball=$("$here/mkrootfs.sh")
log "unpack $tarball"
mkdir -p "$ROOT"; tar -C "$ROOT" -xf "$tarball"
chroot "$ROOT" dpkg-query -W nut-server nut-client nut-snmp | tee "$ART/debian-nut.txt" | grep -q '2\.8\.0' \
  || fail "the root tree has no Debian NUT 2.8.0"
r=$ROOT/etc/nut
printf 'MODE=standalone\n' > "$r/nut.conf"
printf '[dummy]\n\tdriver = dummy-ups\n\tport = dummy.dev\n\tdesc = "packaging test"\n' > "$r/ups.conf"
printf 'ups.status: OL\nbattery.charge: 87\nbattery.runtime: 1234\ninput.voltage: 229.5\ndevice.mfr: Packaging Test\ndevice.model: Upgrade 2.8.0\nups.mfr: Packaging Test\n' > "$r/dummy.dev"
printf 'LISTEN 127.0.0.1 3493\n' > "$r/upsd.conf"
printf '[mon]\n\tpassword = pkgtest\n\tupsmon primary\n' > "$r/upsd.users"
printf 'MONITOR dummy@localhost 1 mon pkgtest primary\nSHUTDOWNCMD "/bin/true"\n' > "$r/upsmon.conf"
chroot "$ROOT" sh -c 'chown root:nut /etc/nut/*; chmod 640 /etc/nut/*'
boot
wait_upsc "Debian's NUT" ref_upsc
upsc_data ref_upsc > "$ART/upsc-before.txt"
grep -q '^battery.charge: 87$' "$ART/upsc-before.txt" || fail "Debian's NUT does not serve the test data"
c systemctl is-active --quiet nut-monitor.service || fail "Debian's upsmon is not running"
PRISTINE=$(c sh -c "dpkg-query -W -f '\${Conffiles}\n' nut-client nut-server | awk '\$1 ~ /^\/etc\/nut\// {print \$2\"  \"\$1}' | md5sum -c 2>/dev/null | sed -n 's|^/etc/nut/\(.*\): OK\$|\1|p'" | tr '\n' ' ')
log "Debian samples the admin left untouched: ${PRISTINE:-none}"
etc_state > "$ART/etc-before.txt"
log "Debian's NUT 2.8.0 is serving $(wc -l < "$ART/upsc-before.txt") variables"

# ---------------------------------------------------------------- 2. install ours
mkdir -p "$ROOT/var/tmp/debs"
cp "$debs"/nut-rs*.deb "$ROOT/var/tmp/debs/"
rm -f "$ROOT"/var/tmp/debs/*-dbgsym_*.deb
log "install $(cd "$ROOT/var/tmp/debs" && echo *.deb)"
# No network in the container: every dependency is already there. No
# --force-conf* option: the conffile takeover must not ask dpkg's conffile
# question (stdin is /dev/null, so a question would fail the install), the
# way a plain `apt install` on the admin's machine goes.
c sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends /var/tmp/debs/*.deb' \
    </dev/null > "$ART/install.log" 2>&1 || { tail -30 "$ART/install.log" >&2; fail "apt-get install of our packages"; }
! grep -nE "Configuration file|conffile prompt|\(Y/I/N/O/D/Z\)" "$ART/install.log" >&2 \
  || fail "dpkg asked the conffile question"
c dpkg-query -W -f '${Package} ${Status}\n' nut-server nut-client nut-snmp nut-rs-server nut-rs-client nut-rs \
    2>/dev/null > "$ART/status-after-install.txt" || true
grep -qE '^nut-server (deinstall|purge) ok (config-files|not-installed)' "$ART/status-after-install.txt" \
  || { cat "$ART/status-after-install.txt" >&2; fail "Debian's nut-server was not replaced"; }
grep -q '^nut-rs-server install ok installed' "$ART/status-after-install.txt" || fail "nut-rs-server not installed"
# we have no SNMP driver: Debian's nut-snmp (it depends on nut-server of its
# own version) goes, rather than stay installed without its server
grep -qE '^nut-snmp [a-z]+ ok (config-files|not-installed)$' "$ART/status-after-install.txt" \
  || { cat "$ART/status-after-install.txt" >&2; fail "Debian's nut-snmp was kept"; }
c sh -c 'ls /etc/nut/*.nut-rs-takeover' 2>/dev/null && fail "files moved aside by preinst were not put back"
etc_state > "$ART/etc-after.txt"
diff -u "$ART/etc-before.txt" "$ART/etc-after.txt" >&2 || fail "/etc/nut changed during the upgrade"
for f in $PRISTINE; do
  [ "$(c stat -c '%U:%G %a' "/etc/nut/$f")" = "root:nut 640" ] || fail "/etc/nut/$f is not root:nut 0640 after the upgrade"
done
log "/etc/nut kept as it was (the admin's files byte for byte, owner and mode)"
for p in /sbin/upsd /sbin/upsmon /bin/upsc /lib/nut/dummy-ups /lib/nut/nut-driver; do
  c test -x "$p" || fail "$p is not installed by our packages"
done
c dpkg -S /sbin/upsd | grep -q '^nut-rs-server:' || fail "/sbin/upsd is not ours"
# upsd's descriptions (GET DESC / GET CMDDESC) came from nut-server's cmdvartab
c dpkg -S /usr/share/nut/cmdvartab | grep -q '^nut-rs-server:' || fail "/usr/share/nut/cmdvartab is not ours"
wait_upsc "our NUT, Debian's upsc" ref_upsc
upsc_data ref_upsc > "$ART/upsc-after.txt"
diff -u "$ART/upsc-before.txt" "$ART/upsc-after.txt" >&2 || fail "the data served after the upgrade differs"
c /bin/upsc dummy@127.0.0.1 2>/dev/null | grep -vE '^(driver\.(version|parameter)|server\.)' | LC_ALL=C sort > "$ART/upsc-ours.txt"
diff -u "$ART/upsc-before.txt" "$ART/upsc-ours.txt" >&2 || fail "our upsc shows other data than Debian's"
for u in nut-server.service nut-monitor.service nut-driver@dummy.service; do
  c systemctl is-active --quiet "$u" || fail "$u is not active after the upgrade"
done
# only nut.target is enabled; the rest is pulled in by MODE (the generator),
# Debian's enablement and its enumerator's per-UPS state are gone
c systemctl is-enabled nut.target > "$ART/enabled.txt" 2>&1 || true
for u in nut-server.service nut-server.socket nut-monitor.service nut-driver-enumerator.service; do
  printf '%s %s\n' "$u" "$(c systemctl is-enabled "$u" 2>&1 || true)" >> "$ART/enabled.txt"
done
[ "$(head -1 "$ART/enabled.txt")" = enabled ] || { cat "$ART/enabled.txt" >&2; fail "nut.target is not enabled"; }
# ("enabled-runtime": the generator's links under /run, which follow MODE)
! grep -E ' enabled$' "$ART/enabled.txt" >&2 || fail "units besides nut.target are enabled in /etc (MODE would not decide)"
c sh -c 'ls -d /etc/systemd/system/nut-driver.target.wants/* /etc/systemd/system/nut-driver@*.service.d /etc/systemd/system/nut.target.wants/* 2>/dev/null' \
  > "$ART/etc-systemd-after.txt" || true
[ ! -s "$ART/etc-systemd-after.txt" ] || { cat "$ART/etc-systemd-after.txt" >&2; fail "Debian's unit enablement or enumerator state is still in /etc/systemd/system"; }
log "upgrade ok: the stack is back and serves the same data"

# upsdrvctl, called by its /sbin name (a link into /lib/nut), finds the
# driver programs beside its own executable
c /sbin/upsdrvctl -t start dummy > "$ART/upsdrvctl-t.txt" 2>&1 || { cat "$ART/upsdrvctl-t.txt" >&2; fail "upsdrvctl -t start"; }
grep -q '/lib/nut/dummy-ups' "$ART/upsdrvctl-t.txt" || { cat "$ART/upsdrvctl-t.txt" >&2; fail "upsdrvctl does not run /lib/nut/dummy-ups"; }
c systemctl stop nut-driver@dummy.service
c /sbin/upsdrvctl start dummy > "$ART/upsdrvctl-start.txt" 2>&1 \
  || { cat "$ART/upsdrvctl-start.txt" >&2; fail "upsdrvctl start dummy (driver from /lib/nut)"; }
wait_upsc "driver started by upsdrvctl" ref_upsc
c /sbin/upsdrvctl stop dummy >> "$ART/upsdrvctl-start.txt" 2>&1 || { cat "$ART/upsdrvctl-start.txt" >&2; fail "upsdrvctl stop dummy"; }
c systemctl start nut-driver@dummy.service || fail "nut-driver@dummy does not start again after upsdrvctl"
wait_upsc "nut-driver@dummy again" ref_upsc
log "upsdrvctl from the package runs the drivers in /lib/nut"

# ---------------------------------------------------------------- 3. remove, purge
c dpkg-query -W -f '${Package}\n' 'nut-rs*' | xargs -I{} nsenter -t "$CPID" -a dpkg -L {} \
  | LC_ALL=C sort -u > "$ART/our-files.txt"
c env DEBIAN_FRONTEND=noninteractive apt-get remove -y nut-rs nut-rs-server nut-rs-client \
    </dev/null > "$ART/remove.log" 2>&1 || { tail -20 "$ART/remove.log" >&2; fail "apt-get remove"; }
c test -f /etc/nut/upsd.users || fail "remove (not purge) deleted the configuration"
c test ! -e /sbin/upsd || fail "/sbin/upsd is still there after remove"
c sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = upsd ] && exit 0; done; exit 1' \
  && fail "upsd still runs after remove"
# (dpkg: apt knows the local .debs no more once they are removed)
c env DEBIAN_FRONTEND=noninteractive dpkg --purge nut-rs nut-rs-server nut-rs-client \
    </dev/null > "$ART/purge.log" 2>&1 || { tail -20 "$ART/purge.log" >&2; fail "dpkg --purge"; }
c dpkg-query -W -f '${Package} ${Status}\n' 'nut-rs*' 2>/dev/null | grep -v 'not-installed' && fail "our packages are not purged"
# every file and link of ours is gone; directories other packages or the
# system own may stay
left=$(while read -r f; do
  c test -e "$f" -o -L "$f" || continue
  c test -d "$f" && continue   # directories (and usrmerge's /bin -> usr/bin) may stay
  echo "$f"
done < "$ART/our-files.txt")
[ -z "$left" ] || { echo "$left" >&2; fail "files of ours left after purge"; }
# /etc/nut: only the admin's own file (dpkg never touches it)
c sh -c 'cd /etc/nut && find . -mindepth 1 | LC_ALL=C sort' > "$ART/etc-after-purge.txt"
[ "$(cat "$ART/etc-after-purge.txt")" = "./dummy.dev" ] \
  || { cat "$ART/etc-after-purge.txt" >&2; fail "/etc/nut holds more than the admin's own file after purge"; }
c getent passwd nut >/dev/null || fail "the nut user vanished (policy: system users stay)"
# Debian's packages were removed, not purged, when ours replaced them;
# purging them now must not break either
c env DEBIAN_FRONTEND=noninteractive dpkg --purge nut-server nut-client nut-snmp > "$ART/purge-debian.log" 2>&1 \
  || { cat "$ART/purge-debian.log" >&2; fail "purging Debian's replaced packages"; }
# no enablement symlinks, no deb-systemd-helper state, none of Debian's
# nut-driver-enumerator.sh state (its `systemctl enable nut-driver@<ups>`
# links and drop-ins: our postinst removed them at the takeover) left
c sh -c 'find /etc/systemd/system -lname "*nut*"; find /etc/systemd/system -name "nut*.service.d"; ls /var/lib/systemd/deb-systemd-helper-enabled 2>/dev/null | grep -i nut' \
  > "$ART/systemd-left.txt" || true
[ ! -s "$ART/systemd-left.txt" ] || { cat "$ART/systemd-left.txt" >&2; fail "unit enablement left after purge"; }
log "remove and purge ok"
log "PASS: upgrade from Debian's NUT 2.8.0, remove, purge"
