#!/bin/sh
# test_hardening: the built pytop carries the hardening configure turned on
# (TAP): a PIE, full RELRO (GNU_RELRO and BIND_NOW), a non-executable stack,
# the stack protector (__stack_chk_fail) and _FORTIFY_SOURCE (__*_chk calls).
# Each check is a SKIP when configure left that flag out (--disable-hardening,
# or no _FORTIFY_SOURCE under --enable-sanitizers or without optimisation).
build=${PYTOP_BUILDDIR:-$(dirname "$0")/../..}
bin=${PYTOP:-$build/pytop}
n=0
fails=0
point() { # point OK|FAIL|SKIP:reason description [diagnostics]
	n=$((n + 1))
	case "$1" in
	OK) echo "ok $n - $2" ;;
	SKIP:*) echo "ok $n - $2 # SKIP ${1#SKIP:}" ;;
	*) echo "not ok $n - $2"; fails=$((fails + 1)); [ -n "$3" ] && echo "$3" | sed 's/^/# /' ;;
	esac
}
check() { # check "description" enabled-flag-pattern command...
	what=$1 flag=$2
	shift 2
	if [ -n "$disabled" ]; then
		point "SKIP:configured with --disable-hardening" "$what"
	elif [ -n "$known" ] && ! echo "$flags" | grep -q -- "$flag"; then
		point "SKIP:configure left out $flag (not supported here, or a sanitizer or -O0 build)" "$what"
	elif "$@"; then
		point OK "$what"
	else
		point FAIL "$what" "$(readelf -hdlW "$bin" 2>&1 | grep -E 'Type|FLAGS|RELRO|STACK')"
	fi
}
if ! command -v readelf > /dev/null; then
	echo "1..0 # SKIP readelf not found (binutils)"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "Bail out! pytop binary not found at $bin"
	exit 1
fi
# The flags configure chose; a tree without them (no HARDEN_ line) expects all.
flags=$(sed -n 's/^HARDEN_[A-Z]*FLAGS = //p' "$build/Makefile" 2>/dev/null | tr '\n' ' ')
known=$(grep -l '^HARDEN_CFLAGS = ' "$build/Makefile" 2>/dev/null)
disabled=$(sed -n '/^  \$ .*configure/p' "$build/config.log" 2>/dev/null | grep -e '--disable-hardening')
echo "# hardening flags: $flags"
hdr=$(readelf -hW "$bin")
dyn=$(readelf -dW "$bin")
seg=$(readelf -lW "$bin")
syms=$(readelf --dyn-syms -W "$bin")
check "PIE: ELF type DYN with the PIE flag" "-pie" \
	sh -c 'echo "$1" | grep -q "Type: *DYN" && echo "$2" | grep -q "FLAGS_1.*PIE"' _ "$hdr" "$dyn"
check "full RELRO: a GNU_RELRO segment" "relro" sh -c 'echo "$1" | grep -q GNU_RELRO' _ "$seg"
check "full RELRO: BIND_NOW" "now" sh -c 'echo "$1" | grep -qE "BIND_NOW|FLAGS_1.*NOW"' _ "$dyn"
check "non-executable stack (GNU_STACK RW)" "noexecstack" \
	sh -c 'echo "$1" | grep GNU_STACK | grep -qv "RWE"' _ "$seg"
check "stack protector: calls __stack_chk_fail" "-fstack-protector" \
	sh -c 'echo "$1" | grep -q "__stack_chk_fail"' _ "$syms"
check "_FORTIFY_SOURCE: calls checked __*_chk functions" "_FORTIFY_SOURCE=" \
	sh -c 'echo "$1" | grep -qE "__(memcpy|snprintf|fprintf|memset|read|vsnprintf)_chk"' _ "$syms"
echo "1..$n"
# 0 once the plan is out: a failing point is reported by its own "not ok"
# line, once (as tests/unit/tap.h).
[ "$fails" -eq 0 ] || echo "# $fails of $n points failed"
exit 0
