#!/bin/sh
# setup_sid_root.sh: build (once, cached) a Debian unstable root holding the
# CPython interpreters from 3.14 (the registry's) the live tests run pytop
# against.
# Directory: $PYTOP_SID_ROOT or /var/cache/pytop-sid. Idempotent: a root that
# already has its interpreters is reused. Prints what it does, fails loudly.
set -eu

ROOT=${PYTOP_SID_ROOT:-/var/cache/pytop-sid}
MIRROR=${PYTOP_SID_MIRROR:-http://deb.debian.org/debian}
# The registry's versions (src/cpython/versions.txt, tools/gen_layout.py)
# from 3.$SID_FROM: Debian unstable provides them (pyenv the older ones);
# tests/live/pythons.py takes the same ones from the root.
SID_FROM=14
REGISTRY=$(dirname "$0")/../src/cpython/versions.txt
# (default builds: a free-threaded "3.Xt" entry is not Debian's to give)
VERS=$(awk '!/^#/ { for (i = 1; i <= NF; i++) if ($i !~ /t$/) print $i }' "$REGISTRY" | awk -F. -v f="$SID_FROM" '$2 >= f')
WANT=""
for v in $VERS; do WANT="$WANT python$v python$v-dbg libpython$v-dev"; done

say() { echo "setup_sid_root: $*"; }
die() { echo "setup_sid_root: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and chroot)"

[ -n "$VERS" ] || die "no version from 3.$SID_FROM in $REGISTRY"

# Complete: the marker of a finished install and every interpreter (a root
# made before the registry had a version gets it installed).
have_all() {
    [ -e "$ROOT/.pytop-sid-done" ] || return 1
    for v in $VERS; do [ -x "$ROOT/usr/bin/python$v" ] || return 1; done
}

if have_all; then
    say "reusing $ROOT (already complete)"
    exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    apt-get install -y debootstrap >/dev/null || {
        apt-get update >/dev/null && apt-get install -y debootstrap >/dev/null; } ||
        die "cannot install debootstrap"
fi

if [ ! -x "$ROOT/usr/bin/apt-get" ] || [ ! -e "$ROOT/.pytop-debootstrap-done" ]; then
    say "debootstrap --variant=minbase sid $ROOT $MIRROR"
    mkdir -p "$ROOT"
    debootstrap --variant=minbase sid "$ROOT" "$MIRROR" ||
        die "debootstrap failed (see $ROOT/debootstrap/debootstrap.log)"
    touch "$ROOT/.pytop-debootstrap-done"
else
    say "debootstrap already done in $ROOT"
fi

echo 'Acquire::Check-Valid-Until "false";' > "$ROOT/etc/apt/apt.conf.d/99pytop-no-valid-until"
# Resolver for apt inside the chroot.
[ -s "$ROOT/etc/resolv.conf" ] || cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

say "apt-get update in the root"
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null ||
    die "apt-get update in $ROOT failed"

pkgs=""
for p in $WANT; do
    cand=$(chroot "$ROOT" apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [ -n "$cand" ] && [ "$cand" != "(none)" ]; then
        say "package $p: candidate $cand"
        pkgs="$pkgs $p"
    else
        say "package $p: NOT AVAILABLE in sid, skipped"
    fi
done
[ -n "$pkgs" ] || die "none of $WANT is available"

say "apt-get install$pkgs"
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends $pkgs >/dev/null ||
    die "apt-get install in $ROOT failed"

for p in $pkgs; do
    case $p in python3.1?) [ -x "$ROOT/usr/bin/$p" ] || die "$p installed but $ROOT/usr/bin/$p missing" ;; esac
done
touch "$ROOT/.pytop-sid-done"
say "done: $ROOT has:$(cd "$ROOT/usr/bin" && ls python3.* 2>/dev/null | tr '\n' ' ')"
