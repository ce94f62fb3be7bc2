"""Target of tests/live/test_native.py: Python and C frames in one stack.

    native_stack_target.py qsort READY
        calls libc's qsort through ctypes over and over with a Python
        comparison callback (py_compare) from sort_caller.
    native_stack_target.py ext READY DIR [MODULE]
        imports the C extension MODULE (default spinext) built in DIR
        (against this interpreter's headers) and calls its spin() from
        ext_caller: C code spinning in pytop_spin_hot.
    native_stack_target.py tui READY DIR [MODULE]
        the same, and a second thread (named nogil-spin) calling
        spin_nogil() from nogil_caller: C code spinning without the GIL
        in the static pytop_spin_static (then pytop_spin_hot).

    native_stack_target.py vdso READY
        calls time.time() in a tight loop from time_caller: the thread is
        often inside the kernel's vDSO (clock_gettime), whose unwind table
        is only in the target's memory.
    native_stack_target.py hash READY
        hashes an 8 MiB buffer with hashlib.sha256 over and over from
        hash_caller (OpenSSL's code when _hashlib is there; "nohashlib" on
        stderr and exit 3 when it is not).
    native_stack_target.py contend READY
        four threads (the main one and three started, named contend-N)
        spinning in Python code from contend_spin, sharing the GIL: at any
        time one holds it and the others wait for it.

    native_stack_target.py alternate READY DIR
        imports the C extension fooled (test_native's FOOL_C) built in
        DIR and calls its wait(i), i = 0, 1, 2, ..., from alternate_caller
        on a thread of its own: 300 ms asleep in nanosleep through
        fool_path_big (even i) or fool_path_small (odd i), both reaching
        the sleep at one stack pointer, with the same call, from the same
        Python line.

READY is created once the loop runs. Runs until killed (3.6+ syntax).
"""

import ctypes
import sys


def py_compare(a, b):
    x = 0
    for i in range(20):
        x += i
    return a[0] - b[0]


def sort_caller(libc, cmp):
    arr = (ctypes.c_int * 500)(*range(500, 0, -1))
    libc.qsort(arr, len(arr), ctypes.sizeof(ctypes.c_int), cmp)


def run_qsort(ready):
    # The process's own symbols (libc's qsort), not find_library(), which
    # runs ldconfig: under load that alone outlasted a 3 s launched run.
    libc = ctypes.CDLL(None)
    cmp = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))(py_compare)
    sort_caller(libc, cmp)
    open(ready, "w").close()
    while True:
        sort_caller(libc, cmp)


def ext_caller(spinext):
    return spinext.spin(20)


def run_ext(ready, directory, module):
    sys.path.insert(0, directory)
    spinext = __import__(module)
    ext_caller(spinext)
    open(ready, "w").close()
    while True:
        ext_caller(spinext)


def nogil_caller(spinext):
    return spinext.spin_nogil(20)


def run_tui(ready, directory, module):
    import threading
    sys.path.insert(0, directory)
    spinext = __import__(module)

    def nogil_loop():
        while True:
            nogil_caller(spinext)
    threading.Thread(target=nogil_loop, name="nogil-spin", daemon=True).start()
    run_ext(ready, directory, module)


def time_caller(t):
    for _ in range(10000):
        t()


def run_vdso(ready):
    import time
    time_caller(time.time)
    open(ready, "w").close()
    while True:
        time_caller(time.time)


def hash_caller(hashlib, data):
    return hashlib.sha256(data).digest()


def run_hash(ready):
    try:
        import _hashlib  # noqa: F401
    except ImportError:
        sys.stderr.write("nohashlib\n")
        sys.exit(3)
    import hashlib
    data = b"x" * (8 << 20)
    hash_caller(hashlib, data)
    open(ready, "w").close()
    while True:
        hash_caller(hashlib, data)


def contend_spin():
    x = 0
    while True:
        for i in range(1000):
            x += i


def contend_caller():
    contend_spin()


def run_contend(ready):
    import threading
    for i in range(3):
        threading.Thread(target=contend_caller, name="contend-%d" % i, daemon=True).start()
    open(ready, "w").close()
    contend_caller()


def alternate_caller(fooled):
    i = 0
    while True:
        fooled.wait(i)
        i += 1


def run_alternate(ready, directory):
    import threading
    import time
    sys.path.insert(0, directory)
    import fooled
    threading.Thread(target=alternate_caller, args=(fooled,), name="alternate", daemon=True).start()
    open(ready, "w").close()
    while True:
        time.sleep(1)


if __name__ == "__main__":
    if sys.argv[1] == "alternate":
        run_alternate(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "contend":
        run_contend(sys.argv[2])
    elif sys.argv[1] == "hash":
        run_hash(sys.argv[2])
    elif sys.argv[1] == "qsort":
        run_qsort(sys.argv[2])
    elif sys.argv[1] == "vdso":
        run_vdso(sys.argv[2])
    elif sys.argv[1] == "tui":
        run_tui(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "spinext")
    else:
        run_ext(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "spinext")
