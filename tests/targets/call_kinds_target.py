"""Target for tests/live/test_call_sites.py: every way a Python frame calls
another Python frame, in the same eval call (inline) and through C, over
and over, so that a sample lands on every kind of caller position.

    python3 call_kinds_target.py READY

Two threads run the same loop of call kinds; the second under
sys.settrace (3.12+: instrumented lines and calls). Kinds: a plain call,
keyword arguments, *args/**kwargs, a bound method, a class instantiation
(__init__), super(), a property, __getattribute__, __getitem__, a generator
in a for loop, yield from, await, a comprehension, a closure, a lambda key
of sorted (through C), __eq__ and __add__ (through C slots), a with block,
__iter__, a __del__, and a recursion. Runs under CPython 3.8 and later;
writes READY (its pid) once both threads run and never returns.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import os
import sys
import threading

READY = sys.argv[1]


def work(n=3):
    t = 0
    for i in range(n):
        t += i
    return t


def kw(a, b=1, *, c=2):
    return work() + a + b + c


def star(*args, **kwargs):
    return work() + len(args) + len(kwargs)


class Base:
    def __init__(self, x):
        self.x = x + work()

    def method(self):
        return work()

    def __eq__(self, other):
        return work() == 0

    __hash__ = object.__hash__

    def __add__(self, other):
        return work()

    def __enter__(self):
        work()
        return self

    def __exit__(self, *exc):
        work()
        return False

    def __iter__(self):
        work()
        return iter((1, 2))

    def __getitem__(self, i):
        return work() + i

    @property
    def prop(self):
        return work()


class Derived(Base):
    def method(self):
        return super().method() + work()


class Attr:
    def __getattribute__(self, name):
        return work()


class Dies:
    def __del__(self):
        work()


def gen(n):
    for i in range(n):
        work()
        yield i


def outer_gen(n):
    yield from gen(n)


async def coro_inner():
    return work()


async def coro_outer():
    return await coro_inner()


def run_coro():
    c = coro_outer()
    try:
        c.send(None)
    except StopIteration as stop:
        return stop.value


def closure():
    k = work()

    def inner():
        return k + work()
    return inner()


def recurse(n):
    if n == 0:
        return work()
    return recurse(n - 1)


def once():
    b = Derived(1)
    a = Attr()
    total = work() + kw(1, b=2, c=3) + star(*(1, 2), **{"z": 1})
    total += b.method() + b.prop + b[1] + a.anything
    total += sum(gen(3)) + sum(outer_gen(3)) + run_coro()
    total += sum([work() for _ in range(2)])
    total += closure() + recurse(5)
    total += len(sorted([3, 1, 2], key=lambda v: v + work()))
    total += (b == Base(2)) + (b + b)
    with b:
        work()
    for v in b:
        total += v
    Dies()
    return total


started = []
lock = threading.Lock()


def tracer(frame, event, arg):
    return tracer


def loop(traced):
    if traced:
        sys.settrace(tracer)
    with lock:
        started.append(traced)
        if len(started) == 2:
            tmp = READY + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % os.getpid())
            os.rename(tmp, READY)
    while True:
        once()


threading.Thread(target=loop, args=(True,), daemon=True).start()
loop(False)
