/* bytecode: where in a code object's instructions (3.11+) a frame can wait
 * while a frame it called in the same eval call runs, decoded with a
 * version's generated opcode table (struct py_layout.opcodes). Every frame
 * of a stack but the innermost waits in a call, so a caller read at any
 * other instruction was read at another instant than its callee: the
 * stack walker drops such a stack as torn. Pure: no target reads. */
#ifndef PYTOP_CPYTHON_BYTECODE_H
#define PYTOP_CPYTHON_BYTECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of the bitmap for units code units. */
#define BYTECODE_BITS_BYTES(units) (((size_t)(units) + 7) / 8)

/* Mark in bits (BYTECODE_BITS_BYTES(units) bytes, cleared here) every code
 * unit of the units in code (2 bytes each, opcode first) that lies in a
 * call-family instruction (LAYOUT_OP_CALLS, with its inline caches: 3.11-
 * 3.12 frames wait at the instruction or at its last cache). The
 * instructions are decoded in order; from an opcode whose length the
 * table does not give (0: an instrumented line, an executor, an opcode
 * the table does not know) every later unit is marked. */
void bytecode_call_sites(const uint8_t opcodes[256], const uint8_t *code, uint32_t units, uint8_t *bits);

/* Whether a frame can wait at byte offset off of a code object whose
 * bitmap covers units code units: true past the bitmap (not decoded). */
bool bytecode_can_wait(const uint8_t *bits, uint32_t units, int64_t off);

#endif
