#!/usr/bin/env bash
# coverage.sh: source coverage of src/cpython (and the other walker sources)
# reached by a corpus. Builds build_fuzz.sh's cov binary, runs every input
# once, prints llvm-cov's per-file report.
#   coverage.sh OUTDIR CORPUS_DIR...
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: coverage.sh OUTDIR CORPUS_DIR...}
shift
PROFDATA=${LLVM_PROFDATA:-$(command -v llvm-profdata-14 || command -v llvm-profdata)}
COV=${LLVM_COV:-$(command -v llvm-cov-14 || command -v llvm-cov)}
bin=$("$top/tools/fuzz/build_fuzz.sh" "$out" cov | tail -1)
rm -f "$out"/cov-*.profraw
LLVM_PROFILE_FILE="$out/cov-%p.profraw" "$bin" -runs=0 "$@" > "$out/cov-run.log" 2>&1 || true
grep -E 'INITED|DONE' "$out/cov-run.log" || true
"$PROFDATA" merge -sparse "$out"/cov-*.profraw -o "$out/cov.profdata"
"$COV" report "$bin" -instr-profile="$out/cov.profdata" "$top"/src/cpython/*.c "$top"/src/process/memory.c \
	"$top"/src/dump.c
