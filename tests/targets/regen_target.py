"""A target whose code objects die and are replaced, one after another.

For k in 0..N-1 it compiles a module defining f_k (file "<gen-k>"), runs f_k,
which spins for 20 ms of its thread's CPU time (not wall time: on a busy
machine every f_k still gets the same work), then drops the code: the next code object usually
lands at an address a dead one had. A profiler that caches functions by code
object address without re-checking them attributes f_k's time to an older
name. Usage: regen_target.py [N]
"""
try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
for k in range(N):
    # clock_gettime(CLOCK_THREAD_CPUTIME_ID): time.thread_time is 3.7+;
    # called directly, so f_k's own frame is the one that runs.
    src = ("def f_%d():\n"
           "    c = __import__('time')\n"
           "    t = c.clock_gettime(c.CLOCK_THREAD_CPUTIME_ID) + 0.02\n"
           "    while c.clock_gettime(c.CLOCK_THREAD_CPUTIME_ID) < t:\n"
           "        pass\n"
           "f_%d()\n") % (k, k)
    code = compile(src, "<gen-%d>" % k, "exec")
    exec(code, {})
    del code
