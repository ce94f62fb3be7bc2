"""Acceptance target: a deep recursion, held at its bottom (see acc_truth.py).

    acc_deep.py TRUTH python DEPTH   DEPTH Python frames of plain recursion
    acc_deep.py TRUTH cthrough DEPTH DEPTH Python frames, each one reached
                                     through C code (map() calls the next)

The main thread recurses to DEPTH (<module> -> main -> descend x DEPTH),
burns CPU at the bottom for HOLD_S (most of the time is spent there, with
the whole stack in place), returns to main and goes down again, forever.
A second thread, "deep-worker", does the same in a thread (its stack is
rooted at the thread bootstrap). The truth says "depth" (DEPTH, or less where the interpreter cannot
go that deep: 3.12 stops calls through C at about 1500 levels; then
"asked_depth" is DEPTH), "mode", the
descend function's first line and the tids of both recursing threads.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import sys
import threading
import time

sys.dont_write_bytecode = True
import acc_truth  # noqa: E402

HOLD_S = 0.2
MODE = sys.argv[2]
ASKED = int(sys.argv[3])
DEPTH = ASKED
PROBE = False


def bottom():
    if PROBE:
        return 0
    end = time.perf_counter() + HOLD_S
    x = 0
    while time.perf_counter() < end:
        x += 1
    return x


def descend(n):
    if n <= 1:
        return bottom()
    if MODE == "cthrough":
        return sum(map(descend, (n - 1,)))
    return descend(n - 1)


def recurse_forever(truth, role):
    truth.register(role=role)
    while True:
        descend(DEPTH)
        truth.update()


def reachable(depth):
    try:
        descend(depth)
        return True
    except RecursionError:
        return False


def probe_depth():
    """The deepest DEPTH <= ASKED this interpreter allows (3.12 limits calls
    through C code to about 1500 levels whatever the recursion limit)."""
    global PROBE, DEPTH
    PROBE = True
    if not reachable(ASKED):
        lo, hi = 1, ASKED
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if reachable(mid):
                lo = mid
            else:
                hi = mid
        DEPTH = max(1, lo - 50)      # a margin for the frames above descend
    PROBE = False


def main():
    # Room for DEPTH Python frames (plus the C levels in cthrough mode).
    sys.setrecursionlimit(max(1000, 2 * ASKED + 200))
    probe_depth()
    truth = acc_truth.Truth(sys.argv[1])
    truth.extra.update(depth=DEPTH, asked_depth=ASKED, mode=MODE,
                       descend_line=descend.__code__.co_firstlineno)
    threading.stack_size(64 << 20)
    threading.Thread(target=recurse_forever, args=(truth, "worker"),
                     name="deep-worker", daemon=True).start()
    truth.register(role="main")
    while len(truth.threads) < 2:
        time.sleep(0.01)
    truth.write()
    recurse_forever(truth, "main")


if __name__ == "__main__":
    main()
