#!/usr/bin/env bash
# run_fuzz.sh: the CI fuzz step. Builds the walker fuzzer (build_fuzz.sh),
# replays the seed corpus and every regression input, then fuzzes for
# FUZZ_SECONDS (default 150) from a copy of the corpus. Any crash, sanitizer
# report, leak, timeout or out-of-memory fails the step (exit 1). Without
# clang's libFuzzer the step is skipped with a loud message (exit 77).
#   run_fuzz.sh [BUILDDIR]      (default: fuzz-build in the top directory)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/fuzz-build}
secs=${FUZZ_SECONDS:-150}
CLANG=${CLANG:-clang}

if ! command -v "$CLANG" > /dev/null ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
     "$CLANG" -x c -fsanitize=fuzzer - -o /dev/null 2> /dev/null; then
	echo "************************************************************"
	echo "** fuzz: SKIPPED: no clang with libFuzzer ($CLANG);"
	echo "**       install clang-14 and libclang-rt-14-dev"
	echo "************************************************************"
	exit 77
fi
rm -rf "$out"
mkdir -p "$out/corpus" "$out/artifacts"
echo "== fuzz: building $out/fuzz_walkers"
if ! "$top/tools/fuzz/build_fuzz.sh" "$out" fuzz > "$out/build.log" 2>&1; then
	cat "$out/build.log"
	echo "fuzz: build failed"
	exit 1
fi
bin=$out/fuzz_walkers
# A unit running 25 s is a hang (the slowest real one takes under 1 s; 25,
# not 10, so a stall of a busy CI machine is not taken for one).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
common=(-timeout=25 -rss_limit_mb=2048 -malloc_limit_mb=2048 -artifact_prefix="$out/artifacts/")

status=0
echo "== fuzz: replaying the seed corpus and the regression inputs"
shopt -s nullglob
inputs=("$top"/tools/fuzz/corpus/* "$top"/tools/fuzz/regress/*)
for f in "${inputs[@]}"; do
	if ! "$bin" "${common[@]}" "$f" > "$out/replay.log" 2>&1; then
		echo "fuzz: FAIL on ${f#$top/}:"
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ ' "$out/replay.log" | head -n 25
		status=1
	fi
done
echo "fuzz: ${#inputs[@]} inputs replayed"
# A seed is a real interpreter's memory: its dump must show its threads. One
# that shows none no longer has the bytes the walkers read (they read more
# of something than when it was captured): recapture the seeds.
for f in "$top"/tools/fuzz/corpus/*; do
	PYTOP_FUZZ_SHOW=1 "$bin" "${common[@]}" "$f" > "$out/show.log" 2>&1
	if ! grep -q '^Thread ' "$out/show.log"; then
		echo "fuzz: FAIL: seed ${f#$top/} dumps no thread: recapture the seeds (tools/fuzz/README.md)"
		status=1
	fi
done
[ $status -eq 0 ] || exit 1

echo "== fuzz: fuzzing for $secs s"
cp "$top"/tools/fuzz/corpus/* "$top"/tools/fuzz/regress/* "$out/corpus/"
"$bin" "${common[@]}" -max_total_time="$secs" -print_final_stats=1 "$out/corpus" > "$out/fuzz.log" 2>&1
rc=$?
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$out/fuzz.log"
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$out/fuzz.log"
if [ $rc -ne 0 ]; then
	echo "fuzz: FAIL (exit $rc):"
	grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ |Test unit written' "$out/fuzz.log" | head -n 40
	echo "fuzz: reproduce with: $bin $out/artifacts/<file>; keep the input in tools/fuzz/regress/"
	exit 1
fi
echo "fuzz: clean"
exit 0
