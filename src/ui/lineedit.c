/* lineedit: the editor works on bytes but moves by code points. */
#include "ui/lineedit.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ui/utf8.h"

void lineedit_init(struct lineedit *e)
{
	memset(e, 0, sizeof(*e));
}

void lineedit_free(struct lineedit *e)
{
	size_t i;

	for (i = 0; i < e->nhist; i++)
		free(e->hist[i]);
	e->nhist = 0;
	e->hpos = 0;
}

/* Set the text without touching the history position. */
static void set_text(struct lineedit *e, const char *text)
{
	size_t n = strlen(text);

	if (n >= LINEEDIT_MAX)
		n = utf8_prev(text, LINEEDIT_MAX);   /* a whole code point less */
	memcpy(e->buf, text, n);
	e->buf[n] = '\0';
	e->len = e->cur = n;
}

void lineedit_set(struct lineedit *e, const char *text)
{
	set_text(e, text);
	e->hpos = e->nhist;
}

bool lineedit_insert(struct lineedit *e, const char *text)
{
	size_t n = strlen(text), room = LINEEDIT_MAX - 1 - e->len;

	if (n > room) {
		/* Keep whole code points only. */
		size_t k = 0;

		while (k < n) {
			size_t next = utf8_next(text, n, k);

			if (next > room)
				break;
			k = next;
		}
		n = k;
	}
	if (n == 0)
		return false;
	memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur + 1);
	memcpy(e->buf + e->cur, text, n);
	e->len += n;
	e->cur += n;
	return true;
}

static void delete_range(struct lineedit *e, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(e->buf + from, e->buf + to, e->len - to + 1);
	e->len -= to - from;
	e->cur = from;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static size_t word_left(const struct lineedit *e, size_t pos)
{
	while (pos > 0 && is_space(e->buf[pos - 1]))
		pos--;
	while (pos > 0 && !is_space(e->buf[pos - 1]))
		pos--;
	return pos;
}

static size_t word_right(const struct lineedit *e, size_t pos)
{
	while (pos < e->len && is_space(e->buf[pos]))
		pos++;
	while (pos < e->len && !is_space(e->buf[pos]))
		pos++;
	return pos;
}

static enum lineedit_result history_move(struct lineedit *e, int dir)
{
	if (dir < 0) {
		if (e->hpos == 0)
			return LE_UNCHANGED;
		if (e->hpos == e->nhist)
			memcpy(e->draft, e->buf, e->len + 1);
		e->hpos--;
		set_text(e, e->hist[e->hpos]);
		return LE_CHANGED;
	}
	if (e->hpos >= e->nhist)
		return LE_UNCHANGED;
	e->hpos++;
	set_text(e, e->hpos == e->nhist ? e->draft : e->hist[e->hpos]);
	return LE_CHANGED;
}

enum lineedit_result lineedit_key(struct lineedit *e, uint32_t key)
{
	size_t old = e->cur;

	switch (key) {
	case LE_LEFT:
		e->cur = utf8_prev(e->buf, e->cur);
		break;
	case LE_RIGHT:
		e->cur = utf8_next(e->buf, e->len, e->cur);
		break;
	case LE_HOME:
		e->cur = 0;
		break;
	case LE_END:
		e->cur = e->len;
		break;
	case LE_WORD_LEFT:
		e->cur = word_left(e, e->cur);
		break;
	case LE_WORD_RIGHT:
		e->cur = word_right(e, e->cur);
		break;
	case LE_BACKSPACE:
		if (e->cur == 0)
			return LE_UNCHANGED;
		delete_range(e, utf8_prev(e->buf, e->cur), e->cur);
		return LE_CHANGED;
	case LE_DELETE:
		if (e->cur == e->len)
			return LE_UNCHANGED;
		delete_range(e, e->cur, utf8_next(e->buf, e->len, e->cur));
		return LE_CHANGED;
	case LE_KILL_END:
		if (e->cur == e->len)
			return LE_UNCHANGED;
		e->buf[e->cur] = '\0';
		e->len = e->cur;
		return LE_CHANGED;
	case LE_KILL_START:
		if (e->cur == 0)
			return LE_UNCHANGED;
		delete_range(e, 0, e->cur);
		return LE_CHANGED;
	case LE_KILL_WORD:
		if (e->cur == 0)
			return LE_UNCHANGED;
		delete_range(e, word_left(e, e->cur), e->cur);
		return LE_CHANGED;
	case LE_UP:
		return history_move(e, -1);
	case LE_DOWN:
		return history_move(e, 1);
	case LE_ENTER:
		return LE_ACCEPT;
	case LE_CANCEL:
		return LE_ABORT;
	default: {
		char buf[5];
		size_t n;

		if (key < 0x20 || key == 0x7f || key > 0x10ffff || (key >= 0x80 && key < 0xa0))
			return LE_UNCHANGED;
		n = utf8_encode(key, buf);
		buf[n] = '\0';
		return lineedit_insert(e, buf) ? LE_CHANGED : LE_UNCHANGED;
	}
	}
	return e->cur != old ? LE_MOVED : LE_UNCHANGED;
}

void lineedit_history_add(struct lineedit *e, const char *line)
{
	if (!*line)
		goto out;
	if (e->nhist && strcmp(e->hist[e->nhist - 1], line) == 0)
		goto out;
	if (e->nhist == LINEEDIT_HISTORY) {
		free(e->hist[0]);
		memmove(e->hist, e->hist + 1, (LINEEDIT_HISTORY - 1) * sizeof(e->hist[0]));
		e->nhist--;
	}
	e->hist[e->nhist++] = xstrdup(line);
out:
	e->hpos = e->nhist;
}

void lineedit_word(const struct lineedit *e, size_t *start, int *index)
{
	size_t s = e->cur, i;
	int idx = 0;
	bool in_word = false;

	while (s > 0 && !is_space(e->buf[s - 1]))
		s--;
	for (i = 0; i < s; i++) {
		if (!is_space(e->buf[i]) && !in_word) {
			in_word = true;
		} else if (is_space(e->buf[i]) && in_word) {
			in_word = false;
			idx++;
		}
	}
	if (in_word)
		idx++;
	*start = s;
	*index = idx;
}

size_t lineedit_complete(struct lineedit *e, const char *const *cands, size_t n,
			 const char **out, size_t outcap)
{
	size_t start, wlen, i, nm = 0, common = 0;
	const char *first = NULL;
	char word[LINEEDIT_MAX];
	int index;

	lineedit_word(e, &start, &index);
	wlen = e->cur - start;
	memcpy(word, e->buf + start, wlen);
	word[wlen] = '\0';
	for (i = 0; i < n; i++) {
		size_t k;

		if (strncmp(cands[i], word, wlen) != 0)
			continue;
		if (out && nm < outcap)
			out[nm] = cands[i];
		if (!first) {
			first = cands[i];
			common = strlen(first);
		} else {
			for (k = 0; k < common && first[k] == cands[i][k]; k++)
				;
			common = k;
		}
		nm++;
	}
	if (!nm)
		return 0;
	/* Do not stop inside a code point. */
	while (common > wlen && ((unsigned char)first[common] & 0xc0) == 0x80)
		common--;
	if (common > wlen) {
		char add[LINEEDIT_MAX];
		size_t k = common - wlen;

		if (k >= sizeof(add))
			k = sizeof(add) - 1;
		memcpy(add, first + wlen, k);
		add[k] = '\0';
		lineedit_insert(e, add);
	}
	if (nm == 1 && (e->cur == e->len || !is_space(e->buf[e->cur])))
		lineedit_insert(e, " ");
	return nm;
}

int lineedit_cursor_col(const struct lineedit *e)
{
	return utf8_width_n(e->buf, e->cur);
}
