# The live view driven inside tmux against real interpreters (TAP, run with
# $(PYTHON3); see the docstring of test_tui.py).
TESTS += tests/tui/test_tui.py tests/tui/test_tui_server.py tests/tui/test_tui_trace.py tests/tui/test_tui_native.py
EXTRA_DIST += \
	tests/tui/test_tui.py \
	tests/tui/test_tui_server.py \
	tests/tui/test_tui_trace.py \
	tests/tui/test_tui_native.py \
	tests/targets/tui_target.py \
	tests/targets/http_server.py \
	tests/targets/churn_target.py
