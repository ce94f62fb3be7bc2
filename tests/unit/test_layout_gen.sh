#!/bin/sh
# test_layout_gen: the committed layout tables equal what tools/gen_layout.py
# generates from the installed CPython headers (TAP). A version whose headers
# are missing is a loud SKIP.
src=${PYTOP_SRCDIR:-$(dirname "$0")/../..}
out=$(python3 "$src/tools/gen_layout.py" --check --srcdir "$src" 2>&1)
status=$?
n=0
echo "$out" | grep -E '^(OK|SKIP|DIFF)' > /dev/null || { echo "1..1"; echo "not ok 1 - gen_layout.py ran"; echo "$out" | sed 's/^/# /'; exit 0; }
echo "$out" | while IFS= read -r line; do
	case "$line" in
	OK*) n=$((n + 1)); echo "ok $n - ${line#OK }" ;;
	SKIP*) n=$((n + 1)); echo "ok $n - # SKIP ${line#SKIP }" ;;
	DIFF*) n=$((n + 1)); echo "not ok $n - ${line#DIFF } differs from the generator's output" ;;
	*) echo "# $line" ;;
	esac
done
count=$(echo "$out" | grep -cE '^(OK|SKIP|DIFF)')
# The generator fails on a DIFF (a point above says so); failing otherwise
# is one more point.
if [ "$status" -ne 0 ] && ! echo "$out" | grep -qE '^DIFF'; then
	count=$((count + 1))
	echo "not ok $count - gen_layout.py --check exited with status $status"
fi
echo "1..$count"
# 0 once the plan is out: each failure is reported once, by its own point
# (as tests/unit/tap.h).
exit 0
