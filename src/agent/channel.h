/* channel: pytop's end of the agent connection: a private directory inside
 * the target's root (0700, the target's owner) holding the agent, its
 * bootstrap (socket path and a random token) and pytop's listening socket;
 * accepting and authenticating the agent (token and peer pid); commands
 * out as JSON lines; events in, read without blocking into a bounded
 * buffer the front end drains one line at a time. */
#ifndef PYTOP_AGENT_CHANNEL_H
#define PYTOP_AGENT_CHANNEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent/event.h"

/* The longest line the agent may send (a trace tree of 2000 nodes is about
 * 600 KiB); a longer one closes the channel. */
#define CHANNEL_LINE_MAX (4u << 20)

struct channel {
	pid_t pid;                 /* the target */
	int dir_fd;                /* the private directory (-1 once removed) */
	int tmp_fd;                /* its parent: the target's /tmp */
	char name[32];             /* the directory's name in the target's /tmp */
	char inside[64];           /* the directory as the target sees it: /tmp/NAME */
	char bootstrap[96];        /* the bootstrap as the target sees it */
	char token[33];            /* 32 hex digits */
	int listen_fd, fd;         /* -1 when closed */
	bool eof;                  /* the agent closed its end */
	bool broken;               /* it sent a line longer than CHANNEL_LINE_MAX */
	char *buf;                 /* bytes received, not yet returned as lines */
	size_t len, cap, taken;    /* taken: bytes at the front already returned */
	char version[32];          /* the target's Python version from the hello */
};

/* Make the private directory in pid's /tmp (as the target sees it), write
 * the agent and the bootstrap there and listen on its socket. Returns 0,
 * or a negative error with a one-line reason in err. */
int channel_open(struct channel *c, pid_t pid, char *err, size_t errcap);

/* The bootstrap's path as the target sees it (for the injection). */
const char *channel_bootstrap(const struct channel *c);

/* Wait up to timeout_ms for the agent to connect and say hello with the
 * token from the target's pid; then remove the files and the directory.
 * cancel (may be NULL) is read at least every CANCEL_POLL_MS: once it is
 * non-zero the wait ends with PYTOP_ECANCELED. Returns 0, or a negative
 * error with a reason in err. */
int channel_accept(struct channel *c, int timeout_ms, const atomic_int *cancel, char *err, size_t errcap);

/* Send one command (a JSON object without the newline). 0 or an error. */
int channel_send(struct channel *c, const char *json);

/* Read what the agent has sent, waiting at most timeout_ms for the first
 * byte (0: do not wait). Returns 0, or PYTOP_EGONE once the agent closed,
 * or PYTOP_EFULL once it sent a line longer than CHANNEL_LINE_MAX (the
 * channel is then useless: close it). */
int channel_poll(struct channel *c, int timeout_ms);

/* The next complete line parsed into e (valid until the next call):
 * 1, 0 when no complete line is buffered, PYTOP_EINVAL for a line that is
 * not a valid event (it is skipped), or PYTOP_EFULL for a line longer than
 * CHANNEL_LINE_MAX. */
int channel_next(struct channel *c, struct event *e);

/* Close the sockets, remove whatever is left of the directory. */
void channel_close(struct channel *c);

#endif
