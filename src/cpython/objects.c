/* objects: remote reads of str, bytes, int, dict and instance attributes. */
#include "cpython/objects.h"

#include <stdio.h>
#include <string.h>

#include "cpython/fields.h"
#include "cpython/pystring.h"
#include "errors.h"
#include "process/memory.h"

#define STR_MAX_CHARS 4096
#define DICT_MAX_ENTRIES (1 << 16) /* the dicts read (sys.modules, threading._active, a thread's
                                   * attributes) are far smaller: a bigger one is hostile */
#define CHUNK 64
#define KEY_NAME_MAX 40            /* the longest name a lookup reads with its key's header */
#define KEY_HEAD_MAX 96            /* bytes of a key read in a lookup's batch (header + name) */

#define TPFLAGS_UNICODE_SUBCLASS (1ull << 28)   /* Py_TPFLAGS_UNICODE_SUBCLASS, 3.0 to 3.15 */

int obj_read_string(struct py_target *t, uint64_t addr, char *out, size_t cap)
{
	const struct py_layout *L = &t->L;
	unsigned char buf[512];
	int rc;

	out[0] = 0;
	if (!field_fits(L->unicode_compact_data, 0, sizeof buf) ||
	    !field_fits(L->unicode_length, 8, (size_t)L->unicode_compact_data) ||
	    !field_fits(L->unicode_state, 4, (size_t)L->unicode_compact_data))
		return PYTOP_ECORRUPT;
	size_t have = sizeof buf;   /* bytes of buf read from the target */
	if ((rc = mem_read(t->pid, addr, buf, sizeof buf)) < 0) {
		/* Near the end of a mapping: fall back to the header alone (and
		 * never use the rest of buf, which was not read). */
		have = (size_t)L->unicode_compact_data;
		if ((rc = mem_read(t->pid, addr, buf, have)) < 0)
			return rc;
	}
	/* A str (or a subclass: its type says so); anything else read as one
	 * would be a made-up string (a freed object's reused memory). */
	if (t->str_type && L->object_type >= 0 && (size_t)L->object_type + 8 <= have) {
		uint64_t type = field_u64(buf, L->object_type), flags;
		if (type != t->str_type &&
		    (L->type_flags < 0 || mem_read(t->pid, type + (uint64_t)L->type_flags, &flags, sizeof flags) < 0 ||
		     !(flags & TPFLAGS_UNICODE_SUBCLASS)))
			return PYTOP_ECORRUPT;
	}
	int64_t len = field_i64(buf, L->unicode_length);
	uint32_t state = (uint32_t)field_i32(buf, L->unicode_state);
	int kind = (int)((state >> L->unicode_kind_shift) & 7);
	int compact = (int)((state >> L->unicode_compact_shift) & 1);
	int ascii = (int)((state >> L->unicode_ascii_shift) & 1);
	if (len < 0 || len > (1 << 24) || !compact || (kind != 1 && kind != 2 && kind != 4))
		return PYTOP_ECORRUPT;
	if (len > STR_MAX_CHARS)
		len = STR_MAX_CHARS;
	/* Every character makes at least one byte of out: no more than cap
	 * characters are ever needed (nor read). */
	if ((size_t)len > cap)
		len = (int64_t)cap;
	int32_t data = ascii ? L->unicode_ascii_data : L->unicode_compact_data;
	size_t bytes = (size_t)len * (size_t)kind;
	unsigned char big[STR_MAX_CHARS * 4];
	const unsigned char *p;
	if ((size_t)data + bytes <= have) {
		p = buf + data;
	} else {
		if ((rc = mem_read(t->pid, addr + (uint64_t)data, big, bytes)) < 0)
			return rc;
		p = big;
	}
	pystring_to_utf8(kind, p, (size_t)len, out, cap);
	return 0;
}

int obj_read_bytes(struct py_target *t, uint64_t addr, void *buf, size_t cap, size_t *len)
{
	int64_t size;
	int rc = mem_read(t->pid, addr + (uint64_t)t->L.var_size, &size, sizeof size);
	if (rc < 0)
		return rc;
	if (size < 0 || size > (1 << 26))
		return PYTOP_ECORRUPT;
	*len = (size_t)size;
	size_t n = (size_t)size < cap ? (size_t)size : cap;
	return mem_read(t->pid, addr + (uint64_t)t->L.bytes_sval, buf, n);
}

int obj_read_long(struct py_target *t, uint64_t addr, int64_t *v)
{
	const struct py_layout *L = &t->L;
	unsigned char buf[LAYOUT_OBJ_HEAD];
	if (!field_fits(L->long_digit, 12, sizeof buf) || !field_fits(L->long_size, 8, (size_t)L->long_digit + 12))
		return PYTOP_ECORRUPT;
	int rc = mem_read(t->pid, addr, buf, (size_t)L->long_digit + 12);
	if (rc < 0)
		return rc;
	int64_t tag = field_i64(buf, L->long_size), ndigits;
	int neg;
	if (L->long_model == LONG_MODEL_LV_TAG) {
		ndigits = (int64_t)((uint64_t)tag >> 3);
		neg = (tag & 3) == 2;
	} else {
		if (tag == INT64_MIN)
			return PYTOP_ECORRUPT;
		ndigits = tag < 0 ? -tag : tag;
		neg = tag < 0;
	}
	int bits = L->long_digit_bits;
	if (ndigits < 0 || ndigits > 3 || bits <= 0 || bits > 31)
		return PYTOP_ECORRUPT;
	/* The digits must each fit in `bits` and the value in an int64. */
	uint64_t acc = 0;
	for (int64_t i = ndigits - 1; i >= 0; i--) {
		uint32_t d = (uint32_t)field_i32(buf, L->long_digit + (int32_t)(4 * i));
		if (d >> bits || acc >> (64 - bits))
			return PYTOP_ECORRUPT;
		acc = (acc << bits) | d;
	}
	if (acc > (uint64_t)INT64_MAX + (uint64_t)neg)
		return PYTOP_ECORRUPT;
	*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 0;
}

/* The address of an object's type. */
static int obj_type(struct py_target *t, uint64_t obj, uint64_t *type)
{
	return mem_read_ptr(t->pid, obj + (uint64_t)t->L.object_type, type);
}

int obj_type_name(struct py_target *t, uint64_t type_addr, char *out, size_t cap)
{
	uint64_t name;
	char buf[128];
	int rc = mem_read_ptr(t->pid, type_addr + (uint64_t)t->L.type_name, &name);
	if (rc < 0)
		return rc;
	/* tp_name may sit near the end of a mapping: read small pieces. */
	size_t n = 0;
	while (n < sizeof buf - 1) {
		size_t want = sizeof buf - 1 - n < 32 ? sizeof buf - 1 - n : 32;
		if ((rc = mem_read(t->pid, name + n, buf + n, want)) < 0)
			return rc;
		if (memchr(buf + n, 0, want))
			break;
		n += want;
	}
	buf[sizeof buf - 1] = 0;
	/* tp_name is raw bytes: make it UTF-8, and cut it on a boundary. */
	utf8_clean(buf);
	if (cap) {
		size_t cut = utf8_cut(buf, cap - 1);
		memcpy(out, buf, cut);
		out[cut] = 0;
	}
	return 0;
}

/* The entries of a keys object: where they start, how many, how big. */
struct keys_info {
	uint64_t entries;
	int64_t nentries;
	int entry_size;
	int key_off, value_off;   /* inside an entry */
};

static int keys_read(struct py_target *t, uint64_t keys, struct keys_info *ki)
{
	const struct py_layout *L = &t->L;
	unsigned char buf[LAYOUT_OBJ_HEAD];
	int log2 = L->keys_model == KEYS_MODEL_LOG2;
	if (!field_fits(L->keys_indices, 0, sizeof buf) ||
	    !field_fits(L->keys_nentries, 8, (size_t)L->keys_indices) ||
	    !field_fits(L->keys_size, log2 ? 1 : 8, (size_t)L->keys_indices) ||
	    (log2 && (!field_fits(L->keys_log2_index_bytes, 1, (size_t)L->keys_indices) ||
		      !field_fits(L->keys_kind, 1, (size_t)L->keys_indices))))
		return PYTOP_ECORRUPT;
	int rc = mem_read(t->pid, keys, buf, (size_t)L->keys_indices);
	if (rc < 0)
		return rc;
	ki->nentries = field_i64(buf, L->keys_nentries);
	if (log2) {
		int log2_size = buf[L->keys_size], log2_index_bytes = buf[L->keys_log2_index_bytes];
		int kind = buf[L->keys_kind];
		if (log2_size > 30 || log2_index_bytes > 34)
			return PYTOP_ECORRUPT;
		ki->entries = keys + (uint64_t)L->keys_indices + (1ull << log2_index_bytes);
		if (kind == 0) {   /* DICT_KEYS_GENERAL: {hash, key, value} */
			ki->entry_size = L->keys_entry_size;
			ki->key_off = 8;
			ki->value_off = 16;
		} else {           /* unicode or split: {key, value} */
			ki->entry_size = L->keys_unicode_entry_size;
			ki->key_off = 0;
			ki->value_off = 8;
		}
	} else {
		int64_t size = field_i64(buf, L->keys_size);
		int width = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffLL ? 4 : 8;
		if (size <= 0 || size > (1 << 30))
			return PYTOP_ECORRUPT;
		ki->entries = keys + (uint64_t)L->keys_indices + (uint64_t)size * (uint64_t)width;
		ki->entry_size = L->keys_entry_size;
		ki->key_off = 8;
		ki->value_off = 16;
	}
	if (ki->nentries < 0 || ki->nentries > DICT_MAX_ENTRIES)
		return PYTOP_ECORRUPT;
	/* An entry is copied out of a CHUNK * LAYOUT_ENTRY_MAX buffer. */
	if (ki->entry_size < ki->value_off + 8 || ki->entry_size > LAYOUT_ENTRY_MAX)
		return PYTOP_ECORRUPT;
	return 0;
}

/* Read the chunk of n entries from entry i (charged to the scan budget):
 * the keys and values of its used entries into kaddr and kval; returns
 * how many, or a negative error. Values come from the entries or, when
 * values is nonzero, from the separate values array. */
static int keys_chunk(struct py_target *t, const struct keys_info *ki, uint64_t values, int64_t i, int n,
		      uint64_t *kaddr, uint64_t *kval)
{
	unsigned char ebuf[CHUNK * LAYOUT_ENTRY_MAX];
	uint64_t vbuf[CHUNK];
	int rc, m = 0;

	/* Nested scans (a dict of objects whose dicts are scanned) would
	 * multiply: a caller may give all of them one budget. */
	if (t->scan_limited) {
		if (t->scan_left < n)
			return PYTOP_ECORRUPT;
		t->scan_left -= n;
	}
	rc = mem_read(t->pid, ki->entries + (uint64_t)i * (uint64_t)ki->entry_size, ebuf,
		      (size_t)n * (size_t)ki->entry_size);
	if (rc < 0)
		return rc;
	if (values && (rc = mem_read(t->pid, values + (uint64_t)i * 8, vbuf, (size_t)n * 8)) < 0)
		return rc;
	for (int k = 0; k < n; k++) {
		uint64_t key, val;
		memcpy(&key, ebuf + k * ki->entry_size + ki->key_off, 8);
		if (values)
			val = vbuf[k];
		else
			memcpy(&val, ebuf + k * ki->entry_size + ki->value_off, 8);
		if (!key || !val)
			continue;
		kaddr[m] = key;
		kval[m++] = val;
	}
	return m;
}

/* Walk keys entries; values come from the entries or, when values is
 * nonzero, from the separate values array. */
static int keys_scan(struct py_target *t, uint64_t keys, uint64_t values, dict_item_fn fn, void *ctx)
{
	struct keys_info ki;
	uint64_t kaddr[CHUNK], kval[CHUNK];
	int rc = keys_read(t, keys, &ki);
	if (rc < 0)
		return rc;
	for (int64_t i = 0; i < ki.nentries; i += CHUNK) {
		int n = (int)(ki.nentries - i < CHUNK ? ki.nentries - i : CHUNK);
		int m = keys_chunk(t, &ki, values, i, n, kaddr, kval);
		if (m < 0)
			return m;
		for (int k = 0; k < m; k++)
			if (fn(t, kaddr[k], kval[k], ctx))
				return 0;
	}
	return 0;
}

/* The str keys a lookup wants: their names and lengths, and what it found. */
struct str_keys {
	const char *const *names;
	size_t lens[OBJ_ATTRS_MAX];
	uint64_t *values;          /* values[i]: names[i]'s value, 0 while not found */
	int n, found;
	size_t longest;
};

/* Whether the str at key (whose first bytes a batch read into head: have
 * of them, its header and sk->longest bytes, or 0 when they could not be
 * read) is names[j] for some j not found yet: then that j, else -1.
 * One not decided from head (not a plain compact ASCII str read whole, or
 * a subclass of str) is read on its own. */
static int key_match(struct py_target *t, const struct str_keys *sk, uint64_t key, const unsigned char *head,
		     size_t have)
{
	const struct py_layout *L = &t->L;
	size_t data = (size_t)L->unicode_ascii_data;

	if (have >= data && (!t->str_type || field_u64(head, L->object_type) == t->str_type)) {
		int64_t len = field_i64(head, L->unicode_length);
		uint32_t state = (uint32_t)field_i32(head, L->unicode_state);
		int compact = (int)((state >> L->unicode_compact_shift) & 1);
		int ascii = (int)((state >> L->unicode_ascii_shift) & 1);
		/* A compact str of ASCII characters only is always flagged
		 * ascii, so no other str equals an ASCII name. */
		if (compact && (!ascii || len < 0 || (size_t)len > sk->longest))
			return -1;   /* longer than any name wanted: read no further */
		if (compact && (size_t)len <= have - data) {
			for (int j = 0; j < sk->n; j++)
				if (!sk->values[j] && (size_t)len == sk->lens[j] &&
				    memcmp(head + data, sk->names[j], (size_t)len) == 0)
					return j;
			return -1;
		}
	}
	char buf[256];
	if (obj_read_string(t, key, buf, sizeof buf) < 0)
		return -1;
	for (int j = 0; j < sk->n; j++)
		if (!sk->values[j] && strcmp(buf, sk->names[j]) == 0)
			return j;
	return -1;
}

/* Look the str keys of sk up among a keys object's entries (values from
 * the entries or, when values is nonzero, the separate values array): the
 * key strs of a chunk of entries are read in one batch. Returns 0 or a
 * negative error; sk->found counts the keys found. */
static int keys_lookup(struct py_target *t, uint64_t keys, uint64_t values, struct str_keys *sk)
{
	const struct py_layout *L = &t->L;
	struct keys_info ki;
	uint64_t kaddr[CHUNK], kval[CHUNK];
	unsigned char heads[CHUNK][KEY_HEAD_MAX];
	struct mem_iov iov[CHUNK];
	size_t head = (size_t)L->unicode_ascii_data + sk->longest;
	int rc;

	if (!field_fits(L->unicode_ascii_data, 0, KEY_HEAD_MAX) || head > KEY_HEAD_MAX ||
	    !field_fits(L->object_type, 8, (size_t)L->unicode_ascii_data) ||
	    !field_fits(L->unicode_length, 8, (size_t)L->unicode_ascii_data) ||
	    !field_fits(L->unicode_state, 4, (size_t)L->unicode_ascii_data))
		return PYTOP_ECORRUPT;
	if ((rc = keys_read(t, keys, &ki)) < 0)
		return rc;
	for (int64_t i = 0; i < ki.nentries && sk->found < sk->n; i += CHUNK) {
		int n = (int)(ki.nentries - i < CHUNK ? ki.nentries - i : CHUNK);
		int m = keys_chunk(t, &ki, values, i, n, kaddr, kval);
		if (m < 0)
			return m;
		for (int k = 0; k < m; k++)
			iov[k] = (struct mem_iov){ kaddr[k], heads[k], head };
		if (!m)
			continue;
		if ((rc = mem_readv_each(t->pid, iov, m)) < 0)
			return rc;
		for (int k = 0; k < m && sk->found < sk->n; k++) {
			int j = key_match(t, sk, kaddr[k], heads[k], iov[k].len);
			if (j >= 0) {
				sk->values[j] = kval[k];
				sk->found++;
			}
		}
	}
	return 0;
}

/* sk for the n names (at most OBJ_ATTRS_MAX, each ASCII and at most
 * KEY_NAME_MAX bytes: else PYTOP_EINVAL), their values in values. */
static int str_keys_init(struct str_keys *sk, const char *const *names, int n, uint64_t *values)
{
	if (n < 1 || n > OBJ_ATTRS_MAX)
		return PYTOP_EINVAL;
	sk->names = names;
	sk->values = values;
	sk->n = n;
	sk->found = 0;
	sk->longest = 0;
	for (int j = 0; j < n; j++) {
		sk->lens[j] = strlen(names[j]);
		for (size_t b = 0; b < sk->lens[j]; b++)
			if ((unsigned char)names[j][b] >= 0x80)
				return PYTOP_EINVAL;
		if (sk->lens[j] > KEY_NAME_MAX)
			return PYTOP_EINVAL;
		if (sk->lens[j] > sk->longest)
			sk->longest = sk->lens[j];
		values[j] = 0;
	}
	return 0;
}

/* The keys object and values array (0: the values are in the entries) of
 * the dict at dict. */
static int dict_tables(struct py_target *t, uint64_t dict, uint64_t *keys, uint64_t *values)
{
	const struct py_layout *L = &t->L;
	unsigned char buf[LAYOUT_OBJ_HEAD];
	int32_t end = (L->dict_keys > L->dict_values ? L->dict_keys : L->dict_values) + 8;
	if (L->dict_keys < 0 || L->dict_values < 0 || (size_t)end > sizeof buf)
		return PYTOP_ECORRUPT;
	int rc = mem_read(t->pid, dict, buf, (size_t)end);
	if (rc < 0)
		return rc;
	*keys = (uint64_t)field_i64(buf, L->dict_keys);
	*values = (uint64_t)field_i64(buf, L->dict_values);
	if (!*keys)
		return PYTOP_ECORRUPT;
	if (*values && L->values_values > 0)
		*values += (uint64_t)L->values_values;
	return 0;
}

int dict_scan(struct py_target *t, uint64_t dict, dict_item_fn fn, void *ctx)
{
	uint64_t keys, values;
	int rc = dict_tables(t, dict, &keys, &values);
	if (rc < 0)
		return rc;
	return keys_scan(t, keys, values, fn, ctx);
}

struct str_lookup {
	const char *key;
	uint64_t value;
	int found;
};

static int match_str(struct py_target *t, uint64_t key, uint64_t value, void *ctx)
{
	struct str_lookup *s = ctx;
	char buf[256];
	if (obj_read_string(t, key, buf, sizeof buf) == 0 && strcmp(buf, s->key) == 0) {
		s->value = value;
		s->found = 1;
		return 1;
	}
	return 0;
}

int dict_get_str(struct py_target *t, uint64_t dict, const char *key, uint64_t *value)
{
	struct str_keys sk;
	uint64_t keys, values;
	int rc;

	if (str_keys_init(&sk, &key, 1, value) == 0) {
		if ((rc = dict_tables(t, dict, &keys, &values)) < 0 || (rc = keys_lookup(t, keys, values, &sk)) < 0)
			return rc;
		return sk.found ? 0 : PYTOP_EINVAL;
	}
	struct str_lookup s = { key, 0, 0 };
	rc = dict_scan(t, dict, match_str, &s);
	if (rc < 0)
		return rc;
	if (!s.found)
		return PYTOP_EINVAL;
	*value = s.value;
	return 0;
}

/* Look sk's names up among a split table's cached keys and inline values. */
static int values_lookup(struct py_target *t, uint64_t type, uint64_t values, struct str_keys *sk)
{
	uint64_t keys;
	int rc = mem_read_ptr(t->pid, type + (uint64_t)t->L.heaptype_cached_keys, &keys);
	if (rc < 0)
		return rc;
	if (!keys)
		return PYTOP_EINVAL;
	return keys_lookup(t, keys, values, sk);
}

int obj_getattrs(struct py_target *t, uint64_t obj, const char *const *names, int n, uint64_t *values)
{
	const struct py_layout *L = &t->L;
	struct str_keys sk;
	unsigned char tb[LAYOUT_TYPE_HEAD];
	uint64_t type, dict = 0, inline_values = 0, word;
	int rc;

	if ((rc = str_keys_init(&sk, names, n, values)) < 0)
		return rc;
	if ((rc = obj_type(t, obj, &type)) < 0)
		return rc;
	int32_t end = L->type_dictoffset;
	if (L->type_flags > end)
		end = L->type_flags;
	if (L->type_basicsize > end)
		end = L->type_basicsize;
	if (L->type_flags < 0 || L->type_basicsize < 0 || L->type_dictoffset < 0 || (size_t)end + 8 > sizeof tb)
		return PYTOP_ECORRUPT;
	if ((rc = mem_read(t->pid, type, tb, (size_t)end + 8)) < 0)
		return rc;
	uint64_t flags = (uint64_t)field_i64(tb, L->type_flags);
	int64_t dictoffset = field_i64(tb, L->type_dictoffset);
	int64_t basicsize = field_i64(tb, L->type_basicsize);

	switch (L->dict_model) {
	case DICT_MODEL_DICTOFFSET:
		if (dictoffset <= 0)
			return PYTOP_EINVAL;
		rc = mem_read_ptr(t->pid, obj + (uint64_t)dictoffset, &dict);
		break;
	case DICT_MODEL_MANAGED_311:
		if (!(flags & L->tpflags_managed_dict))
			return PYTOP_EINVAL;
		if ((rc = mem_read_ptr(t->pid, obj - 24, &dict)) < 0)
			return rc;
		if (!dict)
			rc = mem_read_ptr(t->pid, obj - 32, &inline_values);
		break;
	case DICT_MODEL_MANAGED_312:
		if (!(flags & L->tpflags_managed_dict))
			return PYTOP_EINVAL;
		if ((rc = mem_read_ptr(t->pid, obj - 24, &word)) < 0)
			return rc;
		if (word & 1)
			inline_values = word + 1;   /* tagged as values - 1 */
		else
			dict = word;
		break;
	case DICT_MODEL_INLINE_313:
		if (flags & L->tpflags_managed_dict) {
			if ((rc = mem_read_ptr(t->pid, obj - 24, &dict)) < 0)
				return rc;
		} else if (dictoffset > 0) {
			if ((rc = mem_read_ptr(t->pid, obj + (uint64_t)dictoffset, &dict)) < 0)
				return rc;
		}
		if (!dict && (flags & L->tpflags_inline_values)) {
			unsigned char hdr[8];
			if ((rc = mem_read(t->pid, obj + (uint64_t)basicsize, hdr, sizeof hdr)) < 0)
				return rc;
			if (!hdr[3])   /* PyDictValues.valid */
				return PYTOP_EINVAL;
			inline_values = obj + (uint64_t)basicsize + (uint64_t)L->values_values;
		}
		break;
	}
	if (rc < 0)
		return rc;
	if (dict) {
		uint64_t keys, split;
		if ((rc = dict_tables(t, dict, &keys, &split)) < 0 || (rc = keys_lookup(t, keys, split, &sk)) < 0)
			return rc;
	} else if (inline_values) {
		if ((rc = values_lookup(t, type, inline_values, &sk)) < 0)
			return rc;
	} else {
		return PYTOP_EINVAL;
	}
	return sk.found;
}

int obj_getattr(struct py_target *t, uint64_t obj, const char *name, uint64_t *value)
{
	int rc = obj_getattrs(t, obj, &name, 1, value);
	return rc < 0 ? rc : rc ? 0 : PYTOP_EINVAL;
}
