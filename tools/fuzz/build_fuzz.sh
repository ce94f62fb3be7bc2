#!/usr/bin/env bash
# build_fuzz.sh: build the walker fuzzer with clang from the source tree (no
# configure needed). Usage: build_fuzz.sh OUTDIR [fuzz|cov|perf]
#   fuzz: -fsanitize=fuzzer,address,undefined  -> OUTDIR/fuzz_walkers
#   cov:  -fsanitize=fuzzer + source coverage   -> OUTDIR/fuzz_walkers_cov
#   perf: -fsanitize=fuzzer, no sanitizers      -> OUTDIR/fuzz_walkers_perf
#         (to profile the harness with perf)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: build_fuzz.sh OUTDIR [fuzz|cov|perf]}
mode=${2:-fuzz}
CLANG=${CLANG:-clang}
mkdir -p "$out"
# The walkers, attach, --dump, and the real memory reader (instrumented for
# coverage); /proc, ELF and process_vm_readv come from fake_target.c, which
# like the rest of the harness is left out of the coverage counters.
# Every CPython-layer source (the generated layouts and schemas included, so
# a new version needs no edit here) and the modules --dump uses.
srcs=(
	$(cd "$top" && ls src/cpython/*.c)
	src/process/memory.c src/process/nspid.c src/process/pause.c src/process/tasks.c src/process/switchpage.c
	src/errors.c src/dump.c src/output/stackdump.c src/output/jsonw.c src/output/escape.c src/util/smallfile.c src/util/fdlimit.c
	src/sampling/mixed.c
)
harness=(tools/fuzz/fake_target.c tools/fuzz/drive.c tools/fuzz/fuzz_walkers.c tools/fuzz/big_alloc.c
	tools/fuzz/mutator.c tools/fuzz/native_stub.c)
# Retry budgets lowered: a retry runs the same code again, and 64 x 16
# whole-list passes x 8 walks per thread of a corrupt 4096-deep stack
# would spend the fuzzer's time repeating itself.
common=(-std=gnu11 -D_GNU_SOURCE -I"$top/src" -I"$top" -g -O1 -fno-omit-frame-pointer
	-DRETRIES=3 -DLIST_PASSES=2 -DWALK_TRIES=2
	-Wall -Wextra -Werror -Wno-unused-parameter)
case $mode in
fuzz)
	san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
	cov=(-fsanitize=fuzzer-no-link)
	link=(-fsanitize=fuzzer,address,undefined)
	bin=$out/fuzz_walkers ;;
perf)
	san=()
	cov=(-fsanitize=fuzzer-no-link)
	link=(-fsanitize=fuzzer)
	bin=$out/fuzz_walkers_perf ;;
cov)
	san=()
	cov=(-fprofile-instr-generate -fcoverage-mapping)
	link=(-fsanitize=fuzzer -fprofile-instr-generate)
	bin=$out/fuzz_walkers_cov ;;
*) echo "build_fuzz.sh: unknown mode $mode" >&2; exit 2 ;;
esac
obj=$out/obj-$mode
rm -rf "$obj"
mkdir -p "$obj"
objs=()
for f in "${srcs[@]}" "${harness[@]}"; do
	o=$obj/$(echo "$f" | tr / _).o
	extra=()
	case $f in tools/*) ;; *) extra=("${cov[@]}") ;; esac
	"$CLANG" "${common[@]}" "${san[@]}" "${extra[@]}" -c "$top/$f" -o "$o" &
	objs+=("$o")
	# Two compilers at a time.
	[ $(jobs -r | wc -l) -ge 2 ] && wait -n
done
wait
for o in "${objs[@]}"; do [ -f "$o" ] || { echo "build_fuzz.sh: compile failed" >&2; exit 1; }; done
"$CLANG" "${link[@]}" "${objs[@]}" -Wl,--wrap=xmalloc,--wrap=xcalloc,--wrap=free -o "$bin"
echo "$bin"
