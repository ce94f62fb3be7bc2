try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
"""Acceptance target: py-spy's recursive.py pattern (tests/scripts/recursive.py
there): the main thread recurses 20 deep and returns, forever, so the stack
changes all the time under the reader. It prints "ready" once it is
past its imports. Every true stack is <module> ->
recurse x 1..21; each recurse frame but the innermost is at the recursive
call's line (RECURSE_CALL below). No truth file: the shape is the truth.
"""


def recurse(x):
    if x == 0:
        return
    recurse(x - 1)  # RECURSE_CALL


import sys  # noqa: E402
# Ready: past the imports (a dump before this could show importlib frames).
sys.stdout.write("ready\n")
sys.stdout.flush()
while True:
    recurse(20)
