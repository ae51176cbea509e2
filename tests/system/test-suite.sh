#!/bin/bash
# test-suite.sh - the system tests, run by systest.sh after boot (CPID = the
# container's PID 1). Prints one line per check and a closing
# "N passed, N failed, N skipped" line; exits non-zero if anything failed.
set -uo pipefail
c() { nsenter -t "$CPID" -a "$@"; }
cn() { nsenter -t "$CPID" -n "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
PASS=0; FAIL=0; SKIP=0
TIMINGS=()
ok()   { PASS=$((PASS+1)); echo "PASS: $*"; }
bad()  { FAIL=$((FAIL+1)); echo "FAIL: $*"; }
skip() { SKIP=$((SKIP+1)); echo "SKIP: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; return 1; fi; }
active() { [ "$(c systemctl is-active "$1" 2>/dev/null)" = active ]; }
inactive() { local s; s=$(c systemctl is-active "$1" 2>/dev/null); [ "$s" = inactive ] || [ "$s" = failed ] || [ "$s" = unknown ]; }
prop() { c systemctl show -p "$2" --value "$1" 2>/dev/null; }
# wait_for SECONDS CMD...: poll every 50 ms; prints the time it took
wait_for() {
  local limit=$1; shift; local t0; t0=$(now)
  while :; do
    if "$@"; then elapsed "$t0"; return 0; fi
    [ "$(awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN{print (b-a>l)?1:0}')" = 1 ] && { elapsed "$t0"; return 1; }
    sleep 0.05
  done
}
FIXTURE=0; [ -x "$ROOT/lib/nut/nut-driver" ] || FIXTURE=1
# nut_ask LINE: one request to upsd in the container, the reply lines
nut_ask() {
  nsenter -t "$CPID" -n timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/3493; printf "%s\nLOGOUT\n" "$1" >&3; cat <&3' sh "$1" 2>/dev/null
}
export -f nut_ask; export CPID
U1='nut-driver@myups.service'
U2='nut-driver@ups\x2b1.service'
U3='nut-driver@net.ups\x2d2.service'

echo "== boot: ${BOOT_SECONDS}s to $(c systemctl is-system-running 2>/dev/null)"
TIMINGS+=("boot to running/degraded: ${BOOT_SECONDS}s")

# --- generator ---
G=/run/systemd/generator   # inside the container (its /run is a tmpfs)
check "generator pulled in $U1 and $U2" c test -L "$G/nut-driver.target.wants/$U1" -a -L "$G/nut-driver.target.wants/$U2"
check "upsd.conf LISTEN lines became nut-server.socket's ListenStream" c grep -qx 'ListenStream=\[::1\]:3493' "$G/nut-server.socket.d/50-listen.conf"
check "systemd-escape agrees: instance of ups+1" [ "$(c systemd-escape --template=nut-driver@.service 'ups+1')" = "$U2" ]

# --- drivers at boot ---
t=$(wait_for 10 active "$U1"); check "$U1 active after boot (${t}s)" active "$U1"
t=$(wait_for 10 active "$U2"); check "$U2 (section ups+1) active after boot (${t}s)" active "$U2"
if [ $FIXTURE = 0 ]; then
  st=$(prop "$U1" StatusText); check "$U1 shows STATUS ($st)" [ -n "$st" ]
  args=$(prop "$U2" ExecStart); check "%I gives ups+1 back to the driver" grep -qF 'argv[]=/lib/nut/nut-driver -- ups+1 ' <<<"$args"
else
  skip "STATUS of $U1 (nut-driver not built; fixture driver)"
  args=$(prop "$U2" ExecStart)
  check "%I unescapes to ups+1 (instance $U2)" [ "$(c systemd-escape -u --instance "$U2")" = "ups+1" ]
fi
UL='nut-driver@very\x2dlong\x2dups\x2dname\x2dvery\x2dlong\x2dups\x2dname\x2dvery\x2dlong\x2dups\x2dname.service'
check "section [a:b] runs as nut-driver@a:b.service" sh -c "nsenter -t $CPID -a systemctl is-active -q 'nut-driver@a:b.service' || { sleep 2; nsenter -t $CPID -a systemctl is-active -q 'nut-driver@a:b.service'; }"
check "a 57-character section name runs as its escaped instance" active "$UL"
UH=$(c /lib/nut/nut-driver-enumerator unit "h$(printf -- '-%.0s' $(seq 60))")
check "a name too long to escape gets a digest instance ($UH)" sh -c "case '$UH' in 'nut-driver@\x5flong:'*) exit 0;; esac; exit 1"
t=$(wait_for 5 active "$UH")
if [ $FIXTURE = 0 ]; then
  check "... which runs and is given the real name" sh -c "nsenter -t $CPID -a systemctl is-active -q '$UH' && nsenter -t $CPID -a systemctl show -p ExecStart --value '$UH' | grep -qF -- '-- h-----'"
else
  check "... which runs, its drop-in passing the real name" sh -c "nsenter -t $CPID -a systemctl is-active -q '$UH' && nsenter -t $CPID -a grep -qF -- 'nut-driver -- \"h-----' '$G/$UH.d/50-nut-driver-enumerator.conf'"
fi
c systemctl stop "$U1"; c systemctl start "$U1"
check "systemctl start $U1 makes it active" active "$U1"

# --- the watcher: add, remove, change ---
check "nut-driver-enumerator.service (watcher) active" active nut-driver-enumerator.service
inv1=$(prop "$U1" InvocationID); inv2=$(prop "$U2" InvocationID)
t0=$(now)
c sh -c 'cat >> /etc/nut/ups.conf <<EOT
[net.ups-2]
	driver = dummy-ups
	port = myups.dev
EOT'
t=$(wait_for 5 active "$U3"); TIMINGS+=("section added -> instance active: ${t}s")
check "added section [net.ups-2] -> $U3 active within 2 s (${t}s)" awk -v t="$t" 'BEGIN{exit !(t<2)}'
check "adding a section restarted neither $U1 nor $U2" [ "$(prop "$U1" InvocationID)" = "$inv1" -a "$(prop "$U2" InvocationID)" = "$inv2" ]
inv3=$(prop "$U3" InvocationID)
# change myups (desc) - written with several writes in a burst
c sh -c 'sed "s/CI dummy/CI dummy, changed/" /etc/nut/ups.conf > /etc/nut/ups.conf.new && cat /etc/nut/ups.conf.new > /etc/nut/ups.conf && sleep 0.05 && touch /etc/nut/ups.conf && rm /etc/nut/ups.conf.new'
t=$(wait_for 5 sh -c "[ \"\$(nsenter -t $CPID -a systemctl show -p InvocationID --value $U1)\" != $inv1 ] && nsenter -t $CPID -a systemctl is-active -q $U1")
TIMINGS+=("section changed -> instance restarted: ${t}s")
check "changed section [myups] -> $U1 restarted within 2 s (${t}s)" awk -v t="$t" 'BEGIN{exit !(t<2)}'
sleep 0.3
check "changing [myups] restarted only $U1" [ "$(prop "$U2" InvocationID)" = "$inv2" -a "$(prop "$U3" InvocationID)" = "$inv3" ]
# remove ups+1 (written the way editors do: new file, rename over)
c sh -c 'awk "/^\\[ups\\+1\\]/{skip=1;next} /^\\[/{skip=0} !skip" /etc/nut/ups.conf > /etc/nut/.ups.conf.tmp && chown root:nut /etc/nut/.ups.conf.tmp && chmod 640 /etc/nut/.ups.conf.tmp && mv /etc/nut/.ups.conf.tmp /etc/nut/ups.conf'
t=$(wait_for 5 inactive "$U2"); TIMINGS+=("section removed -> instance stopped: ${t}s")
check "removed section [ups+1] -> $U2 stopped within 2 s (${t}s)" awk -v t="$t" 'BEGIN{exit !(t<2)}'
c journalctl -q --no-pager -o cat -u nut-driver-enumerator.service > "$ART/watcher.log" 2>&1
check "the watcher logged the diff" grep -q 'section \[ups+1\] removed' "$ART/watcher.log"
check "upsdrvsvcctl list shows the sections" sh -c "nsenter -t $CPID -a upsdrvsvcctl list | grep -q 'net.ups-2'"
check "upsdrvsvcctl status shows $U3 active" sh -c "nsenter -t $CPID -a upsdrvsvcctl status net.ups-2 | grep -q ' active '"
check "upsdrvsvcctl show-config prints the section" sh -c "nsenter -t $CPID -a upsdrvsvcctl show-config myups | grep -q 'changed'"
c upsdrvsvcctl stop net.ups-2 >/dev/null 2>&1; wait_for 3 inactive "$U3" >/dev/null
check "upsdrvsvcctl stop net.ups-2" inactive "$U3"
c upsdrvsvcctl resync > "$ART/resync.log" 2>&1
wait_for 3 active "$U3" >/dev/null
check "upsdrvsvcctl resync starts the stopped instance" active "$U3"

# --- nut-server.socket ---
check "nut-server.socket listens on 127.0.0.1:3493 and [::1]:3493" sh -c "nsenter -t $CPID -a ss -Hltn | grep -q '127.0.0.1:3493' && nsenter -t $CPID -a ss -Hltn | grep -q '\[::1\]:3493'"
if [ -x "$ROOT/sbin/upsd" ]; then
  c systemctl stop nut-server.service 2>/dev/null; c systemctl start nut-server.socket
  t0=$(now)
  reply=$(cn timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/3493; echo VER >&3; head -1 <&3' 2>&1)
  t=$(elapsed "$t0"); TIMINGS+=("first connection to 3493 -> reply from socket-activated upsd: ${t}s")
  check "a connection to 3493 starts nut-server through the socket (reply: $reply, ${t}s)" active nut-server.service
  # the whole chain in the container: driver -> upsd -> a client
  st=$(nut_ask 'GET VAR myups ups.status' | head -1)
  check "upsd serves myups from its driver ($st)" grep -q '^VAR myups ups.status "OL' <<<"$st"
  # a section added now reaches upsd through the watcher (daemon-reload,
  # start the driver, reload upsd)
  c sh -c 'printf "[late]\n\tdriver = dummy-ups\n\tport = myups.dev\n" >> /etc/nut/ups.conf'
  t=$(wait_for 10 bash -c "nut_ask 'GET VAR late ups.status' | grep -q '^VAR late ups.status'")
  TIMINGS+=("section added -> upsd serves it (watcher, driver start, upsd reload): ${t}s")
  check "a section added to ups.conf is served by the running upsd (${t}s)" bash -c "nut_ask 'GET VAR late ups.status' | grep -q '^VAR late ups.status'"
else
  skip "socket activation of upsd (upsd not built yet)"
fi
if [ -x "$ROOT/sbin/upsmon" ]; then
  c systemctl start nut-monitor.service
  wait_for 10 active nut-monitor.service >/dev/null
  check "nut-monitor.service is active (Type=notify, READY from the monitoring child)" active nut-monitor.service
  out=$(c upsmon -D -c reload 2>&1); rc=$?
  t=$(wait_for 5 sh -c "nsenter -t $CPID -a journalctl -q -o cat -u nut-monitor.service | grep -qi 'reloading'")
  check "upsmon -c reload reaches upsmon through its socket (rc=$rc, ${t}s)" sh -c "[ $rc = 0 ] && ! echo '$out' | grep -qi 'PID file' && nsenter -t $CPID -a journalctl -q -o cat -u nut-monitor.service | grep -qi 'reloading'"
else
  check "nut-monitor.socket listens at /run/nut/upsmon.sock" c test -S /run/nut/upsmon.sock
  skip "upsmon -c reload through the socket (upsmon not built yet)"
fi

# upsd.conf's LISTEN changes: the watcher restarts nut-server.socket
c sh -c 'printf "LISTEN 127.0.0.1 3493\nLISTEN ::1 3493\nLISTEN 192.0.2.7 3493\n" > /etc/nut/upsd.conf'
t=$(wait_for 5 sh -c "nsenter -t $CPID -a ss -Hltn | grep -q '192.0.2.7:3493'"); TIMINGS+=("new LISTEN address in upsd.conf -> socket listening: ${t}s")
check "a new LISTEN address (not configured anywhere: FreeBind) is listened on within 2 s (${t}s)" sh -c "nsenter -t $CPID -a ss -Hltn | grep -q '192.0.2.7:3493' && awk -v t=$t 'BEGIN{exit !(t<2)}'"

# --- journal ---
if [ $FIXTURE = 1 ]; then skip "journal fields (fixture driver logs nothing)"; else
n=$(c journalctl -q --no-pager -o cat NUT_UPS=myups 2>/dev/null | wc -l)
check "journalctl NUT_UPS=myups finds the story of myups ($n lines)" [ "$n" -gt 0 ]
nd=$(c journalctl -q --no-pager -o cat NUT_DRIVER=dummy-ups 2>/dev/null | wc -l)
check "journalctl NUT_DRIVER=dummy-ups finds lines ($nd)" [ "$nd" -gt 0 ]
# each line once: no message repeated by the same unit within 50 ms (what a
# daemon logging to both stderr and syslog produces)
dups() {
  c journalctl -q --no-pager -o short-unix -u "$1" | sed 's/^\([0-9.]*\) [^ ]* [^:]*: /\1 /' |
    awk '{t=$1; $1=""; if ($0==m && t-pt<0.05) n++; m=$0; pt=t} END{print n+0}'
}
for u in "$U1" nut-server.service nut-monitor.service; do
  [ -x "$ROOT/sbin/upsd" ] || [ "$u" != nut-server.service ] || continue
  [ -x "$ROOT/sbin/upsmon" ] || [ "$u" != nut-monitor.service ] || continue
  check "$u logs each line once ($(dups "$u") repeated within 50 ms)" [ "$(dups "$u")" = 0 ]
done
check "journal entries with NUT_UPS=myups carry PRIORITY" sh -c "nsenter -t $CPID -a journalctl -q --no-pager -o export NUT_UPS=myups | grep -q '^PRIORITY='"
if [ -x "$ROOT/sbin/upsd" ] && [ -x "$ROOT/sbin/upsmon" ]; then
  procs=$(c journalctl -q --no-pager -o export NUT_UPS=myups | sed -n 's/^SYSLOG_IDENTIFIER=//p' | sort -u | tr '\n' ' ')
  check "journalctl NUT_UPS=myups spans driver, upsd and upsmon (found: $procs)" sh -c "[ \$(echo '$procs' | wc -w) -ge 3 ]" ||
    echo "      NUT_UPS values in the journal: $(c journalctl -F NUT_UPS | tr '\n' ' ')"
  # the UPS goes on battery: upsmon logs the event with NUT_EVENT=ONBATT
  c sh -c 'printf "ups.status: OB\nbattery.charge: 80\n" > /etc/nut/myups.dev'
  t=$(wait_for 15 sh -c "nsenter -t $CPID -a journalctl -q --no-pager -o cat NUT_UPS=myups NUT_EVENT=ONBATT | grep -q ."); TIMINGS+=("ups.status OB in the data file -> NUT_EVENT=ONBATT in the journal: ${t}s")
  check "journalctl NUT_UPS=myups NUT_EVENT=ONBATT finds upsmon's event (${t}s)" sh -c "nsenter -t $CPID -a journalctl -q --no-pager -o cat NUT_UPS=myups NUT_EVENT=ONBATT | grep -q ." ||
    echo "      NUT_EVENT=ONBATT entries: $(c journalctl -q --no-pager -o export NUT_EVENT=ONBATT | grep -E '^(NUT_UPS|SYSLOG_IDENTIFIER)=' | sort -u | tr '\n' ' ')"
else
  skip "NUT_UPS=myups across driver, upsd and upsmon (upsd/upsmon not built yet)"
fi
fi

# --- watchdog ---
# [wd] has WatchdogSec=3s (drop-in from setup-suite.sh). dummy-ups treats a
# vanished data file as a device that stopped answering: no more
# WATCHDOG=1, so systemd restarts the driver. Then the same for a driver
# that hangs altogether (SIGSTOP).
if [ $FIXTURE = 0 ]; then
  UW=nut-driver@wd.service
  restarted() { [ "$(prop "$UW" NRestarts)" != "$1" ]; }
  wait_for 10 active "$UW" >/dev/null
  n0=$(prop "$UW" NRestarts)
  c mv /etc/nut/wd.dev /etc/nut/wd.dev.away
  t=$(wait_for 15 restarted "$n0")
  TIMINGS+=("device stops answering -> watchdog restart (WatchdogSec=3s): ${t}s")
  check "a driver whose device stops answering is restarted by the watchdog (${t}s, WatchdogSec=3s)" restarted "$n0"
  check "the journal says it was the watchdog" sh -c "nsenter -t $CPID -a journalctl -q --no-pager -u $UW | grep -qi 'watchdog timeout'"
  c mv /etc/nut/wd.dev.away /etc/nut/wd.dev
  wait_for 20 active "$UW" >/dev/null
  pid=$(prop "$UW" MainPID); n1=$(prop "$UW" NRestarts)
  c kill -STOP "$pid"
  t=$(wait_for 15 restarted "$n1")
  TIMINGS+=("driver hangs (SIGSTOP) -> watchdog restart: ${t}s")
  check "a hung driver is restarted by the watchdog (${t}s)" restarted "$n1"
  t=$(wait_for 15 active "$UW")
  check "... and comes back with its device (${t}s)" active "$UW"
else
  skip "watchdog restart (nut-driver not built yet)"
fi

# --- MODE=netclient ---
c sh -c 'echo MODE=netclient > /etc/nut/nut.conf'
t=$(wait_for 5 sh -c "! nsenter -t $CPID -a systemctl list-units --state=active,activating --no-legend 'nut-driver@*' | grep -q ."); TIMINGS+=("MODE=netclient -> all drivers stopped: ${t}s")
check "MODE=netclient stops every driver (${t}s)" [ -z "$(c systemctl list-units --state=active,activating --no-legend 'nut-driver@*')" ]
check "MODE=netclient: generator pulls in no driver and no server" c sh -c "[ ! -e $G/nut-driver.target.wants ] && [ ! -e $G/nut.target.wants/nut-server.socket ] && [ -e $G/nut.target.wants/nut-monitor.service ]"
check "MODE=netclient stops upsd and its socket" sh -c "! nsenter -t $CPID -a systemctl is-active -q nut-server.socket nut-server.service"
if [ -x "$ROOT/sbin/upsmon" ]; then check "MODE=netclient keeps upsmon" active nut-monitor.service; fi
c systemctl start nut.target >/dev/null 2>&1
sleep 0.5
check "MODE=netclient: starting nut.target starts no driver" [ -z "$(c systemctl list-units --state=active,activating --no-legend 'nut-driver@*')" ]

# --- security ---
echo "== systemd-analyze security (exposure, inside the booted container)"
for u in nut-driver@myups.service nut-server.service nut-monitor.service nut-driver-enumerator.service; do
  s=$(c systemd-analyze security "$u" 2>/dev/null | tail -1 | sed 's/.*level for //')
  echo "   $s"
  TIMINGS+=("security $s")
done

echo "== timings"
for t in "${TIMINGS[@]}"; do echo "   $t"; done
c systemctl --no-pager --failed > "$ART/failed.txt" 2>&1
echo "system-tests: $PASS passed, $FAIL failed, $SKIP skipped"
[ $FAIL = 0 ]
