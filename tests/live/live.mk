# Live tests: pytop against real CPython processes (TAP scripts run with
# $(PYTHON3); see the docstrings at the top of each script).
TESTS += \
	tests/live/test_dump.py \
	tests/live/test_errors.py
EXTRA_DIST += \
	tests/live/pythons.py \
	tests/live/test_dump.py \
	tests/live/test_errors.py \
	tests/targets/dump_target.py
