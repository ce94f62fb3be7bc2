"""A Python process that maps a file whose path makes its /proc/PID/maps
line longer than 1024 bytes, built so that a reader cutting the line at
1024 bytes parses the rest as a mapping of "DIR/fifo/libpython3.12.so",
a FIFO (issue 9; found by an outside audit). pytop must read the whole
line, and never open a FIFO or device the target names.

    python3 maps_split_target.py DIR
Prints "ready" once mapped, then sleeps until stdin closes.
"""
try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import mmap
import os
import sys

root = sys.argv[1]
fifo_dir = os.path.join(root, "fifo")
os.makedirs(fifo_dir, exist_ok=True)
fifo = os.path.join(fifo_dir, "libpython3.12.so")
if not os.path.exists(fifo):
    os.mkfifo(fifo)
fake = "1000-2000 r-xp 0 0 0 "   # a directory name that reads as a mapping
PREFIX = 73                      # the maps columns before the path
need = 1023 - PREFIX             # the first 1023 bytes end with the filler
head = os.path.join(root, "f") + "/"
comps, left = [], need - len(head)
while left > 0:
    k = min(200, left - 1)
    comps.append("a" * k)
    left -= k + 1
filler = head + "/".join(comps) + "/"
assert len(filler) == need, (len(filler), need)
d = filler + fake + fifo_dir
os.makedirs(d, exist_ok=True)
path = d + "/libpython3.12.so"
with open(path, "wb") as fh:
    fh.write(b"\0" * 4096)
fd = os.open(path, os.O_RDONLY)
m = mmap.mmap(fd, 4096, prot=mmap.PROT_READ)
with open("/proc/self/maps") as maps:
    for line in maps:
        if line.rstrip("\n").endswith(path):
            if line.index("/") != PREFIX:
                print("prefix %d, not %d" % (line.index("/"), PREFIX), flush=True)
                sys.exit(1)
print("ready", flush=True)
sys.stdin.read()
