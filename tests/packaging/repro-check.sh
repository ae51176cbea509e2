#!/bin/bash
# repro-check.sh SRC OUT_A - build SRC a second time, in another directory
# (build-b vs build-a), and compare every .deb with the one in OUT_A byte
# for byte. On a difference, diffoscope (when installed) or a listing diff
# says where. SOURCE_DATE_EPOCH comes from debian/changelog (dpkg), the
# build path is remapped (debian/rules), the cargo registry is shared.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${1:?source tree}
a=$(cd "${2:?first build output}" && pwd)
b=${OUT_B:-${WORK:-/var/tmp/nut-pkg}/out-b}
rm -rf "$b"
BUILD_NAME=build-b-other-path "$here/build-debs.sh" "$src" "$b"
status=0; n=0
for f in "$a"/*.deb; do
  g=$b/${f##*/}; n=$((n+1))
  [ -f "$g" ] || { echo "FAIL: ${f##*/} missing from the second build" >&2; status=1; continue; }
  if cmp -s "$f" "$g"; then echo "identical: ${f##*/} $(sha256sum < "$f" | cut -c1-16)"
  else
    echo "FAIL: ${f##*/} differs between the two builds" >&2; status=1
    if command -v diffoscope >/dev/null; then diffoscope --text - "$f" "$g" | head -80 >&2 || true
    else diff <(dpkg-deb -c "$f") <(dpkg-deb -c "$g") | head -20 >&2 || true; fi
  fi
done
[ "$(ls "$b"/*.deb | wc -l)" = "$n" ] || { echo "FAIL: the builds made different package sets" >&2; status=1; }
[ "$n" -gt 0 ] || { echo "FAIL: no .deb in $a" >&2; status=1; }
[ $status = 0 ] && echo "reproducible: $n .deb files byte-identical"
exit $status
