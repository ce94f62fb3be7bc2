#!/usr/bin/env bash
# capture_seeds.sh: refresh the seed corpus (tools/fuzz/corpus) from every
# supported interpreter: run seed_target.py and record what pytop reads from
# it with capture_seed. Run from a configured, built tree:
#   make tools/fuzz/capture_seed && tools/fuzz/capture_seeds.sh [PYTHON...]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cap=$top/tools/fuzz/capture_seed
[ -x "$cap" ] || { echo "capture_seeds.sh: build it first: make tools/fuzz/capture_seed" >&2; exit 1; }
pythons=("$@")
if [ ${#pythons[@]} -eq 0 ]; then
	pythons=($(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3 2>/dev/null | sort -V) /usr/bin/python3.11)
fi
for py in "${pythons[@]}"; do
	[ -x "$py" ] || continue
	ver=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
	case $ver in 3.[89].*|3.1[0-3].*) ;; *) echo "$py: $ver not supported, skipped"; continue ;; esac
	tag=$ver; [ "$py" = /usr/bin/python3.11 ] && tag=$ver-debian
	coproc T { exec "$py" "$top/tools/fuzz/seed_target.py"; }
	read -r line <&"${T[0]}"
	[ "$line" = ready ] || { echo "$py: target did not start" >&2; kill "$T_PID"; continue; }
	"$cap" "$T_PID" "$top/tools/fuzz/corpus/seed-$tag" || echo "$py: capture failed" >&2
	kill "$T_PID"; wait "$T_PID" 2>/dev/null || true
done
