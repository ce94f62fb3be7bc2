/* test_validate: layout_validate() over the generated tables and over a real
 * CPython 3.13 _Py_DebugOffsets block (real_debug_offsets_3_13,
 * tests/unit/debug_offsets_golden.h) with
 * single fields corrupted the way a hostile target would: every value that
 * would index past its buffer is refused with the field named. */
#include <stdint.h>
#include <string.h>

#include "cpython/debug_offsets.h"
#include "cpython/layout.h"
#include "cpython/versions.h"
#include "debug_offsets_golden.h"
#include "errors.h"
#include "tap.h"

static unsigned char block[DEBUG_OFFSETS_READ_SIZE];

/* The real block, zero-padded to the size pytop reads. */
static void real_block(void)
{
	memset(block, 0, sizeof block);
	memcpy(block, real_debug_offsets_3_13, sizeof real_debug_offsets_3_13);
}

static uint64_t get(int index)
{
	uint64_t v;
	memcpy(&v, block + 8 + 8 * index, 8);
	return v;
}

static void set(int index, uint64_t v)
{
	memcpy(block + 8 + 8 * index, &v, 8);
}

/* Lay the block over the 3.13 table and validate; err gets the message. */
static int apply_validate(char *err, size_t cap)
{
	struct py_layout L = *layout_for_version(3, 13);
	err[0] = 0;
	int rc = debug_offsets_apply(block, sizeof block, &L);
	if (rc < 0) {
		snprintf(err, cap, "apply refused the block");
		return rc;
	}
	return layout_validate(&L, err, cap);
}

/* Set block[index] = value (from the real block) and expect a refusal that
 * names `field`. */
static void refused(int index, uint64_t value, const char *field, const char *why)
{
	char err[256];
	real_block();
	set(index, value);
	int rc = apply_validate(err, sizeof err);
	tap_ok(rc == PYTOP_ECORRUPT && strstr(err, field) != NULL, "%s = %llu is refused naming %s (%s)",
	       field, (unsigned long long)value, field, why);
	if (rc != PYTOP_ECORRUPT || !strstr(err, field))
		printf("#   rc %d, err \"%s\"\n", rc, err);
}

int main(void)
{
	char err[256];

	/* Every table of the generated registry. */
	for (size_t i = 0; i < py_versions_count; i++) {
		const struct py_layout *L = py_versions[i].layout;
		int rc = layout_validate(L, err, sizeof err);
		tap_ok(rc == 0, "the generated %d.%d table is valid", py_versions[i].major, py_versions[i].minor);
		if (rc)
			printf("#   %s\n", err);
	}

	real_block();
	tap_is(debug_offsets_version(block, sizeof block), 0x030d00f0, "the captured block is 3.13.0");
	tap_is(get(18), 304, "its tstate_size is the real one");
	tap_is(apply_validate(err, sizeof err), 0, "the real 3.13.0 block is valid");

	/* The audit's cases: sizes of reads into fixed buffers. */
	refused(18, 5000, "tstate_size", "read into the 1024-byte thread-state buffer");
	refused(18, 4, "tstate_size", "smaller than a pointer");
	refused(57, 2000, "dict_values", "dict_values + 8 read into a 64-byte buffer");
	refused(62, 60, "long_digit", "long_digit + 12 read into a 64-byte buffer");
	refused(56, 64, "dict_keys", "past the 64-byte dict head");
	/* Offsets that index a 256-byte code head or the thread state. */
	refused(34, 300, "code_filename", "past the 256-byte code head");
	refused(36, 252, "code_qualname", "a u64 at 252 ends past 256");
	refused(39, 256, "code_argcount", "past the code head");
	refused(44, 0x41414141, "object_type", "past the code head");
	refused(20, 400, "tstate_next", "inside 1024 but past tstate_size 304");
	refused(24, 300, "tstate_native_thread_id", "a u64 at 300 ends past tstate_size 304");
	refused(22, 0x7fffffff, "tstate_current_frame", "INT32_MAX");
	/* Frames (512-byte buffers). */
	refused(28, 600, "iframe_previous", "past the frame buffer");
	refused(32, 512, "iframe_owner", "one past the frame buffer");
	/* str: the header must lie inside the bytes read. */
	refused(69, 4096, "unicode_ascii_data", "past the 512-byte str head");
	refused(68, 200, "unicode_length", "past the header read before the data");
	/* Offsets only added to remote addresses are still bounded. */
	refused(8, 0x7ffffff0, "interp_threads_head", "beyond any interpreter state");
	/* A GIL relative offset past the GIL read. */
	refused(16, get(14) + 100, "gil_locked", "past the GIL read");

	/* Values apply itself refuses (and arithmetic that would overflow). */
	real_block();
	set(18, (uint64_t)INT32_MAX + 1);
	tap_ok(apply_validate(err, sizeof err) < 0, "a value above INT32_MAX is refused by apply");
	real_block();
	set(14, 0);
	set(16, INT32_MAX);
	struct py_layout L = *layout_for_version(3, 13);
	tap_ok(debug_offsets_apply(block, sizeof block, &L) < 0,
	       "a gil_locked that would overflow gil_switch_number is refused (checked arithmetic)");

	/* Table fields the block does not carry are checked too. */
	L = *layout_for_version(3, 12);
	L.keys_entry_size = 2008;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "keys_entry_size"),
	       "a keys entry bigger than the entry buffer is refused naming keys_entry_size");
	L = *layout_for_version(3, 10);
	L.type_dictoffset = 600;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "type_dictoffset"),
	       "type_dictoffset past the 512-byte type head is refused");
	L = *layout_for_version(3, 10);
	L.frame_localsplus = -1;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "frame_localsplus"),
	       "a required field (3.8-3.10 frame_localsplus) may not be -1");
	L = *layout_for_version(3, 10);
	L.lasti_scale = 3;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "lasti_scale"), "lasti_scale 3 is refused");
	L = *layout_for_version(3, 11);
	L.code_varnames = 72;
	L.code_nlocals = 28;
	L.code_cellvars = -1;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "code_cellvars"),
	       "a field needed when another is present (cellvars with varnames) is required");
	L = *layout_for_version(3, 7);
	L.runtime_model = 3;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "runtime_model"), "runtime_model 3 is refused");
	L = *layout_for_version(3, 7);
	L.gil_locked = -1;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "gil_locked"),
	       "3.7: the GIL fields are required where the layout has a GIL");
	L = *layout_for_version(3, 7);
	L.gil_switch_cond = L.gil_size;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "gil_switch_cond"),
	       "3.7: switch_cond inside the GIL struct");
	L = *layout_for_version(3, 6);
	L.gil_switch_cond = 120;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "gil_switch_cond"),
	       "3.6: no GIL struct, so no switch_cond offset in it");
	L = *layout_for_version(3, 6);
	L.gil_size = 4096;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "gil_size"),
	       "3.6: no GIL struct, so no GIL size either");
	L = *layout_for_version(3, 6);
	L.gil_holder = -1;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "gil_holder"),
	       "3.6: the GIL statics need a holder (_PyThreadState_Current)");
	L = *layout_for_version(3, 6);
	L.gil_switch_number = LAYOUT_GIL_MAX - 4;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "gil_switch_number"),
	       "3.6: a static read past the GIL buffer is refused");
	L = *layout_for_version(3, 6);
	L.gil_model = 3;
	tap_ok(layout_validate(&L, err, sizeof err) < 0 && strstr(err, "gil_model"), "gil_model 3 is refused");
	return tap_done();
}
