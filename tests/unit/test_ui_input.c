/* test_ui_input: the prompt's line editor (editing keys, UTF-8, history,
 * completion), the command table (splitting, lookup by name, alias and
 * unique prefix, completion candidates) and the key table (no key bound
 * twice, the names the help screen prints, the function-key bar). */
#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "ui/commands.h"
#include "ui/keys.h"
#include "ui/lineedit.h"
#include "ui/tui.h"

static void type(struct lineedit *e, const char *s)
{
	lineedit_insert(e, s);
}

static void test_lineedit(void)
{
	struct lineedit e;
	const char *cands[] = { "sort", "save", "filter", "thread", "help" };
	const char *out[8];
	size_t start;
	int word;

	lineedit_init(&e);
	type(&e, "hello");
	tap_str(e.buf, "hello", "lineedit: typing");
	tap_is(lineedit_key(&e, LE_LEFT), LE_MOVED, "lineedit: left moves");
	tap_is(lineedit_key(&e, 'X'), LE_CHANGED, "lineedit: a printable key inserts");
	tap_str(e.buf, "hellXo", "lineedit: ... at the cursor");
	lineedit_key(&e, LE_HOME);
	lineedit_key(&e, LE_DELETE);
	tap_str(e.buf, "ellXo", "lineedit: Home, Delete");
	lineedit_key(&e, LE_END);
	lineedit_key(&e, LE_BACKSPACE);
	tap_str(e.buf, "ellX", "lineedit: End, Backspace");
	tap_is(lineedit_key(&e, LE_RIGHT), LE_UNCHANGED, "lineedit: right at the end does nothing");
	lineedit_set(&e, "sort own more");
	lineedit_key(&e, LE_KILL_WORD);
	tap_str(e.buf, "sort own ", "lineedit: ^W kills the word before the cursor");
	lineedit_key(&e, LE_WORD_LEFT);
	lineedit_key(&e, LE_KILL_END);
	tap_str(e.buf, "sort ", "lineedit: word left, ^K kills to the end");
	lineedit_key(&e, LE_KILL_START);
	tap_ok(e.len == 0 && e.cur == 0, "lineedit: ^U kills to the start");

	/* UTF-8: one key, one code point. */
	lineedit_set(&e, "");
	lineedit_key(&e, 0x8a08);     /* 計 */
	lineedit_key(&e, 0xe9);       /* é */
	tap_str(e.buf, "計é", "lineedit: code points typed as UTF-8");
	tap_is(lineedit_cursor_col(&e), 3, "lineedit: the cursor column counts display width");
	lineedit_key(&e, LE_LEFT);
	lineedit_key(&e, LE_BACKSPACE);
	tap_str(e.buf, "é", "lineedit: backspace removes a whole code point");
	tap_is(lineedit_key(&e, 0x01), LE_UNCHANGED, "lineedit: control characters are not inserted");
	tap_is(lineedit_key(&e, LE_ENTER), LE_ACCEPT, "lineedit: Enter accepts");
	tap_is(lineedit_key(&e, LE_CANCEL), LE_ABORT, "lineedit: Esc aborts");

	/* A full buffer keeps whole code points. */
	{
		char big[LINEEDIT_MAX + 8];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		lineedit_set(&e, "");
		lineedit_insert(&e, big);
		tap_is((long long)e.len, LINEEDIT_MAX - 1, "lineedit: the buffer stops when full");
		tap_is(lineedit_key(&e, 'b'), LE_UNCHANGED, "lineedit: nothing more goes in");
	}

	/* History. */
	lineedit_set(&e, "");
	lineedit_history_add(&e, "sort name");
	lineedit_history_add(&e, "filter foo");
	lineedit_history_add(&e, "filter foo");
	lineedit_history_add(&e, "");
	tap_is((long long)e.nhist, 2, "history: repeats and empty lines are not kept");
	type(&e, "dra");
	lineedit_key(&e, LE_UP);
	tap_str(e.buf, "filter foo", "history: Up gives the last line");
	lineedit_key(&e, LE_UP);
	tap_str(e.buf, "sort name", "history: Up again the one before");
	tap_is(lineedit_key(&e, LE_UP), LE_UNCHANGED, "history: no further");
	lineedit_key(&e, LE_DOWN);
	lineedit_key(&e, LE_DOWN);
	tap_str(e.buf, "dra", "history: Down past the newest gives back the draft");

	/* Completion. */
	lineedit_set(&e, "so");
	tap_is((long long)lineedit_complete(&e, cands, 5, out, 8), 1, "complete: one match");
	tap_str(e.buf, "sort ", "complete: completed, with a space");
	lineedit_set(&e, "s");
	tap_is((long long)lineedit_complete(&e, cands, 5, out, 8), 2, "complete: two matches");
	tap_str(e.buf, "s", "complete: no common prefix beyond the word");
	tap_ok(strcmp(out[0], "sort") == 0 && strcmp(out[1], "save") == 0, "complete: the matches listed");
	lineedit_set(&e, "filter cru");
	lineedit_word(&e, &start, &word);
	tap_ok(start == 7 && word == 1, "word: the second word starts at 7");
	{
		const char *names[] = { "crunch_numbers", "crunch_more", "leaf" };

		tap_is((long long)lineedit_complete(&e, names, 3, NULL, 0), 2, "complete: argument, two matches");
		tap_str(e.buf, "filter crunch_", "complete: grows to the common prefix");
	}
	lineedit_set(&e, "thread ");
	lineedit_word(&e, &start, &word);
	tap_ok(start == 7 && word == 1, "word: after a space, a new (empty) word");
	lineedit_free(&e);
}

static void test_commands(void)
{
	char line[128];
	char *argv[8];
	const struct command *c;
	bool amb;
	size_t n, i;

	snprintf(line, sizeof(line), "  sort   own  ");
	tap_is(commands_split(line, argv, 8), 2, "split: blanks separate");
	tap_ok(strcmp(argv[0], "sort") == 0 && strcmp(argv[1], "own") == 0, "split: the words");
	snprintf(line, sizeof(line), "filter \"a b\" 'c\\d' e\\ f");
	tap_is(commands_split(line, argv, 8), 4, "split: quotes and escapes");
	tap_ok(strcmp(argv[1], "a b") == 0 && strcmp(argv[2], "c\\d") == 0 && strcmp(argv[3], "e f") == 0,
	       "split: \"a b\", 'c\\d' (literal), e\\ f");
	snprintf(line, sizeof(line), "save \"open");
	tap_is(commands_split(line, argv, 8), -1, "split: an unterminated quote is an error");
	snprintf(line, sizeof(line), "a b c");
	tap_is(commands_split(line, argv, 2), -1, "split: too many words is an error");

	c = commands_find("sort", &amb);
	tap_ok(c && strcmp(c->name, "sort") == 0, "find: by name");
	c = commands_find("w", &amb);
	tap_ok(c && strcmp(c->name, "save") == 0, "find: by alias (w = save)");
	c = commands_find("fil", &amb);
	tap_ok(c && strcmp(c->name, "filter") == 0, "find: by a unique prefix");
	c = commands_find("s", &amb);
	tap_ok(!c && amb, "find: an ambiguous prefix (sort/save) is refused");
	c = commands_find("nosuch", &amb);
	tap_ok(!c && !amb, "find: unknown");
	c = commands_table(&n);
	for (i = 0; i < n; i++)
		if (!c[i].exec || !c[i].help || !c[i].args)
			break;
	tap_is((long long)i, (long long)n, "table: every command has exec, help and usage");
	{
		static const char *const want[] = { "sort", "filter", "thread", "rate", "save", "reset",
						    "help", "quit" };
		size_t k;

		for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			if (!commands_find(want[k], NULL))
				break;
		tap_is((long long)k, 8, "table: sort filter thread rate save reset help quit");
	}
}

static void test_keys(void)
{
	const struct key_binding *kb, *fk[10];
	size_t n, i, k, j, l;
	char buf[64];
	int dup = 0, missing = 0;

	kb = keys_table(&n);
	for (i = 0; i < n; i++)
		for (k = 0; k < KEYS_PER_BINDING && kb[i].keys[k]; k++)
			for (j = i; j < n; j++)
				for (l = j == i ? k + 1 : 0; l < KEYS_PER_BINDING && kb[j].keys[l]; l++)
					dup += kb[i].keys[k] == kb[j].keys[l];
	tap_is(dup, 0, "keys: no key is bound twice");
	for (i = 0; i < n; i++)
		missing += !kb[i].help || !kb[i].keys[0];
	tap_is(missing, 0, "keys: every binding has a key and a help text");
	{
		static const struct {
			uint32_t key;
			enum action a;
		} want[] = {
			{ 'q', ACT_QUIT }, { KEYS_FN(KEY_F(10)), ACT_QUIT }, { '?', ACT_HELP }, { 'h', ACT_HELP },
			{ KEYS_FN(KEY_F(1)), ACT_HELP }, { '\t', ACT_FOCUS_NEXT }, { 'j', ACT_DOWN }, { 'k', ACT_UP },
			{ KEYS_FN(KEY_NPAGE), ACT_PAGE_DOWN }, { KEYS_FN(KEY_HOME), ACT_HOME }, { 's', ACT_SORT_NEXT },
			{ 'S', ACT_SORT_PREV }, { KEYS_FN(KEY_F(2)), ACT_SORT_NEXT }, { '1', ACT_SORT_1 },
			{ '4', ACT_SORT_4 }, { '/', ACT_FILTER }, { KEYS_FN(KEY_F(3)), ACT_FILTER },
			{ 't', ACT_FOLLOW }, { KEYS_FN(KEY_F(4)), ACT_FOLLOW }, { 'L', ACT_LINES },
			{ 'c', ACT_CUMULATIVE }, { '\n', ACT_ENTER }, { KEYS_ESC, ACT_BACK }, { 'g', ACT_GILSTAT },
			{ KEYS_FN(KEY_F(6)), ACT_GILSTAT }, { 'p', ACT_PAUSE }, { ' ', ACT_PAUSE },
			{ KEYS_FN(KEY_F(7)), ACT_PAUSE }, { 'r', ACT_RESET }, { KEYS_FN(KEY_F(8)), ACT_RESET },
			{ 'w', ACT_SAVE }, { KEYS_FN(KEY_F(9)), ACT_SAVE }, { '+', ACT_DELAY_UP },
			{ '-', ACT_DELAY_DOWN }, { ':', ACT_PROMPT },
		};
		int bad = 0;

		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (keys_action(want[i].key) != want[i].a) {
				printf("# key %s: action %d, want %d\n", keys_name(want[i].key, buf, sizeof(buf)),
				       keys_action(want[i].key), want[i].a);
				bad++;
			}
		tap_is(bad, 0, "keys: the issue's bindings");
	}
	tap_str(keys_name(KEYS_FN(KEY_F(10)), buf, sizeof(buf)), "F10", "name: F10");
	tap_str(keys_name(KEYS_FN(KEY_NPAGE), buf, sizeof(buf)), "PgDn", "name: PgDn");
	tap_str(keys_name(' ', buf, sizeof(buf)), "Space", "name: Space");
	tap_str(keys_name(KEYS_CTRL('l'), buf, sizeof(buf)), "^L", "name: ^L");
	tap_str(keys_names(keys_binding(ACT_QUIT), buf, sizeof(buf)), "q F10", "names of a binding: q F10");
	tap_str(keys_names(keys_binding(ACT_ENTER), buf, sizeof(buf)), "Enter", "names: Enter once");
	keys_bar(fk);
	tap_ok(fk[0] && fk[0]->action == ACT_HELP && fk[9] && fk[9]->action == ACT_QUIT &&
	       fk[1] && fk[1]->action == ACT_SORT_NEXT && fk[8] && fk[8]->action == ACT_SAVE,
	       "bar: F1 help, F2 sort, F9 save, F10 quit (from the same table)");
}

int main(void)
{
	test_lineedit();
	test_commands();
	test_keys();
	return tap_done();
}
