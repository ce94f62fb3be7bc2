/* protobuf: the varint and length-delimited encoder (see protobuf.h for
 * why it is written by hand). */
#include "output/protobuf.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"

void pb_buf_free(struct pb_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void pb_buf_clear(struct pb_buf *b)
{
	b->len = 0;
}

/* Room for n more bytes. */
static void reserve(struct pb_buf *b, size_t n)
{
	if (n <= b->cap - b->len)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len < n)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

size_t pb_varint_encode(uint64_t v, uint8_t *out)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

void pb_put_varint(struct pb_buf *b, uint64_t v)
{
	reserve(b, PB_VARINT_MAX);
	b->len += pb_varint_encode(v, b->data + b->len);
}

void pb_put_raw(struct pb_buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void pb_put_key(struct pb_buf *b, uint32_t field, enum pb_wire wire)
{
	pb_put_varint(b, ((uint64_t)field << 3) | (uint64_t)wire);
}

void pb_field_uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
	pb_put_key(b, field, PB_WIRE_VARINT);
	pb_put_varint(b, v);
}

void pb_field_int(struct pb_buf *b, uint32_t field, int64_t v)
{
	pb_field_uint(b, field, (uint64_t)v);
}

void pb_field_bytes(struct pb_buf *b, uint32_t field, const void *p, size_t n)
{
	pb_put_key(b, field, PB_WIRE_LEN);
	pb_put_varint(b, n);
	pb_put_raw(b, p, n);
}

void pb_field_string(struct pb_buf *b, uint32_t field, const char *s)
{
	pb_field_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

void pb_field_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg)
{
	pb_field_bytes(b, field, msg->data, msg->len);
}

void pb_field_packed_uint(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	uint8_t tmp[PB_VARINT_MAX];
	size_t len = 0, i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		len += pb_varint_encode(v[i], tmp);
	pb_put_key(b, field, PB_WIRE_LEN);
	pb_put_varint(b, len);
	reserve(b, len);
	for (i = 0; i < n; i++)
		b->len += pb_varint_encode(v[i], b->data + b->len);
}

void pb_field_packed_int(struct pb_buf *b, uint32_t field, const int64_t *v, size_t n)
{
	uint8_t tmp[PB_VARINT_MAX];
	size_t len = 0, i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		len += pb_varint_encode((uint64_t)v[i], tmp);
	pb_put_key(b, field, PB_WIRE_LEN);
	pb_put_varint(b, len);
	reserve(b, len);
	for (i = 0; i < n; i++)
		b->len += pb_varint_encode((uint64_t)v[i], b->data + b->len);
}
