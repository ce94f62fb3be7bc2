#!/usr/bin/env python3
"""Benchmark of pytop's sampling pipeline (not part of `make check`).

    python3 bench/run_bench.py [options] [PYTHON ...]

Runs under the system python3. Interpreters: the PYTHON paths given, else
every interpreter tests/live/pythons.py finds (PYTOP_TEST_PYTHONS works as
for the live tests). pytop: --pytop, else $PYTOP, else <repo>/pytop.

For each interpreter and each thread count T (--threads, default 4,20) it
starts bench/workload.py (T CPU-bound threads, each exactly --depth Python
frames deep, counting its own loop iterations) and measures, at --rate Hz:

  achieved rate    pytop --batch -f json: achieved_rate_hz, samples, dropped,
                   errors
  CPU per sample   pytop's whole-process CPU time (user+sys from wait4(),
                   startup included, nothing subtracted) / samples taken; and
                   the sampler thread's alone (its /proc schedstat run time
                   between two reads in the steady state / the samples taken
                   meanwhile, estimated as achieved rate x T x interval)
  idle baseline    the same pytop run at -r 1 (startup, the front end's 10 ms
                   drain loop, no sampling to speak of): its CPU time
  slowdown         the workload's iterations/s while profiled over unprofiled,
                   alternating runs (U P U P ...), same window length; the
                   ratio of the medians, and every pair. Also per CPU second
                   of the target (its process_time()): that leaves out the
                   competition for CPUs (other load on the machine, pytop's
                   own CPU on a 2-core box) and keeps what pytop does to the
                   target's own execution (caches, mmap lock, page pinning)
  RSS              VmHWM of every pytop run; and one long run (--rss-seconds,
                   default 60, at T = the largest) reading VmRSS/VmHWM along
                   the way to show whether memory stays flat after warm-up

and once per interpreter a --fast-rate (default 10000 Hz) run on a 4-thread
target: achieved rate, samples/s, drops, errors, pytop CPU.

Results: a table per interpreter on stdout (markdown) and everything as JSON
in --json-out (default bench/results.json). The machine (nproc, CPU model,
load average before and after) is printed with them.
"""

import argparse
import json
import os
import platform
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORKLOAD = os.path.join(HERE, "workload.py")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(REPO, "tests", "live"))
import pythons  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- /proc -----------------------------------------------------------------

def schedstat_ns(pid, tid):
    """CPU run time of one task in ns (/proc/PID/task/TID/schedstat), or None."""
    try:
        with open("/proc/%d/task/%d/schedstat" % (pid, tid)) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def tasks(pid):
    try:
        return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
    except OSError:
        return []


def status_kb(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "loadavg": os.getloadavg()}


# --- the workload ------------------------------------------------------------

class Workload:
    def __init__(self, python, threads, depth):
        self.proc = subprocess.Popen(
            [python, WORKLOAD, "--threads", str(threads), "--depth", str(depth)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        self.threads = threads
        line = self._line(30)
        if not line.startswith("ready"):
            self.close()
            raise RuntimeError("workload did not start: %r" % line)
        self.pid = self.proc.pid

    def _line(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return ""
        return self.proc.stdout.readline().decode().strip()

    def counters(self):
        self.proc.send_signal(signal.SIGUSR1)
        line = self._line(10)
        if not line:
            raise RuntimeError("workload did not report")
        return json.loads(line)

    def close(self):
        stop(self.proc)
        self.proc.stdout.close()


def stop(proc):
    """SIGTERM, then SIGKILL after 10 s: a workload ends either way."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def throughput(a, b):
    """(iterations per wall second, iterations per CPU second of the target)."""
    it = b["iterations"] - a["iterations"]
    cpu = b["cpu"] - a["cpu"]
    return it / (b["t"] - a["t"]), (it / cpu if cpu > 0 else None)


# --- pytop -------------------------------------------------------------------

class PytopRun:
    """pytop --batch -f json -p PID, watched from /proc while it runs."""

    def __init__(self, pytop, pid, rate, duration, extra=()):
        self.out = tempfile.NamedTemporaryFile(prefix="pytop-bench-", suffix=".json",
                                               delete=False)
        self.out.close()
        self.argv = [pytop, "-p", str(pid), "--batch", "-f", "json", "-r", str(rate),
                     "-d", str(duration), "-o", self.out.name] + list(extra)
        self.start = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.marks = []     # (time, {tid: run ns}, VmRSS kB, VmHWM kB)
        self.hwm = None

    def alive(self):
        """Whether pytop still runs, without reaping it (wait() takes its
        rusage with wait4(): a child reaped here would make that fail)."""
        try:
            return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
        except ChildProcessError:
            return False

    def mark(self):
        """Read pytop's threads' CPU and memory now."""
        if not self.alive():
            return None
        ns = {}
        for tid in tasks(self.pid):
            v = schedstat_ns(self.pid, tid)
            if v is not None:
                ns[tid] = v
        m = (time.monotonic(), ns, status_kb(self.pid, "VmRSS"),
             status_kb(self.pid, "VmHWM"))
        if m[3] is not None:
            self.hwm = m[3]
        self.marks.append(m)
        return m

    def wait(self, timeout):
        """Wait for the end; wait4() gives its CPU time to the microsecond."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                break
            if time.monotonic() > deadline:
                self.proc.kill()
                pid, status, ru = os.wait4(self.pid, 0)
                break
            self.mark()
            time.sleep(0.05)
        self.proc.returncode = os.waitstatus_to_exitcode(status) \
            if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        self.cpu_s = ru.ru_utime + ru.ru_stime
        self.user_s, self.sys_s = ru.ru_utime, ru.ru_stime
        self.stderr = self.proc.stderr.read().decode("utf-8", "replace")
        self.proc.stderr.close()
        try:
            with open(self.out.name) as f:
                self.snap = json.load(f)
        except (OSError, ValueError) as exc:
            raise RuntimeError("pytop %s: no snapshot (%s); exit %s; %s" % (
                " ".join(self.argv), exc, self.proc.returncode, self.stderr.strip()))
        finally:
            os.unlink(self.out.name)
        return self.snap

    def sampler_cpu(self, t_from, t_to):
        """(seconds of CPU of pytop's busiest non-main thread between the
        first mark after t_from and the last before t_to, interval s)."""
        marks = [m for m in self.marks if t_from <= m[0] - self.start <= t_to]
        if len(marks) < 2:
            return None, None
        first, last = marks[0], marks[-1]
        best = None
        for tid in last[1]:
            if tid == self.pid or tid not in first[1]:
                continue
            d = last[1][tid] - first[1][tid]
            if best is None or d > best:
                best = d
        if best is None:
            return None, None
        return best / 1e9, last[0] - first[0]


def sleep_marking(run, seconds, every=0.1):
    """Sleep SECONDS, reading RUN's CPU and memory every EVERY seconds."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        run.mark()
        time.sleep(min(every, left))


def summarise(run, threads):
    s = run.snap
    samples = s.get("samples", 0)
    r = {
        "samples": samples,
        "rate_hz": s.get("rate_hz"),
        "achieved_rate_hz": s.get("achieved_rate_hz"),
        "duration_s": s.get("duration_s"),
        "dropped": s.get("dropped"),
        "errors": s.get("errors"),
        "cpu_s": run.cpu_s,
        "cpu_us_per_sample": 1e6 * run.cpu_s / samples if samples else None,
        "user_us_per_sample": 1e6 * run.user_s / samples if samples else None,
        "sys_us_per_sample": 1e6 * run.sys_s / samples if samples else None,
        "cpu_pct": 100.0 * run.cpu_s / s["duration_s"] if s.get("duration_s") else None,
        "vmhwm_kb": run.hwm,
        "exit": run.proc.returncode,
    }
    # pytop's own account, when it gives one (the sampler thread's CPU time
    # from CLOCK_THREAD_CPUTIME_ID, process_vm_readv calls).
    overhead = s.get("overhead") or {}
    r["pytop_us_per_sample"] = overhead.get("us_per_sample")
    r["reads_per_sample"] = overhead.get("reads_per_sample")
    dur = s.get("duration_s") or 0
    cpu, interval = run.sampler_cpu(1.0, dur - 0.3)
    if cpu is not None and interval > 0.5 and s.get("achieved_rate_hz"):
        est = s["achieved_rate_hz"] * threads * interval
        r["sampler_cpu_us_per_sample"] = 1e6 * cpu / est if est else None
        r["sampler_cpu_pct"] = 100.0 * cpu / interval
    return r


# --- measurements ------------------------------------------------------------

def measure_threads(args, python, threads, log):
    """Alternating unprofiled / profiled windows on one workload."""
    w = Workload(python, threads, args.depth)
    result = {"threads": threads, "depth": args.depth, "rate": args.rate,
              "unprofiled": [], "profiled": [], "unprofiled_cpu": [],
              "profiled_cpu": [], "runs": []}
    try:
        time.sleep(args.warmup)
        window = args.window
        lead = 0.7                         # pytop attach + its first rounds
        for rep in range(args.reps):
            # unprofiled
            time.sleep(lead)
            a = w.counters()
            time.sleep(window)
            b = w.counters()
            wall, cpu = throughput(a, b)
            result["unprofiled"].append(wall)
            result["unprofiled_cpu"].append(cpu)
            time.sleep(0.3)
            # profiled
            run = PytopRun(args.pytop, w.pid, args.rate, lead + window + 0.6)
            sleep_marking(run, lead)
            a = w.counters()
            sleep_marking(run, window)
            b = w.counters()
            run.wait(window + 60)
            wall, cpu = throughput(a, b)
            result["profiled"].append(wall)
            result["profiled_cpu"].append(cpu)
            result["runs"].append(summarise(run, threads))
            log("    rep %d: unprofiled %.4g it/s (%.4g per CPU s), profiled %.4g it/s "
                "(%.4g per CPU s), pytop %s" % (
                    rep, result["unprofiled"][-1], result["unprofiled_cpu"][-1] or 0,
                    result["profiled"][-1], result["profiled_cpu"][-1] or 0,
                    fmt_run(result["runs"][-1])))
        # idle baseline: the same length of run at -r 1
        run = PytopRun(args.pytop, w.pid, 1, lead + window + 0.6)
        run.wait(window + 60)
        result["baseline"] = summarise(run, threads)
        log("    baseline (-r 1): %.1f ms CPU over %.1f s" % (
            1e3 * run.cpu_s, result["baseline"]["duration_s"]))
        # long run: memory over time
        if args.rss_seconds and threads == max(args.threads):
            run = PytopRun(args.pytop, w.pid, args.rate, args.rss_seconds)
            rss = []
            points = [p for p in (1, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300)
                      if p < args.rss_seconds] + [args.rss_seconds - 0.5]
            for p in points:
                while time.monotonic() - run.start < p and run.alive():
                    run.mark()
                    time.sleep(0.1)
                m = run.mark()
                if m:
                    rss.append({"t": round(m[0] - run.start, 1), "vmrss_kb": m[2],
                                "vmhwm_kb": m[3]})
            run.wait(60)
            result["rss"] = {"points": rss, "run": summarise(run, threads)}
            log("    rss over %d s: %s" % (args.rss_seconds, ", ".join(
                "%gs %s/%s kB" % (p["t"], p["vmrss_kb"], p["vmhwm_kb"]) for p in rss)))
    finally:
        w.close()
    u, p = result["unprofiled"], result["profiled"]
    result["slowdown_pct"] = 100.0 * (1 - statistics.median(p) / statistics.median(u))
    result["pairs_pct"] = [100.0 * (1 - p[i] / u[i]) for i in range(len(p))]
    uc = [x for x in result["unprofiled_cpu"] if x]
    pc = [x for x in result["profiled_cpu"] if x]
    if uc and pc:
        result["slowdown_cpu_pct"] = 100.0 * (1 - statistics.median(pc) / statistics.median(uc))
    return result


def measure_cost(args, python, threads, rate, log):
    """One --cost-seconds batch run on a fresh workload: pytop's whole-process
    CPU (wait4(), startup included) over the thread-samples it took, the
    achieved rate (rounds on time: achieved / asked) and pytop's CPU %."""
    w = Workload(python, threads, args.depth)
    try:
        time.sleep(args.warmup)
        run = PytopRun(args.pytop, w.pid, rate, args.cost_seconds)
        sleep_marking(run, args.cost_seconds - 0.2, every=0.5)
        run.wait(args.cost_seconds + 60)
        r = summarise(run, threads)
        r["threads"] = threads
        r["samples_per_s"] = r["samples"] / r["duration_s"] if r["duration_s"] else None
        r["on_time_pct"] = 100.0 * (r["achieved_rate_hz"] or 0) / rate
        log("    cost, %d threads at %g Hz for %g s: %s, %.1f %% of rounds" % (
            threads, rate, args.cost_seconds, fmt_run(r), r["on_time_pct"]))
        return r
    finally:
        w.close()


def measure_fast(args, python, log):
    w = Workload(python, 4, args.depth)
    try:
        time.sleep(args.warmup)
        run = PytopRun(args.pytop, w.pid, args.fast_rate, args.fast_seconds)
        sleep_marking(run, args.fast_seconds - 0.2)
        run.wait(args.fast_seconds + 60)
        r = summarise(run, 4)
        r["samples_per_s"] = r["samples"] / r["duration_s"] if r["duration_s"] else None
        log("    %d Hz on 4 threads: %s" % (args.fast_rate, fmt_run(r)))
        return r
    finally:
        w.close()


def fmt_run(r):
    text = "%d samples, %.1f Hz achieved, %s dropped, %s errors, %.2f us CPU/sample" % (
        r["samples"], r["achieved_rate_hz"] or 0, r["dropped"], r["errors"],
        r["cpu_us_per_sample"] or 0)
    if r.get("sampler_cpu_us_per_sample") is not None:
        text += " (sampler thread %.2f)" % r["sampler_cpu_us_per_sample"]
    if r.get("pytop_us_per_sample") is not None:
        text += " (pytop says %.2f us, %.2f reads)" % (r["pytop_us_per_sample"],
                                                      r["reads_per_sample"] or 0)
    if r.get("vmhwm_kb"):
        text += ", VmHWM %d kB" % r["vmhwm_kb"]
    return text


# --- report ------------------------------------------------------------------

def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def opt(value, fmt="%.2f"):
    return "-" if value is None else fmt % value


def sampler_text(runs):
    """Our /proc measure of the sampler thread, and pytop's own figure."""
    mine = median_of(runs, "sampler_cpu_us_per_sample")
    theirs = median_of(runs, "pytop_us_per_sample")
    if theirs is None:
        return opt(mine)
    return "%s (pytop: %.2f)" % (opt(mine), theirs)


def markdown(results, args):
    out = []
    for res in results:
        out.append("#### %s (%s)\n" % (res["label"], res["path"]))
        if res.get("error"):
            out.append("error: %s\n" % res["error"])
            continue
        if res.get("cost"):
            out.append("Cost runs (%g s batch, whole process):\n" % args.cost_seconds)
            out.append("| threads x depth | rate | achieved Hz | rounds on time | "
                       "CPU us/thread-sample (process) | user | sys | sampler thread us | "
                       "reads/sample | pytop CPU % | errors |")
            out.append("|---|---|---|---|---|---|---|---|---|---|---|")
            for c in res["cost"]:
                out.append("| %d x %d | %d Hz | %.1f | %.1f %% | %.2f | %s | %s | %s | %s | %.1f | %s |" % (
                    c["threads"], args.depth, c["rate_hz"] or 0, c["achieved_rate_hz"] or 0,
                    c["on_time_pct"], c["cpu_us_per_sample"] or 0,
                    opt(c.get("user_us_per_sample")), opt(c.get("sys_us_per_sample")),
                    opt(c.get("pytop_us_per_sample")), opt(c.get("reads_per_sample")),
                    c["cpu_pct"] or 0, c["errors"]))
            out.append("")
        if not res["threads"]:
            continue
        out.append("| threads x depth | rate | achieved Hz | samples/s | dropped | errors "
                   "| CPU us/sample (process) | CPU us/sample (sampler thread) "
                   "| reads/sample | pytop CPU % "
                   "| idle baseline (-r 1) | slowdown, wall (median; pairs) "
                   "| slowdown, per target CPU s | VmHWM |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for t in res["threads"]:
            runs = t["runs"]
            base = t["baseline"]
            samples_s = statistics.median(r["samples"] / r["duration_s"] for r in runs)
            out.append("| %d x %d | %d Hz | %.1f | %.0f | %d | %d | %.2f | %s | %s | %.1f "
                       "| %.1f ms CPU in %.1f s | %+.1f %% (%s) | %s | %s kB |" % (
                           t["threads"], t["depth"], t["rate"],
                           median_of(runs, "achieved_rate_hz"), samples_s,
                           sum(r["dropped"] or 0 for r in runs),
                           sum(r["errors"] or 0 for r in runs),
                           median_of(runs, "cpu_us_per_sample"),
                           sampler_text(runs),
                           opt(median_of(runs, "reads_per_sample")),
                           median_of(runs, "cpu_pct"),
                           1e3 * base["cpu_s"], base["duration_s"],
                           t["slowdown_pct"],
                           ", ".join("%+.1f" % x for x in t["pairs_pct"]),
                           opt(t.get("slowdown_cpu_pct"), "%+.1f %%"),
                           max(r["vmhwm_kb"] or 0 for r in runs)))
        f = res.get("fast")
        if f:
            out.append("| 4 x %d | %d Hz | %.1f | %.0f | %d | %d | %.2f | %s | %s | %.1f | | | | %s kB |" % (
                args.depth, args.fast_rate, f["achieved_rate_hz"], f["samples_per_s"],
                f["dropped"], f["errors"], f["cpu_us_per_sample"],
                sampler_text([f]), opt(f.get("reads_per_sample")),
                f["cpu_pct"], f["vmhwm_kb"]))
        for t in res["threads"]:
            if t.get("rss"):
                out.append("\nMemory, %d x %d at %d Hz: %s" % (
                    t["threads"], t["depth"], t["rate"], ", ".join(
                        "%gs %s kB (peak %s)" % (p["t"], p["vmrss_kb"], p["vmhwm_kb"])
                        for p in t["rss"]["points"])))
        out.append("")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pythons", nargs="*", help="interpreters (default: pythons.py)")
    parser.add_argument("--pytop", default=None)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--depth", type=int, default=30)
    parser.add_argument("--threads", default="4,20",
                        help="comma-separated thread counts (default 4,20)")
    parser.add_argument("--reps", type=int, default=3,
                        help="unprofiled/profiled pairs per thread count")
    parser.add_argument("--window", type=float, default=4.0,
                        help="seconds of each throughput window")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rss-seconds", type=float, default=60,
                        help="length of the memory run (0: skip)")
    parser.add_argument("--fast-rate", type=float, default=10000)
    parser.add_argument("--fast-seconds", type=float, default=5)
    parser.add_argument("--cost-seconds", type=float, default=10,
                        help="length of the whole-process cost runs (0: skip)")
    parser.add_argument("--cost-fast-threads", type=int, default=10,
                        help="threads of the cost run at --fast-rate")
    parser.add_argument("--no-slowdown", action="store_true",
                        help="only the cost runs (no throughput windows, "
                             "baseline, memory or 4-thread fast run)")
    parser.add_argument("--json-out", default=os.path.join(HERE, "results.json"))
    args = parser.parse_args()
    args.threads = [int(t) for t in args.threads.split(",")]
    args.pytop = os.path.abspath(args.pytop or pythons.pytop_binary())

    def log(text):
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    info = machine()
    log("machine: %d CPUs, %s, kernel %s, load %.2f %.2f %.2f" % (
        info["nproc"], info["cpu"], info["kernel"], *info["loadavg"]))
    log("pytop: %s" % args.pytop)
    if args.pythons:
        interps = [(p, p) for p in args.pythons]
    else:
        tap = pythons.Tap.__new__(pythons.Tap)   # no TAP output wanted
        tap.count = tap.failed = 0
        tap.skip = lambda d, r: log("skipped: %s (%s)" % (d, r))
        tap.ok = lambda c, d, x=None: log("broken: %s %s" % (d, x or ""))
        interps = [(i.label, i.path) for i in pythons.interpreters(tap)]

    results = []
    started = time.monotonic()
    for label, path in interps:
        log("--- %s (%s)" % (label, path))
        res = {"label": label, "path": path, "threads": []}
        try:
            res["version"] = pythons.query_version(path)
            if args.cost_seconds:
                res["cost"] = [measure_cost(args, path, t, args.rate, log) for t in args.threads]
                res["cost"].append(measure_cost(args, path, args.cost_fast_threads,
                                                args.fast_rate, log))
            if not args.no_slowdown:
                for t in args.threads:
                    log("  %d threads x depth %d at %g Hz" % (t, args.depth, args.rate))
                    res["threads"].append(measure_threads(args, path, t, log))
                res["fast"] = measure_fast(args, path, log)
        except Exception as exc:   # keep going with the next interpreter
            res["error"] = "%s: %s" % (type(exc).__name__, exc)
            log("  error: %s" % res["error"])
        results.append(res)
    info["loadavg_after"] = os.getloadavg()
    info["elapsed_s"] = time.monotonic() - started
    command = " ".join([os.path.relpath(sys.argv[0], REPO) if sys.argv[0] else "run_bench.py"]
                       + sys.argv[1:])
    with open(args.json_out, "w") as f:
        json.dump({"machine": info, "command": command, "args": vars(args),
                   "results": results}, f, indent=1)
    print("Machine: %d CPUs, %s, kernel %s; load average %.2f before, %.2f after; "
          "%.0f s in all.\n" % (info["nproc"], info["cpu"], info["kernel"],
                                info["loadavg"][0], info["loadavg_after"][0],
                                info["elapsed_s"]))
    print(markdown(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
