/* test_tids: matching pthread ids to kernel tids (3.8-3.10) in this very
 * process: the offset is found when a thread state carries its creator's
 * pthread id (a thread not started yet) and when one pthread has ended
 * (thread churn), and every live thread maps to its own tid. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpython/thread.h"
#include "tap.h"

#define N 5

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile pid_t tids[N];
static volatile int go;

static void *worker(void *arg)
{
	tids[(intptr_t)arg] = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mu);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *quick(void *arg)
{
	(void)arg;
	return NULL;
}

int main(void)
{
	pthread_t th[N], gone;
	uint64_t ids[N + 3];
	struct py_target t;
	int n = 0;

	for (intptr_t i = 0; i < N; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < N; i++) {
		int started;
		tap_wait(started, tids[i] != 0, 5.0);
		if (!started)
			tap_bail("worker %d did not start in 5 s", i);
	}
	/* A pthread that ended: its tid field reads 0. It is created after the
	 * workers so that its memory is not reused by them. */
	pthread_create(&gone, NULL, quick, NULL);
	pthread_join(gone, NULL);

	ids[n++] = (uint64_t)pthread_self();
	ids[n++] = (uint64_t)pthread_self();   /* a state made by main for a thread not started */
	ids[n++] = (uint64_t)gone;
	for (int i = 0; i < N; i++)
		ids[n++] = (uint64_t)th[i];

	memset(&t, 0, sizeof t);
	t.pid = getpid();
	t.L.tstate_native_thread_id = -1;
	t.pthread_tid_offset = -1;
	int rc = thread_calibrate_tids(&t, ids, n);
	tap_ok(rc == 0 && t.pthread_tid_offset >= 0, "offset found despite a duplicate and an ended thread (rc %d)", rc);
	int right = thread_tid_of(&t, (uint64_t)pthread_self()) == getpid();
	for (int i = 0; i < N; i++)
		right &= thread_tid_of(&t, (uint64_t)th[i]) == tids[i];
	tap_ok(right, "every live pthread maps to its own tid");
	tap_ok(thread_tid_of(&t, 0) == 0, "pthread id 0 is tid 0 (unknown)");

	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	return tap_done();
}
