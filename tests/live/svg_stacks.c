/* svg_stacks: writes the svg format (output/flamegraph.h) of a synthetic
 * aggregate, for tests/live/test_svg.py to load in xmllint and Chromium.
 *
 *     svg_stacks OUT.svg STACKS [hostile] [inverted] [chains]
 *
 * STACKS unique stacks (up to 1,000,000): stack i is main -> level0_D0 ->
 * level1_D1 -> ... -> level4_D4 -> leaf_I, the digits of i in base 10
 * (every fifth function native), fed i % 7 + 1 times, in wall mode. With
 * "hostile", a stack of functions and files named like markup, script,
 * CDATA ends, control characters, bidi overrides, U+FFFE, invalid UTF-8
 * and a 10,000-byte name is fed too (50 samples). With "chains", stack i
 * is main -> chain_I_0 -> ... -> chain_I_9 instead, fed i % 13 + 1 times:
 * ten frames per stack wide enough to draw, more than the writer's cap.
 * Prints the number of samples fed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/flamegraph.h"
#include "output/snapshot.h"
#include "records.h"
#include "sampling/aggregate.h"

#define LEVELS 5
#define CHAIN 10

/* The hostile names (kept in step with HOSTILE in test_svg.py). */
static const char *const hostile[] = {
	"</script><script>window.pwned=1</script>",
	"]]><script>window.pwned=2</script><![CDATA[",
	"\"><image href=\"x\" onerror=\"window.pwned=3\"/><text>",
	"<!-- & &amp; &#x3c; ' \" -->",
	"ctl\x01\x1b[31mred\x7f",
	"bidi\xe2\x80\xae" "evil",
	"nonchar\xef\xbf\xbe\xef\xbf\xbf" "end",
	"bad\xff\xfeutf8\xc0",
};

static void define(struct aggregate *a, uint32_t id, const char *name, const char *file, int kind)
{
	union rec_buf b;

	aggregate_feed(a, rec_func(&b, &(struct func_def_rec){ .func_id = id, .firstlineno = 1, .kind = (uint8_t)kind },
				   name, file));
}

static void sample(struct aggregate *a, const struct sample_frame *fr, int depth, uint64_t t)
{
	union rec_buf b;

	aggregate_feed(a, rec_sample_frames(&b, &(struct sample_rec){ .tid = 1, .state = THREAD_RUNNING,
								     .time_ns = t },
					    fr, depth));
}

int main(int argc, char **argv)
{
	struct aggregate *a;
	struct snapshot_meta meta;
	struct sample_frame fr[CHAIN + 2 + 8];
	char name[64];
	long stacks;
	uint64_t t = 1, fed = 0;
	uint32_t leaf0 = 1 + 10 * LEVELS;
	bool hostile_too = false, chains = false;
	FILE *f;
	int rc;

	if (argc < 3 || (stacks = atol(argv[2])) < 1 || stacks > 1000000) {
		fprintf(stderr, "usage: svg_stacks OUT.svg STACKS [hostile] [inverted]\n");
		return 2;
	}
	memset(&meta, 0, sizeof(meta));
	for (int i = 3; i < argc; i++) {
		hostile_too |= strcmp(argv[i], "hostile") == 0;
		meta.inverted |= strcmp(argv[i], "inverted") == 0;
		chains |= strcmp(argv[i], "chains") == 0;
	}
	a = aggregate_create(AGG_MODE_WALL, 1000000);
	define(a, 0, "main", "synthetic.py", FUNC_KIND_PYTHON);
	for (int l = 0; l < LEVELS; l++)
		for (int d = 0; d < 10; d++) {
			snprintf(name, sizeof(name), "level%d_%d", l, d);
			define(a, (uint32_t)(1 + 10 * l + d), name, "synthetic.py",
			       d % 5 == 4 ? FUNC_KIND_NATIVE : FUNC_KIND_PYTHON);
		}
	for (long i = 0; chains && i < stacks; i++) {
		for (int d = 0; d < CHAIN; d++) {
			uint32_t id = leaf0 + (uint32_t)(i * CHAIN + d);

			snprintf(name, sizeof(name), "chain_%ld_%d", i, d);
			define(a, id, name, "chains.py", FUNC_KIND_PYTHON);
			fr[CHAIN - 1 - d] = (struct sample_frame){ id, d + 1 };
		}
		fr[CHAIN] = (struct sample_frame){ 0, 3 };
		for (long k = 0; k <= i % 13; k++, fed++)
			sample(a, fr, CHAIN + 1, t++);
	}
	if (chains)
		leaf0 += (uint32_t)(stacks * CHAIN);
	for (long i = 0; !chains && i < stacks; i++) {
		long v = i;

		snprintf(name, sizeof(name), "leaf_%ld", i);
		define(a, leaf0 + (uint32_t)i, name, "leaves.py", FUNC_KIND_PYTHON);
		/* Innermost first: the leaf, then the levels from the deepest. */
		fr[0] = (struct sample_frame){ leaf0 + (uint32_t)i, 7 };
		for (int l = LEVELS - 1; l >= 0; l--, v /= 10)
			fr[LEVELS - l] = (struct sample_frame){ (uint32_t)(1 + 10 * l + v % 10), 10 + l };
		fr[LEVELS + 1] = (struct sample_frame){ 0, 3 };
		for (long k = 0; k <= i % 7; k++, fed++)
			sample(a, fr, LEVELS + 2, t++);
	}
	if (hostile_too) {
		uint32_t id = leaf0 + (uint32_t)stacks;
		size_t nh = sizeof(hostile) / sizeof(hostile[0]);
		char *longname = malloc(10001);

		memset(longname, 'x', 10000);
		longname[10000] = '\0';
		define(a, id, longname, hostile[0], FUNC_KIND_NATIVE);
		fr[0] = (struct sample_frame){ id, 1 };
		for (size_t h = 0; h < nh; h++) {
			define(a, id + 1 + (uint32_t)h, hostile[h], hostile[nh - 1 - h], FUNC_KIND_PYTHON);
			fr[nh - h] = (struct sample_frame){ id + 1 + (uint32_t)h, (int32_t)h };
		}
		fr[nh + 1] = (struct sample_frame){ 0, 3 };
		for (int k = 0; k < 50; k++, fed++)
			sample(a, fr, (int)nh + 2, t++);
		free(longname);
	}
	meta.argv = hostile_too ? "synthetic </svg><script>window.pwned=4</script> \x1b]0;title\x07" : "synthetic";
	meta.python = "3.99.0";
	meta.mode = "wall";
	meta.rate_hz = 1000;
	meta.duration_s = (double)fed / 1000;
	meta.version = "test";
	if (!(f = fopen(argv[1], "w"))) {
		perror(argv[1]);
		return 1;
	}
	rc = flamegraph_write(f, a, &meta);
	if (fclose(f) != 0 || rc < 0) {
		fprintf(stderr, "svg_stacks: writing %s failed (%d)\n", argv[1], rc);
		return 1;
	}
	aggregate_destroy(a);
	printf("%llu\n", (unsigned long long)fed);
	return 0;
}
