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

# pytop --batch: accuracy, formats, lifecycle, rates (test_batch.py, with the
# CPU-burning target burn_target.py).
TESTS += tests/live/test_batch.py
EXTRA_DIST += \
	tests/live/test_batch.py \
	tests/targets/burn_target.py
# GIL states and gilstat (sampled and exact) on every interpreter.
TESTS += tests/live/test_gil.py
EXTRA_DIST += tests/live/test_gil.py tests/targets/gil_target.py
# The function cache when code objects die and are replaced.
TESTS += tests/live/test_codecache.py
EXTRA_DIST += tests/live/test_codecache.py tests/targets/regen_target.py
