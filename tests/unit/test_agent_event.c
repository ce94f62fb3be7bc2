/* Unit test: the agent's events as hostile input (event_parse, strings,
 * JSON re-emission), and PEP 768's fields read from real _Py_DebugOffsets
 * blocks (debug_offsets_injection), malformed ones refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/event.h"
#include "cpython/debug_offsets.h"
#include "errors.h"
#include "tap.h"
#include "debug_offsets_golden.h"

static int parse(const char *s, struct event *e)
{
	return event_parse(s, strlen(s), e);
}

static void test_parse(void)
{
	struct event e;
	char buf[64];

	tap_is(parse("{\"ev\":\"watch\",\"id\":7,\"n\":1,\"values\":[[\"args\",\"(1, 2)\"]],\"exc\":null}", &e), 0,
	       "a watch event parses");
	tap_str(e.ev, "watch", "its ev");
	tap_is(e.id, 7, "its id");
	tap_is(e.nmembers, 5, "its five members located");
	tap_ok(event_member(&e, "values") && !event_member(&e, "text"), "members found by name, absent ones not");
	static const char *const bad[] = {
		"", "{", "[]", "{\"ev\":\"x\"} trailing", "{\"ev\":\"x\",}", "{\"ev\" \"x\"}", "{\"a\":tru}",
		"{\"a\":01x}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"unterminated}", "{\"a\":1.}",
		"{\"a\":-}", "{\"a\":\"\t\"}", "{\"a\":\"\x1b[2J\"}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":[1,2}",
		"{\"a\":{\"b\":1]}", NULL,
	};
	for (int i = 0; bad[i]; i++)
		tap_is(parse(bad[i], &e), PYTOP_EINVAL, "refused: %d (not one object of printable ASCII JSON)", i);
	/* Nesting: 64 levels pass, 70 are refused. */
	char deep[256];
	for (int depth = 63; depth <= 70; depth += 7) {
		size_t k = 0;
		k += (size_t)snprintf(deep, sizeof deep, "{\"a\":");
		for (int i = 0; i < depth; i++)
			deep[k++] = '[';
		for (int i = 0; i < depth; i++)
			deep[k++] = ']';
		deep[k++] = '}';
		deep[k] = 0;
		tap_is(parse(deep, &e), depth == 63 ? 0 : PYTOP_EINVAL, "%d nested arrays: %s", depth,
		       depth == 63 ? "parsed" : "refused");
	}
	/* Strings: escapes, surrogate pairs, lone surrogates and NUL replaced. */
	tap_is(parse("{\"text\":\"a\\nb\\u00e9\\ud83d\\ude00\\ud800x\\u0000\\\"\"}", &e), 0, "escapes parse");
	long n = event_string(&e, "text", buf, sizeof buf);
	tap_str(buf, "a\nb\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx\xef\xbf\xbd\"", "decoded to UTF-8 (U+FFFD for a lone surrogate and NUL)");
	tap_is(n, (long)strlen(buf), "its full length");
	char small[6];
	n = event_string(&e, "text", small, sizeof small);
	tap_str(small, "a\nb\xc3\xa9", "cut on a character boundary");
	tap_ok(n > (long)sizeof small, "the full length is still reported (%ld)", n);
	tap_is(event_string(&e, "nope", buf, sizeof buf), -1, "an absent string: -1");
	tap_is(parse("{\"id\":\"7\",\"ev\":12}", &e), 0, "wrong types parse");
	tap_ok(e.id == 0 && e.ev[0] == 0, "and give no id or ev");
	tap_is(parse("{\"id\":99999999999999999999999}", &e), 0, "a huge id parses");
	tap_is(e.id, 0, "and is no id");
	tap_is(parse("{\"ev\":\"averyveryverylongname\"}", &e), 0, "a long ev parses");
	tap_str(e.ev, "", "and is no ev");

	/* Re-emission without the text member. */
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	static const char *const drop[] = { "text", NULL };
	parse("{\"ev\":\"trace\",\"text\":\"x\\ny\",\"nodes\":[{\"d\":0}]}", &e);
	event_write_json(&e, drop, f);
	fclose(f);
	tap_str(out, "{\"ev\":\"trace\",\"nodes\":[{\"d\":0}]}\n", "JSON written without the text member");
	free(out);
}

static void test_injection(void)
{
	struct debug_injection d;
	unsigned char buf[DEBUG_OFFSETS_READ_SIZE];

	memset(buf, 0, sizeof buf);
	memcpy(buf, real_debug_offsets_3_13, sizeof real_debug_offsets_3_13);
	tap_is(debug_offsets_injection(buf, sizeof buf, &d), PYTOP_EVERSION, "3.13's block: no PEP 768 (EVERSION)");
	/* Every captured block of a version whose schema has PEP 768's members. */
	for (size_t i = 0; i < GOLDEN_BLOCKS; i++) {
		const struct golden_block *g = &golden_blocks[i];
		const struct debug_schema *s = debug_schema_for(0x03000000u | (uint32_t)g->minor << 16);
		if (!s || s->inject_support < 0)
			continue;
		memset(buf, 0, sizeof buf);
		memcpy(buf, g->bytes, g->len);
		int rc = debug_offsets_injection(buf, sizeof buf, &d);
		tap_is(rc, 0, "%s: the real block gives PEP 768's fields", g->version);
		/* Facts from the headers: _Py_MAX_SCRIPT_PATH_SIZE 512, the stop
		 * bit 1 << 5, the path right after the int32 pending flag. */
		tap_is(d.script_path_size, 512, "%s: script path size 512", g->version);
		tap_is(d.stop_bit, 1u << 5, "%s: _PY_EVAL_PLEASE_STOP_BIT", g->version);
		tap_is(d.tstate_script_path, d.tstate_pending_call + 4, "%s: the path follows the pending flag",
		       g->version);
		tap_ok(d.tstate_eval_breaker > 0 && d.interp_threads_main > 0 && d.interp_enabled > 0,
		       "%s: offsets inside the structures (%d %d %d)", g->version, d.tstate_eval_breaker,
		       d.interp_threads_main, d.interp_enabled);
		/* Hostile: the script path pushed past the thread state. */
		uint64_t huge = 1ull << 40, big = 1u << 20;
		unsigned char bad[DEBUG_OFFSETS_READ_SIZE];
		memcpy(bad, buf, sizeof bad);
		memcpy(bad + s->inject_script_path_size, &huge, 8);
		tap_is(debug_offsets_injection(bad, sizeof bad, &d), PYTOP_EINVAL, "%s: a huge path size is refused",
		       g->version);
		memcpy(bad, buf, sizeof bad);
		memcpy(bad + s->inject_support, &big, 8);
		tap_is(debug_offsets_injection(bad, sizeof bad, &d), PYTOP_EINVAL,
		       "%s: the support struct past the thread state is refused", g->version);
		memcpy(bad, buf, sizeof bad);
		memcpy(bad + s->inject_enabled, &huge, 8);
		tap_is(debug_offsets_injection(bad, sizeof bad, &d), PYTOP_EINVAL,
		       "%s: the enabled flag past the interpreter state is refused", g->version);
		tap_is(debug_offsets_injection(buf, (size_t)s->size - 8, &d), PYTOP_EINVAL,
		       "%s: a short block is refused", g->version);
	}
}

int main(void)
{
	test_parse();
	test_injection();
	return tap_done();
}
