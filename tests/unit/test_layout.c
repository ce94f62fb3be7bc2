/* test_layout: the generated layout tables and _Py_DebugOffsets overlay. */
#include <stdint.h>
#include <string.h>

#include "cpython/debug_offsets.h"
#include "cpython/layout.h"
#include "cpython/versions.h"
#include "tap.h"

/* A 3.13 _Py_DebugOffsets block built from the generated 3.13 table. */
static void fake_block(unsigned char *b, const struct py_layout *L)
{
	uint64_t v[72] = { 0 };
	memset(b, 0, DEBUG_OFFSETS_READ_SIZE);
	memcpy(b, "xdebugpy", 8);
	v[0] = 0x030d00f0;
	v[4] = (uint64_t)L->runtime_interpreters_head;
	v[6] = (uint64_t)L->interp_id;
	v[7] = (uint64_t)L->interp_next;
	v[8] = (uint64_t)L->interp_threads_head;
	v[10] = (uint64_t)L->interp_modules;
	v[11] = (uint64_t)L->interp_sysdict;
	v[13] = (uint64_t)L->interp_gil_ptr;
	v[14] = 1000;
	v[16] = 1000 + (uint64_t)L->gil_locked;
	v[17] = 1000 + (uint64_t)L->gil_last_holder;
	v[18] = (uint64_t)L->tstate_size;
	v[20] = (uint64_t)L->tstate_next;
	v[21] = (uint64_t)L->tstate_interp;
	v[22] = (uint64_t)L->tstate_current_frame;
	v[23] = (uint64_t)L->tstate_thread_id;
	v[24] = (uint64_t)L->tstate_native_thread_id;
	v[28] = (uint64_t)L->iframe_previous;
	v[29] = (uint64_t)L->iframe_code;
	v[30] = (uint64_t)L->iframe_instr;
	v[31] = (uint64_t)L->iframe_localsplus;
	v[32] = (uint64_t)L->iframe_owner;
	v[34] = (uint64_t)L->code_filename;
	v[35] = (uint64_t)L->code_name;
	v[36] = (uint64_t)L->code_qualname;
	v[37] = (uint64_t)L->code_linetable;
	v[38] = (uint64_t)L->code_firstlineno;
	v[39] = (uint64_t)L->code_argcount;
	v[42] = (uint64_t)L->code_code_adaptive;
	v[44] = (uint64_t)L->object_type;
	v[46] = (uint64_t)L->type_name;
	v[48] = (uint64_t)L->type_flags;
	v[50] = (uint64_t)L->tuple_item;
	v[56] = (uint64_t)L->dict_keys;
	v[57] = (uint64_t)L->dict_values;
	v[61] = (uint64_t)L->long_size;
	v[62] = (uint64_t)L->long_digit;
	v[65] = (uint64_t)L->bytes_sval;
	v[67] = (uint64_t)L->unicode_state;
	v[68] = (uint64_t)L->unicode_length;
	v[69] = (uint64_t)L->unicode_ascii_data;
	memcpy(b + 8, v, sizeof v);
}

int main(void)
{
	int minors[64];
	size_t nminors = 0;
	unsigned char block[DEBUG_OFFSETS_READ_SIZE];

	/* Every version of the generated registry, which has no gaps. */
	for (size_t i = 0; i < py_versions_count && nminors < 64; i++)
		minors[nminors++] = py_versions[i].minor;
	tap_ok(nminors >= 8 && minors[0] == 8 && minors[nminors - 1] >= 15, "the registry has 3.8 to at least 3.15");
	for (size_t i = 0; i < nminors; i++) {
		const struct py_layout *L = layout_for_version(3, minors[i]);
		if (!tap_ok(L != NULL, "3.%d has a layout table", minors[i]))
			continue;
		tap_ok(L->minor == minors[i] && L->major == 3, "3.%d table says it is 3.%d", minors[i], minors[i]);
		tap_ok(L->runtime_interpreters_head > 0 && L->tstate_next >= 0 && L->code_filename > 0 &&
		       L->object_type == 8 && L->tstate_thread_id > 0,
		       "3.%d core offsets are present", minors[i]);
		int object = L->frame_model == FRAME_MODEL_OBJECT;
		tap_ok(object == (minors[i] <= 10) && (L->frame_back >= 0) == object &&
		       (L->iframe_previous >= 0) == !object && (L->code_qualname >= 0) == !object,
		       "3.%d frame model matches its fields", minors[i]);
		tap_ok((L->tstate_native_thread_id >= 0) == (minors[i] >= 11),
		       "3.%d native_thread_id present from 3.11 only", minors[i]);
		tap_ok((L->runtime_gil >= 0) == (minors[i] <= 11) && (L->interp_gil_ptr >= 0) == (minors[i] >= 12),
		       "3.%d GIL is in the runtime before 3.12, per interpreter after", minors[i]);
		tap_ok(L->unicode_kind_shift == 2 && L->unicode_compact_shift == 5 && L->unicode_ascii_shift == 6,
		       "3.%d str state bit-fields are where CPython puts them", minors[i]);
		/* 3.14's quirks are fields: a tagged f_executable, interpreter-owned entry frames. */
		tap_ok((L->iframe_code_tag_bits != 0) == (minors[i] >= 14) &&
		       (L->iframe_owner_interpreter >= 0) == (minors[i] >= 14) &&
		       (L->tstate_holds_gil >= 0) == (minors[i] >= 14) &&
		       (L->iframe_owner_generator >= 0) == (minors[i] >= 11),
		       "3.%d stackref tag, owner values and holds_gil are fields", minors[i]);
		tap_ok((debug_schema_for((uint64_t)3 << 24 | (uint64_t)minors[i] << 16) != NULL) == (minors[i] >= 13),
		       "3.%d has a _Py_DebugOffsets schema from 3.13 only", minors[i]);
	}
	tap_ok(layout_for_version(3, 7) == NULL, "3.7 has no table");
	tap_ok(layout_for_version(3, minors[nminors - 1] + 1) == NULL, "the version after the newest has no table");
	tap_ok(layout_find(3, 13, 1) == NULL, "no free-threaded table (3.13t) yet");

	struct py_layout L = *layout_for_version(3, 13);
	fake_block(block, &L);
	tap_is(debug_offsets_version(block, sizeof block), 0x030d00f0, "debug offsets version is read");
	tap_is(debug_offsets_apply(block, sizeof block, &L), 0, "a block equal to the 3.13 table changes nothing");
	struct py_layout M = *layout_for_version(3, 13);
	uint64_t moved = (uint64_t)M.tstate_current_frame + 8;
	memcpy(block + 8 + 8 * 22, &moved, 8);
	tap_is(debug_offsets_apply(block, sizeof block, &M), 1, "one moved field is reported");
	tap_is(M.tstate_current_frame, L.tstate_current_frame + 8, "and the block's value wins");
	memcpy(block, "nodebug!", 8);
	tap_ok(debug_offsets_apply(block, sizeof block, &M) < 0, "a block without the cookie is refused");
	struct py_layout O = *layout_for_version(3, 12);
	fake_block(block, &L);
	tap_ok(debug_offsets_apply(block, sizeof block, &O) < 0, "a 3.13 block is not laid over a 3.12 table");
	return tap_done();
}
