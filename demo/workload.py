"""A small busy service to try pytop on: run it, then `pytop -p PID`.

Threads: a request handler that parses and scores records (pure Python,
holds the GIL), a checksummer hashing large buffers (hashlib releases the
GIL), a recursive tree walker, and a poller that mostly sleeps. Runs until
interrupted, or for the number of seconds given as the first argument.
"""
import hashlib
import json
import sys
import threading
import time


def parse_record(i):
    text = json.dumps({"id": i, "name": "user%d" % i, "tags": ["a", "b", "c"] * 3})
    return json.loads(text)


def score(record):
    total = 0
    for tag in record["tags"]:
        for ch in tag * 50:
            total += ord(ch)
    return total


def handle_requests(stop):
    i = 0
    while not stop.is_set():
        score(parse_record(i))
        i += 1


def checksum(stop):
    block = b"x" * (4 << 20)
    while not stop.is_set():
        hashlib.sha256(block).hexdigest()


def walk(depth):
    if depth == 0:
        return sum(range(2000))
    return walk(depth - 1) + 1


def walk_trees(stop):
    while not stop.is_set():
        walk(25)


def poll(stop):
    while not stop.is_set():
        time.sleep(0.05)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else None
    stop = threading.Event()
    workers = [
        threading.Thread(target=handle_requests, args=(stop,), name="handler"),
        threading.Thread(target=checksum, args=(stop,), name="checksummer"),
        threading.Thread(target=walk_trees, args=(stop,), name="walker"),
        threading.Thread(target=poll, args=(stop,), name="poller"),
    ]
    for w in workers:
        w.start()
    try:
        deadline = time.time() + seconds if seconds else None
        while deadline is None or time.time() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    stop.set()
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
