"""Target program for the live stack-consistency tests (tests/live/test_stacks.py).

Runs under CPython 3.8 to 3.13 (no syntax newer than 3.8).

    python3 recursive_target.py READY MODE [DEPTH]

MODE:
  churn   py-spy's recursive.py: from <module>, `while True: recurse(DEPTH)`
          where recurse(x) returns at 0 and otherwise calls recurse(x - 1).
          The stack grows and shrinks all the time, and on 3.8-3.10 the same
          frame addresses are reused at every depth, so a reader that is not
          careful records stacks that never existed.
  deep    <module> -> deep(DEPTH) ... -> deep(1) -> spin: `while True: pass`
          at the bottom of a Python recursion DEPTH deep.
  deepc   the same recursion, but every level goes through C code:
          deepc(x) calls sorted([x], key=deepc_key) and deepc_key calls
          deepc(x - 1), so the chain alternates Python and C frames.
  gens    generators resumed from C all the time: from <module>,
          `while True: sum(top(DEPTH))` where top yields from mid and mid
          from leaf; every value unwinds the chain to sum and rebuilds it
          (a generator that yielded has no caller until it is resumed).
  init    objects made all the time: from <module>, `while True: make(DEPTH)`
          where make(n) calls Obj(n) and Obj.__init__ loops n times. 3.13+
          runs a Python __init__ called this way (CALL_ALLOC_AND_ENTER_INIT)
          under a frame that never starts (_Py_InitCleanup's).

Once the stack is in place the program writes READY (its pid) and never
returns; the test kills it.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import os
import sys

sys.setrecursionlimit(100000)

READY = sys.argv[1]
MODE = sys.argv[2]
DEPTH = int(sys.argv[3]) if len(sys.argv) > 3 else 20


def ready():
    tmp = READY + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, READY)


def recurse(x):
    if x == 0:
        return
    recurse(x - 1)


def spin():
    ready()
    while True:
        pass


def deep(x):
    if x == 0:
        spin()
    deep(x - 1)


def deepc_key(x):
    deepc(x - 1)
    return x


def deepc(x):
    if x == 0:
        spin()
    sorted([x], key=deepc_key)


def leaf(n):
    for i in range(n):
        yield i


def mid(n):
    yield from leaf(n)
    yield from leaf(n)


def top(n):
    yield from mid(n)


class Obj:
    def __init__(self, n):
        for _ in range(n):
            pass


def make(n):
    Obj(n)


if MODE == "churn":
    ready()
    while True:
        recurse(DEPTH)
elif MODE == "gens":
    ready()
    while True:
        sum(top(DEPTH))
elif MODE == "init":
    ready()
    while True:
        make(DEPTH)
elif MODE == "deep":
    deep(DEPTH)
elif MODE == "deepc":
    deepc(DEPTH)
else:
    sys.exit("unknown mode " + MODE)
