/* protobuf: a minimal Protocol Buffers encoder into a growable byte
 * buffer: varint fields (uint64, and int64 as two's complement, not
 * sint64's zigzag), length-delimited bytes, strings and nested messages,
 * packed repeated varints. What the pprof writer needs to write
 * profile.proto by hand.
 *
 * Why not protobuf-c: profile.proto needs nine small messages written once,
 * never read. The encoder is ~100 lines; protobuf-c would add a build
 * dependency, a code generator step (protoc-c) and generated sources for
 * the same bytes. */
#ifndef PYTOP_OUTPUT_PROTOBUF_H
#define PYTOP_OUTPUT_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

/* Protocol Buffers wire types (the low three bits of a field's key). */
enum pb_wire {
	PB_WIRE_VARINT = 0,
	PB_WIRE_LEN = 2,
};

/* Longest varint: ten bytes for a 64-bit value. */
#define PB_VARINT_MAX 10

/* A growable byte buffer that encoded fields are appended to. A zeroed
 * struct is an empty buffer. */
struct pb_buf {
	uint8_t *data;
	size_t len, cap;
};

/* Free the buffer's bytes and make it empty. */
void pb_buf_free(struct pb_buf *b);

/* Make it empty, keeping its memory. */
void pb_buf_clear(struct pb_buf *b);

/* Encode v as a base-128 varint into out (PB_VARINT_MAX bytes); returns
 * its length. */
size_t pb_varint_encode(uint64_t v, uint8_t *out);

/* Append a bare varint. */
void pb_put_varint(struct pb_buf *b, uint64_t v);

/* Append raw bytes. */
void pb_put_raw(struct pb_buf *b, const void *p, size_t n);

/* Append a field key (field number and wire type). */
void pb_put_key(struct pb_buf *b, uint32_t field, enum pb_wire wire);

/* A uint64 (or bool, enum) field. Written even when 0: the caller leaves
 * out proto3 defaults it does not want. */
void pb_field_uint(struct pb_buf *b, uint32_t field, uint64_t v);

/* An int64 field: a negative value takes ten bytes (two's complement, not
 * zigzag, as protobuf's int64). */
void pb_field_int(struct pb_buf *b, uint32_t field, int64_t v);

/* A bytes field of n bytes. */
void pb_field_bytes(struct pb_buf *b, uint32_t field, const void *p, size_t n);

/* A string field (NUL-terminated; NULL as empty). */
void pb_field_string(struct pb_buf *b, uint32_t field, const char *s);

/* An embedded message: msg's bytes as a length-delimited field. */
void pb_field_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg);

/* A packed repeated uint64 field (nothing when n == 0). */
void pb_field_packed_uint(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);

/* A packed repeated int64 field (nothing when n == 0). */
void pb_field_packed_int(struct pb_buf *b, uint32_t field, const int64_t *v, size_t n);

#endif
