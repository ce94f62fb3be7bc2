/* test_layout: the generated layout tables, and the _Py_DebugOffsets
 * reader on blocks captured from real interpreters (3.13.0, Debian's 3.14
 * and 3.15 and their -dbg builds; tools/capture_debug_offsets.py): each
 * offset it gives is checked against where the live interpreter held that
 * value, found without any schema. Malformed blocks start from a real one. */
#include <stdint.h>
#include <string.h>

#include "cpython/debug_offsets.h"
#include "cpython/layout.h"
#include "cpython/versions.h"
#include "data/debug_offsets_facts.h"
#include "debug_offsets_golden.h"
#include "tap.h"

/* The _Py_DebugOffsets blocks of real interpreters (golden_blocks: every
 * one captured) and what those interpreters showed about themselves
 * (tools/capture_debug_offsets.py). */
static const struct capture_facts *facts_of(const char *name)
{
	for (size_t i = 0; i < sizeof capture_facts / sizeof capture_facts[0]; i++)
		if (strcmp(capture_facts[i].block, name) == 0)
			return &capture_facts[i];
	return NULL;
}

static int32_t field_at(const struct py_layout *L, size_t at)
{
	int32_t v;
	memcpy(&v, (const char *)L + at, sizeof v);
	return v;
}

/* Where the schema puts the member that gives this py_layout field. */
static int32_t member_of(const struct debug_schema *s, size_t field)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (s->fields[i].field == field)
			return s->fields[i].at;
	return -1;
}

/* The real reader on each real block: every offset it gives is one of the
 * places where the live interpreter held that field's value, and the sizes
 * agree with Python's own __basicsize__. */
static void test_golden_blocks(void)
{
	static unsigned char buf[DEBUG_OFFSETS_READ_SIZE];

	for (size_t i = 0; i < sizeof golden_blocks / sizeof golden_blocks[0]; i++) {
		const struct golden_block *r = &golden_blocks[i];
		const struct capture_facts *f = facts_of(r->name);
		const struct py_layout *T = layout_for_version(3, r->minor);
		if (!tap_ok(f && T, "%s: facts and a 3.%d table exist", r->name, r->minor))
			continue;
		memset(buf, 0, sizeof buf);
		memcpy(buf, r->bytes, r->len);
		tap_is(debug_offsets_version(buf, sizeof buf), f->hexversion, "%s: the version read is sys.hexversion",
		       r->name);
		uint64_t rt_size;
		memcpy(&rt_size, buf + 24, 8);    /* runtime_state.size: first after cookie, version, free_threaded */
		tap_is(rt_size, f->runtime_symbol_size, "%s: the block describes a _PyRuntime of the symbol's size",
		       r->name);
		struct py_layout L = *T;
		int rc = debug_offsets_apply(buf, sizeof buf, &L);
		if (!tap_ok(rc >= 0, "%s: the reader applies it (rc %d)", r->name, rc))
			continue;
		for (size_t k = 0; k < sizeof f->found / sizeof f->found[0]; k++) {
			const struct offset_fact *o = &f->found[k];
			int32_t got = field_at(&L, o->at);
			int in = 0;
			for (int h = 0; h < FACT_HITS && o->hits[h] >= 0; h++)
				in |= o->hits[h] == got;
			if (!tap_ok(in, "%s: %s = %d, where the live interpreter held it", r->name, o->field, got))
				for (int h = 0; h < FACT_HITS && o->hits[h] >= 0; h++)
					printf("#   held at %d\n", o->hits[h]);
		}
		tap_is(L.object_type, f->object_basicsize - 8, "%s: ob_type ends object's basic size", r->name);
		tap_is(L.tuple_item, f->tuple_basicsize, "%s: ob_item is at tuple's basic size", r->name);
		tap_is(L.long_digit, f->int_basicsize, "%s: ob_digit is at int's basic size", r->name);
		tap_is(L.bytes_sval, f->bytes_basicsize - 1, "%s: ob_sval is at bytes' basic size less its NUL", r->name);
		tap_is(L.unicode_ascii_data, f->empty_str_size - 1, "%s: ASCII data follows the header (getsizeof('') - 1)",
		       r->name);
		tap_is(L.free_threaded, 0, "%s: a GIL build", r->name);
	}
}

/* Malformed blocks, made from the real 3.13 one. */
static void test_malformed(void)
{
	static unsigned char block[DEBUG_OFFSETS_READ_SIZE];
	const struct debug_schema *s = debug_schema_for(0x030d00f0);
	struct py_layout L = *layout_for_version(3, 13);

	memset(block, 0, sizeof block);
	memcpy(block, real_debug_offsets_3_13, sizeof real_debug_offsets_3_13);
	tap_is(debug_offsets_apply(block, sizeof block, &L), 0, "the real 3.13.0 block agrees with the 3.13 table");
	int32_t at = s ? member_of(s, DEBUG_FIELD(tstate_current_frame)) : -1;
	if (!tap_ok(at > 0, "the 3.13 schema has thread_state.current_frame"))
		return;
	struct py_layout M = *layout_for_version(3, 13);
	uint64_t moved = (uint64_t)M.tstate_current_frame + 8;
	memcpy(block + at, &moved, 8);
	tap_is(debug_offsets_apply(block, sizeof block, &M), 1, "one moved field is reported");
	tap_is(M.tstate_current_frame, L.tstate_current_frame + 8, "and the block's value wins");
	uint64_t huge = (uint64_t)INT32_MAX + 1;
	memcpy(block + at, &huge, 8);
	M = *layout_for_version(3, 13);
	tap_ok(debug_offsets_apply(block, sizeof block, &M) < 0, "an offset past INT32_MAX is refused");
	memcpy(block, real_debug_offsets_3_13, sizeof real_debug_offsets_3_13);
	memcpy(block, "nodebug!", 8);
	tap_ok(debug_offsets_apply(block, sizeof block, &M) < 0, "a block without the cookie is refused");
	tap_is(debug_offsets_version(block, sizeof block), 0, "and has no version");
	memcpy(block, real_debug_offsets_3_13, sizeof real_debug_offsets_3_13);
	struct py_layout O = *layout_for_version(3, 12);
	tap_ok(debug_offsets_apply(block, sizeof block, &O) < 0, "a 3.13 block is not laid over a 3.12 table");
	M = *layout_for_version(3, 13);
	tap_ok(debug_offsets_apply(block, sizeof real_debug_offsets_3_13 - 8, &M) < 0,
	       "a block 8 bytes shorter than the schema's is refused");
}

int main(void)
{
	int minors[64];
	size_t nminors = 0;

	/* Every version of the generated registry, which has no gaps. */
	for (size_t i = 0; i < py_versions_count && nminors < 64; i++)
		minors[nminors++] = py_versions[i].minor;
	tap_ok(nminors >= 10 && minors[0] == 6 && minors[nminors - 1] >= 15, "the registry has 3.6 to at least 3.15");
	for (size_t i = 0; i < nminors; i++) {
		const struct py_layout *L = layout_for_version(3, minors[i]);
		if (!tap_ok(L != NULL, "3.%d has a layout table", minors[i]))
			continue;
		tap_ok(L->minor == minors[i] && L->major == 3, "3.%d table says it is 3.%d", minors[i], minors[i]);
		/* 3.6's anchor is interp_head itself: the list head is at offset 0. */
		int head36 = L->runtime_model == RUNTIME_MODEL_INTERP_HEAD;
		tap_ok(head36 == (minors[i] == 6) &&
		       (head36 ? L->runtime_interpreters_head == 0 : L->runtime_interpreters_head > 0) &&
		       L->tstate_next >= 0 && L->code_filename > 0 &&
		       L->object_type == 8 && L->tstate_thread_id > 0,
		       "3.%d core offsets are present", minors[i]);
		int object = L->frame_model == FRAME_MODEL_OBJECT;
		tap_ok(object == (minors[i] <= 10) && (L->frame_back >= 0) == object &&
		       (L->iframe_previous >= 0) == !object && (L->code_qualname >= 0) == !object,
		       "3.%d frame model matches its fields", minors[i]);
		tap_ok((L->tstate_native_thread_id >= 0) == (minors[i] >= 11),
		       "3.%d native_thread_id present from 3.11 only", minors[i]);
		int statics = L->gil_model == GIL_MODEL_STATICS;
		tap_ok(statics == (minors[i] == 6) &&
		       (L->runtime_gil >= 0) == (minors[i] >= 7 && minors[i] <= 11) &&
		       (L->interp_gil_ptr >= 0) == (minors[i] >= 12) &&
		       (L->gil_size > 0) == !statics && (L->gil_holder >= 0) == statics &&
		       L->gil_locked >= 0 && L->gil_last_holder >= 0 && L->gil_switch_number >= 0,
		       "3.%d GIL is in the runtime from 3.7 to 3.11, per interpreter after (3.6: statics, "
		       "and _PyThreadState_Current while no GIL exists)", minors[i]);
		tap_ok(L->unicode_kind_shift == 2 && L->unicode_compact_shift == 5 && L->unicode_ascii_shift == 6,
		       "3.%d str state bit-fields are where CPython puts them", minors[i]);
		/* 3.14's quirks are fields: a tagged f_executable, interpreter-owned entry frames. */
		tap_ok((L->iframe_code_tag_bits != 0) == (minors[i] >= 14) &&
		       (L->iframe_owner_interpreter >= 0) == (minors[i] >= 14) &&
		       (L->tstate_holds_gil >= 0) == (minors[i] >= 14) &&
		       (L->iframe_owner_generator >= 0) == (minors[i] >= 11) &&
		       (L->iframe_owner_thread >= 0) == (minors[i] >= 11) &&
		       (L->iframe_owner_frame_object >= 0) == (minors[i] >= 11),
		       "3.%d stackref tag, owner values and holds_gil are fields", minors[i]);
		/* A running frame's stack pointer: stacktop -1 on 3.12-3.13 in every
		 * build (3.14+ NULLs stackpointer with assertions only: not known). */
		tap_ok((L->iframe_stackpointer_size == 4) == (minors[i] == 12 || minors[i] == 13) &&
		       (L->iframe_stackpointer_size == 0 || L->iframe_stackpointer > L->iframe_instr),
		       "3.%d running frame's stack pointer is a field", minors[i]);
		tap_ok((debug_schema_for((uint64_t)3 << 24 | (uint64_t)minors[i] << 16) != NULL) == (minors[i] >= 13),
		       "3.%d has a _Py_DebugOffsets schema from 3.13 only", minors[i]);
	}
	tap_ok(layout_for_version(3, 5) == NULL && layout_for_version(2, 7) == NULL, "3.5 and 2.7 have no table");
	tap_ok(layout_for_version(3, minors[nminors - 1] + 1) == NULL, "the version after the newest has no table");
	tap_ok(layout_find(3, 13, 1) == NULL, "no free-threaded table (3.13t) yet");

	{
		char err[256];
		struct py_layout B = *layout_for_version(3, 12);
		tap_is(layout_validate(&B, err, sizeof err), 0, "the 3.12 table validates");
		B.iframe_stackpointer_size = 3;
		tap_ok(layout_validate(&B, err, sizeof err) < 0, "a stack pointer 3 bytes wide is refused");
		B = *layout_for_version(3, 12);
		B.iframe_stackpointer = LAYOUT_FRAME_MAX - 2;
		tap_ok(layout_validate(&B, err, sizeof err) < 0, "a stack pointer past the frame read is refused");
	}
	test_golden_blocks();
	test_malformed();
	return tap_done();
}
