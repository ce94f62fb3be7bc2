/* test_debug_schema: the generated _Py_DebugOffsets schemas read the real
 * blocks of CPython 3.13.0 (pyenv), 3.14.10 and 3.15.2 (Debian unstable, and
 * their -dbg builds): the block's version finds its schema, the offsets it
 * gives equal the generated table's for the release builds, the result passes
 * layout_validate(), a free-threaded flag is noticed, short blocks are
 * refused, and random corruption of the members never gets past the checks
 * with an offset outside its buffer. */
#include <stdint.h>
#include <string.h>

#include "cpython/debug_offsets.h"
#include "cpython/layout.h"
#include "cpython/versions.h"
#include "debug_offsets_golden.h"
#include "errors.h"
#include "tap.h"

struct golden {
	const char *name;
	const unsigned char *bytes;
	size_t len;
	int minor;
	int debug_build;    /* a -dbg build: its structs differ from the table's */
};

/* Every captured block (debug_offsets_golden.h's table), as this test
 * names them. */
static struct golden goldens[GOLDEN_BLOCKS];

static void goldens_load(void)
{
	for (size_t i = 0; i < GOLDEN_BLOCKS; i++)
		goldens[i] = (struct golden){ golden_blocks[i].version, golden_blocks[i].bytes, golden_blocks[i].len,
					      golden_blocks[i].minor, golden_blocks[i].debug_build };
}

static unsigned char block[DEBUG_OFFSETS_READ_SIZE];

static void load(const struct golden *g)
{
	memset(block, 0, sizeof block);
	memcpy(block, g->bytes, g->len);
}

/* A small deterministic generator (xorshift64). */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	char why[200];

	goldens_load();
	/* Every registry build with a schema has a captured block: a new
	 * version needs one (tools/capture_debug_offsets.py finds its
	 * interpreter from the registry), or this fails naming it. */
	for (size_t i = 0; i < py_versions_count; i++) {
		const struct py_version *v = &py_versions[i];
		int found = 0;
		if (!v->schema)
			continue;
		for (size_t k = 0; k < GOLDEN_BLOCKS; k++)
			found += golden_blocks[k].minor == v->minor && golden_blocks[k].free_threaded == v->free_threaded;
		tap_ok(found > 0, "registry %d.%d%s has a captured _Py_DebugOffsets block%s", v->major, v->minor,
		       v->free_threaded ? "t" : "",
		       found ? "" : ": none in tests/unit/debug_offsets_golden.h, capture it with "
				    "tools/capture_debug_offsets.py (as root, the interpreter installed)");
	}

	for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++) {
		const struct golden *g = &goldens[i];
		const struct py_layout *T = layout_for_version(3, g->minor);
		load(g);
		uint64_t hex = debug_offsets_version(block, sizeof block);
		tap_ok((hex >> 24) == 3 && ((hex >> 16) & 0xff) == (uint64_t)g->minor,
		       "%s: the block says 3.%d (0x%llx)", g->name, g->minor, (unsigned long long)hex);
		const struct debug_schema *s = debug_schema_for(hex);
		if (!tap_ok(s && T, "%s: a generated schema and table exist", g->name))
			continue;
		tap_ok((size_t)s->size == g->len, "%s: the schema's block size is the captured one (%zu)", g->name, g->len);
		struct py_layout L = *T;
		int changed = debug_offsets_apply(block, sizeof block, &L);
		if (g->debug_build)
			tap_ok(changed >= 0, "%s: the debug build's block applies (%d fields moved)", g->name, changed);
		else
			tap_is(changed, 0, "%s: the real block agrees with the generated table on every field", g->name);
		tap_is(L.free_threaded, 0, "%s: a GIL build", g->name);
		tap_is(layout_validate(&L, why, sizeof why), 0, "%s: the applied layout is valid", g->name);
		tap_ok(L.iframe_code_tag_bits == T->iframe_code_tag_bits && L.iframe_owner_interpreter == T->iframe_owner_interpreter,
		       "%s: the table's quirks (tag bits %d, interpreter owner %d) survive the block", g->name,
		       L.iframe_code_tag_bits, L.iframe_owner_interpreter);

		/* A block shorter than the schema's is not read past its end. */
		L = *T;
		tap_ok(debug_offsets_apply(block, g->len - 8, &L) < 0, "%s: a block cut 8 bytes short is refused", g->name);

		/* free_threaded set (and gil->enabled at the struct's start, as a
		 * Py_GIL_DISABLED build has it): noticed, pyrt_open refuses it. */
		load(g);
		uint64_t one = 1, base;
		memcpy(block + s->free_threaded, &one, 8);
		memcpy(&base, block + s->gil_state, 8);
		memcpy(block + s->gil_enabled, &base, 8);
		L = *T;
		int rc = debug_offsets_apply(block, sizeof block, &L);
		tap_ok(rc > 0 && L.free_threaded == 1 && L.gil_enabled == 0,
		       "%s: a free-threaded block is flagged (rc %d)", g->name, rc);

		/* A block of another minor version is not laid over this table. */
		load(g);
		L = *layout_for_version(3, 12);
		tap_ok(debug_offsets_apply(block, sizeof block, &L) < 0, "%s: not laid over the 3.12 table", g->name);

		/* Fuzz: random values in random members; whatever apply accepts,
		 * layout_validate() must refuse unless every offset fits. */
		int accepted = 0, valid = 0, escaped = 0;
		for (int round = 0; round < 20000; round++) {
			load(g);
			int k = 1 + (int)(next() % 4);
			for (int j = 0; j < k; j++) {
				const struct debug_field *f = &s->fields[next() % s->nfields];
				uint64_t v;
				switch (next() % 4) {
				case 0: v = next(); break;                 /* anything */
				case 1: v = next() % 4096; break;          /* plausible */
				case 2: v = (uint64_t)INT32_MAX - next() % 16; break;
				default: memcpy(&v, block + f->at, 8); v += next() % 64 - 32; break;
				}
				memcpy(block + f->at, &v, 8);
			}
			L = *T;
			if (debug_offsets_apply(block, sizeof block, &L) < 0)
				continue;
			accepted++;
			if (layout_validate(&L, why, sizeof why) < 0)
				continue;
			valid++;
			/* Spot-check the fields the walkers index buffers with. */
			if (L.tstate_size > LAYOUT_TSTATE_MAX || L.tstate_current_frame + 8 > L.tstate_size ||
			    L.iframe_owner >= LAYOUT_FRAME_MAX || L.iframe_previous + 8 > LAYOUT_FRAME_MAX ||
			    L.code_filename + 8 > LAYOUT_CODE_READ || L.unicode_length + 8 > LAYOUT_STR_HEAD ||
			    (L.tstate_holds_gil >= 0 && L.tstate_holds_gil + 4 > L.tstate_size))
				escaped++;
		}
		tap_ok(escaped == 0, "%s: 20000 fuzzed blocks: %d applied, %d valid, none with an offset outside its buffer",
		       g->name, accepted, valid);
	}
	/* A version newer than every table: no schema of its own, but the
	 * newest schema reads its block over the newest table (pyrt_open's
	 * fallback), and nothing older. */
	{
		const struct golden *g = &goldens[0];   /* the newest release build's */
		for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++)
			if (!goldens[i].debug_build && goldens[i].minor > g->minor)
				g = &goldens[i];
		const struct debug_schema *newest = debug_schema_newest();
		struct py_layout L;
		uint64_t hex = (uint64_t)3 << 24 | (uint64_t)(g->minor + 1) << 16 | 0xf0;
		tap_ok(newest && newest->minor == g->minor, "the newest schema is 3.%d's", g->minor);
		load(g);
		memcpy(block + 8, &hex, 8);
		tap_ok(!debug_schema_for(hex), "3.%d has no schema of its own", g->minor + 1);
		L = *layout_for_version(3, g->minor);
		tap_is(debug_offsets_apply(block, sizeof block, &L), PYTOP_EVERSION,
		       "debug_offsets_apply refuses the 3.%d block", g->minor + 1);
		L = *layout_for_version(3, g->minor);
		tap_is(debug_offsets_apply_schema(newest, block, sizeof block, &L), 0,
		       "the newest schema reads it over the newest table (no field moved)");
		L = *layout_for_version(3, g->minor - 1);
		tap_is(debug_offsets_apply_schema(newest, block, sizeof block, &L), PYTOP_EVERSION,
		       "not over an older table");
		hex = (uint64_t)3 << 24 | (uint64_t)(g->minor - 1) << 16 | 0xf0;
		memcpy(block + 8, &hex, 8);
		L = *layout_for_version(3, g->minor);
		tap_is(debug_offsets_apply_schema(newest, block, sizeof block, &L), PYTOP_EVERSION,
		       "nor an older block through it");
		memset(block, 0, 8);
		tap_is(debug_offsets_apply_schema(newest, block, sizeof block, &L), PYTOP_EINVAL,
		       "nor a block without the cookie");
	}
	return tap_done();
}
