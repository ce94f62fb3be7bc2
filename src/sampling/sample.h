/* sample: the records the sampler thread sends to the consumer through the
 * ring. DEFINE records introduce an id before the first SAMPLE that uses it,
 * so producer and consumer share no mutable table. All records start with a
 * struct rec_header and are a multiple of 8 bytes long. */
#ifndef PYTOP_SAMPLING_SAMPLE_H
#define PYTOP_SAMPLING_SAMPLE_H

#include <stdint.h>

#define SAMPLE_MAX_DEPTH 256      /* deeper stacks are truncated (flag set) */
#define SAMPLE_NAME_MAX 256       /* longest function / thread name sent */
#define SAMPLE_FILE_MAX 1024      /* longest file name sent */

enum rec_type {
	REC_SAMPLE = 1,       /* struct sample_rec + frames */
	REC_DEFINE_FUNC = 2,  /* struct func_def_rec + name + file */
	REC_THREAD = 3,       /* struct thread_rec: a thread's name */
	REC_TICK = 4,         /* struct tick_rec: one sampling round ended */
	REC_TARGET_EXIT = 5,  /* struct tick_rec: target is gone */
};

struct rec_header {
	uint16_t type;        /* enum rec_type */
	uint16_t pad;
	uint32_t size;        /* whole record in bytes, header included, multiple of 8 */
};

/* What a thread was doing when sampled (from /proc/PID/task/TID/syscall). */
enum thread_state {
	THREAD_RUNNING = 0,   /* on CPU */
	THREAD_IDLE = 1,      /* blocked in a syscall other than a GIL wait */
	THREAD_GIL_WAIT = 2,  /* blocked in futex on the GIL */
	THREAD_UNKNOWN = 3,
};

/* Flags on a sample. */
#define SAMPLE_F_HOLDS_GIL  0x1   /* this thread is the GIL holder */
#define SAMPLE_F_TRUNCATED  0x2   /* stack deeper than SAMPLE_MAX_DEPTH */
#define SAMPLE_F_ERROR      0x4   /* the walk failed part way; frames are what was read */
#define SAMPLE_F_CPU        0x8   /* cpu_ns is the thread's measured CPU time delta */
#define SAMPLE_F_GIL_UNREAD 0x20  /* the GIL's state could not be read this round (or ever:
				   * 3.6): whether the thread holds it is unknown */
#define SAMPLE_F_OFF_CPU    0x40  /* state running, but the thread was waiting for a core
				   * (runnable, not on one): its stack is where it was
				   * preempted (tasks_on_cpu; only looked at for a thread
				   * that waited for a core lately) */
#define SAMPLE_F_UNTOLD     0x80  /* state running, the thread waits for cores lately, but
				   * whether it was on one was not read this round (too
				   * many such threads: tasks_on_cpu's budget), or the
				   * round began late (sampler.c ROUND_LATE_NS) */
#define SAMPLE_F_NOT_ON_CPU (SAMPLE_F_OFF_CPU | SAMPLE_F_UNTOLD)   /* not known to be on one */
#define SAMPLE_F_ENDED      0x10  /* not a sample: cpu_ns is CPU time the process used that
				   * no live thread accounts for, given to this thread that
				   * ended since its last sample (depth 0; counted on its
				   * last stack under "(ended between samples)"); 0 when
				   * it gets none: the record then only says it is gone */

/* What a defined function is: a Python function, a native (C) one, or a
 * marker pytop puts into a stack ("(N frames truncated)", "(ran between
 * samples)"): not code of the target. */
enum func_kind {
	FUNC_KIND_PYTHON = 0,
	FUNC_KIND_NATIVE = 1,
	FUNC_KIND_MARKER = 2,
};
#define FUNC_KIND_COUNT 3

/* One frame: a function id (from REC_DEFINE_FUNC) and the current line. */
struct sample_frame {
	uint32_t func_id;
	int32_t line;
};

/* One thread's stack at one instant; frames[] innermost first. */
struct sample_rec {
	struct rec_header h;
	uint64_t time_ns;     /* CLOCK_MONOTONIC when the round started */
	uint32_t pid;         /* the process the thread belongs to */
	uint32_t tid;         /* kernel thread id */
	uint8_t state;        /* enum thread_state */
	uint8_t flags;        /* SAMPLE_F_* */
	uint16_t depth;       /* number of frames that follow */
	uint32_t pad;
	uint64_t cpu_ns;      /* with SAMPLE_F_CPU: CPU time the thread used since
	                       * its previous sample (schedstat), time waiting
	                       * for a core not included */
	struct sample_frame frames[];
};

/* A function: its id, first line, kind, and two NUL-terminated strings after the
 * struct: the qualified name then the file name (padded to 8 bytes). */
struct func_def_rec {
	struct rec_header h;
	uint32_t func_id;
	int32_t firstlineno;
	uint16_t name_len;    /* bytes, without the NUL */
	uint16_t file_len;
	uint8_t kind;         /* enum func_kind */
	uint8_t pad[3];
	char strings[];
};

/* A thread's display name (sent when first seen or when it changes). */
struct thread_rec {
	struct rec_header h;
	uint32_t tid;
	uint32_t pid;         /* the process the thread belongs to */
	char name[64];
};

/* End of one sampling round over all threads. */
struct tick_rec {
	struct rec_header h;
	uint64_t time_ns;       /* when the round started */
	uint64_t duration_ns;   /* how long the round took */
	uint32_t nthreads;      /* threads sampled */
	uint32_t errors;        /* threads whose walk failed this round */
	uint64_t gil_switches;  /* target's gil switch_number (0 if unknown) */
	int32_t exit_status;    /* REC_TARGET_EXIT only: wait status or -1 */
	uint16_t gil_flags;     /* TICK_GIL_* */
	uint8_t gil_count;      /* GIL states read this round (one per distinct GIL) */
	uint8_t gil_held;       /* how many of them were locked */
	uint32_t unidentified;  /* thread states left out: no kernel tid known */
	uint32_t pid;           /* the process sampled */
};

/* tick_rec.gil_flags */
#define TICK_GIL_KNOWN     0x1  /* the GIL state was read this round */
#define TICK_GIL_DISABLED  0x2  /* a free-threaded build running without the GIL */

#endif
