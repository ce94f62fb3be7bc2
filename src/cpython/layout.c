/* layout: the table of generated layouts by version, and the check that a
 * layout's offsets fit the buffers they index. */
#include "cpython/layout.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "cpython/versions.h"
#include "errors.h"

const struct py_layout *layout_find(int major, int minor, int free_threaded)
{
	for (size_t i = 0; i < py_versions_count; i++)
		if (py_versions[i].major == major && py_versions[i].minor == minor &&
		    py_versions[i].free_threaded == !!free_threaded)
			return py_versions[i].layout;
	return NULL;
}

const struct py_layout *layout_for_version(int major, int minor)
{
	return layout_find(major, minor, 0);
}

/* The checks of layout_validate: each stops at the first field that does
 * not fit and names it. */
struct vcheck {
	const struct py_layout *L;
	char *err;
	size_t errcap;
	int bad;
};

/* Field `name` = off must be -1 (when optional) or satisfy
 * 0 <= off and off + width <= limit. */
static void vfield(struct vcheck *v, const char *name, int32_t off, int32_t width, int64_t limit, int optional)
{
	if (v->bad || (optional && off == -1))
		return;
	if (off >= 0 && (int64_t)off + width <= limit)
		return;
	v->bad = 1;
	snprintf(v->err, v->errcap, "layout field %s = %" PRId32 " does not fit the buffer it indexes (%s0 to %" PRId64 ")",
		 name, off, optional ? "-1 or " : "", limit - width);
}

/* A value (not an offset) that must lie in [lo, hi]. */
static void vrange(struct vcheck *v, const char *name, int64_t val, int64_t lo, int64_t hi)
{
	if (v->bad || (val >= lo && val <= hi))
		return;
	v->bad = 1;
	snprintf(v->err, v->errcap, "layout field %s = %" PRId64 " out of range (%" PRId64 " to %" PRId64 ")",
		 name, val, lo, hi);
}

#define F(f, w, lim) vfield(&v, #f, L->f, (w), (lim), 0)
#define OPT(f, w, lim) vfield(&v, #f, L->f, (w), (lim), 1)
#define IF(cond, f, w, lim) vfield(&v, #f, L->f, (w), (lim), !(cond))
#define R(f, lo, hi) vrange(&v, #f, (int64_t)L->f, (lo), (hi))

int layout_validate(const struct py_layout *L, char *err, size_t errcap)
{
	struct vcheck v = { L, err, errcap, 0 };
	int object = L->frame_model == FRAME_MODEL_OBJECT;
	int cframe = L->frame_model == FRAME_MODEL_CFRAME;
	int direct = L->frame_model == FRAME_MODEL_DIRECT;
	int log2 = L->keys_model == KEYS_MODEL_LOG2;
	/* A GIL struct read as one block (3.7+), or statics each read from
	 * its own symbol into the same local buffer (3.6; see layout.h). */
	int statics = L->gil_model == GIL_MODEL_STATICS;
	int gil = !statics && (L->runtime_gil >= 0 || L->interp_gil_ptr >= 0);

	/* How the walkers and readers interpret the fields. */
	R(runtime_model, RUNTIME_MODEL_PYRUNTIME, RUNTIME_MODEL_INTERP_HEAD);
	R(gil_model, GIL_MODEL_STRUCT, GIL_MODEL_STATICS);
	R(frame_model, FRAME_MODEL_OBJECT, FRAME_MODEL_DIRECT);
	R(dict_model, DICT_MODEL_DICTOFFSET, DICT_MODEL_INLINE_313);
	R(long_model, LONG_MODEL_OB_SIZE, LONG_MODEL_LV_TAG);
	R(keys_model, KEYS_MODEL_DK_SIZE, KEYS_MODEL_LOG2);
	R(lasti_scale, 1, 2);
	R(long_digit_bits, 15, 30);
	R(unicode_kind_shift, 0, 29);
	R(unicode_compact_shift, 0, 31);
	R(unicode_ascii_shift, 0, 31);

	/* Offsets only added to remote addresses. */
	F(runtime_interpreters_head, 8, LAYOUT_OFFSET_MAX);
	OPT(runtime_gil, 0, LAYOUT_OFFSET_MAX);
	F(interp_next, 8, LAYOUT_OFFSET_MAX);
	F(interp_threads_head, 8, LAYOUT_OFFSET_MAX);
	OPT(interp_id, 8, LAYOUT_OFFSET_MAX);
	F(interp_modules, 8, LAYOUT_OFFSET_MAX);
	F(interp_sysdict, 8, LAYOUT_OFFSET_MAX);
	OPT(interp_gil_ptr, 8, LAYOUT_OFFSET_MAX);
	if (gil) {
		R(gil_size, 0, LAYOUT_OFFSET_MAX);
		R(gil_switch_cond, 1, L->gil_size - 1);
	} else {
		R(gil_size, -1, 0);
		R(gil_switch_cond, -1, -1);
	}
	F(type_name, 8, LAYOUT_OFFSET_MAX);
	F(tuple_item, 8, LAYOUT_OFFSET_MAX);
	F(bytes_sval, 0, LAYOUT_OFFSET_MAX);
	F(module_dict, 8, LAYOUT_OFFSET_MAX);
	IF(object, cell_ref, 8, LAYOUT_OFFSET_MAX);
	OPT(heaptype_cached_keys, 8, LAYOUT_OFFSET_MAX);
	OPT(values_values, 0, LAYOUT_OFFSET_MAX);
	IF(!object, code_code_adaptive, 0, LAYOUT_OFFSET_MAX);

	/* The GIL state (gil_parse). */
	IF(gil || statics, gil_locked, 4, LAYOUT_GIL_MAX);
	IF(statics, gil_holder, 8, LAYOUT_GIL_MAX);
	IF(gil || statics, gil_last_holder, 8, LAYOUT_GIL_MAX);
	IF(gil || statics, gil_switch_number, 8, LAYOUT_GIL_MAX);
	OPT(gil_enabled, 4, LAYOUT_GIL_MAX);

	/* The thread state: tstate_size bytes are read into a
	 * LAYOUT_TSTATE_MAX buffer, and its fields lie inside them. */
	R(tstate_size, 8, LAYOUT_TSTATE_MAX);
	F(tstate_next, 8, L->tstate_size);
	F(tstate_interp, 8, L->tstate_size);
	F(tstate_thread_id, 8, L->tstate_size);
	OPT(tstate_native_thread_id, 8, L->tstate_size);
	OPT(tstate_holds_gil, 4, L->tstate_size);
	OPT(tstate_gil_requested, 4, L->tstate_size);
	IF(object, tstate_frame, 8, L->tstate_size);
	IF(cframe, tstate_cframe, 8, L->tstate_size);
	IF(direct, tstate_current_frame, 8, L->tstate_size);
	IF(cframe, cframe_current_frame, 8, LAYOUT_FRAME_MAX);

	/* Frames. */
	IF(object, frame_back, 8, LAYOUT_FRAME_MAX);
	IF(object, frame_code, 8, LAYOUT_FRAME_MAX);
	IF(object, frame_lasti, 4, LAYOUT_FRAME_MAX);
	IF(object, frame_localsplus, 8, LAYOUT_FRAME_MAX);
	IF(!object, iframe_previous, 8, LAYOUT_FRAME_MAX);
	IF(!object, iframe_code, 8, LAYOUT_FRAME_MAX);
	IF(!object, iframe_instr, 8, LAYOUT_FRAME_MAX);
	IF(!object, iframe_owner, 1, LAYOUT_FRAME_MAX);
	IF(!object, iframe_localsplus, 8, LAYOUT_FRAME_MAX);
	R(iframe_owner_cstack, -1, 255);
	R(iframe_owner_interpreter, -1, 255);
	R(iframe_owner_generator, -1, 255);
	R(iframe_owner_thread, -1, 255);
	R(iframe_owner_frame_object, -1, 255);
	R(threading_os_names, 0, 1);
	R(iframe_code_tag_bits, 0, 7);   /* a code object is 8-byte aligned */
	/* A frame's stack pointer tells a caller suspended in a call from a
	 * frame that runs; size 0 (a table that does not give it) turns the
	 * check off. */
	R(iframe_stackpointer_size, 0, 8);
	if (L->iframe_stackpointer_size == 4 || L->iframe_stackpointer_size == 8)
		IF(!object, iframe_stackpointer, L->iframe_stackpointer_size, LAYOUT_FRAME_MAX);
	else
		R(iframe_stackpointer_size, 0, 0);

	/* The head of a code object. */
	F(object_type, 8, LAYOUT_CODE_READ);
	F(var_size, 8, LAYOUT_CODE_READ);
	F(code_filename, 8, LAYOUT_CODE_READ);
	F(code_name, 8, LAYOUT_CODE_READ);
	OPT(code_qualname, 8, LAYOUT_CODE_READ);
	F(code_firstlineno, 4, LAYOUT_CODE_READ);
	F(code_linetable, 8, LAYOUT_CODE_READ);
	F(code_argcount, 4, LAYOUT_CODE_READ);
	OPT(code_firsttraceable, 4, LAYOUT_CODE_READ);
	IF(L->code_firsttraceable < 0, code_code, 8, LAYOUT_CODE_READ);
	OPT(code_varnames, 8, LAYOUT_CODE_READ);
	IF(L->code_varnames >= 0, code_nlocals, 4, LAYOUT_CODE_READ);
	IF(L->code_varnames >= 0, code_cellvars, 8, LAYOUT_CODE_READ);

	/* str: the header (up to the data) and short data in one buffer. */
	F(unicode_compact_data, 0, LAYOUT_STR_HEAD);
	F(unicode_ascii_data, 0, LAYOUT_STR_HEAD);
	F(unicode_length, 8, L->unicode_compact_data);
	F(unicode_state, 4, L->unicode_compact_data);

	/* int: the size and up to three digits in one read. */
	F(long_digit, 12, LAYOUT_OBJ_HEAD);
	F(long_size, 8, (int64_t)L->long_digit + 12);

	/* dict and its keys. */
	F(dict_keys, 8, LAYOUT_OBJ_HEAD);
	F(dict_values, 8, LAYOUT_OBJ_HEAD);
	F(keys_indices, 0, LAYOUT_OBJ_HEAD);
	F(keys_nentries, 8, L->keys_indices);
	F(keys_size, log2 ? 1 : 8, L->keys_indices);
	IF(log2, keys_log2_index_bytes, 1, L->keys_indices);
	IF(log2, keys_kind, 1, L->keys_indices);
	R(keys_entry_size, 24, LAYOUT_ENTRY_MAX);
	if (log2)
		R(keys_unicode_entry_size, 16, LAYOUT_ENTRY_MAX);

	/* The head of a type object. */
	F(type_flags, 8, LAYOUT_TYPE_HEAD);
	F(type_basicsize, 8, LAYOUT_TYPE_HEAD);
	F(type_dictoffset, 8, LAYOUT_TYPE_HEAD);

	/* The pending-call queue and eval-breaker (agent/pending.c): offsets
	 * added to remote addresses, and the ring's shape. */
	OPT(runtime_pending, 0, LAYOUT_OFFSET_MAX);
	OPT(interp_pending, 0, LAYOUT_OFFSET_MAX);
	OPT(pending_lock, 8, LAYOUT_OFFSET_MAX);
	OPT(pending_calls_to_do, 4, LAYOUT_OFFSET_MAX);
	OPT(pending_npending, 4, LAYOUT_OFFSET_MAX);
	OPT(pending_max, 4, LAYOUT_OFFSET_MAX);
	OPT(pending_calls, 0, LAYOUT_OFFSET_MAX);
	OPT(pending_first, 4, LAYOUT_OFFSET_MAX);
	OPT(pending_last, 4, LAYOUT_OFFSET_MAX);
	OPT(runtime_eval_breaker, 4, LAYOUT_OFFSET_MAX);
	OPT(interp_eval_breaker, 4, LAYOUT_OFFSET_MAX);
	OPT(runtime_main_tstate, 8, LAYOUT_OFFSET_MAX);
	OPT(tstate_eval_breaker, 8, LAYOUT_OFFSET_MAX);
	if (L->pending_ncalls > 0) {
		R(pending_ncalls, 2, 4096);
		R(pending_call_size, 16, 48);
		R(eval_breaker_size, 4, 8);
	}

	return v.bad ? PYTOP_ECORRUPT : 0;
}
