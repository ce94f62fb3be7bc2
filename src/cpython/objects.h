/* objects: reading Python objects out of a target: str, bytes, int, type
 * names, dict items and instance attributes, through the layout. */
#ifndef PYTOP_CPYTHON_OBJECTS_H
#define PYTOP_CPYTHON_OBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "cpython/pytarget.h"

/* Called for each (key, value) pair; return nonzero to stop the scan. */
typedef int (*dict_item_fn)(struct py_target *t, uint64_t key, uint64_t value, void *ctx);

/* Decode the str at addr to UTF-8 (truncated to cap); 0 or a negative error. */
int obj_read_string(struct py_target *t, uint64_t addr, char *out, size_t cap);

/* Copy the contents of the bytes object at addr (at most cap bytes) and set
 * *len to its full size; 0 or a negative error. */
int obj_read_bytes(struct py_target *t, uint64_t addr, void *buf, size_t cap, size_t *len);

/* The value of a small int object (|v| < 2**62); 0 or a negative error. */
int obj_read_long(struct py_target *t, uint64_t addr, int64_t *v);

/* The tp_name of the type at type_addr. */
int obj_type_name(struct py_target *t, uint64_t type_addr, char *out, size_t cap);

/* Call fn for every item of the dict at addr; 0, or a negative error. While
 * t->scan_limited is set, every entry visited (by any scan, nested ones
 * included) counts against t->scan_left, and a scan that would go past it
 * fails with PYTOP_ECORRUPT. */
int dict_scan(struct py_target *t, uint64_t dict, dict_item_fn fn, void *ctx);

/* The value stored under the str key `key` in a dict; 0 if found. */
int dict_get_str(struct py_target *t, uint64_t dict, const char *key, uint64_t *value);

/* An instance attribute from the object's __dict__ (or inline values); its
 * name ASCII and at most 40 bytes (else PYTOP_EINVAL), as obj_getattrs'. */
int obj_getattr(struct py_target *t, uint64_t obj, const char *name, uint64_t *value);

#define OBJ_ATTRS_MAX 4

/* Several attributes of one object (ASCII names of at most 40 bytes),
 * looked up together (the dict found and
 * its keys read once): values[i] is names[i]'s, 0 when it has none. Returns
 * how many were found, PYTOP_EINVAL when the object has no attributes to
 * look in (or n is not 1..OBJ_ATTRS_MAX), or another negative error. */
int obj_getattrs(struct py_target *t, uint64_t obj, const char *const *names, int n, uint64_t *values);

#endif
