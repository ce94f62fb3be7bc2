#!/usr/bin/env bash
# The live suites that measure figures (tests/live, tests/acceptance; see
# the list below) once more, on one
# interpreter, while two busy-loop processes keep both cores busy: pytop's
# numbers must hold on a loaded machine too (issue 8). Run from a built tree.
#
#   tests/run_loaded.sh [PYTHON]
#
# PYTHON defaults to the newest pyenv 3.13, else /usr/bin/python3.11. The
# hogs run under `timeout` (PYTOP_LOADED_LIMIT seconds, default 1800) and
# are killed when the suites end, however they end. The last line is
# "N passed, N failed" (TAP test points, from automake's summary); the exit
# status is make check's.
set -u
cd "$(dirname "$0")/.."

py=${1:-}
if [ -z "$py" ]; then
	pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
	py=$(ls -d "$pyenv_root"/versions/3.13.*/bin/python3 2>/dev/null | sort -V | tail -1)
	[ -n "$py" ] || py=/usr/bin/python3.11
fi
limit=${PYTOP_LOADED_LIMIT:-1800}

hogs=()
stop_hogs() {
	for pid in "${hogs[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${hogs[@]}"; do
		wait "$pid" 2>/dev/null
	done
	hogs=()
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT TERM

for _ in 1 2; do
	timeout "$limit" sh -c 'while :; do :; done' &
	hogs+=("$!")
done
echo "run_loaded: two CPU hogs (pids ${hogs[*]}, at most ${limit} s), interpreter $py"

# Only the suites that measure a figure load could skew (times, shares,
# rates, GIL classes, stacks under a busy sampler) run again here. Left to
# the plain suite, whose two shards load the machine anyway (CI time): the
# injection and trace/watch suites (they check what the agent reports and
# leaves behind), and the ones about input, output and limits (hostile and
# fake targets, error messages, formats and their consumers, UTF-8, the
# thread and memory limits, a newer version, the embedded interpreter).
tests=$(ls tests/live/test_*.py tests/acceptance/test_*.py |
	grep -vE '/test_(agent_py|inject|watch|trace|newer_version|hostile|hostile_fake|fake_fill|fake_python|errors|messages|formats|svg|utf8|limits|embed|known_bugs)\.py$' |
	tr '\n' ' ')
log=ci-loaded.log
start=$SECONDS
PYTOP_TEST_PYTHONS="$py" make check TESTS="$tests" TEST_SUITE_LOG=test-suite-loaded.log > "$log" 2>&1
rc=$?
stop_hogs
echo "run_loaded: took $((SECONDS - start)) s"
grep -E '^(FAIL|ERROR|XPASS):' "$log" || true
for f in $(grep -E '^(FAIL|ERROR):' "$log" | sed -E 's/^[A-Z]+: ([^ ]+).*/\1/' | sort -u); do
	l="${f%.*}.log"
	[ -f "$l" ] && { echo "---- $l (loaded)"; grep -E '^not ok' "$l" | head -n 40; }
done
pass=$(sed -n 's/^# PASS: *//p' "$log" | tail -1)
fail=$(sed -n 's/^# FAIL: *//p' "$log" | tail -1)
err=$(sed -n 's/^# ERROR: *//p' "$log" | tail -1)
xpass=$(sed -n 's/^# XPASS: *//p' "$log" | tail -1)
skip=$(sed -n 's/^# SKIP: *//p' "$log" | tail -1)
echo "run_loaded: ${skip:-0} skipped"
echo "${pass:-0} passed, $(( ${fail:-0} + ${err:-0} + ${xpass:-0} )) failed"
exit $rc
