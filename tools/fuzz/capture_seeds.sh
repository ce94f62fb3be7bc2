#!/usr/bin/env bash
# capture_seeds.sh: refresh the seed corpus (tools/fuzz/corpus) from every
# supported interpreter: run seed_target.py and record what pytop reads from
# it with capture_seed. Run from a configured, built tree:
#   make tools/fuzz/capture_seed && tools/fuzz/capture_seeds.sh [PYTHON...]
# A PYTHON written chroot=ROOT=/usr/bin/python3.14 runs inside ROOT (as the
# live tests' PYTOP_TEST_PYTHONS says it); by default the Debian unstable
# root's interpreters (tests/setup_sid_root.sh) are captured too.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cap=$top/tools/fuzz/capture_seed
[ -x "$cap" ] || { echo "capture_seeds.sh: build it first: make tools/fuzz/capture_seed" >&2; exit 1; }
pythons=("$@")
if [ ${#pythons[@]} -eq 0 ]; then
	pythons=($(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3 2>/dev/null | sort -V) /usr/bin/python3.11)
	sid=${PYTOP_SID_ROOT:-/var/cache/pytop-sid}
	for p in $(cd "$top" && python3 -c 'import sys; sys.path.insert(0, "tests/live"); import pythons
print(" ".join(pythons.SID_PYTHONS))'); do
		[ -x "$sid/usr/bin/$p" ] && pythons+=("chroot=$sid=/usr/bin/$p")
	done
fi
# The registry's versions (tools/gen_layout.py writes it).
supported=" $(grep -v '^#' "$top/src/cpython/versions.txt") "
for py in "${pythons[@]}"; do
	run=("$py"); script=$top/tools/fuzz/seed_target.py; tag=
	case $py in chroot=*=*)
		root=${py#chroot=}; root=${root%%=*}; inner=${py#chroot=*=}
		cp "$script" "$root/tmp/pytop_seed_target.py"
		script=/tmp/pytop_seed_target.py
		# chroot in a private mount namespace holding ROOT/proc; every
		# step execs, so the coprocess's pid is the interpreter's.
		run=(unshare --mount --propagation private -- sh -c \
			'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$inner")
		py=$root$inner; tag=-sid ;;
	esac
	[ -x "$py" ] || continue
	ver=$("${run[@]}" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
	case $supported in *" ${ver%.*} "*) ;; *) echo "$py: $ver not supported, skipped"; continue ;; esac
	case $py in *d) tag=$tag-dbg ;; esac
	[ "$py" = /usr/bin/python3.11 ] && tag=-debian
	tag=$ver$tag
	coproc T { exec "${run[@]}" "$script"; }
	read -r line <&"${T[0]}"
	[ "$line" = ready ] || { echo "$py: target did not start" >&2; kill "$T_PID"; continue; }
	"$cap" "$T_PID" "$top/tools/fuzz/corpus/seed-$tag" || echo "$py: capture failed" >&2
	kill "$T_PID"; wait "$T_PID" 2>/dev/null || true
done
# Each -bg seed is its seed again with holes read as 0x41 (FUZZ_F_BACKGROUND
# with the micro byte 'A': tools/fuzz/fuzz_input.h), remade from the new one.
for bg in "$top"/tools/fuzz/corpus/seed-*-bg; do
	[ -f "${bg%-bg}" ] || continue
	python3 - "${bg%-bg}" "$bg" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[1] = 0x41       # micro: the background byte
d[2] |= 0x08      # flags: FUZZ_F_BACKGROUND
open(sys.argv[2], "wb").write(d)
PY
done
