"""A target whose code objects die and are replaced, one after another.

For k in 0..N-1 it compiles a module defining f_k (file "<gen-k>"), runs f_k,
which spins for 20 ms, then drops the code: the next code object usually
lands at an address a dead one had. A profiler that caches functions by code
object address without re-checking them attributes f_k's time to an older
name. Usage: regen_target.py [N]
"""
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100
for k in range(N):
    src = ("def f_%d():\n"
           "    t = __import__('time').perf_counter() + 0.02\n"
           "    while __import__('time').perf_counter() < t:\n"
           "        pass\n"
           "f_%d()\n") % (k, k)
    code = compile(src, "<gen-%d>" % k, "exec")
    exec(code, {})
    del code
