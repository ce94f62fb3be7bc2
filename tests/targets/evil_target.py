"""A target whose names attack the terminal (tests/live/test_hostile.py).

One thread named EVIL_THREAD burns CPU in a function whose name is
EVIL_FUNC, compiled from a file named EVIL_FILE: ESC, BEL, CSI and OSC
sequences, newlines, a C1 control and invalid UTF-8 (a lone surrogate
escape would not survive Python's own encoders, so the invalid byte is in
the process title only). Prints "ready" once the thread runs; exits when
stdin closes.
"""
try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import sys
import threading

EVIL_THREAD = "\x1b]0;pwned\x07\nthread\x1b[2J\r\x85"
EVIL_FILE = "evil\nname\x1b[2J\x07.py"
EVIL_FUNC = "evil\x1b[31mfunc\x07\n\x7f"

SRC = "def spin(started):\n    started.set()\n    while True:\n        pass\n"


def main():
    ns = {}
    exec(compile(SRC, EVIL_FILE, "exec"), ns)
    spin = ns["spin"]
    c = spin.__code__
    if hasattr(c, "replace"):
        code = c.replace(co_name=EVIL_FUNC)
    else:   # 3.6/3.7: no CodeType.replace
        import types
        code = types.CodeType(c.co_argcount, c.co_kwonlyargcount, c.co_nlocals, c.co_stacksize,
                              c.co_flags, c.co_code, c.co_consts, c.co_names, c.co_varnames,
                              c.co_filename, EVIL_FUNC, c.co_firstlineno, c.co_lnotab,
                              c.co_freevars, c.co_cellvars)
    if hasattr(code, "co_qualname"):
        code = code.replace(co_qualname=EVIL_FUNC)
    spin.__code__ = code
    started = threading.Event()
    threading.Thread(target=spin, args=(started,), name=EVIL_THREAD, daemon=True).start()
    started.wait()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.read()


if __name__ == "__main__":
    main()
