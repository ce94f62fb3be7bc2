/* test_bytecode: the call sites bytecode_call_sites() decodes from a code
 * object's instructions, on a small made-up table (lengths, call family,
 * unknown lengths, a truncated last instruction) and on the generated
 * per-version tables (3.11+ have one, older versions none; the
 * CACHE opcode is one unit and no call). Which opcodes each version's
 * table marks is tests/unit/test_opcodes.py's. */
#include <stdint.h>
#include <string.h>

#include "cpython/bytecode.h"
#include "cpython/layout.h"
#include "cpython/versions.h"
#include "tap.h"

enum { OP_PLAIN = 1, OP_CALL = 2, OP_TWO = 3, OP_UNKNOWN = 4 };

static uint8_t table[256];

/* The units of code (op, arg pairs) set in bits, as a string of 0/1. */
static const char *sites(const uint8_t *code, uint32_t units)
{
	static char out[64];
	uint8_t bits[8];
	memset(bits, 0xa5, sizeof bits);   /* bytecode_call_sites clears them */
	bytecode_call_sites(table, code, units, bits);
	for (uint32_t u = 0; u < units && u < sizeof out - 1; u++)
		out[u] = bytecode_can_wait(bits, units, 2 * (int64_t)u) ? '1' : '0';
	out[units < sizeof out - 1 ? units : sizeof out - 1] = 0;
	return out;
}

int main(void)
{
	table[0] = 1;                          /* CACHE */
	table[OP_PLAIN] = 1;
	table[OP_CALL] = 4 | LAYOUT_OP_CALLS;  /* three inline caches */
	table[OP_TWO] = 2;
	table[OP_UNKNOWN] = 0;                 /* an instrumented line */

	/* plain, call + 3 caches, two-unit op + cache, plain */
	const uint8_t a[] = { OP_PLAIN, 0, OP_CALL, 7, 0, 0, 0, 0, 0, 0, OP_TWO, 1, 0, 0, OP_PLAIN, 0 };
	tap_str(sites(a, 8), "01111000", "a call and its caches are sites (3.11-3.12 wait at the last cache), nothing else");

	/* A cache unit that looks like a call opcode is skipped over. */
	const uint8_t b[] = { OP_TWO, 0, OP_CALL, 0, OP_PLAIN, 0 };
	tap_str(sites(b, 3), "000", "a cache whose bytes read as a call opcode is not an instruction");

	/* From an opcode of unknown length on, everything is a site. */
	const uint8_t c[] = { OP_PLAIN, 0, OP_UNKNOWN, 0, OP_PLAIN, 0, OP_PLAIN, 0 };
	tap_str(sites(c, 4), "0111", "from an opcode of unknown length on, every unit is a site");

	/* An opcode the table does not know (0 entries) is unknown too. */
	const uint8_t d[] = { OP_PLAIN, 0, 200, 0, OP_PLAIN, 0 };
	tap_str(sites(d, 3), "011", "an opcode the table does not know: every later unit a site");

	/* A call cut short by the end of the read: no unit past the end. */
	const uint8_t e[] = { OP_PLAIN, 0, OP_CALL, 0, 0, 0 };
	tap_str(sites(e, 3), "011", "a call cut by the end of the code marks up to the end");

	/* Offsets outside the decoded units are not judged. */
	uint8_t bits[1];
	bytecode_call_sites(table, a, 8, bits);
	tap_ok(bytecode_can_wait(bits, 8, 16) && bytecode_can_wait(bits, 8, 1 << 20),
	       "past the decoded units: a site (not decoded, not judged)");
	tap_ok(bytecode_can_wait(bits, 8, -2), "a negative offset (a frame not started): not judged");
	tap_ok(!bytecode_can_wait(bits, 8, 1) && bytecode_can_wait(bits, 8, 3),
	       "an odd offset is judged by its unit");
	tap_ok(bytecode_can_wait(bits, 0, 0), "no units: nothing judged");

	/* The generated tables. */
	for (size_t i = 0; i < py_versions_count; i++) {
		const struct py_layout *L = py_versions[i].layout;
		int newer = L->frame_model != FRAME_MODEL_OBJECT;
		tap_ok(newer == (L->opcodes != NULL), "%d.%d%s: %s", L->major, L->minor,
		       py_versions[i].free_threaded ? "t" : "",
		       newer ? "has an opcode table (3.11+)" : "has no opcode table (PyFrameObject walk)");
		if (!L->opcodes)
			continue;
		int calls = 0, unknown = 0;
		for (int op = 0; op < 256; op++) {
			calls += (L->opcodes[op] & LAYOUT_OP_CALLS) != 0;
			unknown += (L->opcodes[op] & LAYOUT_OP_LEN) == 0;
		}
		tap_ok(L->opcodes[0] == 1, "%d.%d: CACHE (0) is one unit and no call", L->major, L->minor);
		tap_ok(calls >= 20 && calls < 128, "%d.%d: %d call-family opcodes (a family, not everything)",
		       L->major, L->minor, calls);
		tap_ok(unknown > 0, "%d.%d: %d opcodes of unknown length (unused numbers, instrumented lines)",
		       L->major, L->minor, unknown);
	}
	printf("1..%d\n", tap_n);
	return 0;
}
