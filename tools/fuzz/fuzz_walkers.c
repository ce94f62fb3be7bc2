/* fuzz_walkers: the libFuzzer target. Each input is a fake target (see
 * fuzz_input.h); the real attach, --dump and walker code runs over it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/fuzz/drive.h"
#include "tools/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	/* PYTOP_FUZZ_SHOW=1: print the --dump output (to check a seed). */
	if (!sink && !(sink = getenv("PYTOP_FUZZ_SHOW") ? stdout : fopen("/dev/null", "w")))
		return 0;
	if (fuzz_target_load(data, size) < 0)
		return 0;
	const struct fuzz_header *h = fuzz_target_header();
	fuzz_drive(FUZZ_PID, h->flags & FUZZ_F_JSON, h->flags & FUZZ_F_SAMPLER, sink);
	return 0;
}
