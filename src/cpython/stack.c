/* stack: the stack walker and its caches (functions by code object address,
 * and per-thread speculation of the frame chain so a whole stack is fetched
 * in one batched process_vm_readv). All memory is allocated up front.
 *
 * Consistency: the target runs while its stack is read, so a walk can mix
 * frames of different instants (a torn stack: call edges the program never
 * made). Every walk is checked: 3.8-3.10 frames must be alive (refcount > 0),
 * no cycle, 3.11+ frames must have an owner value the version has (a
 * version newer than every table: not checked, owner_known), the
 * chain must end at NULL (or at the depth limit), not at a generator
 * that yielded, 3.12+ at an eval call's shim frame or a started frame on
 * the thread's stack (chain_end_ok), a frame not yet started must not be
 * the caller of a frame of its own eval call unless it waits at a
 * call-family instruction (3.13+: the __init__ cleanup frame), a
 * 3.12-3.13 caller in the same eval call must wait in its call (its stack
 * pointer saved: frame_runs), a 3.11+ caller in the same eval call must be
 * at a call-family instruction (the version's generated opcode table:
 * bytecode.h; one read per code object, not per sample), and a second
 * batched read (chain_confirm) must
 * find every caller as walked (links, position in its code, alive) and the
 * thread still in the innermost walked frame, below it, or in its caller.
 * A walk that fails is done again (WALK_TRIES in all), then reported as
 * PYTOP_ECORRUPT: never recorded.
 *
 * Depth: the whole chain is walked, up to STACK_DEPTH_MAX frames, to count
 * it; the innermost frames the caller wants are kept, and a deeper stack
 * ends in a marker function "(N frames truncated)". */
#include "cpython/stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpython/bytecode.h"
#include "cpython/fields.h"
#include "cpython/linetable.h"
#include "cpython/objects.h"
#include "cpython/pystring.h"
#include "errors.h"
#include "process/memory.h"
#include "process/nspid.h"
#include "util/addrset.h"
#include "util/clock.h"

#define FUNC_SLOTS 16384          /* power of two */
#define FUNC_CLEAR_AT (FUNC_SLOTS / 2)
#define ID_MEMO_SLOTS 65536       /* identities remembered for their ids; power of two */
#define POOL_SIZE (32u << 20)
#define POOL_CLEAR_AT (12u << 20)
#define LINETABLE_MAX (64u << 10)
#define SITES_CODE_MAX (64u << 10) /* instruction bytes decoded for call sites (the rest: any) */
#define NAME_MAX_BYTES 512
#define FILE_MAX_BYTES 1024
#define SPEC_SLOTS 512            /* power of two */
#define SPEC_WAYS 4               /* slots a thread state may use */
#define SPEC_INLINE 128           /* chain positions a speculation entry holds */
#define DEEP_SLOTS 8              /* ... and deeper chains: a few long entries */
/* Chain positions per walk: the frames, 3.12+ C-stack shim frames (one per
 * entry from C, at most one per frame) and a 3.11-3.12 cframe. */
#define CHAIN_MAX (2 * STACK_DEPTH_MAX + 2)
#define TID_MAX_LIMIT (1 << 22)     /* the kernel's PID_MAX_LIMIT on 64-bit */
#define SEEN_SLOTS 32768          /* power of two, > 2 * CHAIN_MAX: cycle check */
#ifndef WALK_TRIES   /* the fuzz build lowers it (tools/fuzz/build_fuzz.sh) */
#define WALK_TRIES 8              /* walks of a thread before giving up */
#endif
#define SPEC_EXTRA 48             /* addresses of earlier chains kept in the guess */
#define CHECK_BYTES 128           /* bytes re-read per chain position */
#define FRAME_BUF 512             /* bytes read per frame */
#define PAGE_BYTES 4096           /* a frame not in the guess is read with its page */
#define PAGE_SLOTS 4              /* pages kept (a chain alternates data stack and C stack) */
#define TSTATE_BUF LAYOUT_TSTATE_MAX
#define CODE_READ 256
#define CHECK_MS 50               /* re-confirm a cached code object this often */
#define CHECK_EARLY_MS 25         /* ... and, while at it, those half way there */
#define CHECK_MAX 64              /* code objects confirmed per walk at most */
#define LINE_MEMO 4               /* per function: recently decoded offsets */

enum self_kind { SELF_NONE, SELF_INSTANCE, SELF_CLASS };

/* co_flags: CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR */
#define CO_ANY_GENERATOR (0x20 | 0x80 | 0x100 | 0x200)

struct func_entry {
	uint64_t code, type;      /* key; code == 0: empty slot */
	struct func_info info;
	uint8_t valid;            /* 0: not a code object */
	uint8_t stale;            /* forgotten: the next lookup reloads it in place */
	uint8_t is_gen;           /* 3.8-3.10: a generator's or coroutine's code */
	uint8_t self_kind;
	int32_t self_cell;        /* 3.8-3.10: localsplus slot of self's cell, or -1 */
	uint32_t base_id;         /* a method entry: the id of its plain entry */
	uint64_t fp_filename, fp_name; /* identity of the code object when cached */
	int32_t fp_firstlineno;
	uint32_t checked_ms;      /* when that identity was last confirmed */
	int32_t firsttraceable;   /* 3.11+ */
	uint32_t code_bytes;      /* size of the instruction stream (0: unknown) */
	const uint8_t *lt;
	uint32_t lt_len;
	const uint8_t *sites;     /* 3.11+: units where a frame can wait in a call (bytecode.h), or NULL */
	uint32_t sites_units;
	int32_t memo_addr[LINE_MEMO], memo_line[LINE_MEMO]; /* recent offset -> line */
};

struct spec_entry {
	uint64_t tstate;          /* key */
	uint64_t pthread_id;
	uint64_t code0;           /* the innermost frame's code object */
	uint64_t used;            /* walk count when last used (for eviction) */
	int n;                    /* positions guessed (the rest in a deep entry) */
	int chain_n;              /* the first chain_n of them are the last chain, in order */
	uint64_t addr[SPEC_INLINE];
	uint16_t size[SPEC_INLINE];
};

/* Positions SPEC_INLINE... of a deep thread's last chain. */
struct spec_deep {
	uint64_t tstate;          /* key (0: free) */
	uint64_t used;
	int n;
	uint64_t addr[CHAIN_MAX - SPEC_INLINE];
	uint16_t size[CHAIN_MAX - SPEC_INLINE];
};

/* A chain address seen in this walk (cycle check without clearing). */

/* An id handed out, by the hash of the identity it names. */
struct id_memo {
	uint64_t key;             /* 0: free */
	uint32_t id;
};

struct stack_cache {
	struct func_entry *funcs;
	uint32_t nfuncs;
	char *pool;
	size_t pool_used;
	uint32_t next_id;
	struct id_memo *memo;             /* ID_MEMO_SLOTS: identity -> id, across clears */
	uint64_t memo_seed;
	struct spec_entry *spec;
	struct spec_deep *deep;           /* DEEP_SLOTS */
	uint64_t walks;                   /* walks made: seen's generation, spec's and deep's clock */
	uint64_t confirms_skipped;        /* stack_walk_known: second looks not taken (or, checking, not needed) */
	unsigned char tbuf[TSTATE_BUF];
	unsigned char (*fbuf)[FRAME_BUF]; /* CHAIN_MAX: the batch, by guessed position */
	unsigned char (*sbuf)[FRAME_BUF]; /* CHAIN_MAX: frames read one by one */
	unsigned char (*page)[PAGE_BYTES + FRAME_BUF]; /* PAGE_SLOTS: the pages of the last ones */
	uint64_t page_addr[PAGE_SLOTS], page_walk[PAGE_SLOTS]; /* ... where from, in which walk */
	size_t page_len[PAGE_SLOTS];
	unsigned page_next;               /* the slot the next page takes */
	const unsigned char **fptr;       /* CHAIN_MAX: the walk's chain, position by position */
	unsigned char (*cbuf)[CHECK_BYTES]; /* CHAIN_MAX: its second read */
	struct mem_iov *iov;              /* 2 * CHAIN_MAX + 8 */
	uint64_t *guess_addr, *new_addr;  /* CHAIN_MAX: last chain, this one */
	uint16_t *guess_size, *new_size;
	unsigned char *unread;            /* CHAIN_MAX: guessed positions the batch could not read */
	struct addrset_entry *seen;       /* SEEN_SLOTS: this walk's chain addresses */
	struct addrset_entry *gidx;       /* SEEN_SLOTS: the guess, address -> position */
	int last_n, last_cframe;          /* the last walk's chain (for chain_confirm) */
	int seen_upto;                    /* chain positions entered in seen so far */
	struct func_entry **bases;        /* STACK_DEPTH_MAX + 1: method naming */
	uint64_t *first_args, *types;
	int *idx;
};

/* layout_validate() checks offsets against these limits. */
_Static_assert(TSTATE_BUF == LAYOUT_TSTATE_MAX && FRAME_BUF == LAYOUT_FRAME_MAX && CODE_READ == LAYOUT_CODE_READ,
	       "stack.c buffers and layout_validate() agree");

static uint64_t hash2(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

struct stack_cache *stack_cache_create(void)
{
	struct stack_cache *c = xcalloc(1, sizeof *c);
	c->funcs = xcalloc(FUNC_SLOTS, sizeof *c->funcs);
	c->pool = xmalloc(POOL_SIZE);
	c->spec = xcalloc(SPEC_SLOTS, sizeof *c->spec);
	c->deep = xcalloc(DEEP_SLOTS, sizeof *c->deep);
	c->fbuf = xmalloc((size_t)CHAIN_MAX * sizeof *c->fbuf);
	c->sbuf = xmalloc((size_t)CHAIN_MAX * sizeof *c->sbuf);
	c->page = xmalloc(PAGE_SLOTS * sizeof *c->page);
	c->fptr = xcalloc(CHAIN_MAX, sizeof *c->fptr);
	c->cbuf = xmalloc((size_t)CHAIN_MAX * sizeof *c->cbuf);
	c->iov = xcalloc(2 * CHAIN_MAX + 8, sizeof *c->iov);
	c->gidx = xcalloc(SEEN_SLOTS, sizeof *c->gidx);
	c->guess_addr = xcalloc(CHAIN_MAX, sizeof *c->guess_addr);
	c->new_addr = xcalloc(CHAIN_MAX, sizeof *c->new_addr);
	c->guess_size = xcalloc(CHAIN_MAX, sizeof *c->guess_size);
	c->new_size = xcalloc(CHAIN_MAX, sizeof *c->new_size);
	c->unread = xcalloc(CHAIN_MAX, 1);
	c->seen = xcalloc(SEEN_SLOTS, sizeof *c->seen);
	c->bases = xcalloc(STACK_DEPTH_MAX + 1, sizeof *c->bases);
	c->first_args = xcalloc(STACK_DEPTH_MAX + 1, sizeof *c->first_args);
	c->types = xcalloc(STACK_DEPTH_MAX + 1, sizeof *c->types);
	c->idx = xcalloc(STACK_DEPTH_MAX + 1, sizeof *c->idx);
	c->memo = xcalloc(ID_MEMO_SLOTS, sizeof *c->memo);
	c->memo_seed = hash2((uint64_t)(uintptr_t)c ^ (uint64_t)time(NULL), (uint64_t)getpid());
	c->next_id = 1;
	return c;
}

void stack_cache_destroy(struct stack_cache *c)
{
	if (!c)
		return;
	free(c->funcs);
	free(c->memo);
	free(c->pool);
	free(c->spec);
	free(c->deep);
	free(c->fbuf);
	free(c->sbuf);
	free(c->page);
	free(c->fptr);
	free(c->gidx);
	free(c->cbuf);
	free(c->iov);
	free(c->guess_addr);
	free(c->new_addr);
	free(c->guess_size);
	free(c->new_size);
	free(c->unread);
	free(c->seen);
	free(c->bases);
	free(c->first_args);
	free(c->types);
	free(c->idx);
	free(c);
}

void stack_cache_clear(struct stack_cache *c)
{
	memset(c->funcs, 0, FUNC_SLOTS * sizeof *c->funcs);
	c->nfuncs = 0;
	c->pool_used = 0;
}

static char *pool_alloc(struct stack_cache *c, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (c->pool_used + n > POOL_SIZE)
		return NULL;
	char *p = c->pool + c->pool_used;
	c->pool_used += n;
	return p;
}

static const char *pool_str(struct stack_cache *c, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = pool_alloc(c, n);
	if (!p)
		return "?";
	memcpy(p, s, n);
	return p;
}

/* The id for a function of this name, file and first line: the one it had
 * before if it is remembered, else a new one. A code object forgotten and
 * read again, or read after a cache clear, keeps its id, so a target that
 * replaces (or fakes replacing) code objects does not make the consumer's
 * tables grow by one id per sample. An id never names another function,
 * so a consumer that announces each id once (the sampler) need not
 * announce it again. */
static uint32_t id_for(struct stack_cache *c, const char *name, const char *file, int32_t first)
{
	uint64_t h = c->memo_seed;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	h = hash2(h, 0x1f);
	for (const unsigned char *p = (const unsigned char *)file; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	h = hash2(h, (uint64_t)(uint32_t)first) | 1;   /* never 0 (free) */
	struct id_memo *m = &c->memo[h & (ID_MEMO_SLOTS - 1)];
	if (m->key != h) {
		m->key = h;
		m->id = c->next_id++;
	}
	return m->id;
}

static struct func_entry *func_slot(struct stack_cache *c, uint64_t code, uint64_t type)
{
	uint32_t i = (uint32_t)hash2(code, type) & (FUNC_SLOTS - 1);
	for (;;) {
		struct func_entry *e = &c->funcs[i];
		if (e->code == 0 || (e->code == code && e->type == type))
			return e;
		i = (i + 1) & (FUNC_SLOTS - 1);
	}
}

/* A coarse millisecond clock (cheap: no system call). */
static uint32_t now_ms(void)
{
	return (uint32_t)(clock_ns(CLOCK_MONOTONIC_COARSE) / 1000000u);
}

/* 3.8-3.10: when the first argument is captured by a closure it lives in a
 * cell (the argument slot is cleared); the cell's localsplus slot, or -1. */
static int32_t self_cell_slot(struct py_target *t, const unsigned char *cb, const char *arg)
{
	const struct py_layout *L = &t->L;
	uint64_t cells = field_u64(cb, L->code_cellvars), item;
	int64_t n;
	char name[16];

	if (!cells || mem_read(t->pid, cells + (uint64_t)L->var_size, &n, sizeof n) < 0 || n <= 0 || n > 256)
		return -1;
	for (int64_t i = 0; i < n; i++) {
		if (mem_read_ptr(t->pid, cells + (uint64_t)L->tuple_item + 8 * (uint64_t)i, &item) < 0 ||
		    obj_read_string(t, item, name, sizeof name) < 0)
			return -1;
		int32_t slot;
		if (strcmp(name, arg) == 0)
			return __builtin_add_overflow(field_i32(cb, L->code_nlocals), (int32_t)i, &slot) ||
			       slot < 0 ? -1 : slot;
	}
	return -1;
}

/* 3.11+: the call sites of the code object at code (bytecode.h), from one
 * read of its instructions when the function is loaded (not per sample):
 * specialising and instrumenting an instruction keeps its family and
 * length, and an instrumented line makes the rest of the code "any". The
 * bitmap stays in the pool; the instructions are read into its end and
 * given back. Left NULL (nothing checked) when the read fails. */
static void sites_load(struct py_target *t, struct stack_cache *c, struct func_entry *e, uint64_t code)
{
	uint32_t bytes = e->code_bytes < SITES_CODE_MAX ? e->code_bytes : SITES_CODE_MAX;
	uint32_t units = bytes / 2;
	size_t bits_size = (BYTECODE_BITS_BYTES(units) + 7) & ~(size_t)7;
	size_t tmp_size = ((size_t)bytes + 7) & ~(size_t)7;
	uint8_t *bits = units ? (uint8_t *)pool_alloc(c, bits_size) : NULL;
	uint8_t *tmp = bits ? (uint8_t *)pool_alloc(c, bytes) : NULL;

	if (!tmp) {
		if (bits)
			c->pool_used -= bits_size;   /* the last allocation: given back */
		return;
	}
	if (mem_read(t->pid, code + (uint64_t)t->L.code_code_adaptive, tmp, bytes) == 0) {
		bytecode_call_sites(t->L.opcodes, tmp, units, bits);
		e->sites = bits;
		e->sites_units = units;
	}
	c->pool_used -= tmp_size;
}

/* Fill a new entry for the code object at code (type 0). */
static int func_load(struct py_target *t, struct stack_cache *c, struct func_entry *e, uint64_t code)
{
	const struct py_layout *L = &t->L;
	unsigned char cb[CODE_READ];
	char name[NAME_MAX_BYTES], file[FILE_MAX_BYTES];
	int rc;

	e->code = code;
	e->type = 0;
	e->valid = 0;
	c->nfuncs++;
	if ((rc = mem_read(t->pid, code, cb, sizeof cb)) < 0)
		return rc;
	if (field_u64(cb, L->object_type) != t->code_type)
		return 0;   /* not a code object: remembered as invalid */

	uint64_t name_p = field_u64(cb, L->code_qualname >= 0 ? L->code_qualname : L->code_name);
	if ((rc = obj_read_string(t, name_p, name, sizeof name)) < 0)
		return rc;
	if ((rc = obj_read_string(t, field_u64(cb, L->code_filename), file, sizeof file)) < 0)
		return rc;
	e->info.firstlineno = field_i32(cb, L->code_firstlineno);
	e->fp_filename = field_u64(cb, L->code_filename);
	e->fp_name = field_u64(cb, L->code_name);
	e->fp_firstlineno = e->info.firstlineno;
	e->checked_ms = now_ms();
	if (L->code_firsttraceable >= 0) {
		e->firsttraceable = field_i32(cb, L->code_firsttraceable);
		/* ob_size counts 2-byte code units; garbage stays unknown (0). */
		int64_t units = field_i64(cb, L->var_size);
		e->code_bytes = units > 0 && units < (1 << 29) ? (uint32_t)units * 2 : 0;
	} else {
		int64_t n = 0;
		if (mem_read(t->pid, field_u64(cb, L->code_code) + (uint64_t)L->var_size, &n, sizeof n) == 0 &&
		    n > 0 && n < (1 << 30))
			e->code_bytes = (uint32_t)n;
	}
	e->self_cell = -1;
	/* 3.8-3.10: co_flags is the int just before co_firstlineno. */
	if (L->frame_model == FRAME_MODEL_OBJECT && L->code_firstlineno >= 4 &&
	    (field_i32(cb, L->code_firstlineno - 4) & CO_ANY_GENERATOR))
		e->is_gen = 1;
	if (L->code_varnames >= 0 && field_i32(cb, L->code_argcount) > 0) {
		uint64_t first;
		char arg[16];
		if (mem_read_ptr(t->pid, field_u64(cb, L->code_varnames) + (uint64_t)L->tuple_item, &first) == 0 &&
		    obj_read_string(t, first, arg, sizeof arg) == 0)
			e->self_kind = strcmp(arg, "self") == 0 ? SELF_INSTANCE :
				       strcmp(arg, "cls") == 0 ? SELF_CLASS : SELF_NONE;
		if (e->self_kind != SELF_NONE)
			e->self_cell = self_cell_slot(t, cb, arg);
	}

	uint64_t lt = field_u64(cb, L->code_linetable);
	size_t lt_len = 0;
	uint8_t *ltbuf = (uint8_t *)pool_alloc(c, LINETABLE_MAX);
	if (ltbuf && obj_read_bytes(t, lt, ltbuf, LINETABLE_MAX, &lt_len) == 0) {
		if (lt_len > LINETABLE_MAX)
			lt_len = LINETABLE_MAX;
		/* Give back what the table did not use. */
		c->pool_used -= LINETABLE_MAX - ((lt_len + 7) & ~(size_t)7);
		e->lt = ltbuf;
		e->lt_len = (uint32_t)lt_len;
	} else if (ltbuf) {
		c->pool_used -= LINETABLE_MAX;
	}
	if (L->opcodes && L->code_firsttraceable >= 0 && e->code_bytes)
		sites_load(t, c, e, code);
	e->info.name = pool_str(c, name);
	e->info.file = pool_str(c, file);
	e->info.id = id_for(c, name, file, e->info.firstlineno);
	e->valid = 1;
	return 0;
}

static struct func_entry *func_get(struct py_target *t, struct stack_cache *c, uint64_t code, int *err)
{
	struct func_entry *e = func_slot(c, code, 0);
	int fresh = !e->code;
	*err = 0;
	if (!fresh && !e->stale)
		return e;
	if (!fresh) {
		/* Reloaded in place: the slot keeps its key, so forgetting and
		 * reloading one code object again and again (a hostile or torn
		 * frame) never grows a probe chain. */
		memset(e, 0, sizeof *e);
		c->nfuncs--;
	}
	*err = func_load(t, c, e, code);
	if (*err < 0) {
		/* A read failed: do not remember anything. A fresh slot is the
		 * end of its probe chain and can be emptied; a reused one stays
		 * taken, stale, for the chains that pass through it. */
		if (fresh) {
			memset(e, 0, sizeof *e);
			c->nfuncs--;
		} else {
			memset(e, 0, sizeof *e);
			e->code = code;
			e->stale = 1;
		}
		return NULL;
	}
	return e;
}

/* Retire a function entry whose code object is no longer what it was: the
 * next lookup of its key reloads it in place (the strings of the old one
 * stay in the pool for frames of this walk that point at it). What it
 * reloads gets its id from id_for(): the old one for the same name, file
 * and first line, a new one otherwise; old samples keep their definition. */
static void func_forget(struct func_entry *e)
{
	e->stale = 1;
	e->valid = 0;
}

/* The entry for a method of 3.8-3.10, named Type.name after the type of
 * its self (or its cls). */
static struct func_entry *func_get_method(struct py_target *t, struct stack_cache *c,
					  struct func_entry *base, uint64_t type)
{
	char tname[128], name[NAME_MAX_BYTES];

	if (!type)
		return base;
	struct func_entry *e = func_slot(c, base->code, type);
	int fresh = !e->code;
	/* A taken slot made for a code object since replaced (another base
	 * id) or forgotten is remade in place. */
	if (!fresh && !e->stale && e->base_id == base->info.id)
		return e;
	if (obj_type_name(t, type, tname, sizeof tname) < 0)
		return base;
	*e = *base;
	e->stale = 0;
	e->type = type;
	e->base_id = base->info.id;
	/* Type.name, each part cut on a character boundary. */
	size_t tl = utf8_cut(tname, sizeof name - 2);
	size_t nl = utf8_cut(base->info.name, sizeof name - 2 - tl);
	memcpy(name, tname, tl);
	name[tl] = '.';
	memcpy(name + tl + 1, base->info.name, nl);
	name[tl + 1 + nl] = 0;
	e->info.name = pool_str(c, name);
	e->info.id = id_for(c, name, e->info.file, e->info.firstlineno);
	c->nfuncs += fresh;
	return e;
}

/* The line at byte offset addr; callers' frames sit at the same offset
 * sample after sample, so a few recent answers are remembered. */
static int line_of(const struct py_layout *L, struct func_entry *e, int addr)
{
	/* INT32_MAX: no code is that long, and addr + 1 (the memo key) overflows. */
	if (addr < 0 || addr == INT32_MAX || !e->lt)
		return e->info.firstlineno;
	int slot = (addr >> 1) & (LINE_MEMO - 1);
	if (e->memo_addr[slot] == addr + 1)
		return e->memo_line[slot];
	int line = linetable_line(L->linetable, e->lt, e->lt_len, e->info.firstlineno, addr);
	if (line < 0)
		line = e->info.firstlineno;
	e->memo_addr[slot] = addr + 1;
	e->memo_line[slot] = line;
	return line;
}

/* The speculation entry of a thread state: SPEC_WAYS slots are tried, and
 * a new thread state takes the least recently used of them. */
static struct spec_entry *spec_get(struct stack_cache *c, uint64_t tstate)
{
	uint32_t i = (uint32_t)hash2(tstate, 0) & (SPEC_SLOTS - 1);
	struct spec_entry *victim = NULL;
	for (int k = 0; k < SPEC_WAYS; k++) {
		struct spec_entry *s = &c->spec[(i + (uint32_t)k) & (SPEC_SLOTS - 1)];
		if (s->tstate == tstate) {
			s->used = c->walks;
			return s;
		}
		if (!victim || s->used < victim->used)
			victim = s;
	}
	victim->tstate = tstate;
	victim->pthread_id = 0;
	victim->code0 = 0;
	victim->n = 0;
	victim->chain_n = 0;
	victim->used = c->walks;
	return victim;
}

/* The deep entry of a thread state (positions past SPEC_INLINE), or NULL;
 * with make, the least recently used one is taken over. */
static struct spec_deep *deep_get(struct stack_cache *c, uint64_t tstate, int make)
{
	struct spec_deep *victim = &c->deep[0];
	for (int k = 0; k < DEEP_SLOTS; k++) {
		struct spec_deep *d = &c->deep[k];
		if (d->tstate == tstate) {
			d->used = c->walks;
			return d;
		}
		if (d->used < victim->used)
			victim = d;
	}
	if (!make)
		return NULL;
	victim->tstate = tstate;
	victim->used = c->walks;
	victim->n = 0;
	return victim;
}

#define BATCH_CHUNK 128   /* ranges per mem_readv: small enough to be merged */

/* mem_readv in chunks, so that a long chain of nearby frames (a deep
 * recursion) is fetched as a few merged spans. Returns how many leading
 * ranges were read, or a negative error. */
static int batch_read(pid_t pid, struct mem_iov *iov, int n)
{
	int done = 0;
	while (done < n) {
		int k = n - done < BATCH_CHUNK ? n - done : BATCH_CHUNK;
		int got = mem_readv(pid, iov + done, k);
		if (got < 0)
			return done ? done : got;
		done += got;
		if (got < k)
			break;
	}
	return done;
}

/* The state of one walk. */
struct walk {
	struct py_target *t;
	struct stack_cache *c;
	struct spec_entry *spec;
	int batch_ok;             /* guessed positions the batch covered (one it
				   * could not read is unread) */
	int guess, guess_chain;   /* guessed positions; how many were a chain */
	int follows;              /* the chain so far is the guess, position by position */
	int gidx_built;
	int n;                    /* chain positions used */
	int cframe;               /* position 0 is a 3.11-3.12 cframe */
	int more;                 /* the walk stopped at its limit before the end */
	int seq;                  /* positions read one by one (not in the guess) */
	struct func_entry *root;  /* the outermost frame recorded so far */
	uint64_t root_arg0;       /* ... and its first argument */
	int64_t inner_off;        /* the innermost frame's instruction offset (-1: none) */
};

/* Enter chain positions [c->seen_upto, upto) in the seen table (it is
 * filled lazily: a chain that follows its guess has distinct addresses). */
static void seen_fill(struct stack_cache *c, int upto)
{
	for (; c->seen_upto < upto; c->seen_upto++) {
		struct addrset_entry *s = addrset_slot(c->seen, SEEN_SLOTS - 1, c->walks, c->new_addr[c->seen_upto]);
		s->gen = c->walks;
		s->addr = c->new_addr[c->seen_upto];
		s->pos = c->seen_upto;
	}
}

/* The guess by address (built when a walk first leaves it). */
static void gidx_build(struct walk *w)
{
	struct stack_cache *c = w->c;
	for (int i = 0; i < w->guess; i++) {
		struct addrset_entry *g = addrset_slot(c->gidx, SEEN_SLOTS - 1, c->walks, c->guess_addr[i]);
		if (g->gen != c->walks) {
			g->gen = c->walks;
			g->addr = c->guess_addr[i];
			g->pos = i;
		}
	}
	w->gidx_built = 1;
}

/* The bytes at addr for the next chain position: from the batch when addr
 * was guessed (at any position: a stack that grew or shrank still finds
 * its other frames there), else read now. NULL when the read fails or the
 * address is already in the chain (a cycle: the stack changed under us). */
static const unsigned char *chain_read(struct walk *w, uint64_t addr, size_t size)
{
	struct stack_cache *c = w->c;
	int i = w->n;
	if (i >= CHAIN_MAX || size > FRAME_BUF)
		return NULL;
	if (w->follows && i < w->guess_chain && i < w->batch_ok && c->guess_addr[i] == addr &&
	    c->guess_size[i] >= size && !c->unread[i]) {
		c->new_addr[i] = addr;
		c->new_size[i] = (uint16_t)size;
		w->n++;
		return c->fptr[i] = c->fbuf[i];
	}
	w->follows = 0;
	seen_fill(c, i);
	struct addrset_entry *s = addrset_slot(c->seen, SEEN_SLOTS - 1, c->walks, addr);
	if (s->gen == c->walks)
		return NULL;
	s->gen = c->walks;
	s->addr = addr;
	s->pos = i;
	c->seen_upto = i + 1;
	c->new_addr[i] = addr;
	c->new_size[i] = (uint16_t)size;
	w->n++;
	if (!w->gidx_built)
		gidx_build(w);
	struct addrset_entry *g = addrset_slot(c->gidx, SEEN_SLOTS - 1, c->walks, addr);
	if (g->gen == c->walks && g->pos < w->batch_ok && c->guess_size[g->pos] >= size && !c->unread[g->pos])
		return c->fptr[i] = c->fbuf[g->pos];
	w->seq++;
	/* Not in the guess (a stack that grew into new frames): the page the
	 * frame is on is read with it, for the next frames of the chain that
	 * are there too (callers in the same data-stack chunk lie just below,
	 * 3.12+ entry frames on the C stack just above; the last PAGE_SLOTS
	 * pages are kept, in this walk only). A page that cannot be read whole
	 * (never in a real process: pages are mapped whole) leaves the frame
	 * read alone. */
	unsigned k = 0;
	while (k < PAGE_SLOTS && !(c->page_walk[k] == c->walks && addr >= c->page_addr[k] &&
				   addr - c->page_addr[k] <= c->page_len[k] - size))
		k++;
	if (k == PAGE_SLOTS) {
		uint64_t lo = addr & ~(uint64_t)(PAGE_BYTES - 1), end;
		if (__builtin_add_overflow(addr, (uint64_t)size, &end))
			return NULL;
		size_t len = end - lo > PAGE_BYTES ? (size_t)(end - lo) : PAGE_BYTES;
		k = c->page_next++ % PAGE_SLOTS;
		c->page_walk[k] = 0;
		if (mem_read(w->t->pid, lo, c->page[k], len) < 0) {
			if (mem_read(w->t->pid, addr, c->sbuf[i], size) < 0)
				return NULL;
			return c->fptr[i] = c->sbuf[i];
		}
		c->page_addr[k] = lo;
		c->page_len[k] = len;
		c->page_walk[k] = c->walks;
	}
	memcpy(c->sbuf[i], c->page[k] + (addr - c->page_addr[k]), size);
	return c->fptr[i] = c->sbuf[i];
}

static size_t frame_read_size(const struct py_layout *L)
{
	int32_t m;
	if (L->frame_model == FRAME_MODEL_OBJECT) {
		m = L->frame_localsplus + 8;
	} else {
		m = L->iframe_previous + 8;
		if (L->iframe_localsplus + 8 > m)
			m = L->iframe_localsplus + 8;   /* the first argument (a thread's self) */
		if (L->iframe_code + 8 > m)
			m = L->iframe_code + 8;
		if (L->iframe_instr + 8 > m)
			m = L->iframe_instr + 8;
		if (L->iframe_owner + 1 > m)
			m = L->iframe_owner + 1;
		if (L->iframe_stackpointer_size && L->iframe_stackpointer + L->iframe_stackpointer_size > m)
			m = L->iframe_stackpointer + L->iframe_stackpointer_size;
	}
	return (size_t)m;
}

/* Where a frame's back (previous) and code pointers are, and its position
 * in the code (f_lasti, 4 bytes; prev_instr / instr_ptr, 8 bytes). */
static void frame_links(const struct py_layout *L, int32_t *back, int32_t *code, int32_t *pos, int *pos_len)
{
	if (L->frame_model == FRAME_MODEL_OBJECT) {
		*back = L->frame_back;
		*code = L->frame_code;
		*pos = L->frame_lasti;
		*pos_len = 4;
	} else {
		*back = L->iframe_previous;
		*code = L->iframe_code;
		*pos = L->iframe_instr;
		*pos_len = 8;
	}
}

/* 3.8-3.10: where a frame object's reference count is (ob_refcnt comes just
 * before ob_type), or -1. A frame that was freed (to the free list or as its
 * code object's zombie frame) has a count of 0. */
static int32_t frame_refcnt_offset(const struct py_layout *L)
{
	return L->frame_model == FRAME_MODEL_OBJECT && L->object_type >= 8 ? L->object_type - 8 : -1;
}

/* The object in the cell stored at slot_addr, or 0. */
static uint64_t cell_contents(struct py_target *t, uint64_t slot_addr)
{
	uint64_t cell, obj;
	if (mem_read_ptr(t->pid, slot_addr, &cell) < 0 || !cell ||
	    mem_read_ptr(t->pid, cell + (uint64_t)t->L.cell_ref, &obj) < 0)
		return 0;
	return obj;
}

/* The function of a frame's code object. One that cannot be read is a
 * frame popped and its memory reused while the chain was read (3.15 under
 * thread churn: 163 of 289 failed reads in 8 s): the stack changed under
 * the reader, read it again (PYTOP_ECORRUPT), not a failed read. */
static struct func_entry *frame_func(struct walk *w, uint64_t code, int *err)
{
	struct func_entry *e = func_get(w->t, w->c, code, err);

	if (!e && *err == PYTOP_EREAD)
		*err = PYTOP_ECORRUPT;
	return e;
}

/* A frame's offset lies past its cached function's code: forget the entry
 * and read the code object again. Returns the fresh entry, or NULL with
 * *err set (PYTOP_ECORRUPT when the offset is still out of range). */
static struct func_entry *func_refresh(struct walk *w, struct func_entry *e, int64_t off, int *err)
{
	uint64_t code = e->code;
	func_forget(e);
	if (!(e = frame_func(w, code, err)))
		return NULL;
	if (!e->valid || off >= (int64_t)e->code_bytes) {
		*err = PYTOP_ECORRUPT;
		return NULL;
	}
	return e;
}

/* Name 3.8-3.10 method frames after their class: the types of all the
 * frames' self arguments are fetched in one batched read. */
static void name_methods(struct walk *w, struct stack_frame *frames, int depth)
{
	struct py_target *t = w->t;
	struct stack_cache *c = w->c;
	uint64_t *types = c->types;
	int *idx = c->idx, n = 0;

	for (int i = 0; i < depth; i++) {
		types[i] = 0;
		if (!c->bases[i] || !c->first_args[i])
			continue;
		if (c->bases[i]->self_kind == SELF_CLASS) {
			types[i] = c->first_args[i];
		} else {
			c->iov[n] = (struct mem_iov){ c->first_args[i] + (uint64_t)t->L.object_type, &types[i], 8 };
			idx[n++] = i;
		}
	}
	int got = n ? mem_readv(t->pid, c->iov, n) : 0;
	for (int k = got < 0 ? 0 : got; k < n; k++)
		types[idx[k]] = 0;   /* unreadable: keep the plain name */
	for (int i = 0; i < depth; i++)
		if (types[i])
			frames[i].func = &func_get_method(t, c, c->bases[i], types[i])->info;
}

/* Walk PyFrameObjects (3.8-3.10). The whole chain is walked (to count it),
 * at most STACK_DEPTH_MAX frames; the innermost max are stored. Returns the
 * number of frames counted. */
static int walk_objects(struct walk *w, uint64_t cur, struct stack_frame *frames, int max)
{
	const struct py_layout *L = &w->t->L;
	struct stack_cache *c = w->c;
	size_t fsize = frame_read_size(L);
	int32_t refcnt = frame_refcnt_offset(L);
	int depth = 0, err, methods = 0;

	while (cur) {
		if (depth == STACK_DEPTH_MAX || w->n >= CHAIN_MAX) {
			w->more = 1;
			break;
		}
		const unsigned char *f = chain_read(w, cur, fsize);
		if (!f)
			return PYTOP_ECORRUPT;
		/* A freed frame: the thread returned from it while we read. */
		if (refcnt >= 0 && field_i64(f, refcnt) <= 0)
			return PYTOP_ECORRUPT;
		struct func_entry *e = frame_func(w, field_u64(f, L->frame_code), &err);
		if (!e)
			return err;
		if (!e->valid)
			return PYTOP_ECORRUPT;
		int lasti = field_i32(f, L->frame_lasti), off;
		/* No code object is 1 GiB long (func_load's bound on co_code):
		 * a bigger offset is garbage even when the code's size is
		 * unknown, and line_of's memo must not overflow on it. */
		if (__builtin_mul_overflow(lasti, L->lasti_scale, &off) || off >= (1 << 30))
			return PYTOP_ECORRUPT;
		/* An offset past the code: the cached function is stale (its
		 * code object died and another took its address) or the frame
		 * changed under us. Forget the entry and look once more. */
		if (e->code_bytes && off >= 0 && (int64_t)off >= (int64_t)e->code_bytes &&
		    !(e = func_refresh(w, e, off, &err)))
			return err;
		if (depth < max) {
			c->bases[depth] = NULL;
			c->first_args[depth] = 0;
			if (e->self_kind != SELF_NONE) {
				uint64_t first = field_u64(f, L->frame_localsplus);
				if (!first && e->self_cell >= 0)
					first = cell_contents(w->t, cur + (uint64_t)L->frame_localsplus + 8 * (uint64_t)e->self_cell);
				c->bases[depth] = e;
				c->first_args[depth] = first;
				methods++;
			}
			frames[depth].func = &e->info;
			frames[depth].line = line_of(L, e, off < 0 ? -1 : off);
			frames[depth].entry = 1;
		}
		if (depth == 0)
			w->inner_off = off;
		w->root = e;
		w->root_arg0 = field_u64(f, L->frame_localsplus);
		depth++;
		cur = field_u64(f, L->frame_back);
		/* A generator's frame that yielded has no back frame: it was
		 * on the stack when the walk began, and is not any more. */
		if (!cur && e->is_gen)
			return PYTOP_ECORRUPT;
	}
	if (methods)
		name_methods(w, frames, depth < max ? depth : max);
	return depth;
}

static void forget_with_base(struct stack_cache *c, struct func_entry *e);

/* A code object's identity as cached (func_load): file, name, first line. */
struct code_identity {
	uint64_t filename, name;
	int32_t first;
};

/* The three ranges (iov[0..3)) that read the identity of e's code object
 * into id. */
static void identity_iov(const struct py_layout *L, const struct func_entry *e, struct code_identity *id,
			 struct mem_iov *iov)
{
	iov[0] = (struct mem_iov){ e->code + (uint64_t)L->code_filename, &id->filename, 8 };
	iov[1] = (struct mem_iov){ e->code + (uint64_t)L->code_name, &id->name, 8 };
	iov[2] = (struct mem_iov){ e->code + (uint64_t)L->code_firstlineno, &id->first, 4 };
}

/* Whether id, read as identity_iov says, is the one e was cached with. */
static bool identity_same(const struct func_entry *e, const struct code_identity *id)
{
	return id->filename == e->fp_filename && id->name == e->fp_name && id->first == e->fp_firstlineno;
}

/* Whether the code object of e still has the identity it was cached with:
 * false when it does not or cannot be read. */
static bool code_unchanged(struct py_target *t, const struct func_entry *e)
{
	struct code_identity id;
	struct mem_iov iov[3];

	identity_iov(&t->L, e, &id, iov);
	return mem_readv(t->pid, iov, 3) == 3 && identity_same(e, &id);
}

/* A frame that runs has no saved stack pointer (3.12+: stacktop -1,
 * stackpointer NULL); one that called a frame in the same eval call has
 * saved it. So a caller read with none was running when read: its callees
 * as walked are not the ones it has (they were read earlier, or are dead
 * frames with the same bytes: a recursion that unwound and came back). */
static bool frame_runs(const struct py_layout *L, const unsigned char *f)
{
	if (L->iframe_stackpointer_size == 4)
		return field_i32(f, L->iframe_stackpointer) == -1;
	if (L->iframe_stackpointer_size == 8)
		return field_u64(f, L->iframe_stackpointer) == 0;
	return false;
}

/* Whether owner is one of the version's frame-owner values. Anything else
 * is bytes that are not a frame now: a frame freed while read, or not yet
 * made (3.15d fills freed memory with 0xDD: a generator's frame freed
 * between the thread state's read and the frame's own was walked as the
 * whole stack, 'leaf' with no callers). A version newer than every table
 * (read with the newest one's, t->schema_minor) may have values of its
 * own: the enum changed in 3.12, 3.14 and 3.15, and CPython's main branch
 * has had a fifth value for the thread state's base frame, at the bottom
 * of every chain. Refusing those would refuse every stack: they are not
 * checked. */
static bool owner_known(const struct py_target *t, int owner)
{
	const struct py_layout *L = &t->L;

	return t->schema_minor || owner == L->iframe_owner_thread || owner == L->iframe_owner_generator ||
	       owner == L->iframe_owner_frame_object || owner == L->iframe_owner_cstack ||
	       owner == L->iframe_owner_interpreter;
}

/* Whether every eval call of the version begins with a shim frame owned
 * by the C stack or the interpreter (3.12+; 3.15: the thread state's base
 * frame is one too), at the bottom of every chain CPython makes. Not
 * assumed of a version newer than every table (its bottom may differ). */
static bool has_shims(const struct py_target *t)
{
	return !t->schema_minor && (t->L.iframe_owner_cstack >= 0 || t->L.iframe_owner_interpreter >= 0);
}

/* Whether a frame with no previous frame can be the bottom of a chain
 * (for one not yet started, see walk_iframes). Never a generator's: one that
 * yielded has no caller until resumed. 3.12+: a shim, or a frame on
 * the thread's stack, which is what greenlet leaves while it switches (it
 * links a greenlet's frames past their shims, the outermost's previous
 * NULL); a frame object's frame is not on any stack. A version newer than
 * every table: only the generator's is checked (has_shims). */
static bool chain_end_ok(const struct py_target *t, int owner, bool shim)
{
	const struct py_layout *L = &t->L;

	if (owner == L->iframe_owner_generator)
		return false;
	return !has_shims(t) || shim || owner == L->iframe_owner_thread;
}

/* Whether a caller of a frame of its own eval call, running e at offset
 * off, waits at a call-family instruction (true when e's sites are not
 * known). One read at another instruction was read at another instant
 * than the frames inside it (a torn stack); or its entry is stale (a code
 * object that died and whose address another took): then it is forgotten,
 * to be reloaded on the next try. */
static bool caller_waits(struct walk *w, struct func_entry *e, int64_t off)
{
	if (!e->sites || bytecode_can_wait(e->sites, e->sites_units, off))
		return true;
	if (!code_unchanged(w->t, e))
		forget_with_base(w->c, e);
	return false;
}

/* Walk _PyInterpreterFrames (3.11+); see walk_objects. */
static int walk_iframes(struct walk *w, uint64_t cur, struct stack_frame *frames, int max)
{
	const struct py_layout *L = &w->t->L;
	size_t fsize = frame_read_size(L);
	int depth = 0, err;
	bool inlined = false;   /* the last frame counted was called from this eval call */

	while (cur) {
		if (depth == STACK_DEPTH_MAX || w->n >= CHAIN_MAX) {
			w->more = 1;
			break;
		}
		const unsigned char *f = chain_read(w, cur, fsize);
		if (!f)
			return PYTOP_ECORRUPT;
		uint64_t prev = field_u64(f, L->iframe_previous);
		int owner = f[L->iframe_owner];
		/* 3.14+: f_executable is a _PyStackRef whose low bits are tags. */
		uint64_t code = field_u64(f, L->iframe_code) & ~(uint64_t)L->iframe_code_tag_bits;
		uint64_t instr = field_u64(f, L->iframe_instr);
		cur = prev;
		if (!owner_known(w->t, owner))
			return PYTOP_ECORRUPT;
		/* The eval call that ran the frames since the last boundary
		 * began here: at a shim (3.12+) that follows its first frame,
		 * or at a frame flagged is_entry (3.11). */
		bool ends = owner == L->iframe_owner_cstack || owner == L->iframe_owner_interpreter;
		if (!prev && !chain_end_ok(w->t, owner, ends))
			return PYTOP_ECORRUPT;
		if (ends && depth > 0 && depth <= max)
			frames[depth - 1].entry = 1;
		if (ends) {
			inlined = false;   /* its caller called it from C */
			continue;     /* a shim or entry frame owned by the C stack or the interpreter */
		}
		bool is_entry = L->iframe_is_entry >= 0 && (size_t)L->iframe_is_entry < fsize && f[L->iframe_is_entry];
		/* A caller of a frame of the same eval call waits in that call. */
		if (inlined && frame_runs(L, f))
			return PYTOP_ECORRUPT;
		/* 3.14+: a frame popped while read has its executable cleared
		 * (PyStackRef_NULL) after the thread's current frame moved on:
		 * the stack changed under the reader, read it again. */
		if (!code)
			return PYTOP_ECORRUPT;
		struct func_entry *e = frame_func(w, code, &err);
		if (!e)
			return err;
		if (!e->valid) {
			if (L->frame_model == FRAME_MODEL_DIRECT)
				continue;   /* 3.13: an executable that is not code */
			return PYTOP_ECORRUPT;
		}
		uint64_t start = code + (uint64_t)L->code_code_adaptive;
		int64_t off = (int64_t)(instr - start);
		/* Not yet started (incomplete) frames are not shown, like CPython.
		 * Its prologue (MAKE_CELL, COPY_FREE_VARS, RETURN_GENERATOR)
		 * calls Python only through C (a finalizer run by the GC), so
		 * one under a frame of the same call that is not at a call-family
		 * instruction is not the frame that called it: a generator being
		 * made, the creating frame copied into it (its owner still the
		 * thread's, its previous the creator's on 3.11), read where a
		 * freed one was. But 3.13+'s CALL_ALLOC_AND_ENTER_INIT runs a
		 * Python __init__ under a frame of code _Py_InitCleanup, owned by
		 * the thread and never started (first traceable unit 4, waiting
		 * at unit 0, EXIT_INIT_CHECK: a call-family instruction): that
		 * one is the caller, and the stack is whole. 3.12+: one with no
		 * previous frame is that copy too (a frame on a stack has a shim
		 * under it; greenlet's switch exposes started frames only): seen
		 * on 3.13, a freed leaf generator's frame whose previous was the
		 * freed mid's address, where a new generator was being made,
		 * walked as the whole stack 'leaf'. */
		if (owner != L->iframe_owner_generator && off < 2 * (int64_t)e->firsttraceable) {
			if (!prev && has_shims(w->t))
				return PYTOP_ECORRUPT;
			if (inlined && !caller_waits(w, e, off))
				return PYTOP_ECORRUPT;
			if (is_entry && depth > 0 && depth <= max)
				frames[depth - 1].entry = 1;
			continue;
		}
		/* Stale cache entry, or a frame that changed under us. */
		if (off >= (int64_t)e->code_bytes && !(e = func_refresh(w, e, off, &err)))
			return err;
		/* A caller of a frame of the same eval call waits in a call. */
		if (inlined && !caller_waits(w, e, off))
			return PYTOP_ECORRUPT;
		if (depth < max) {
			frames[depth].func = &e->info;
			frames[depth].line = line_of(L, e, off < 0 ? -1 : (int)off);
			frames[depth].entry = is_entry;
		}
		if (depth == 0)
			w->inner_off = (int64_t)off;
		w->root = e;
		w->root_arg0 = field_u64(f, L->iframe_localsplus) & ~(uint64_t)L->iframe_code_tag_bits;
		depth++;
		inlined = !is_entry;
	}
	if (depth > 0 && depth <= max)
		frames[depth - 1].entry = 1;   /* the outermost frame began a call */
	return depth;
}

/* Truncation markers are functions of their own, "(N frames truncated)",
 * keyed by a pseudo code address no code object has (low bits 011). */
#define MARKER_KEY(n, more) (((uint64_t)(n) << 4) | ((more) ? 0xbu : 0x3u))

static int is_marker(const struct func_entry *e)
{
	return (e->code & 7) == 3;
}

static struct func_info *marker_get(struct stack_cache *c, int n, int more)
{
	struct func_entry *e = func_slot(c, MARKER_KEY(n, more), 0);
	char name[64];

	if (e->code)
		return &e->info;
	snprintf(name, sizeof name, more ? "(%d+ frames truncated)" : "(%d frames truncated)", n);
	memset(e, 0, sizeof *e);
	e->code = MARKER_KEY(n, more);
	e->valid = 1;
	e->self_cell = -1;
	e->checked_ms = now_ms();
	e->info.name = pool_str(c, name);
	e->info.file = "";
	e->info.id = c->next_id++;
	c->nfuncs++;
	return &e->info;
}

static struct func_entry *entry_of(struct func_info *f)
{
	return (struct func_entry *)(void *)((char *)f - offsetof(struct func_entry, info));
}

/* Forget an entry whose code object was replaced, and for a method entry
 * its plain entry too. */
static void forget_with_base(struct stack_cache *c, struct func_entry *e)
{
	if (e->type) {
		struct func_entry *base = func_slot(c, e->code, 0);
		if (base->code)
			func_forget(base);
	}
	func_forget(e);
}

/* A code object can die and another take its address, which would leave a
 * cached name wrong. Every CHECK_MS a function's code object is re-read (its
 * file, name and first line) and compared, in one batched read for all the
 * due functions of this stack. Returns how many were found replaced (and
 * forgotten), or a negative error. */
static int confirm_functions(struct stack_cache *c, struct py_target *t, struct stack_frame *frames, int depth)
{
	const struct py_layout *L = &t->L;
	struct func_entry *due[CHECK_MAX];
	struct code_identity got[CHECK_MAX];
	uint32_t now = now_ms();
	int n = 0, any = 0, replaced = 0;

	for (int i = 0; i < depth; i++)
		if (now - entry_of(frames[i].func)->checked_ms >= CHECK_MS && !is_marker(entry_of(frames[i].func)))
			any = 1;
	if (!any)
		return 0;
	for (int i = 0; i < depth && n < CHECK_MAX; i++) {
		struct func_entry *e = entry_of(frames[i].func);
		if (now - e->checked_ms < CHECK_EARLY_MS || e->stale || is_marker(e))
			continue;
		e->checked_ms = now;     /* also marks it as queued */
		due[n] = e;
		identity_iov(L, e, &got[n], &c->iov[3 * n]);
		n++;
	}
	int ok = n ? mem_readv(t->pid, c->iov, 3 * n) : 0;
	if (ok < 0)
		return ok;
	for (int k = 0; k < n; k++) {
		struct func_entry *e = due[k];
		if (3 * k + 3 <= ok && identity_same(e, &got[k]))
			continue;
		forget_with_base(c, e);
		replaced++;
	}
	return replaced;
}

/* The head of the thread's frame chain in the thread state: tstate->frame,
 * tstate->cframe, or tstate->current_frame. */
static int32_t head_offset(const struct py_layout *L)
{
	switch (L->frame_model) {
	case FRAME_MODEL_OBJECT: return L->tstate_frame;
	case FRAME_MODEL_CFRAME: return L->tstate_cframe;
	default: return L->tstate_current_frame;
	}
}

#define FOLLOW_MAX 16   /* frames followed from a new head to the walked chain */

/* The second look at a walked chain, in one batch: every position's code and
 * back pointers, its callers' positions in their code (f_lasti or
 * prev_instr / instr_ptr) and 3.8-3.10 frames' reference counts, then the
 * thread's current frame. Returns 1 when the walk describes the stack as it
 * was, 0 when it changed under the reader, or a negative error.
 *
 * 3.8-3.10: a frame holds a reference to its back frame, so frames that are
 * all alive (count > 0) and linked as walked form a stack that existed.
 * 3.11+: popped frames keep their bytes, so links alone do not tell a dead
 * frame. So in both, the thread must also still be in the innermost walked
 * frame, in frames it called (a few are followed from the current one) or
 * in its caller, and every caller must still wait at the same instruction:
 * a caller that moved on returned from the frames walked inside it (a
 * recursion that unwinds and comes back puts new frames at the old
 * addresses, same code and same links; only the callers' positions tell).
 * The innermost frame itself was current when read; it may have returned
 * since, which must not make short functions hard to sample. */
static int chain_confirm(struct walk *w, uint64_t tstate)
{
	const struct py_layout *L = &w->t->L;
	struct stack_cache *c = w->c;
	int32_t back, code, pos, refcnt = frame_refcnt_offset(L), head = head_offset(L);
	uint64_t now_head = 0, cur = 0;
	int niov = 0, pos_len;

	frame_links(L, &back, &code, &pos, &pos_len);
	int32_t lo = back < code ? back : code, hi = (back > code ? back : code) + 8;
	if (refcnt >= 0 && refcnt < lo)
		lo = refcnt;
	if (pos < lo)
		lo = pos;
	if (pos + pos_len > hi)
		hi = pos + pos_len;
	if (hi - lo > CHECK_BYTES)
		return PYTOP_ECORRUPT;   /* not a layout this reader knows */
	int first = w->cframe ? 1 : 0;
	if (w->cframe)
		c->iov[niov++] = (struct mem_iov){ c->new_addr[0] + (uint64_t)L->cframe_current_frame, c->cbuf[0], 8 };
	for (int i = first; i < w->n; i++)
		c->iov[niov++] = (struct mem_iov){ c->new_addr[i] + (uint64_t)lo, c->cbuf[i], (size_t)(hi - lo) };
	c->iov[niov++] = (struct mem_iov){ tstate + (uint64_t)head, &now_head, 8 };
	int got = batch_read(w->t->pid, c->iov, niov);
	if (got < 0)
		return got;
	if (got < niov)
		return 0;
	/* The innermost frame is looked at below: it was current when read and
	 * may have returned since, its place gone to the next call (that is
	 * why its caller must not have moved). */
	for (int i = first + 1; i < w->n; i++) {
		const unsigned char *was = c->fptr[i], *now = c->cbuf[i];
		if (field_u64(now, back - lo) != field_u64(was, back) ||
		    field_u64(now, code - lo) != field_u64(was, code))
			return 0;
		/* A caller waits at its call: one that moved returned and ran on
		 * (the frames walked inside it were gone when read). */
		if (memcmp(now + (pos - lo), was + pos, (size_t)pos_len) != 0)
			return 0;
		if (refcnt >= 0 && field_i64(now, refcnt - lo) <= 0)
			return 0;
	}
	/* Where is the thread now? */
	if (L->frame_model == FRAME_MODEL_CFRAME) {
		if (w->cframe && now_head == c->new_addr[0])
			cur = field_u64(c->cbuf[0], 0);
		else if (now_head && mem_read_ptr(w->t->pid, now_head + (uint64_t)L->cframe_current_frame, &cur) < 0)
			return 0;
	} else {
		cur = now_head;
	}
	if (w->n == first)
		return 1;     /* an empty stack is never torn */
	/* Still in the innermost walked frame (or the next call at the same
	 * place), in frames called from there, or in its caller, at the call. */
	for (int k = 0; k < FOLLOW_MAX && cur; k++) {
		/* In the innermost frame, with the caller it was read with (a
		 * 3.8-3.10 frame gets its back pointer last: one read while it
		 * was being made has a stale one), or its place has gone to
		 * another frame: follow on. */
		if (cur == c->new_addr[first] &&
		    field_u64(c->cbuf[first], back - lo) == field_u64(c->fptr[first], back))
			return 1;
		if (first + 1 < w->n && cur == c->new_addr[first + 1])
			return 1;
		if (mem_read_ptr(w->t->pid, cur + (uint64_t)back, &cur) < 0)
			return 0;
	}
	return 0;
}

static int walk_once(struct stack_cache *c, struct py_target *t, uint64_t tstate, struct thread_info *ti,
		     struct stack_frame *frames, int max, int *flags, int *stale, int *total);

/* Fill *ti from the thread state in c->tbuf. ptid is the tid read from
 * the pthread whose id was ptid_of (0: none read): it is used when that is
 * still the thread's pthread, else read now. */
static void thread_fields(const unsigned char *tbuf, struct py_target *t, uint64_t tstate, struct thread_info *ti,
			  uint64_t ptid_of, uint32_t ptid)
{
	const struct py_layout *L = &t->L;
	ti->tstate = tstate;
	ti->interp = field_u64(tbuf, L->tstate_interp);
	ti->next = field_u64(tbuf, L->tstate_next);
	ti->pthread_id = field_u64(tbuf, L->tstate_thread_id);
	ti->head = field_u64(tbuf, head_offset(L));
	if (L->tstate_native_thread_id >= 0) {
		uint64_t raw = field_u64(tbuf, L->tstate_native_thread_id);
		ti->tid = raw > TID_MAX_LIMIT ? 0 : (pid_t)raw;
	} else if (t->pthread_tid_offset >= 0 && ti->pthread_id) {
		if (!(ptid_of && ptid_of == ti->pthread_id))
			mem_read(t->pid, ti->pthread_id + (uint64_t)t->pthread_tid_offset, &ptid, 4);
		ti->tid = (pid_t)ptid;
	}
	/* A thread id past the kernel's hard limit (PID_MAX_LIMIT, 2^22) is
	 * garbage: a thread state being made or freed. Unidentified, not a
	 * thread that never existed. */
	if (ti->tid < 0 || ti->tid > TID_MAX_LIMIT)
		ti->tid = 0;
	/* In its own PID namespace the target numbers its threads its way. */
	if (t->nspid)
		ti->tid = nspid_host(t->nspid, ti->tid);
}

int stack_thread(struct stack_cache *c, struct py_target *t, uint64_t tstate, struct thread_info *ti)
{
	const struct py_layout *L = &t->L;
	struct mem_iov iov[2];
	uint32_t ptid = 0;
	int niov = 0;

	memset(ti, 0, sizeof *ti);
	if (L->tstate_size < 0 || L->tstate_size > TSTATE_BUF)
		return PYTOP_ECORRUPT;
	struct spec_entry *spec = spec_get(c, tstate);
	iov[niov++] = (struct mem_iov){ tstate, c->tbuf, (size_t)L->tstate_size };
	int want_tid = L->tstate_native_thread_id < 0 && t->pthread_tid_offset >= 0 && spec->pthread_id;
	if (want_tid)
		iov[niov++] = (struct mem_iov){ spec->pthread_id + (uint64_t)t->pthread_tid_offset, &ptid, 4 };
	int got = mem_readv(t->pid, iov, niov);
	if (got < 0)
		return got;
	if (got < 1)
		return PYTOP_EREAD;
	thread_fields(c->tbuf, t, tstate, ti, want_tid && got >= 2 ? spec->pthread_id : 0, ptid);
	return 0;
}

void stack_thread_span(const struct py_layout *L, int32_t *lo, int32_t *hi)
{
	int32_t f[5] = { L->tstate_interp, L->tstate_next, L->tstate_thread_id, L->tstate_native_thread_id,
			 head_offset(L) };
	*lo = L->tstate_size;
	*hi = 0;
	for (int i = 0; i < 5; i++) {
		if (f[i] < 0)
			continue;
		if (f[i] < *lo)
			*lo = f[i];
		if (f[i] + 8 > *hi)
			*hi = f[i] + 8;
	}
	if (*hi > L->tstate_size || *lo >= *hi) {
		*lo = 0;
		*hi = L->tstate_size;
	}
}

int stack_thread_decode(struct py_target *t, uint64_t tstate, const void *buf, uint64_t ptid_of, uint32_t ptid,
			struct thread_info *ti)
{
	memset(ti, 0, sizeof *ti);
	if (t->L.tstate_size < 0 || t->L.tstate_size > TSTATE_BUF)
		return PYTOP_ECORRUPT;
	thread_fields(buf, t, tstate, ti, ptid_of, ptid);
	return 0;
}

int stack_walk(struct stack_cache *c, struct py_target *t, uint64_t tstate, struct thread_info *ti,
	       struct stack_frame *frames, int max, int *flags)
{
	return stack_walk_known(c, t, tstate, ti, frames, max, flags, NULL, NULL, false, NULL);
}

uint64_t stack_confirms_skipped(const struct stack_cache *c)
{
	return c->confirms_skipped;
}

int stack_walk_known(struct stack_cache *c, struct py_target *t, uint64_t tstate, struct thread_info *ti,
		     struct stack_frame *frames, int max, int *flags, stack_known_fn known, void *arg, bool check,
		     bool *mismatch)
{
	int depth = PYTOP_ECORRUPT, total = 0;

	if (mismatch)
		*mismatch = false;

	if (max < 1)
		return PYTOP_EINVAL;
	if (max > STACK_DEPTH_MAX + 1)
		max = STACK_DEPTH_MAX + 1;   /* the most a walk can fill */
	for (int attempt = 0; attempt < WALK_TRIES; attempt++) {
		int stale = 0, ok;
		depth = walk_once(c, t, tstate, ti, frames, max, flags, &stale, &total);
		if (depth > 0 && !stale) {
			int replaced = confirm_functions(c, t, frames, depth);
			if (replaced < 0)
				return replaced;
			stale = replaced > 0;
		}
		if (stale) {
			/* The names were stale, not the stack: this walk is free. */
			depth = walk_once(c, t, tstate, ti, frames, max, flags, &stale, &total);
		}
		if (depth == PYTOP_ECORRUPT)
			continue;
		if (depth < 0)
			return depth;
		/* The stack the caller saw confirmed: it existed (the chain was
		 * read from the thread state's head in the same batch, so a
		 * thread that moved elsewhere reads as another stack). */
		bool vouched = known && attempt == 0 && depth > 0 && total <= max && !(*flags & STACK_TRUNCATED) &&
			       known(arg, frames, depth);
		if (vouched) {
			c->confirms_skipped++;
			if (!check)
				break;
		}
		/* Confirm against the chain walk_once recorded (w state lives in
		 * the cache: new_addr, fptr, seen). */
		struct walk w = { .t = t, .c = c, .n = c->last_n, .cframe = c->last_cframe };
		if ((ok = chain_confirm(&w, tstate)) < 0)
			return ok;
		if (vouched && !ok && mismatch)
			*mismatch = true;
		if (ok)
			break;   /* checking, a vouched stack the look refutes is read again */
		depth = PYTOP_ECORRUPT;
	}
	if (depth < 0)
		return depth;
	/* Deeper than max: the innermost max - 1 frames and a marker. */
	if (total > max || (*flags & STACK_TRUNCATED)) {
		*flags |= STACK_TRUNCATED;
		int more = (*flags & STACK_MORE) != 0;
		if (max >= 2) {
			/* With more: at least one frame past those counted. */
			frames[max - 1].func = marker_get(c, total - (max - 1) + more, more);
			frames[max - 1].entry = 0;
			frames[max - 1].line = 0;
		}
		depth = max;
	}
	return depth;
}

/* One walk of a thread (see stack_walk); *stale is set when the innermost
 * function's code object turned out replaced (the caller walks again), and
 * *total gets the number of frames counted (the return value is at most
 * max of them). */
static int walk_once(struct stack_cache *c, struct py_target *t, uint64_t tstate, struct thread_info *ti,
		     struct stack_frame *frames, int max, int *flags, int *stale, int *total)
{
	const struct py_layout *L = &t->L;
	struct walk w;
	uint32_t ptid = 0;
	int niov = 0, got, depth;

	*flags = 0;
	*stale = 0;
	*total = 0;
	c->last_n = 0;
	c->last_cframe = 0;
	c->seen_upto = 0;
	if (c->nfuncs > FUNC_CLEAR_AT || c->pool_used > POOL_CLEAR_AT)
		stack_cache_clear(c);
	c->walks++;
	memset(ti, 0, sizeof *ti);
	memset(&w, 0, sizeof w);
	w.t = t;
	w.c = c;
	w.spec = spec_get(c, tstate);
	w.inner_off = -1;

	/* The guess: the chain this thread had at its last walk. */
	int guess = w.spec->n;
	if (guess > SPEC_INLINE) {
		struct spec_deep *d = deep_get(c, tstate, 0);
		if (d && d->n == guess - SPEC_INLINE) {
			memcpy(c->guess_addr + SPEC_INLINE, d->addr, (size_t)d->n * sizeof d->addr[0]);
			memcpy(c->guess_size + SPEC_INLINE, d->size, (size_t)d->n * sizeof d->size[0]);
		} else {
			guess = SPEC_INLINE;
		}
	}
	memcpy(c->guess_addr, w.spec->addr, (size_t)(guess < SPEC_INLINE ? guess : SPEC_INLINE) * sizeof w.spec->addr[0]);
	memcpy(c->guess_size, w.spec->size, (size_t)(guess < SPEC_INLINE ? guess : SPEC_INLINE) * sizeof w.spec->size[0]);
	w.guess = guess;
	w.guess_chain = w.spec->chain_n < guess ? w.spec->chain_n : guess;
	w.follows = 1;

	if (L->tstate_size < 0 || L->tstate_size > TSTATE_BUF)
		return PYTOP_ECORRUPT;
	/* One batch: the fields of the thread state read (stack_thread_span),
	 * the pthread's tid, the guessed chain. */
	int32_t lo, hi;
	stack_thread_span(L, &lo, &hi);
	c->iov[niov++] = (struct mem_iov){ tstate + (uint64_t)lo, c->tbuf + lo, (size_t)(hi - lo) };
	int want_tid = L->tstate_native_thread_id < 0 && t->pthread_tid_offset >= 0 && w.spec->pthread_id;
	if (want_tid)
		c->iov[niov++] = (struct mem_iov){ w.spec->pthread_id + (uint64_t)t->pthread_tid_offset, &ptid, 4 };
	int first_chain = niov;
	for (int i = 0; i < guess; i++)
		c->iov[niov++] = (struct mem_iov){ c->guess_addr[i], c->fbuf[i], c->guess_size[i] };
	/* Last: the identity of the innermost frame's code object, so the
	 * function that gets the own time is confirmed on every walk. */
	uint64_t fp[2] = { 0, 0 }, code0 = w.spec->code0;
	int fp_at = niov;
	if (code0) {
		c->iov[niov++] = (struct mem_iov){ code0 + (uint64_t)L->code_filename, &fp[0], 8 };
		c->iov[niov++] = (struct mem_iov){ code0 + (uint64_t)L->code_name, &fp[1], 8 };
	}
	/* Every range that can be read: a guessed frame in a data-stack chunk
	 * freed since (the stack unwound) must not cost the positions after
	 * it, which are then read one by one (thousands in a deep stack). */
	got = mem_readv_each(t->pid, c->iov, niov);
	if (got < 0)
		return got;
	if (c->iov[0].len == 0)
		return PYTOP_EREAD;
	for (int i = 0; i < guess; i++)
		c->unread[i] = c->iov[first_chain + i].len == 0;
	w.batch_ok = guess;
	if (code0 && (c->iov[fp_at].len == 0 || c->iov[fp_at + 1].len == 0))
		code0 = 0;

	thread_fields(c->tbuf, t, tstate, ti, want_tid && c->iov[1].len ? w.spec->pthread_id : 0, ptid);

	switch (L->frame_model) {
	case FRAME_MODEL_OBJECT:
		depth = walk_objects(&w, field_u64(c->tbuf, L->tstate_frame), frames, max);
		break;
	case FRAME_MODEL_CFRAME: {
		uint64_t cf = field_u64(c->tbuf, L->tstate_cframe);
		const unsigned char *cfb = cf ? chain_read(&w, cf, (size_t)L->cframe_current_frame + 8) : NULL;
		w.cframe = cfb != NULL;
		depth = cf && !cfb ? PYTOP_ECORRUPT :
			walk_iframes(&w, cfb ? field_u64(cfb, L->cframe_current_frame) : 0, frames, max);
		break;
	}
	default:
		depth = walk_iframes(&w, field_u64(c->tbuf, L->tstate_current_frame), frames, max);
		break;
	}

	if (depth > 0) {
		struct func_entry *e0 = entry_of(frames[0].func);
		if (code0 && e0->code == code0 && (fp[0] != e0->fp_filename || fp[1] != e0->fp_name)) {
			forget_with_base(c, e0);
			*stale = 1;
		}
	}

	/* Remember this chain as the guess for the next walk of this thread
	 * (also after a failed walk: its addresses are a guess, no more). While
	 * the stack keeps changing (grows, or shrinks: then every frame may
	 * have come from the batch), the addresses of earlier chains that are not
	 * in this one stay in the guess too (most recent first, as many as the
	 * last chain had, SPEC_EXTRA at least): a stack that grows and shrinks
	 * through the same frames (a recursion, a loop calling functions) is
	 * then read in one batch, which is what keeps the walk quick enough to
	 * be consistent. A deep recursion that unwinds and comes back keeps its
	 * whole chain in the guess, also its frames in data-stack chunks freed
	 * meanwhile (unread now, where the next chunks will likely be mapped). */
	int n = w.n;
	w.spec->chain_n = n;
	if (depth < 0 || w.seq > 0 || !w.follows || w.n != w.guess_chain) {
		seen_fill(c, w.n);
		int keep = w.guess_chain > SPEC_EXTRA ? w.guess_chain : SPEC_EXTRA;
		for (int i = 0, extra = 0; i < guess && extra < keep && n < CHAIN_MAX; i++) {
			if (addrset_slot(c->seen, SEEN_SLOTS - 1, c->walks, c->guess_addr[i])->gen == c->walks)
				continue;
			c->new_addr[n] = c->guess_addr[i];
			c->new_size[n] = c->guess_size[i];
			n++;
			extra++;
		}
	}
	w.spec->code0 = depth > 0 ? entry_of(frames[0].func)->code : 0;
	w.spec->pthread_id = ti->pthread_id;
	w.spec->n = n;
	memcpy(w.spec->addr, c->new_addr, (size_t)(n < SPEC_INLINE ? n : SPEC_INLINE) * sizeof c->new_addr[0]);
	memcpy(w.spec->size, c->new_size, (size_t)(n < SPEC_INLINE ? n : SPEC_INLINE) * sizeof c->new_size[0]);
	if (n > SPEC_INLINE) {
		struct spec_deep *d = deep_get(c, tstate, 1);
		d->n = n - SPEC_INLINE;
		memcpy(d->addr, c->new_addr + SPEC_INLINE, (size_t)d->n * sizeof d->addr[0]);
		memcpy(d->size, c->new_size + SPEC_INLINE, (size_t)d->n * sizeof d->size[0]);
	}
	if (depth < 0)
		return depth;
	c->last_n = w.n;
	c->last_cframe = w.cframe;
	ti->inner_off = depth > 0 ? w.inner_off : -1;
	if (depth > 0 && w.root) {
		ti->root = &w.root->info;
		ti->root_arg0 = w.root_arg0;
	}
	*total = depth;
	if (w.more)
		*flags |= STACK_TRUNCATED | STACK_MORE;
	return depth < max ? depth : max;
}
