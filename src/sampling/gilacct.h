/* gilacct: per-thread GIL statistics as flight_profiler's gilstat reports
 * them (takecnt, hold and wait time per acquisition and in total, long hold
 * and wait warnings), accumulated either from sampled ticks (the holder and
 * every thread's state at a known instant) or from exact take/drop events
 * (uprobes). Pure: no I/O, no clock, no allocation after gilacct_create(),
 * so known sequences can be fed in tests. One thread uses an accumulator. */
#ifndef PYTOP_SAMPLING_GILACCT_H
#define PYTOP_SAMPLING_GILACCT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define GILSTAT_MAX_THREADS 512   /* threads tracked at once; past it the quietest idle
				   * one is folded into the snapshot's "folded" */
#define GILSTAT_LIST_MAX (GILSTAT_MAX_THREADS - 1) /* sampled: threads observed at
				   * once (one entry stays for a holder past them) */
#define GILSTAT_WARN_MAX 32       /* recent warnings kept */

enum gilstat_mode {
	GILSTAT_OFF = 0,
	GILSTAT_SAMPLED = 1,      /* high-rate sampling of the GIL state: estimates */
	GILSTAT_EXACT = 2,        /* uprobes on take_gil/drop_gil: every acquisition */
};

/* One thread's numbers. */
struct gilstat_thread {
	uint32_t tid;
	uint32_t flags;           /* GILSTAT_THREAD_PARTIAL */
	uint64_t takecnt;         /* acquisitions */
	uint64_t hold_ns;         /* hold_all: time held, in total */
	uint64_t wait_ns;         /* take_all: time waiting to take it, in total */
	uint64_t max_hold_ns;     /* longest single hold (finished or ongoing) */
	uint64_t max_wait_ns;     /* longest single wait */
	uint64_t long_holds;      /* holds longer than the hold threshold */
	uint64_t long_waits;      /* waits longer than the take threshold */
};

/* gilstat_thread.flags: the thread was evicted from the table while it
 * was alive (every thread in the table was, none ended) and came back: its
 * row holds what it did since; the rest is in the snapshot's "folded". */
#define GILSTAT_THREAD_PARTIAL 1u

enum gilstat_warn_kind {
	GILSTAT_WARN_HOLD = 1,    /* one hold exceeded hold_warn_ns */
	GILSTAT_WARN_TAKE = 2,    /* one wait exceeded take_warn_ns */
};

/* A hold or wait that exceeded its threshold (reported when it ended). */
struct gilstat_warning {
	uint64_t time_ns;         /* when it ended (CLOCK_MONOTONIC) */
	uint64_t duration_ns;
	uint32_t tid;
	uint32_t kind;            /* enum gilstat_warn_kind */
};

/* Everything gilstat knows at one instant. The thread array comes last so
 * that a copy can stop after nthreads entries. */
struct gilstat_snapshot {
	uint32_t mode;            /* enum gilstat_mode */
	uint32_t nthreads;
	double rate_hz;           /* sampled: the configured tick rate */
	double achieved_hz;       /* sampled: ticks per second really achieved */
	uint64_t resolution_ns;   /* sampled: the tick period; exact: 0 */
	uint64_t start_ns;        /* first tick / event (CLOCK_MONOTONIC) */
	uint64_t elapsed_ns;      /* time accounted */
	uint64_t ticks;           /* sampled: ticks; exact: drains */
	uint64_t late;            /* sampled: ticks that missed their deadline */
	uint64_t gap_ns;          /* time not accounted (gilstat itself was late) */
	uint64_t events;          /* exact: take/drop events seen */
	uint64_t lost;            /* exact: events the kernel dropped */
	uint64_t switches;        /* gil->switch_number advance */
	uint64_t unknown_ns;      /* held by a thread state gilstat could not name */
	uint64_t overflow;        /* events (exact) or thread observations (sampled) not
				   * accounted: the table was full and every thread in it
				   * was holding, waiting or active at that instant */
	uint64_t threads_folded;  /* threads evicted from the table to make room for new
				   * ones (the quietest that neither held nor waited for
				   * the GIL: mostly threads that ended), summed in folded */
	uint64_t unlisted;        /* sampled: most thread states one listing of the
				   * interpreter left unobserved (over GILSTAT_MAX_THREADS) */
	uint64_t unfollowed;      /* exact: threads of the target given no events (they
				   * ended before their events were open, or the open
				   * failed): their takes are not seen */
	struct gilstat_thread folded; /* the folded threads' numbers: sums, max_* the maxima,
				   * tid 0 */
	uint64_t threads_partial; /* rows marked GILSTAT_THREAD_PARTIAL */
	uint64_t listing_gap_ns;  /* the longest time in the window without a listing of
				   * the target's threads (gilacct_listing; from the
				   * window's start to the first, from the last to its
				   * end): exact mode does not see a thread that starts
				   * and ends within such a gap */
	uint64_t cpu_ns;          /* the gilstat thread's own CPU time */
	uint64_t take_warn_ns, hold_warn_ns;
	uint64_t nwarnings;       /* warnings so far; the last GILSTAT_WARN_MAX follow */
	uint32_t nrecent;
	uint32_t stopped;         /* the gilstat thread ended (target gone) */
	struct gilstat_warning recent[GILSTAT_WARN_MAX];   /* oldest first */
	struct gilstat_thread threads[GILSTAT_MAX_THREADS];
};

/* What one sampled tick saw of a thread. */
struct gilacct_obs {
	pid_t tid;
	uint8_t waiting;          /* blocked on the GIL's futex */
	uint8_t took;             /* waiting now and at the previous tick, but ran
	                           * in between more than a waiter's wake-ups
	                           * cost: it took the GIL and waits again */
	uint8_t woke;             /* not waiting now, waiting at the previous tick,
	                           * and ran less than a waiter's wake-ups cost:
	                           * its wait ended, but no take is told yet from
	                           * take_gil looking and sleeping again */
	uint8_t late;             /* a wait that ended woke some ticks ago was a
	                           * take after all (it ran on or blocked
	                           * elsewhere since): counted now, from switches
	                           * since that wait began, unless that wait's
	                           * take was counted (it ended as the holder) */
};

/* Sampled: a waiter whose wait ended with a wake-up's CPU (woke), its
 * take not told yet. */
struct gilacct_pending {
	pid_t tid;                /* 0: none */
	uint32_t ticks;           /* ticks it has been pending */
	uint64_t cpu_ns;          /* its CPU time at the last tick that saw it wait */
};

#define GILACCT_WAKE_CPU_NS 100000ull  /* CPU a GIL waiter's wake-ups in take_gil stay under in a tick */
#define GILACCT_PENDING_TICKS 40       /* ticks a woke wait's take stays untold at most */

/* Whether a pending woke wait (p->tid set) was a take, from a later
 * tick's view of its thread: blocked in a take's wait (waiting), runnable
 * (running), the GIL's holder (holder), its CPU time (cpu_ns; known: it
 * was read). It may be a waiter woken by a drop's signal or its wait's
 * timeout that looked and went back to sleep (preempted there on a busy
 * machine), or one that took the GIL and runs on (a running thread's CPU
 * time in schedstat moves only at the kernel's ticks and switches, so it
 * reads low). Back in a take's wait having run less than a wake-up's
 * cost: no take; more: it took the GIL and waits again. The holder: its
 * take is counted as the holder's. Runnable and still under it: not known
 * yet (at most GILACCT_PENDING_TICKS ticks). Else (it ran more, or blocks
 * elsewhere) it took the GIL. True for a take (gilacct_obs.late), false
 * for none or not yet; p->tid is 0 once told. */
bool gilacct_pending_tell(struct gilacct_pending *p, bool known, bool waiting, bool running, bool holder,
			  uint64_t cpu_ns);

/* What one sampled tick saw. */
struct gilacct_tick {
	uint64_t time_ns;
	pid_t holder;             /* tid of the holder; 0: not held; -1: held by an unknown thread */
	uint64_t switch_number;
	const struct gilacct_obs *threads;
	int nthreads;
};

enum gilacct_event {
	GILACCT_TAKE_ENTER = 1,   /* take_gil() entered: waiting starts */
	GILACCT_TAKE_RETURN = 2,  /* take_gil() returned: holding starts */
	GILACCT_DROP_ENTER = 3,   /* drop_gil() entered: holding ends */
};

struct gilacct;

/* The table holds GILSTAT_MAX_THREADS threads. A thread new to a full
 * table takes the place of the one quiet longest (its latest event, or the
 * latest tick that listed it, the oldest) that neither holds nor waits for
 * the GIL and was not active at that same instant, an ended one (missing
 * from the latest listing, gilacct_listing) before any live one; that
 * thread's numbers are added to the snapshot's "folded" (a
 * thread-per-request server's ended threads end there). A live thread
 * evicted so (only when no ended one can go: more live threads than the
 * table holds) that comes back later has its row marked
 * GILSTAT_THREAD_PARTIAL. When none can go, the event or observation is
 * counted in overflow instead.
 *
 * A new accumulator; thresholds of 0 disable the warnings. period_ns is the
 * sampled tick period (the resolution), 0 for exact mode. */
struct gilacct *gilacct_create(enum gilstat_mode mode, uint64_t period_ns, uint64_t take_warn_ns,
			       uint64_t hold_warn_ns);
void gilacct_destroy(struct gilacct *a);

/* Sampled: account one tick. The interval since the previous tick is
 * charged to what that tick saw (its holder held, its waiters waited); an
 * acquisition is counted when a thread becomes the holder, or is the holder
 * again while switch_number moved (it lost and retook the GIL between
 * ticks), or stopped waiting without holding now while switch_number moved
 * (it held the GIL too briefly for a tick to see), never more than
 * switch_number moved. An interval longer than max(20 periods, 10 ms) is a
 * gap: not charged, and no takes are inferred over it. */
void gilacct_tick(struct gilacct *a, const struct gilacct_tick *tick);

/* Exact: account one event of thread tid at time_ns (events in time order
 * per thread). */
void gilacct_event(struct gilacct *a, uint64_t time_ns, pid_t tid, enum gilacct_event ev);

/* Exact: the switch number read at time_ns, and the end of accounted time. */
void gilacct_progress(struct gilacct *a, uint64_t time_ns, uint64_t switch_number, bool switch_known);

/* The acquisitions given to threads (the sum of their takecnt, the folded
 * threads' included) in *given;
 * true when they are lower bounds: a sampled estimate that gave threads
 * fewer than 95% of the acquisitions the GIL's switch number counted (the
 * rest were takes and drops too short to see between two ticks). The
 * averages per take are then upper bounds. */
bool gilstat_takes_lower_bound(const struct gilstat_snapshot *g, uint64_t *given);

/* A sampled thread whose average hold is shorter than one tick: its
 * holdavg is not measured (shown as under the resolution). */
bool gilstat_thread_hold_unresolved(const struct gilstat_snapshot *g, const struct gilstat_thread *t);

/* Whether thread t's takecnt is a lower bound, and so its holdavg and
 * takeavg upper ones: always when sampled, never when exact. A thread that
 * lets the GIL go and takes it back, nobody taking it in between (a short
 * system call or C call), does not move the switch number, and between two
 * ticks nothing shows it: its holds read as one, however long they are (a
 * 3.7 pool whose threads call into ctypes every 0.3 ms: 37 takes/s seen,
 * 560 counted by exact mode, with an average hold of 4.9 ms seen against
 * 0.32). Short holds are not the only sign: there is none. */
bool gilstat_thread_takes_lower(const struct gilstat_snapshot *g, const struct gilstat_thread *t);

/* Whether thread t's holdavg and takeavg are shown as upper bounds: its
 * takecnt is a lower bound and it took at least once (no take seen: no
 * average, bound or not). */
bool gilstat_thread_avgs_upper(const struct gilstat_snapshot *g, const struct gilstat_thread *t);

/* The numbers so far, ongoing holds and waits included up to the latest
 * tick/progress time. */
void gilacct_result(const struct gilacct *a, struct gilstat_snapshot *out);

/* A listing of the target's live threads at now: gilacct_listing(), then
 * gilacct_listed() for each (threads of the table it does not name ended;
 * a thread new since the previous listing counts as alive). The longest
 * time between two listings is the snapshot's listing_gap_ns. */
void gilacct_listing(struct gilacct *a, uint64_t now);
void gilacct_listed(struct gilacct *a, pid_t tid);

/* Cut the window at now (at or after the latest tick/progress time): the
 * time up to now is accounted (sampled: charged to what the latest tick
 * saw, as a tick at now would), the window's numbers go to *out (unless
 * NULL), and a new window starts at now with every number at zero. Holds
 * and waits in progress go on: the part after now counts in the new
 * window (their full length in max_* and the warnings), their take in the
 * old one. The first window of an accumulator that saw nothing yet starts
 * at its first cut. */
void gilacct_cut(struct gilacct *a, uint64_t now, struct gilstat_snapshot *out);

#endif
