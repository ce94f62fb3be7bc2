/* event: one line the agent sent (hostile input): validated as a JSON
 * object of printable ASCII, its top-level members located, their strings
 * decoded. Nothing here allocates. */
#ifndef PYTOP_AGENT_EVENT_H
#define PYTOP_AGENT_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Top-level members an event may carry that pytop reads. */
#define EVENT_MAX_MEMBERS 32

/* Where one top-level member lies in the line. */
struct event_span {
	size_t start;     /* its key's opening quote */
	size_t value;     /* its value's first byte */
	size_t end;       /* one past its value */
};

/* A parsed event: spans into the line it was parsed from. */
struct event {
	const char *line;
	size_t len;
	char ev[16];      /* the "ev" member ("" when absent or not a short string) */
	int64_t id;       /* the "id" member (0 when absent or not an integer) */
	int nmembers;
	struct event_span member[EVENT_MAX_MEMBERS];
	char key[EVENT_MAX_MEMBERS][16];   /* each member's key, cut to 15 bytes */
};

/* Parse len bytes (no newline) into e. Returns 0, or PYTOP_EINVAL when the
 * line is not one JSON object of printable ASCII nested at most 64 deep
 * (members beyond EVENT_MAX_MEMBERS are validated, not located). */
int event_parse(const char *line, size_t len, struct event *e);

/* The member named key, or NULL. */
const struct event_span *event_member(const struct event *e, const char *key);

/* The string member key decoded (JSON escapes to UTF-8, \u0000 kept out)
 * into out (cap > 0, always terminated, cut on a character boundary).
 * Returns its full decoded length, or -1 when absent or not a string. */
long event_string(const struct event *e, const char *key, char *out, size_t cap);

/* Write the event to f as one JSON line without the members named in
 * drop (a NULL-terminated list); members beyond EVENT_MAX_MEMBERS are
 * left out too. */
void event_write_json(const struct event *e, const char *const *drop, FILE *f);

#endif
