/* fuzz_input: the fuzz harness's input format and the fake target it
 * describes: a header choosing the Python version and the addresses the ELF
 * lookup would give, then (addr, bytes) segments forming the target's
 * address space. Reads outside the segments fail like EFAULT.
 *
 * Layout (little-endian):
 *   u8  version    a version of pytop's registry: fuzz_version_minor()
 *   u8  micro      (also the background byte, FUZZ_F_BACKGROUND)
 *   u8  flags      FUZZ_F_*
 *   u8  ntids      kernel tids in the header that count (<= FUZZ_TIDS)
 *   u32 tids[FUZZ_TIDS]   what /proc/PID/task lists
 *   u64 runtime    address of _PyRuntime
 *   u64 code_type  address of PyCode_Type
 *   then segments: u64 addr, u32 len, len bytes (a cut-off last segment
 *   keeps the bytes that are there). */
#ifndef PYTOP_FUZZ_INPUT_H
#define PYTOP_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpython/versions.h"

#define FUZZ_TIDS 4
#define FUZZ_HEADER 36
#define FUZZ_SEG_HEADER 12
#define FUZZ_PID 4242               /* the fake target's pid */
#define FUZZ_BASE 0x400000ull       /* where the fake interpreter file is mapped */
#define FUZZ_PYVERSION_ADDR 0x1000ull /* where Py_Version is served from */

#define FUZZ_F_JSON 0x1             /* --dump as JSON rather than text */
#define FUZZ_F_PY_VERSION 0x2       /* the binary has a Py_Version symbol */
#define FUZZ_F_NO_CODE_TYPE 0x4     /* ... and lacks PyCode_Type */
#define FUZZ_F_BACKGROUND 0x8       /* holes below FUZZ_USER_TOP read as the
				       micro byte repeated (a target whose
				       memory is mapped wherever it points) */
#define FUZZ_USER_TOP (1ull << 47)
#define FUZZ_F_SAMPLER 0x10         /* also run the sampler-like pass */

struct fuzz_header {
	int major, minor, micro, flags, ntids;
	unsigned char background;
	pid_t tids[FUZZ_TIDS];
	uint64_t runtime, code_type;
};

/* The version byte: the registry's versions in turn from 3.8 (0 is 3.8,
 * as the seeds captured before 3.6, 3.7, 3.14 and 3.15 were in it say),
 * wrapping round to the oldest; every version with a table is reached. */
static inline size_t fuzz_version_first(void)
{
	for (size_t i = 0; i < py_versions_count; i++)
		if (py_versions[i].major == 3 && py_versions[i].minor == 8)
			return i;
	return 0;
}

/* The minor version (of 3) a header's version byte chooses. */
static inline int fuzz_version_minor(uint8_t byte)
{
	return py_versions[(fuzz_version_first() + byte) % py_versions_count].minor;
}

/* The version byte choosing 3.minor (0 when it has no table). */
static inline uint8_t fuzz_version_byte(int minor)
{
	for (size_t i = 0; i < py_versions_count; i++)
		if (py_versions[i].major == 3 && py_versions[i].minor == minor)
			return (uint8_t)((i + py_versions_count - fuzz_version_first()) % py_versions_count);
	return 0;
}

/* Make data the fake target's memory (the bytes are not copied: data must
 * outlive the reads). Returns 0, or -1 when the header is incomplete. */
int fuzz_target_load(const uint8_t *data, size_t size);

/* The header of the loaded input. */
const struct fuzz_header *fuzz_target_header(void);

/* Read the fake memory like process_vm_readv reads a remote range: the
 * number of leading bytes available at addr (at most len), copied to buf. */
size_t fuzz_target_copy(uint64_t addr, void *buf, size_t len);

#endif
