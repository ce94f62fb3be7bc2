"""A target that covers the directory of its own interpreter, in its own
mount namespace (run it under `unshare -m --propagation private`), with a
FUSE mount nobody serves: every lookup of a path under it waits for the
server's INIT, forever (issue 9; found by an outside audit). The running
interpreter stays mapped. pytop must not hang reading it.

Prints "covered DIR" once mounted, then burns CPU until stdin closes.
"""
import ctypes
import os
import sys
import threading

libc = ctypes.CDLL(None, use_errno=True)
d = os.path.dirname(os.path.realpath(sys.executable))
fd = os.open("/dev/fuse", os.O_RDWR)
opts = ("fd=%d,rootmode=40000,user_id=0,group_id=0" % fd).encode()
if libc.mount(b"pytop-test", d.encode(), b"fuse", 0, opts) != 0:
    print("mount failed: errno %d" % ctypes.get_errno(), flush=True)
    sys.exit(1)
print("covered", d, flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
while not done.is_set():
    sum(range(10000))
