#!/usr/bin/env bash
# The whole stack on a simulated UPS, end to end, in about 20 seconds:
#
#   demo/Back-UPS_CS_650.dev (a real device dump) played as a power failure
#     → our dummy-ups → our upsd on a free loopback port → our upsmon,
#   whose SHUTDOWNCMD only writes a file.
#
# The status and upsmon's notifications are shown live until upsmon
# decides to shut down; then everything is stopped and removed. No root,
# no hardware, nothing left running. Overrides (for comparisons):
# DEMO_DRIVER, DEMO_UPSD, DEMO_UPSMON (paths of the three programs).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}/debug

# Build what is not overridden (a no-op when up to date).
bins=(--bin upsc)
[ -n "${DEMO_DRIVER:-}" ] || bins+=(--bin nut-driver)
[ -n "${DEMO_UPSD:-}" ] || bins+=(--bin upsd)
[ -n "${DEMO_UPSMON:-}" ] || bins+=(--bin upsmon)
echo "Building ${bins[*]} (debug; the first time takes a few minutes) ..."
(cd "$root" && cargo build --quiet "${bins[@]}")
driver=${DEMO_DRIVER:-$target/nut-driver}
upsd=${DEMO_UPSD:-$target/upsd}
upsmon=${DEMO_UPSMON:-$target/upsmon}
upsc=$target/upsc
for p in "$driver" "$upsd" "$upsmon" "$upsc"; do
    [ -x "$p" ] || { echo "demo: $p is missing" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/nut-demo.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port on the loopback.
port=
for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "demo: no free port" >&2; exit 1; }

# Daemons started as root would drop to the nut account, which cannot
# enter our private directory: keep the current user either way.
asuser=()
[ "$(id -u)" = 0 ] && asuser=(-u root)

# The dump as the starting state, then the mains fail and the battery drains.
{
    grep -v '^driver\.' "$root/demo/Back-UPS_CS_650.dev"
    cat <<'SEQ'
TIMER 4
ups.status: OB DISCHRG
input.voltage: 0.0
battery.charge: 80
battery.runtime: 900
TIMER 3
battery.charge: 45
battery.runtime: 420
TIMER 3
ups.status: OB DISCHRG LB
battery.charge: 9
battery.runtime: 110
TIMER 3600
SEQ
} > "$dir/demo.seq"

cat > "$dir/ups.conf" <<CONF
[demo]
  driver = dummy-ups
  port = demo.seq
  desc = "Back-UPS CS 650 (simulated)"
CONF
cat > "$dir/upsd.conf" <<CONF
LISTEN 127.0.0.1 $port
CONF
cat > "$dir/upsd.users" <<CONF
[monuser]
  password = demo-secret
  upsmon primary
CONF
cat > "$dir/notify.sh" <<SH
#!/bin/sh
echo "\$(date +%s.%N) \$NOTIFYTYPE \$1" >> "$dir/notify.log"
SH
cat > "$dir/shutdown.sh" <<SH
#!/bin/sh
date +%s.%N > "$dir/shutdown.ran"
SH
chmod +x "$dir/notify.sh" "$dir/shutdown.sh"
{
    echo "MONITOR demo@127.0.0.1:$port 1 monuser demo-secret primary"
    echo "MINSUPPLIES 1"
    echo "SHUTDOWNCMD \"$dir/shutdown.sh\""
    echo "NOTIFYCMD \"$dir/notify.sh\""
    echo "POLLFREQ 2"
    echo "POLLFREQALERT 1"
    echo "FINALDELAY 3"
    echo "POWERDOWNFLAG $dir/killpower"
    for t in ONLINE ONBATT LOWBATT FSD COMMOK COMMBAD SHUTDOWN REPLBATT NOCOMM NOPARENT; do
        echo "NOTIFYFLAG $t SYSLOG+EXEC"
    done
} > "$dir/upsmon.conf"

export NUT_CONFPATH=$dir NUT_STATEPATH=$dir NUT_ALTPIDPATH=$dir
ln -s "$driver" "$dir/dummy-ups"

start=$(date +%s.%N)
rel() { awk -v a="$1" -v b="$start" 'BEGIN { printf "%+6.1fs", a - b }'; }

echo "Demo in $dir (upsd on 127.0.0.1:$port)"
"$dir/dummy-ups" -a demo -F "${asuser[@]}" > "$dir/driver.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do [ -S "$dir/dummy-ups-demo" ] && break; sleep 0.05; done
"$upsd" -F "${asuser[@]}" > "$dir/upsd.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
"$upsmon" -F "${asuser[@]}" > "$dir/upsmon.log" 2>&1 & pids+=($!)

echo "  time   ups.status         charge runtime  | upsmon notifications"
last=
shown=0
deadline=$(( $(date +%s) + 40 ))
while [ ! -e "$dir/shutdown.ran" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    now=$(date +%s.%N)
    st=$("$upsc" "demo@127.0.0.1:$port" ups.status 2>/dev/null || echo "?")
    ch=$("$upsc" "demo@127.0.0.1:$port" battery.charge 2>/dev/null || echo "?")
    rt=$("$upsc" "demo@127.0.0.1:$port" battery.runtime 2>/dev/null || echo "?")
    line=$(printf "%-18s %5s%% %6ss" "$st" "$ch" "$rt")
    if [ "$line" != "$last" ]; then
        echo "$(rel "$now")  $line  |"
        last=$line
    fi
    if [ -e "$dir/notify.log" ]; then
        n=$(wc -l < "$dir/notify.log")
        if [ "$n" -gt "$shown" ]; then
            tail -n +$((shown + 1)) "$dir/notify.log" | head -n $((n - shown)) | while read -r t type msg; do
                printf "%s  %-34s |  %-8s %s\n" "$(rel "$t")" "" "$type" "$msg"
            done
            shown=$n
        fi
    fi
    sleep 0.25
done

if [ ! -e "$dir/shutdown.ran" ]; then
    echo "demo: upsmon did not decide to shut down within 40 s; its log:" >&2
    cat "$dir/upsmon.log" >&2
    exit 1
fi
sleep 0.3
if [ -e "$dir/notify.log" ]; then
    tail -n +$((shown + 1)) "$dir/notify.log" | while read -r t type msg; do
        printf "%s  %-34s |  %-8s %s\n" "$(rel "$t")" "" "$type" "$msg"
    done
fi
ran=$(cat "$dir/shutdown.ran")
echo "$(rel "$ran")  SHUTDOWNCMD ran: a real machine would power off now" \
     "(POWERDOWNFLAG: $(cat "$dir/killpower" 2>/dev/null || echo missing))."
echo "Stopping the driver, upsd and upsmon; removing $dir."
