/* mixed: merging a native and a Python stack. */
#include "sampling/mixed.h"

#include "cpython/machinery.h"
#include "sampling/sample.h"

int mixed_role(struct symbol *y)
{
	if (y->role < 0)
		y->role = (int8_t)(y->known ? machinery_role_of(y->info.name)
				   : y->in_interp ? MACHINERY_FOLDED : MACHINERY_SHOWN);
	return y->role;
}

struct out {
	struct mixed_frame *v;
	int n, max;
	int *flags;
};

static void put(struct out *o, const struct mixed_frame *f)
{
	if (o->n < o->max)
		o->v[o->n++] = *f;
	else
		*o->flags |= MIXED_CUT;
}

static void put_marker(struct out *o, const struct func_info *fi)
{
	if (!fi)
		return;
	struct mixed_frame m = { .func = fi, .line = 0, .kind = FUNC_KIND_MARKER };
	put(o, &m);
}

/* A native frame, unless folded. */
static void put_native(struct out *o, const struct mixed_frame *f, bool all)
{
	if (all || f->role == MACHINERY_SHOWN)
		put(o, f);
}

/* Python frames [from, to). */
static void put_py(struct out *o, const struct mixed_frame *py, int from, int to)
{
	for (int i = from; i < to; i++)
		put(o, &py[i]);
}

/* The end (exclusive) of the Python group starting at from. */
static int group_end(const struct mixed_frame *py, int np, int from)
{
	int i = from;
	while (i < np && !py[i].entry)
		i++;
	return i < np ? i + 1 : np;
}

int mixed_merge(const struct mixed_frame *nat, int nn, bool partial, const struct mixed_frame *py, int np,
		bool all, const struct mixed_markers *mk, struct mixed_frame *out, int max, int *flags)
{
	struct out o = { out, 0, max > 0 ? max : 0, flags };
	int evals = 0, groups = 0;

	*flags = partial ? MIXED_PARTIAL : 0;
	for (int i = 0; i < nn; i++)
		evals += nat[i].role == MACHINERY_EVAL;
	for (int i = 0; i < np; i = group_end(py, np, i))
		groups++;

	/* One eval frame more than groups: the innermost eval call has no
	 * frame to show yet (its frame is not started, or already gone: a
	 * call entering or leaving the loop). It is left out, like machinery. */
	int empty = !partial && np > 0 && evals == groups + 1;
	if (np == 0 || evals == groups || empty || (partial && evals < groups)) {
		/* Pair them up, innermost first. Past the outermost eval
		 * frame is how the thread started (main, start_thread, and
		 * libc's and the interpreter's static helpers no symbol names):
		 * machinery, folded. */
		int at = 0, seen = 0;
		for (int i = 0; i < nn; i++) {
			if (nat[i].role != MACHINERY_EVAL) {
				if (all || partial || evals == 0 || seen < evals)
					put_native(&o, &nat[i], all);
				continue;
			}
			seen++;
			if (empty && seen == 1) {
				if (all)
					put(&o, &nat[i]);
				continue;
			}
			int end = group_end(py, np, at);
			put_py(&o, py, at, end);
			at = end;
			if (all)
				put(&o, &nat[i]);
		}
		if (partial)
			put_marker(&o, mk->partial);
		put_py(&o, py, at, np);   /* the groups the unwind did not reach */
		return o.n;
	}

	/* They disagree: every Python frame at the first eval frame, then
	 * nothing further out (it would be in the wrong place). */
	*flags |= MIXED_UNMATCHED;
	int i = 0;
	for (; i < nn && nat[i].role != MACHINERY_EVAL; i++)
		put_native(&o, &nat[i], all);
	if (partial && i == nn)
		put_marker(&o, mk->partial);
	put_py(&o, py, 0, np);
	put_marker(&o, mk->unmatched);
	return o.n;
}
