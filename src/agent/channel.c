/* channel: the private directory, the socket and the line buffer between
 * pytop and its agent. */
#include "agent/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_py.h"
#include "errors.h"
#include "process/nspid.h"
#include "util/cancel.h"
#include "util/clock.h"

#define AGENT_FILE "agent.py"
#define BOOT_FILE "bootstrap.py"
#define SOCK_FILE "s"
#define HELLO_MAX 4096

static int random_hex(char *out, size_t nbytes)
{
	unsigned char r[32];
	size_t got = 0;

	if (nbytes > sizeof r)
		return -1;
	while (got < nbytes) {
		ssize_t n = getrandom(r + got, nbytes - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (size_t i = 0; i < nbytes; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/* Write a new private file in the directory, owned by the target. */
static int write_file(struct channel *c, const char *name, const char *text, uid_t uid, gid_t gid)
{
	int fd = openat(c->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t len = strlen(text), off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (fchown(fd, uid, gid) < 0 && geteuid() == 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void remove_files(struct channel *c)
{
	if (c->dir_fd < 0)
		return;
	unlinkat(c->dir_fd, AGENT_FILE, 0);
	unlinkat(c->dir_fd, BOOT_FILE, 0);
	unlinkat(c->dir_fd, SOCK_FILE, 0);
	close(c->dir_fd);
	c->dir_fd = -1;
	if (c->tmp_fd >= 0) {
		unlinkat(c->tmp_fd, c->name, AT_REMOVEDIR);
		close(c->tmp_fd);
		c->tmp_fd = -1;
	}
}

int channel_open(struct channel *c, pid_t pid, char *err, size_t errcap)
{
	char path[64], boot[2048], suffix[13];
	struct stat st;
	struct sockaddr_un sa;
	int root_fd = -1, status_fd;
	pid_t outer, inner = pid;

	memset(c, 0, sizeof *c);
	c->pid = pid;
	c->dir_fd = c->tmp_fd = c->listen_fd = c->fd = -1;
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	if (stat(path, &st) < 0) {
		snprintf(err, errcap, "process %d: %s", (int)pid, strerror(errno));
		return errno == ENOENT ? PYTOP_ENOPROC : PYTOP_EPERM;
	}
	/* The target's /tmp through its root, never through a symlink: a
	 * container's /tmp could point anywhere on pytop's side. */
	snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
	root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd >= 0)
		c->tmp_fd = openat(root_fd, "tmp", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->tmp_fd < 0) {
		snprintf(err, errcap, "cannot open the /tmp of process %d (a directory, not a symlink): %s",
			 (int)pid, strerror(errno));
		if (root_fd >= 0)
			close(root_fd);
		return PYTOP_EPERM;
	}
	close(root_fd);
	for (int tries = 0;; tries++) {
		if (random_hex(suffix, 6) < 0) {
			snprintf(err, errcap, "getrandom: %s", strerror(errno));
			goto fail;
		}
		snprintf(c->name, sizeof c->name, "pytop-agent-%s", suffix);
		if (mkdirat(c->tmp_fd, c->name, 0700) == 0)
			break;
		if (errno != EEXIST || tries > 20) {
			snprintf(err, errcap, "cannot make a directory in the /tmp of process %d: %s",
				 (int)pid, strerror(errno));
			goto fail;
		}
	}
	snprintf(c->inside, sizeof c->inside, "/tmp/%s", c->name);
	snprintf(c->bootstrap, sizeof c->bootstrap, "%s/" BOOT_FILE, c->inside);
	/* The directory stays pytop's (0700) until everything in it is made:
	 * were it the target user's already, that user could swap a name in
	 * it for a symlink between two of pytop's calls. Handed over last. */
	c->dir_fd = openat(c->tmp_fd, c->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dir_fd < 0 || fchmod(c->dir_fd, 0700) < 0) {
		snprintf(err, errcap, "cannot prepare %s for process %d: %s", c->inside, (int)pid, strerror(errno));
		goto fail;
	}
	/* The pid the target knows itself by (its own PID namespace's): a
	 * child forked with the bootstrap queued sees another and does nothing. */
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	status_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (status_fd >= 0) {
		if (nspid_scan_fd(status_fd, &outer, &inner) < 1 || inner <= 0)
			inner = pid;
		close(status_fd);
	}
	if (random_hex(c->token, 16) < 0) {
		snprintf(err, errcap, "getrandom: %s", strerror(errno));
		goto fail;
	}
	int blen = snprintf(boot, sizeof boot,
		 "# pytop's bootstrap: loads pytop's agent in a namespace of its own and\n"
		 "# starts it; it leaves no name behind.\n"
		 "# An agent that cannot connect (pytop gone, or another took its\n"
		 "# place) ends quietly: the program's stderr is not ours. Either way\n"
		 "# the directory goes (pytop removes it too, unless it was killed).\n"
		 "# A child forked from the target (another pid) inherits the queued\n"
		 "# call: it does nothing and leaves pytop's directory alone.\n"
		 "def _pytop_bootstrap(path, sock, token, pid):\n"
		 "    import os\n"
		 "    if os.getpid() != pid:\n"
		 "        return\n"
		 "    ns = {'__name__': '__pytop_agent__'}\n"
		 "    try:\n"
		 "        with open(path) as f:\n"
		 "            src = f.read()\n"
		 "        exec(compile(src, path, 'exec'), ns)\n"
		 "        ns['start'](sock, token, pid)\n"
		 "    except Exception:\n"
		 "        ns.clear()\n"
		 "    finally:\n"
		 "        d = os.path.dirname(path)\n"
		 "        for n in ('" AGENT_FILE "', '" BOOT_FILE "', '" SOCK_FILE "'):\n"
		 "            try:\n"
		 "                os.unlink(os.path.join(d, n))\n"
		 "            except OSError:\n"
		 "                pass\n"
		 "        try:\n"
		 "            os.rmdir(d)\n"
		 "        except OSError:\n"
		 "            pass\n"
		 "_pytop_bootstrap('%s/" AGENT_FILE "', '%s/" SOCK_FILE "', '%s', %d)\n"
		 "del _pytop_bootstrap\n", c->inside, c->inside, c->token, (int)inner);
	if (blen < 0 || (size_t)blen >= sizeof boot) {
		snprintf(err, errcap, "the bootstrap does not fit its buffer");
		goto fail;
	}
	if (write_file(c, AGENT_FILE, agent_py, st.st_uid, st.st_gid) < 0 ||
	    write_file(c, BOOT_FILE, boot, st.st_uid, st.st_gid) < 0) {
		snprintf(err, errcap, "cannot write the agent in %s: %s", c->inside, strerror(errno));
		goto fail;
	}
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/" SOCK_FILE, c->dir_fd);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    fchmodat(c->dir_fd, SOCK_FILE, 0600, 0) < 0 ||
	    (fchownat(c->dir_fd, SOCK_FILE, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && geteuid() == 0) ||
	    listen(c->listen_fd, 1) < 0) {
		snprintf(err, errcap, "cannot listen in %s: %s", c->inside, strerror(errno));
		goto fail;
	}
	if (fchown(c->dir_fd, st.st_uid, st.st_gid) < 0 && geteuid() == 0) {
		snprintf(err, errcap, "cannot prepare %s for process %d: %s", c->inside, (int)pid, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	channel_close(c);
	return PYTOP_EIO;
}

const char *channel_bootstrap(const struct channel *c)
{
	return c->bootstrap;
}

/* How long to wait in one poll: until the deadline, and no longer than
 * CANCEL_POLL_MS when there is a cancel flag to look at. */
static int poll_ms(uint64_t deadline, uint64_t now, const atomic_int *cancel)
{
	uint64_t ms = (deadline - now) / 1000000 + 1;

	return (int)(cancel && ms > CANCEL_POLL_MS ? CANCEL_POLL_MS : ms);
}

/* The line the hello is in, or an error (PYTOP_ECANCELED once cancel is set). */
static int read_hello(struct channel *c, uint64_t deadline, const atomic_int *cancel, struct event *e)
{
	for (;;) {
		int rc = channel_next(c, e);
		if (rc != 0)
			return rc;
		if (cancel_requested(cancel))
			return PYTOP_ECANCELED;
		uint64_t now = clock_now_ns();
		if (now >= deadline || c->len > HELLO_MAX)
			return PYTOP_EIO;
		rc = channel_poll(c, poll_ms(deadline, now, cancel));
		if (rc < 0)
			return rc;
	}
}

int channel_accept(struct channel *c, int timeout_ms, const atomic_int *cancel, char *err, size_t errcap)
{
	uint64_t deadline = clock_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct pollfd p = { .fd = c->listen_fd, .events = POLLIN };
	struct event e;
	struct ucred cred;
	socklen_t credlen = sizeof cred;
	char token[sizeof c->token + 1];

	for (;;) {
		uint64_t now = clock_now_ns();
		if (cancel_requested(cancel)) {
			snprintf(err, errcap, "cancelled while waiting for the agent in process %d to connect (it ends "
				 "when it finds pytop gone): nothing left behind", (int)c->pid);
			return PYTOP_ECANCELED;
		}
		if (now >= deadline) {
			snprintf(err, errcap, "the agent did not connect within %.1f s", timeout_ms / 1000.0);
			return PYTOP_EIO;
		}
		int rc = poll(&p, 1, poll_ms(deadline, now, cancel));
		if (rc < 0 && errno != EINTR) {
			snprintf(err, errcap, "poll: %s", strerror(errno));
			return PYTOP_EIO;
		}
		if (rc <= 0)
			continue;
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		/* Only the target itself may speak for the agent. */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0 || cred.pid != c->pid) {
			close(fd);
			continue;
		}
		c->fd = fd;
		break;
	}
	int hello = read_hello(c, deadline, cancel, &e);
	if (hello == PYTOP_ECANCELED) {
		snprintf(err, errcap, "cancelled while the agent in process %d said hello (it ends when it finds "
			 "pytop gone): nothing left behind", (int)c->pid);
		close(c->fd);
		c->fd = -1;
		return PYTOP_ECANCELED;
	}
	if (hello != 1 || strcmp(e.ev, "hello") != 0 ||
	    event_string(&e, "token", token, sizeof token) != (long)strlen(c->token) ||
	    strcmp(token, c->token) != 0) {
		snprintf(err, errcap, "the agent in process %d did not authenticate", (int)c->pid);
		close(c->fd);
		c->fd = -1;
		return PYTOP_EPERM;
	}
	event_string(&e, "version", c->version, sizeof c->version);
	remove_files(c);
	close(c->listen_fd);
	c->listen_fd = -1;
	return 0;
}

int channel_send(struct channel *c, const char *json)
{
	size_t len = strlen(json), off = 0;
	uint64_t deadline = clock_now_ns() + 2000000000ull;

	if (c->fd < 0)
		return PYTOP_EGONE;
	while (off <= len) {
		const char *p = off < len ? json + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EINTR) && clock_now_ns() < deadline) {
			struct pollfd pf = { .fd = c->fd, .events = POLLOUT };
			poll(&pf, 1, 50);
			continue;
		}
		return PYTOP_EGONE;
	}
	return 0;
}

int channel_poll(struct channel *c, int timeout_ms)
{
	if (c->broken)
		return PYTOP_EFULL;
	if (c->fd < 0 || c->eof)
		return PYTOP_EGONE;
	if (timeout_ms > 0) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			return 0;
	}
	for (;;) {
		if (c->taken) {
			memmove(c->buf, c->buf + c->taken, c->len - c->taken);
			c->len -= c->taken;
			c->taken = 0;
		}
		if (c->cap - c->len < 65536) {
			if (c->cap >= CHANNEL_LINE_MAX + 65536) {
				c->broken = true;      /* a line longer than allowed */
				return PYTOP_EFULL;
			}
			c->cap = c->cap ? c->cap * 2 : 131072;
			c->buf = xrealloc(c->buf, c->cap);
		}
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			if (memchr(c->buf + c->len - (size_t)n, '\n', (size_t)n))
				return 0;
			continue;
		}
		if (n == 0) {
			c->eof = true;
			return c->len ? 0 : PYTOP_EGONE;
		}
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : PYTOP_EGONE;
	}
}

int channel_next(struct channel *c, struct event *e)
{
	char *start = c->buf + c->taken;
	size_t avail = c->len - c->taken;
	char *nl = avail ? memchr(start, '\n', avail) : NULL;

	if (!nl) {
		if (avail > CHANNEL_LINE_MAX) {
			c->broken = true;
			return PYTOP_EFULL;
		}
		return 0;
	}
	c->taken += (size_t)(nl - start) + 1;
	if ((size_t)(nl - start) > CHANNEL_LINE_MAX || event_parse(start, (size_t)(nl - start), e) < 0)
		return PYTOP_EINVAL;
	return 1;
}

void channel_close(struct channel *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	c->fd = c->listen_fd = -1;
	remove_files(c);
	if (c->tmp_fd >= 0)
		close(c->tmp_fd);
	c->tmp_fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = c->taken = 0;
}
