/* test_tasks: parsing /proc/PID/task/TID/syscall lines, and reading the
 * real file of a thread of this very process. */
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "target/tasks.h"
#include "tap.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile pid_t sleeper_tid;
static volatile int go;

static void *sleeper(void *arg)
{
	(void)arg;
	sleeper_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mu);
	while (!go)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(void)
{
	struct task_activity a;

	tap_ok(tasks_parse("running\n", &a) == 0 && a.running && a.syscall == -1, "\"running\" is on CPU");
	tap_ok(tasks_parse("202 0x7f12aabb0010 0x80 0x0 0x0 0x0 0x0 0x7ffd5c2f0a28 0x7f12aa6d5f36\n", &a) == 0 &&
	       !a.running && a.syscall == 202 && a.arg0 == 0x7f12aabb0010ull,
	       "a futex wait gives its number and address");
	tap_ok(tasks_parse("230 0x1 0x0 0x7ffd5c2f0a30 0x0 0x0 0x0 0x7ffd5c2f0a18 0x7f12aa6a03c6\n", &a) == 0 &&
	       a.syscall == 230 && a.arg0 == 1, "clock_nanosleep is a blocking syscall");
	tap_ok(tasks_parse("-1 0x7ffd5c2f0a18 0x7f12aa6a03c6\n", &a) == 0 && a.syscall == -1 && !a.running,
	       "-1 (blocked, not in a syscall) is not running");
	tap_ok(tasks_parse("garbage", &a) < 0, "garbage is refused");

	pthread_t th;
	pthread_create(&th, NULL, sleeper, NULL);
	while (!sleeper_tid)
		usleep(1000);
	usleep(50000);
	struct tasks *ts = tasks_create(getpid());
	int rc = tasks_read(ts, sleeper_tid, &a);
	tap_ok(rc == 0 && !a.running && a.syscall == 202, "a thread waiting on a condition variable is in futex");
	int rc2 = tasks_read(ts, sleeper_tid, &a);
	tap_ok(rc2 == 0 && a.syscall == 202, "the open file reads again");
	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(th, NULL);
	tap_ok(tasks_read(ts, sleeper_tid, &a) < 0, "a thread that ended reads as gone");
	tap_ok(tasks_read(ts, 0, &a) < 0, "tid 0 is refused");
	tasks_destroy(ts);
	return tap_done();
}
