#!/bin/sh
# test_layout_gen: the committed layout tables equal what tools/gen_layout.py
# generates from the installed CPython headers (TAP). A version whose headers
# are missing is a loud SKIP.
src=${PYTOP_SRCDIR:-$(dirname "$0")/../..}
out=$(python3 "$src/tools/gen_layout.py" --check --srcdir "$src" 2>&1)
status=$?
n=0
echo "$out" | grep -E '^(OK|SKIP|DIFF)' > /dev/null || { echo "1..1"; echo "not ok 1 - gen_layout.py ran"; echo "$out" | sed 's/^/# /'; exit 1; }
echo "$out" | while IFS= read -r line; do
	case "$line" in
	OK*) n=$((n + 1)); echo "ok $n - ${line#OK }" ;;
	SKIP*) n=$((n + 1)); echo "ok $n - # SKIP ${line#SKIP }" ;;
	DIFF*) n=$((n + 1)); echo "not ok $n - ${line#DIFF } differs from the generator's output" ;;
	*) echo "# $line" ;;
	esac
done
count=$(echo "$out" | grep -cE '^(OK|SKIP|DIFF)')
echo "1..$count"
exit $status
