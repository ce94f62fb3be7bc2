/* bytecode: the call sites of a code object's instructions (see bytecode.h). */
#include "cpython/bytecode.h"

#include <string.h>

#include "cpython/layout.h"

static void mark(uint8_t *bits, uint32_t from, uint32_t to)
{
	for (uint32_t u = from; u < to; u++)
		bits[u >> 3] |= (uint8_t)(1u << (u & 7));
}

void bytecode_call_sites(const uint8_t opcodes[256], const uint8_t *code, uint32_t units, uint8_t *bits)
{
	memset(bits, 0, BYTECODE_BITS_BYTES(units));
	for (uint32_t u = 0; u < units;) {
		uint8_t op = opcodes[code[2 * (size_t)u]];
		uint32_t len = op & LAYOUT_OP_LEN;
		if (!len) {
			mark(bits, u, units);
			return;
		}
		uint32_t end = units - u < len ? units : u + len;
		if (op & LAYOUT_OP_CALLS)
			mark(bits, u, end);
		u = end;
	}
}

bool bytecode_can_wait(const uint8_t *bits, uint32_t units, int64_t off)
{
	if (off < 0 || off / 2 >= (int64_t)units)
		return true;
	uint32_t u = (uint32_t)(off / 2);
	return (bits[u >> 3] >> (u & 7)) & 1;
}
