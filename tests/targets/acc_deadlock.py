"""Acceptance target: a deadlock, plus one thread that keeps working.

    acc_deadlock.py TRUTH

"deadlock-a" takes lock_a, "deadlock-b" takes lock_b; each then waits for
the other's lock in take_second() (the line marked DEADLOCK), forever. A
"worker" thread burns CPU in pure Python with short sleeps (so the process
is not idle), and the main thread sleeps. Once the two threads are stuck
(each holds its first lock and has reached the marked line) the truth is
written (acc_truth.py) with "blocked" = the two tids, "acquire_line" = the
marked line's number and "take_second_line" = take_second's first line.
"""

try:
    import compat  # noqa: F401  (3.6/3.7 shims, tests/targets/compat.py)
except ImportError:
    pass
import sys
import threading
import time

sys.dont_write_bytecode = True
import acc_truth  # noqa: E402

lock_a = threading.Lock()
lock_b = threading.Lock()
both_held = threading.Barrier(2)
stuck = []


def take_second(second):
    stuck.append(threading.get_native_id())
    second.acquire()  # DEADLOCK: waits here forever
    second.release()


def deadlocker(truth, first, second):
    truth.register(role="blocked")
    with first:
        both_held.wait()
        take_second(second)


def worker(truth):
    truth.register(role="worker")
    x = 0
    while True:
        for i in range(20000):
            x += i
        truth.update()
        time.sleep(0.005)


def marked_line():
    with open(__file__) as f:
        for number, line in enumerate(f, 1):
            if "# DEADLOCK" in line and "second.acquire()" in line:
                return number
    return -1


def main():
    truth = acc_truth.Truth(sys.argv[1])
    truth.register(role="main")
    threads = [threading.Thread(target=deadlocker, args=(truth, lock_a, lock_b),
                                name="deadlock-a", daemon=True),
               threading.Thread(target=deadlocker, args=(truth, lock_b, lock_a),
                                name="deadlock-b", daemon=True),
               threading.Thread(target=worker, args=(truth,), name="worker", daemon=True)]
    for t in threads:
        t.start()
    while len(stuck) < 2 or len(truth.threads) < 4:
        time.sleep(0.01)
    time.sleep(0.05)     # from the marked line into acquire()
    truth.extra.update(blocked=list(stuck), acquire_line=marked_line(),
                       take_second_line=take_second.__code__.co_firstlineno)
    truth.write()
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
