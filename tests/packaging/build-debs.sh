#!/bin/bash
# build-debs.sh SRC OUT - export the source tree SRC (tracked and untracked,
# not ignored, files: what a commit would hold) into a scratch directory
# under $WORK, run `dpkg-buildpackage -b -us -uc` there, and collect the
# .deb/.changes/.buildinfo into OUT. The scratch directory name is given by
# BUILD_NAME so two builds can use different paths (reproducibility check).
set -euo pipefail
src=$(cd "${1:?source tree}" && pwd)
out=${2:?output dir}
WORK=${WORK:-/var/tmp/nut-pkg}
name=${BUILD_NAME:-build-a}
mkdir -p "$WORK" "$out"
parent=$WORK/$name
rm -rf "$parent"; mkdir -p "$parent/nut-rs"
( cd "$src" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' \
    | tar --null -T - -cf - ) | tar -C "$parent/nut-rs" -xf -
start=$(date +%s)
( cd "$parent/nut-rs" && dpkg-buildpackage -b -us -uc ) >"$out/build-$name.log" 2>&1 || {
  tail -40 "$out/build-$name.log" >&2; echo "FAIL: dpkg-buildpackage ($name), log: $out/build-$name.log" >&2; exit 1; }
echo "built $name in $(( $(date +%s) - start )) s" >&2
cp "$parent"/*.deb "$parent"/*.changes "$parent"/*.buildinfo "$out"/
ls "$parent"/*.ddeb >/dev/null 2>&1 && cp "$parent"/*.ddeb "$out"/ || true
[ "${KEEP_BUILD:-0}" = 1 ] || rm -rf "$parent"
