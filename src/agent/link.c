/* link: an attached agent: requests as JSON commands, events, detach. */
#include "agent/link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/inject.h"
#include "errors.h"
#include "output/jsonw.h"
#include "util/clock.h"

#define BYE_TIMEOUT_NS 2000000000ull

int link_open(struct link *l, struct py_target *t, const atomic_int *cancel, char *err, size_t errcap)
{
	int rc;

	memset(l, 0, sizeof *l);
	l->next_id = 1;
	if ((rc = channel_open(&l->ch, t->pid, err, errcap)) < 0)
		return rc;
	l->open = true;
	if ((rc = inject_script(t, channel_bootstrap(&l->ch), LINK_INJECT_TIMEOUT_MS, cancel, err, errcap)) < 0 ||
	    (rc = channel_accept(&l->ch, LINK_CONNECT_TIMEOUT_MS, cancel, err, errcap)) < 0) {
		channel_close(&l->ch);
		l->open = false;
		return rc;
	}
	l->attached = true;
	return 0;
}

/* Send the command built through w into the memory stream f (*buf is
 * only set by fclose); 0 or an error. */
static int send_built(struct link *l, char **buf, FILE *f, struct jsonw *w)
{
	int rc = jsonw_free(w);

	if (fclose(f) != 0 || rc < 0 || !*buf) {
		free(*buf);
		return PYTOP_ENOMEM;
	}
	rc = channel_send(&l->ch, *buf);
	free(*buf);
	return rc;
}

int link_request(struct link *l, bool trace, const struct link_request *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct jsonw *w;
	int id = l->next_id, rc;

	if (!l->attached)
		return PYTOP_EGONE;
	if (!(f = open_memstream(&buf, &len)))
		return PYTOP_ENOMEM;
	w = jsonw_new(f);
	jsonw_begin_object(w);
	jsonw_key(w, "cmd");
	jsonw_string(w, trace ? "trace" : "watch");
	jsonw_key(w, "id");
	jsonw_int(w, id);
	jsonw_key(w, "target");
	jsonw_string(w, r->target ? r->target : "");
	jsonw_key(w, "count");
	jsonw_int(w, r->count > 0 ? r->count : 5);
	if (r->cond) {
		jsonw_key(w, "cond");
		jsonw_string(w, r->cond);
	}
	if (!trace) {
		if (r->exprs) {
			jsonw_key(w, "exprs");
			jsonw_string(w, r->exprs);
		}
		jsonw_key(w, "errors");
		jsonw_bool(w, r->errors_only);
		jsonw_key(w, "depth");
		jsonw_int(w, r->repr_depth > 0 ? r->repr_depth : 2);
	} else {
		jsonw_key(w, "depth");
		jsonw_int(w, r->depth > 0 ? r->depth : 3);
		jsonw_key(w, "min_ms");
		jsonw_double(w, r->min_ms);
	}
	jsonw_end_object(w);
	if ((rc = send_built(l, &buf, f, w)) < 0)
		return rc;
	l->next_id++;
	return id;
}

int link_cancel(struct link *l, int id)
{
	char cmd[64];

	if (!l->attached)
		return PYTOP_EGONE;
	snprintf(cmd, sizeof cmd, "{\"cmd\":\"cancel\",\"id\":%d}", id);
	return channel_send(&l->ch, cmd);
}

int link_fd(const struct link *l)
{
	return l->attached ? l->ch.fd : -1;
}

int link_next(struct link *l, struct event *e, int timeout_ms)
{
	int rc, polled = 0;

	if (!l->open)
		return PYTOP_EGONE;
	for (;;) {
		rc = channel_next(&l->ch, e);
		if (rc == 1 && strcmp(e->ev, "dropped") == 0) {
			const struct event_span *m = event_member(e, "n");
			long k = m ? strtol(e->line + m->value, NULL, 10) : 1;
			if (k > 0 && k < 1000000000L && l->dropped < 1000000000L)
				l->dropped += k;
			continue;
		}
		if (rc != 0 || polled)
			return rc;
		rc = channel_poll(&l->ch, timeout_ms);
		if (rc < 0) {
			/* What was read before the end is still returned. */
			int more = channel_next(&l->ch, e);
			if (more != 0 && rc != PYTOP_EFULL)
				return more;
			l->attached = false;
			return rc;
		}
		polled = 1;
	}
}

bool link_close(struct link *l)
{
	struct event e;
	uint64_t end = clock_now_ns() + BYE_TIMEOUT_NS;
	bool answered = !l->attached;

	if (l->attached && channel_send(&l->ch, "{\"cmd\":\"detach\"}") == 0) {
		while (clock_now_ns() < end) {
			int rc;
			while ((rc = channel_next(&l->ch, &e)) != 0)
				if (rc == PYTOP_EFULL)
					goto closed;   /* a line too long: the channel is useless */
			/* After its goodbye the agent closes the socket: EOF. */
			if ((rc = channel_poll(&l->ch, 50)) < 0) {
				answered = rc == PYTOP_EGONE;
				break;
			}
		}
	}
closed:
	l->attached = false;
	if (l->open)
		channel_close(&l->ch);
	l->open = false;
	return answered;
}
