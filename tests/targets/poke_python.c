/* poke_python: a process that imitates any CPython version for pytop, with
 * memory that a test script fills byte by byte (tests/live/fakepy.py builds
 * runtime, interpreter, thread states, frames, code objects, strings and
 * dicts from pytop's own layout tables, then corrupts them).
 *
 *   poke_python HEXVERSION       e.g. 0x030d00f0 for 3.13.0 (Py_Version)
 *
 * It prints one line "runtime ADDR codetype ADDR arena ADDR tid N pthread
 * ADDR", then reads commands on stdin:
 *   w ADDR HEX        copy bytes to ADDR (inside _PyRuntime, PyCode_Type or
 *                     the arena)
 *   unmap ADDR LEN    munmap a part of the arena (strings at a mapping's end)
 *   name TEXT         prctl(PR_SET_NAME) of the main thread
 *   threads N NAME    start N threads named NAME (prints "tids T..." and
 *                     "pthreads P...")
 *   flip ADDR A B     a thread swaps the u64 at ADDR between A and B
 *                     (every 200 us)
 *   go                print "ready"
 * and sleeps when stdin ends. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#define ARENA_SIZE (64u << 20)

__attribute__((used, aligned(64))) unsigned char _PyRuntime[1 << 20];
__attribute__((used)) uint32_t Py_Version = 0x030d00f0;
__attribute__((used, aligned(64))) unsigned char PyCode_Type[512];

static unsigned char *arena;   /* where the kernel put it (ASan owns fixed addresses) */

struct started {
	pid_t tid;
	pthread_t self;
	int ready;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char name[64];
};

static void *thread_main(void *arg)
{
	struct started *s = arg;
	prctl(PR_SET_NAME, s->name, 0, 0, 0);
	pthread_mutex_lock(&s->mu);
	s->tid = gettid();
	s->self = pthread_self();
	s->ready = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (;;)
		pause();
	return NULL;
}

/* flip: a thread that keeps swapping the u64 at addr between two values
 * (an object changing under pytop's reader). */
struct flip {
	volatile uint64_t *addr;
	uint64_t v[2];
};

static void *flip_main(void *arg)
{
	struct flip *f = arg;
	for (unsigned i = 0;; i++) {
		*f->addr = f->v[i & 1];
		usleep(200);
	}
	return NULL;
}

static int inside(uint64_t a, size_t n)
{
	uint64_t r = (uint64_t)(uintptr_t)_PyRuntime, c = (uint64_t)(uintptr_t)PyCode_Type;
	return (a >= r && a + n <= r + sizeof _PyRuntime) || (a >= c && a + n <= c + sizeof PyCode_Type) ||
	       (a >= (uint64_t)(uintptr_t)arena && a + n <= (uint64_t)(uintptr_t)arena + ARENA_SIZE);
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (argc > 1)
		Py_Version = (uint32_t)strtoul(argv[1], NULL, 0);
	arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("runtime 0x%llx codetype 0x%llx arena 0x%llx tid %d pthread 0x%llx\n",
	       (unsigned long long)(uintptr_t)_PyRuntime, (unsigned long long)(uintptr_t)PyCode_Type,
	       (unsigned long long)(uintptr_t)arena, (int)gettid(), (unsigned long long)pthread_self());
	fflush(stdout);
	while ((len = getline(&line, &cap, stdin)) > 0) {
		unsigned long long a, n;
		if (strncmp(line, "w ", 2) == 0) {
			char *p = line + 2, *h;
			a = strtoull(p, &h, 0);
			while (*h == ' ')
				h++;
			size_t hl = strcspn(h, "\n") / 2;
			if (!inside(a, hl)) {
				fprintf(stderr, "poke_python: write outside at 0x%llx\n", a);
				return 1;
			}
			for (size_t i = 0; i < hl; i++)
				((unsigned char *)(uintptr_t)a)[i] = (unsigned char)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
		} else if (sscanf(line, "unmap %lli %lli", &a, &n) == 2) {
			munmap((void *)(uintptr_t)a, n);
		} else if (strncmp(line, "name ", 5) == 0) {
			line[strcspn(line, "\n")] = 0;
			prctl(PR_SET_NAME, line + 5, 0, 0, 0);
		} else if (strncmp(line, "threads ", 8) == 0) {
			int cnt = atoi(line + 8);
			char *nm = strchr(line + 8, ' ');
			struct started *s = calloc((size_t)cnt, sizeof *s);
			for (int i = 0; i < cnt; i++) {
				pthread_t th;
				pthread_mutex_init(&s[i].mu, NULL);
				pthread_cond_init(&s[i].cv, NULL);
				snprintf(s[i].name, sizeof s[i].name, "%.*s", (int)(nm ? strcspn(nm + 1, "\n") : 0),
					 nm ? nm + 1 : "");
				pthread_create(&th, NULL, thread_main, &s[i]);
				pthread_mutex_lock(&s[i].mu);
				while (!s[i].ready)
					pthread_cond_wait(&s[i].cv, &s[i].mu);
				pthread_mutex_unlock(&s[i].mu);
			}
			printf("tids");
			for (int i = 0; i < cnt; i++)
				printf(" %d", (int)s[i].tid);
			printf("\npthreads");
			for (int i = 0; i < cnt; i++)
				printf(" 0x%llx", (unsigned long long)s[i].self);
			printf("\n");
			fflush(stdout);
		} else if (strncmp(line, "flip ", 5) == 0) {
			struct flip *f = calloc(1, sizeof *f);
			pthread_t th;
			unsigned long long v0, v1;
			if (sscanf(line + 5, "%lli %lli %lli", &a, &v0, &v1) == 3 && inside(a, 8)) {
				f->addr = (volatile uint64_t *)(uintptr_t)a;
				f->v[0] = v0;
				f->v[1] = v1;
				pthread_create(&th, NULL, flip_main, f);
			}
		} else if (strncmp(line, "go", 2) == 0) {
			printf("ready\n");
			fflush(stdout);
		}
	}
	for (;;)
		pause();
}
