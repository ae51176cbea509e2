#!/bin/bash
# build-rpms.sh SRC OUT - make the source tarball of SRC (the files a commit
# would hold) and build the binary RPMs of rpm/nut-rs.spec with rpmbuild in
# a private _topdir; the .rpm files land in OUT. On a non-RPM host (Debian)
# the BuildRequires cannot be checked against an rpm database: --nodeps.
# DEB_BUILD_OPTIONS=noopt (as CI sets it) builds with `--with noopt`.
set -euo pipefail
src=$(cd "${1:?source tree}" && pwd)
out=${2:?output dir}
command -v rpmbuild >/dev/null || { echo "FAIL: rpmbuild is not installed (apt-get install rpm)" >&2; exit 1; }
spec=$src/rpm/nut-rs.spec
ver=$(sed -n 's/^Version: *//p' "$spec")
top=${WORK:-/var/tmp/nut-pkg}/rpmbuild
rm -rf "$top" "$out"; mkdir -p "$top/SOURCES" "$out"
( cd "$src" && git ls-files -z --cached --others --exclude-standard \
    | xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' \
    | tar --null -T - --transform "s|^|nut-rs-$ver/|" --owner=0 --group=0 -czf "$top/SOURCES/nut-rs-$ver.tar.gz" )
nodeps=; [ -e /var/lib/rpm/rpmdb.sqlite ] || [ -e /var/lib/rpm/Packages ] || nodeps=--nodeps
with=; case " ${DEB_BUILD_OPTIONS:-} " in *" noopt "*) with="--with noopt";; esac
start=$(date +%s)
rpmbuild -bb $nodeps $with --define "_topdir $top" "$spec" > "$out/rpmbuild.log" 2>&1 \
  || { tail -40 "$out/rpmbuild.log" >&2; echo "FAIL: rpmbuild, log: $out/rpmbuild.log" >&2; exit 1; }
find "$top/RPMS" -name '*.rpm' -exec cp {} "$out"/ \;
echo "rpmbuild done in $(( $(date +%s) - start )) s" >&2
for r in "$out"/*.rpm; do
  echo "== ${r##*/}"; rpm -qp --provides --requires --conflicts --obsoletes "$r" 2>/dev/null | grep -iE 'nut|conflict|obsolete' | sort -u | head -12
  rpm -qlpv "$r" 2>/dev/null | awk '{print $1, $3, $4, $NF}' | head -60
done
[ "$(ls "$out"/*.rpm 2>/dev/null | wc -l)" = 2 ] || { echo "FAIL: expected 2 RPMs (nut-rs, nut-rs-client)" >&2; exit 1; }
# what a packager would check by hand: the split, the paths, the conffiles
srv=$(ls "$out"/nut-rs-[0-9]*.rpm); cli=$(ls "$out"/nut-rs-client-[0-9]*.rpm)
has() { rpm -qp "$1" "$2" 2>/dev/null | grep -qx -- "$3" || { echo "FAIL: rpm -qp $1 ${2##*/} lacks '$3'" >&2; exit 1; }; }
has --list "$srv" /usr/sbin/upsd
has --list "$srv" /usr/libexec/nut/nut-driver
has --list "$srv" /usr/libexec/nut/dummy-ups
has --list "$cli" /usr/sbin/upsmon
has --list "$cli" /usr/bin/upsc
has --configfiles "$srv" /etc/nut/upsd.users
has --configfiles "$cli" /etc/nut/upsmon.conf
has --provides "$srv" "nut = 2.8.0"
has --provides "$cli" "nut-client = 2.8.0"
[ "$(rpm -qp --qf '[%{FILENAMES} %{FILEMODES:perms} %{FILEGROUPNAME}\n]' "$srv" | awk '$1 == "/etc/nut/upsd.users" {print $2, $3}')" = "-rw-r----- nut" ] \
  || { echo "FAIL: /etc/nut/upsd.users is not 0640 root:nut in the RPM" >&2; exit 1; }
echo "rpm checks passed: $(cd "$out" && echo *.rpm)"
