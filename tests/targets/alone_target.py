"""A target for tests/live/test_gil.py: a program with no thread but the
main one, in turn 50 ms spinning in pure Python and 50 ms in time.sleep.

It imports nothing that starts a thread or initialises threads (no
threading, no ctypes, no compat.py): CPython 3.6 then never creates its GIL
(PyEval_InitThreads), and only _PyThreadState_Current says the thread runs
Python. Once running it prints one JSON line on stdout, {"pid": PID,
"roles": {"main": TID}} (the main thread's TID is the PID), and runs until
killed. Standard library only, every supported version.
"""

import json
import os
import sys
import time


def main():
    sys.stdout.write(json.dumps({"pid": os.getpid(), "roles": {"main": os.getpid()}}) + "\n")
    sys.stdout.flush()
    while True:
        end = time.time() + 0.05
        while time.time() < end:
            pass
        time.sleep(0.05)


if __name__ == "__main__":
    main()
