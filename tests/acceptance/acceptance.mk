# Acceptance suite (issue 8): realistic targets that report their own ground
# truth (tests/targets/acc_*.py), checked with pytop --batch, --dump and the
# live view (TAP scripts run with $(PYTHON3); see each script's docstring).
# Interpreters: 3.8, Debian's static 3.11 and 3.13 unless PYTOP_TEST_PYTHONS
# says otherwise; the live-view soak runs PYTOP_SOAK_SECONDS (default 60).
ACCEPTANCE_TESTS = \
	tests/acceptance/test_http.py \
	tests/acceptance/test_churn.py \
	tests/acceptance/test_deadlock.py \
	tests/acceptance/test_gilsleep.py \
	tests/acceptance/test_pool.py \
	tests/acceptance/test_gilstat.py \
	tests/acceptance/test_deep.py \
	tests/acceptance/test_recursive.py \
	tests/acceptance/test_soak.py \
	tests/acceptance/test_known_bugs.py
TESTS += $(ACCEPTANCE_TESTS)
EXTRA_DIST += \
	$(ACCEPTANCE_TESTS) \
	tests/acceptance/acceptance.py \
	tests/acceptance/README \
	tests/run_loaded.sh \
	tests/targets/acc_truth.py \
	tests/targets/acc_http.py \
	tests/targets/acc_churn.py \
	tests/targets/acc_deadlock.py \
	tests/targets/acc_gilsleep.py \
	tests/targets/acc_pool.py \
	tests/targets/acc_takes.py \
	tests/targets/acc_deep.py \
	tests/targets/acc_recursive.py
