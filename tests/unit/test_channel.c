/* Unit test: the agent channel against fake agents in child processes:
 * the private directory (0700, the files in it, removed after the hello),
 * the bootstrap holding the token and the pid it runs in (no other),
 * a wrong token and a connection from another pid refused, events read
 * line by line, invalid lines skipped, an overlong line refused, EOF; a
 * set cancel flag ends the wait for the agent. */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/channel.h"
#include "errors.h"
#include "tap.h"

/* A child that waits for a byte on its pipe, then plays the agent: connects
 * to path, writes hello with token, then each of lines. */
static void fake_agent(const char *path, const char *token, const char *const *lines, size_t bulk)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char buf[256];

	if (strlen(path) >= sizeof sa.sun_path)
		_exit(5);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		_exit(2);
	snprintf(buf, sizeof buf, "{\"ev\":\"hello\",\"token\":\"%s\",\"pid\":%d}\n", token, (int)getpid());
	if (write(fd, buf, strlen(buf)) < 0)
		_exit(3);
	for (size_t i = 0; lines && lines[i]; i++)
		if (write(fd, lines[i], strlen(lines[i])) < 0)
			_exit(4);
	if (bulk) {
		char *big = malloc(bulk);
		memset(big, 'x', bulk);
		big[0] = '{';
		ssize_t w = 0;
		for (size_t off = 0; off < bulk && w >= 0; off += (size_t)w)
			w = write(fd, big + off, bulk - off);
		free(big);
	}
	sleep(1);
	close(fd);
	_exit(0);
}

struct kid {
	pid_t pid;
	int go;     /* write "NAME TOKEN\n" to start it */
};

struct plan {
	const char *token;          /* NULL: the channel's */
	const char *const *lines;
	size_t bulk;
};

/* A child that waits for the directory's name and the token on a pipe
 * (known only after channel_open), then plays the agent as plan says. */
static struct kid spawn(const struct plan *plan)
{
	int p[2];
	struct kid k;

	if (pipe(p) < 0)
		tap_bail("pipe");
	k.pid = fork();
	if (k.pid == 0) {
		char msg[256], path[300], *sp;
		ssize_t n;
		size_t len = 0;
		close(p[1]);
		while (len < sizeof msg - 1 && (n = read(p[0], msg + len, sizeof msg - 1 - len)) > 0)
			len += (size_t)n;
		msg[len] = 0;
		if (!(sp = strchr(msg, ' ')))
			_exit(1);
		*sp++ = 0;
		sp[strcspn(sp, "\n")] = 0;
		snprintf(path, sizeof path, "/tmp/%s/s", msg);
		fake_agent(path, plan->token ? plan->token : sp, plan->lines, plan->bulk);
		_exit(0);
	}
	close(p[0]);
	k.go = p[1];
	return k;
}

static void start(struct kid k, const struct channel *c)
{
	char msg[128];
	snprintf(msg, sizeof msg, "%s %s\n", c->name, c->token);
	if (write(k.go, msg, strlen(msg)) != (ssize_t)strlen(msg))
		tap_bail("write");
	close(k.go);
	k.go = -1;
}

static void finish(struct kid k)
{
	int st;
	kill(k.pid, SIGKILL);
	waitpid(k.pid, &st, 0);
}

int main(void)
{
	struct channel c;
	char err[512], path[256];
	struct stat st;
	struct event e;

	/* A good agent: files, then events. */
	static const char *const lines[] = {
		"{\"ev\":\"ok\",\"id\":1}\n",
		"not json\n",
		"{\"ev\":\"watch\",\"id\":1,\"text\":\"a\\u001b[2Jb\"}\n",
		"{\"ev\":\"bye\",\"why\":\"detach\"}\n",
		NULL,
	};
	struct plan plan = { NULL, lines, 0 };
	struct kid k = spawn(&plan);
	int rc = channel_open(&c, k.pid, err, sizeof err);
	if (!tap_ok(rc == 0, "channel_open for a child: %s", rc ? err : "ok"))
		return tap_done();
	snprintf(path, sizeof path, "/tmp/%s", c.name);
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700 && S_ISDIR(st.st_mode),
	       "the directory is private (0700): %s", path);
	snprintf(path, sizeof path, "/tmp/%s/bootstrap.py", c.name);
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "the bootstrap is 0600");
	tap_str(channel_bootstrap(&c), path, "its path as the target sees it");
	FILE *bf = fopen(path, "r");
	char boot[2048] = "";
	if (bf) {
		size_t n = fread(boot, 1, sizeof boot - 1, bf);
		boot[n] = 0;
		fclose(bf);
	}
	tap_ok(strstr(boot, c.token) && strlen(c.token) == 32, "the bootstrap holds the 32-hex-digit token");
	char pidcall[64];
	snprintf(pidcall, sizeof pidcall, "', %d)\n", (int)k.pid);
	tap_ok(strstr(boot, pidcall) && strstr(boot, "if os.getpid() != pid:\n        return\n"),
	       "the bootstrap holds the target's pid (%d) and does nothing in another (a forked child)", (int)k.pid);
	snprintf(path, sizeof path, "/tmp/%s/agent.py", c.name);
	tap_ok(stat(path, &st) == 0 && st.st_size > 1000, "the agent is written");
	start(k, &c);
	rc = channel_accept(&c, 5000, NULL, err, sizeof err);
	tap_is(rc, 0, "the agent is accepted (%s)", rc ? err : "ok");
	snprintf(path, sizeof path, "/tmp/%s", c.name);
	tap_ok(stat(path, &st) < 0 && errno == ENOENT, "the directory is gone after the hello");
	int got_ok = 0, got_watch = 0, got_bye = 0, bad = 0;
	char text[64] = "";
	for (int round = 0; round < 50 && !got_bye; round++) {
		if (channel_poll(&c, 100) < 0)
			break;
		int n;
		while ((n = channel_next(&c, &e)) != 0) {
			if (n < 0) {
				bad++;
				continue;
			}
			got_ok += strcmp(e.ev, "ok") == 0;
			got_bye += strcmp(e.ev, "bye") == 0;
			if (strcmp(e.ev, "watch") == 0) {
				got_watch++;
				event_string(&e, "text", text, sizeof text);
			}
		}
	}
	tap_ok(got_ok == 1 && got_watch == 1 && got_bye == 1 && bad == 1,
	       "events in order, the invalid line skipped (ok %d watch %d bye %d bad %d)", got_ok, got_watch,
	       got_bye, bad);
	tap_str(text, "a\x1b[2Jb", "a string decoded (escaping is the writer's job)");
	rc = 0;
	for (int round = 0; round < 30 && rc == 0; round++)
		rc = channel_poll(&c, 100);
	tap_is(rc, PYTOP_EGONE, "EOF once the agent closes");
	channel_close(&c);
	finish(k);

	/* A wrong token. */
	struct plan wrong = { "0123456789abcdef0123456789abcdef", NULL, 0 };
	k = spawn(&wrong);
	channel_open(&c, k.pid, err, sizeof err);
	start(k, &c);
	rc = channel_accept(&c, 3000, NULL, err, sizeof err);
	tap_is(rc, PYTOP_EPERM, "a wrong token is refused: %s", err);
	channel_close(&c);
	snprintf(path, sizeof path, "/tmp/%s", c.name);
	tap_ok(stat(path, &st) < 0 && errno == ENOENT, "the directory is removed after a refusal");
	finish(k);

	/* Another pid with the right token: not accepted (times out). */
	struct plan other = { NULL, NULL, 0 };
	struct kid target = spawn(&other);     /* never started: only its pid is the target */
	channel_open(&c, target.pid, err, sizeof err);
	k = spawn(&other);
	start(k, &c);
	rc = channel_accept(&c, 1500, NULL, err, sizeof err);
	tap_ok(rc < 0 && c.fd < 0, "a connection from another pid is not accepted (%s)", err);
	channel_close(&c);
	finish(k);
	finish(target);

	/* A cancel flag set: the wait ends with PYTOP_ECANCELED and says
	 * nothing was left behind (no agent ever connects here). */
	atomic_int cancel = 1;
	struct kid idle = spawn(&other);
	channel_open(&c, idle.pid, err, sizeof err);
	rc = channel_accept(&c, 60000, &cancel, err, sizeof err);
	tap_ok(rc == PYTOP_ECANCELED && c.fd < 0 && strstr(err, "nothing left behind"),
	       "a set cancel flag ends the wait: PYTOP_ECANCELED (%s)", err);
	channel_close(&c);
	finish(idle);

	/* An overlong line. */
	struct plan flood = { NULL, NULL, CHANNEL_LINE_MAX + (1u << 20) };
	k = spawn(&flood);
	channel_open(&c, k.pid, err, sizeof err);
	start(k, &c);
	rc = channel_accept(&c, 5000, NULL, err, sizeof err);
	tap_is(rc, 0, "accepted before the flood");
	rc = 0;
	for (int round = 0; round < 200 && rc == 0; round++) {
		rc = channel_poll(&c, 50);
		int n;
		while ((n = channel_next(&c, &e)) > 0)
			;
		if (n == PYTOP_EFULL)
			rc = n;
	}
	tap_is(rc, PYTOP_EFULL, "a line longer than CHANNEL_LINE_MAX is refused");
	tap_ok(c.cap <= CHANNEL_LINE_MAX + 2 * 131072 + 65536 || c.cap <= 2u * CHANNEL_LINE_MAX + 131072,
	       "the buffer stayed bounded (%zu bytes)", c.cap);
	channel_close(&c);
	finish(k);
	return tap_done();
}
