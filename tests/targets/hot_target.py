"""Target whose main thread calls hot(i) in a tight loop (a flood of
calls for a watch: the agent's queue overflows and it drops calls).

    hot_target.py WORKDIR

Writes WORKDIR/ready (its pid) once looping; exits when WORKDIR/stop exists
(or after 120 s). Runs on 3.6+.
"""
import os
import sys
import time

WORK = sys.argv[1]


def hot(i):
    return i + 1


def main():
    with open(os.path.join(WORK, "ready.tmp"), "w") as f:
        f.write(str(os.getpid()))
    os.rename(os.path.join(WORK, "ready.tmp"), os.path.join(WORK, "ready"))
    stop = os.path.join(WORK, "stop")
    end = time.time() + 120
    i = 0
    while time.time() < end:
        for _ in range(1000):
            i = hot(i)
        if os.path.exists(stop):
            break


main()
