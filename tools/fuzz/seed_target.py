"""A small CPython target for capture_seeds.sh: the main thread and two
named threads (one with a non-ASCII name) wait inside nested calls, a
method (one whose self is a cell), a class method, a generator and a closure,
so the captured memory has frames, code objects, str of every kind, dicts and
line tables."""
import sys
import threading

started = threading.Barrier(3)
done = threading.Event()


class Worker:
    def run(self, depth):
        if depth:
            return self.run(depth - 1)
        return self.hold()

    def hold(self):
        # self is a cell variable here (the lambda captures it).
        get = lambda: self  # noqa: E731
        return get().park()

    @classmethod
    def park(cls):
        return next(waiting())


def waiting():
    started.wait()
    done.wait()
    yield 1


def outer():
    def inner_closé():
        return Worker().run(3)
    return inner_closé()


def main():
    threading.Thread(target=outer, name="worker-1", daemon=True).start()
    threading.Thread(target=lambda: Worker().run(1), name="r\u00e9seau-\u03b1\U0001f40d", daemon=True).start()
    started.wait()
    print("ready", flush=True)
    sys.stdin.readline()


if __name__ == "__main__":
    main()
