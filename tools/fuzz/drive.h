/* drive: what pytop does to a target, minus the terminal: `--dump` (text or
 * JSON) and one sampler-like pass (interpreters, GIL states, two walks of
 * every thread state through the same caches, tids, threading names).
 * Shared by the fuzz harness and the seed capture tool. */
#ifndef PYTOP_FUZZ_DRIVE_H
#define PYTOP_FUZZ_DRIVE_H

#include <stdio.h>
#include <sys/types.h>

/* Run --dump against pid (output to out), then the sampler-like pass when
 * sampler is set. Returns dump_run's result. */
int fuzz_drive(pid_t pid, int json, int sampler, FILE *out);

#endif
