/* stack: the stack walker and its caches (functions by code object address,
 * and per-thread speculation of the frame chain so a whole stack is fetched
 * in one batched process_vm_readv). All memory is allocated up front. */
#include "cpython/stack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpython/fields.h"
#include "cpython/linetable.h"
#include "cpython/objects.h"
#include "cpython/pystring.h"
#include "errors.h"
#include "target/memory.h"

#define FUNC_SLOTS 16384          /* power of two */
#define FUNC_CLEAR_AT (FUNC_SLOTS / 2)
#define POOL_SIZE (32u << 20)
#define POOL_CLEAR_AT (12u << 20)
#define LINETABLE_MAX (64u << 10)
#define NAME_MAX_BYTES 512
#define FILE_MAX_BYTES 1024
#define SPEC_SLOTS 512            /* power of two */
#define SPEC_WAYS 4               /* slots a thread state may use */
#define CHAIN_MAX 300             /* frames (+1 cframe) per walk */
#define FRAME_BUF 512             /* bytes read per frame */
#define TSTATE_BUF 1024
#define CODE_READ 256
#define FUNC_TOMBSTONE 1          /* never a real (aligned) code address */
#define CHECK_MS 50               /* re-confirm a cached code object this often */
#define CHECK_EARLY_MS 25         /* ... and, while at it, those half way there */
#define CHECK_MAX 64              /* code objects confirmed per walk at most */
#define LINE_MEMO 4               /* per function: recently decoded offsets */

enum self_kind { SELF_NONE, SELF_INSTANCE, SELF_CLASS };

struct func_entry {
	uint64_t code, type;      /* key; code == 0: empty slot */
	struct func_info info;
	uint8_t valid;            /* 0: not a code object */
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
	int32_t memo_addr[LINE_MEMO], memo_line[LINE_MEMO]; /* recent offset -> line */
};

struct spec_entry {
	uint64_t tstate;          /* key */
	uint64_t pthread_id;
	uint64_t code0;           /* the innermost frame's code object */
	uint64_t used;            /* walk count when last used (for eviction) */
	int n;
	uint64_t addr[CHAIN_MAX];
	uint16_t size[CHAIN_MAX];
};

struct stack_cache {
	struct func_entry *funcs;
	uint32_t nfuncs;
	char *pool;
	size_t pool_used;
	uint32_t next_id;
	struct spec_entry *spec;
	uint64_t walks, misses;
	unsigned char tbuf[TSTATE_BUF];
	unsigned char (*fbuf)[FRAME_BUF];
	struct mem_iov iov[CHAIN_MAX + 2];
};

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
	c->fbuf = xmalloc((size_t)CHAIN_MAX * sizeof *c->fbuf);
	c->next_id = 1;
	return c;
}

void stack_cache_destroy(struct stack_cache *c)
{
	if (!c)
		return;
	free(c->funcs);
	free(c->pool);
	free(c->spec);
	free(c->fbuf);
	free(c);
}

void stack_cache_clear(struct stack_cache *c)
{
	memset(c->funcs, 0, FUNC_SLOTS * sizeof *c->funcs);
	c->nfuncs = 0;
	c->pool_used = 0;
}

void stack_stats(const struct stack_cache *c, uint64_t *walks, uint64_t *func_misses)
{
	*walks = c->walks;
	*func_misses = c->misses;
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
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
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
		if (strcmp(name, arg) == 0)
			return field_i32(cb, L->code_nlocals) + (int32_t)i;
	}
	return -1;
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
	c->misses++;
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
		e->code_bytes = (uint32_t)field_u64(cb, L->var_size) * 2;
	} else {
		int64_t n = 0;
		if (mem_read(t->pid, field_u64(cb, L->code_code) + (uint64_t)L->var_size, &n, sizeof n) == 0 &&
		    n > 0 && n < (1 << 30))
			e->code_bytes = (uint32_t)n;
	}
	e->self_cell = -1;
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
	e->info.name = pool_str(c, name);
	e->info.file = pool_str(c, file);
	e->info.id = c->next_id++;
	e->info.defined = 0;
	e->valid = 1;
	return 0;
}

static struct func_entry *func_get(struct py_target *t, struct stack_cache *c, uint64_t code, int *err)
{
	struct func_entry *e = func_slot(c, code, 0);
	*err = 0;
	if (e->code)
		return e;
	*err = func_load(t, c, e, code);
	if (*err < 0) {
		/* A read failed: do not remember anything. */
		memset(e, 0, sizeof *e);
		c->nfuncs--;
		return NULL;
	}
	return e;
}

/* Retire a function entry whose code object is no longer what it was: it
 * becomes a tombstone (probe chains stay intact, and frames of this walk
 * that point at it keep valid strings); the next lookup makes a fresh entry
 * with a new id. The consumer keeps the old definition for old samples. */
static void func_forget(struct func_entry *e)
{
	e->code = FUNC_TOMBSTONE;
	e->type = 0;
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
	if (e->code && e->base_id == base->info.id)
		return e;
	if (e->code) {
		/* Made for a code object that has since been replaced. */
		func_forget(e);
		e = func_slot(c, base->code, type);
	}
	if (obj_type_name(t, type, tname, sizeof tname) < 0)
		return base;
	*e = *base;
	e->type = type;
	e->base_id = base->info.id;
	snprintf(name, sizeof name, "%s.%s", tname, base->info.name);
	e->info.name = pool_str(c, name);
	e->info.id = c->next_id++;
	e->info.defined = 0;
	c->nfuncs++;
	return e;
}

/* The line at byte offset addr; callers' frames sit at the same offset
 * sample after sample, so a few recent answers are remembered. */
static int line_of(const struct py_layout *L, struct func_entry *e, int addr)
{
	if (addr < 0 || !e->lt)
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
	victim->used = c->walks;
	return victim;
}

/* The state of one walk. */
struct walk {
	struct py_target *t;
	struct stack_cache *c;
	struct spec_entry *spec;
	int spec_ok;              /* leading chain positions read by the batch */
	int n;                    /* chain positions used */
	uint64_t new_addr[CHAIN_MAX];
	uint16_t new_size[CHAIN_MAX];
};

/* The bytes at addr for chain position n: from the batch when the guess was
 * right, else read now (and stop trusting the rest of the guess). */
static const unsigned char *chain_read(struct walk *w, uint64_t addr, size_t size)
{
	int i = w->n;
	if (i >= CHAIN_MAX)
		return NULL;
	w->new_addr[i] = addr;
	w->new_size[i] = (uint16_t)size;
	w->n++;
	/* While the chain follows the guess its addresses are distinct (the
	 * guess was checked when recorded); past that, check for a cycle. */
	if (i < w->spec_ok && w->spec->addr[i] == addr && w->spec->size[i] >= size)
		return w->c->fbuf[i];
	for (int k = 0; k < i; k++)
		if (w->new_addr[k] == addr)
			return NULL;   /* a cycle: the stack changed under us */
	w->spec_ok = i;
	if (mem_read(w->t->pid, addr, w->c->fbuf[i], size) < 0)
		return NULL;
	return w->c->fbuf[i];
}

static size_t frame_read_size(const struct py_layout *L)
{
	int32_t m;
	if (L->frame_model == FRAME_MODEL_OBJECT) {
		m = L->frame_localsplus + 8;
	} else {
		m = L->iframe_previous + 8;
		if (L->iframe_code + 8 > m)
			m = L->iframe_code + 8;
		if (L->iframe_instr + 8 > m)
			m = L->iframe_instr + 8;
		if (L->iframe_owner + 1 > m)
			m = L->iframe_owner + 1;
	}
	return (size_t)m;
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

/* A frame's offset lies past its cached function's code: forget the entry
 * and read the code object again. Returns the fresh entry, or NULL with
 * *err set (PYTOP_ECORRUPT when the offset is still out of range). */
static struct func_entry *func_refresh(struct walk *w, struct func_entry *e, int64_t off, int *err)
{
	uint64_t code = e->code;
	func_forget(e);
	if (!(e = func_get(w->t, w->c, code, err)))
		return NULL;
	if (!e->valid || off >= (int64_t)e->code_bytes) {
		*err = PYTOP_ECORRUPT;
		return NULL;
	}
	return e;
}

/* Name 3.8-3.10 method frames after their class: the types of all the
 * frames' self arguments are fetched in one batched read. */
static void name_methods(struct walk *w, struct stack_frame *frames, int depth,
			 struct func_entry **bases, const uint64_t *first_args)
{
	struct py_target *t = w->t;
	uint64_t types[CHAIN_MAX];
	int idx[CHAIN_MAX], n = 0;

	for (int i = 0; i < depth; i++) {
		types[i] = 0;
		if (!bases[i] || !first_args[i])
			continue;
		if (bases[i]->self_kind == SELF_CLASS) {
			types[i] = first_args[i];
		} else {
			w->c->iov[n] = (struct mem_iov){ first_args[i] + (uint64_t)t->L.object_type, &types[i], 8 };
			idx[n++] = i;
		}
	}
	int got = n ? mem_readv(t->pid, w->c->iov, n) : 0;
	for (int k = got < 0 ? 0 : got; k < n; k++)
		types[idx[k]] = 0;   /* unreadable: keep the plain name */
	for (int i = 0; i < depth; i++)
		if (types[i])
			frames[i].func = &func_get_method(t, w->c, bases[i], types[i])->info;
}

/* Walk PyFrameObjects (3.8-3.10). */
static int walk_objects(struct walk *w, uint64_t cur, struct stack_frame *frames, int max, int *flags)
{
	const struct py_layout *L = &w->t->L;
	size_t fsize = frame_read_size(L);
	struct func_entry *bases[CHAIN_MAX];
	uint64_t first_args[CHAIN_MAX];
	int depth = 0, err, methods = 0;

	if (max > CHAIN_MAX - 1)
		max = CHAIN_MAX - 1;
	while (cur) {
		if (depth == max) {
			*flags |= STACK_TRUNCATED;
			break;
		}
		const unsigned char *f = chain_read(w, cur, fsize);
		if (!f)
			return PYTOP_ECORRUPT;
		struct func_entry *e = func_get(w->t, w->c, field_u64(f, L->frame_code), &err);
		if (!e)
			return err;
		if (!e->valid)
			return PYTOP_ECORRUPT;
		int lasti = field_i32(f, L->frame_lasti);
		/* An offset past the code: the cached function is stale (its
		 * code object died and another took its address) or the frame
		 * changed under us. Forget the entry and look once more. */
		if (e->code_bytes && lasti >= 0 && (int64_t)lasti * L->lasti_scale >= (int64_t)e->code_bytes &&
		    !(e = func_refresh(w, e, (int64_t)lasti * L->lasti_scale, &err)))
			return err;
		bases[depth] = NULL;
		first_args[depth] = 0;
		if (e->self_kind != SELF_NONE) {
			uint64_t first = field_u64(f, L->frame_localsplus);
			if (!first && e->self_cell >= 0)
				first = cell_contents(w->t, cur + (uint64_t)L->frame_localsplus + 8 * (uint64_t)e->self_cell);
			bases[depth] = e;
			first_args[depth] = first;
			methods++;
		}
		frames[depth].func = &e->info;
		frames[depth].line = line_of(L, e, lasti < 0 ? -1 : lasti * L->lasti_scale);
		depth++;
		cur = field_u64(f, L->frame_back);
	}
	if (methods)
		name_methods(w, frames, depth, bases, first_args);
	return depth;
}

/* Walk _PyInterpreterFrames (3.11+). */
static int walk_iframes(struct walk *w, uint64_t cur, struct stack_frame *frames, int max, int *flags)
{
	const struct py_layout *L = &w->t->L;
	size_t fsize = frame_read_size(L);
	int depth = 0, err;

	while (cur) {
		if (depth == max) {
			*flags |= STACK_TRUNCATED;
			break;
		}
		const unsigned char *f = chain_read(w, cur, fsize);
		if (!f)
			return PYTOP_ECORRUPT;
		uint64_t prev = field_u64(f, L->iframe_previous);
		int owner = f[L->iframe_owner];
		uint64_t code = field_u64(f, L->iframe_code);
		uint64_t instr = field_u64(f, L->iframe_instr);
		cur = prev;
		if (owner == L->iframe_owner_cstack)
			continue;     /* a shim frame owned by the C stack */
		struct func_entry *e = func_get(w->t, w->c, code, &err);
		if (!e)
			return err;
		if (!e->valid) {
			if (L->frame_model == FRAME_MODEL_DIRECT)
				continue;   /* 3.13: an executable that is not code */
			return PYTOP_ECORRUPT;
		}
		uint64_t start = code + (uint64_t)L->code_code_adaptive;
		int64_t off = (int64_t)(instr - start);
		/* Not yet started (incomplete) frames are not shown, like CPython. */
		if (owner != 1 && off < 2 * (int64_t)e->firsttraceable)
			continue;
		/* Stale cache entry, or a frame that changed under us. */
		if (off >= (int64_t)e->code_bytes && !(e = func_refresh(w, e, off, &err)))
			return err;
		frames[depth].func = &e->info;
		frames[depth].line = line_of(L, e, off < 0 ? -1 : (int)off);
		depth++;
	}
	return depth;
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
static int confirm_functions(struct py_target *t, struct stack_frame *frames, int depth)
{
	const struct py_layout *L = &t->L;
	struct stack_cache *c = t->cache;
	struct func_entry *due[CHECK_MAX];
	struct { uint64_t filename, name; int32_t first; } got[CHECK_MAX];
	uint32_t now = now_ms();
	int n = 0, any = 0, replaced = 0;

	for (int i = 0; i < depth; i++)
		if (now - entry_of(frames[i].func)->checked_ms >= CHECK_MS)
			any = 1;
	if (!any)
		return 0;
	for (int i = 0; i < depth && n < CHECK_MAX; i++) {
		struct func_entry *e = entry_of(frames[i].func);
		if (now - e->checked_ms < CHECK_EARLY_MS || e->code == FUNC_TOMBSTONE)
			continue;
		e->checked_ms = now;     /* also marks it as queued */
		due[n] = e;
		c->iov[3 * n] = (struct mem_iov){ e->code + (uint64_t)L->code_filename, &got[n].filename, 8 };
		c->iov[3 * n + 1] = (struct mem_iov){ e->code + (uint64_t)L->code_name, &got[n].name, 8 };
		c->iov[3 * n + 2] = (struct mem_iov){ e->code + (uint64_t)L->code_firstlineno, &got[n].first, 4 };
		n++;
	}
	int ok = n ? mem_readv(t->pid, c->iov, 3 * n) : 0;
	if (ok < 0)
		return ok;
	for (int k = 0; k < n; k++) {
		struct func_entry *e = due[k];
		if (3 * k + 3 <= ok && got[k].filename == e->fp_filename && got[k].name == e->fp_name &&
		    got[k].first == e->fp_firstlineno)
			continue;
		forget_with_base(c, e);
		replaced++;
	}
	return replaced;
}

static int walk_once(struct py_target *t, uint64_t tstate, struct thread_info *ti,
		     struct stack_frame *frames, int max, int *flags, int *stale);

int stack_walk(struct py_target *t, uint64_t tstate, struct thread_info *ti,
	       struct stack_frame *frames, int max, int *flags)
{
	int stale;
	int depth = walk_once(t, tstate, ti, frames, max, flags, &stale);
	if (depth > 0 && !stale) {
		int replaced = confirm_functions(t, frames, depth);
		if (replaced < 0)
			return replaced;
		stale = replaced > 0;
	}
	if (stale)
		depth = walk_once(t, tstate, ti, frames, max, flags, &stale);
	return depth;
}

/* One walk of a thread (see stack_walk); *stale is set when the innermost
 * function's code object turned out replaced (the caller walks again). */
static int walk_once(struct py_target *t, uint64_t tstate, struct thread_info *ti,
		     struct stack_frame *frames, int max, int *flags, int *stale)
{
	const struct py_layout *L = &t->L;
	struct stack_cache *c = t->cache;
	struct walk w;
	uint32_t ptid = 0;
	int niov = 0, got, depth;

	*flags = 0;
	*stale = 0;
	if (c->nfuncs > FUNC_CLEAR_AT || c->pool_used > POOL_CLEAR_AT)
		stack_cache_clear(c);
	c->walks++;
	memset(ti, 0, sizeof *ti);
	w.t = t;
	w.c = c;
	w.spec = spec_get(c, tstate);
	w.n = 0;

	/* One batch: the thread state, the pthread's tid, the guessed chain. */
	c->iov[niov++] = (struct mem_iov){ tstate, c->tbuf, (size_t)L->tstate_size };
	int want_tid = L->tstate_native_thread_id < 0 && t->pthread_tid_offset >= 0 && w.spec->pthread_id;
	if (want_tid)
		c->iov[niov++] = (struct mem_iov){ w.spec->pthread_id + (uint64_t)t->pthread_tid_offset, &ptid, 4 };
	int first_chain = niov;
	for (int i = 0; i < w.spec->n; i++)
		c->iov[niov++] = (struct mem_iov){ w.spec->addr[i], c->fbuf[i], w.spec->size[i] };
	/* Last: the identity of the innermost frame's code object, so the
	 * function that gets the own time is confirmed on every walk. */
	uint64_t fp[2] = { 0, 0 }, code0 = w.spec->code0;
	int fp_at = niov;
	if (code0) {
		c->iov[niov++] = (struct mem_iov){ code0 + (uint64_t)L->code_filename, &fp[0], 8 };
		c->iov[niov++] = (struct mem_iov){ code0 + (uint64_t)L->code_name, &fp[1], 8 };
	}
	got = mem_readv(t->pid, c->iov, niov);
	if (got < 0)
		return got;
	if (got < 1)
		return PYTOP_EREAD;
	w.spec_ok = got > first_chain ? (got < fp_at ? got : fp_at) - first_chain : 0;
	if (got < niov)
		code0 = 0;

	ti->tstate = tstate;
	ti->interp = field_u64(c->tbuf, L->tstate_interp);
	ti->next = field_u64(c->tbuf, L->tstate_next);
	ti->pthread_id = field_u64(c->tbuf, L->tstate_thread_id);
	if (L->tstate_native_thread_id >= 0) {
		ti->tid = (pid_t)field_u64(c->tbuf, L->tstate_native_thread_id);
	} else if (t->pthread_tid_offset >= 0 && ti->pthread_id) {
		if (!(want_tid && got >= 2 && w.spec->pthread_id == ti->pthread_id))
			mem_read(t->pid, ti->pthread_id + (uint64_t)t->pthread_tid_offset, &ptid, 4);
		ti->tid = (pid_t)ptid;
	}

	switch (L->frame_model) {
	case FRAME_MODEL_OBJECT:
		depth = walk_objects(&w, field_u64(c->tbuf, L->tstate_frame), frames, max, flags);
		break;
	case FRAME_MODEL_CFRAME: {
		uint64_t cf = field_u64(c->tbuf, L->tstate_cframe);
		const unsigned char *cfb = cf ? chain_read(&w, cf, (size_t)L->cframe_current_frame + 8) : NULL;
		depth = cf && !cfb ? PYTOP_ECORRUPT :
			walk_iframes(&w, cfb ? field_u64(cfb, L->cframe_current_frame) : 0, frames, max, flags);
		break;
	}
	default:
		depth = walk_iframes(&w, field_u64(c->tbuf, L->tstate_current_frame), frames, max, flags);
		break;
	}

	if (depth > 0) {
		struct func_entry *e0 = entry_of(frames[0].func);
		if (code0 && e0->code == code0 && (fp[0] != e0->fp_filename || fp[1] != e0->fp_name)) {
			forget_with_base(c, e0);
			*stale = 1;
		}
	}

	/* Remember this chain as the guess for the next walk of this thread. */
	w.spec->code0 = depth > 0 ? entry_of(frames[0].func)->code : 0;
	w.spec->pthread_id = ti->pthread_id;
	w.spec->n = depth >= 0 ? w.n : 0;
	memcpy(w.spec->addr, w.new_addr, (size_t)w.n * sizeof w.new_addr[0]);
	memcpy(w.spec->size, w.new_size, (size_t)w.n * sizeof w.new_size[0]);
	return depth;
}
