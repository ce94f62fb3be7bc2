/* test_inlines: the DWARF reader finds every inlined copy of a function
 * (this test's own, built with -g: gil_like, forced inline into two
 * callers) at an address inside the function it was inlined into, none for
 * a function never inlined, tells when there were more than asked for, and
 * refuses a file without DWARF; elf_file_offsets maps a code address to the
 * file offset holding the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "process/elf.h"
#include "process/inlines.h"
#include "tap.h"

static volatile int counter;

static inline __attribute__((always_inline)) void gil_like(int n)
{
	for (int i = 0; i < n; i++)
		counter += i ^ n;
}

__attribute__((noinline)) void caller_a(int n);
__attribute__((noinline)) void caller_b(int n);

__attribute__((noinline)) void caller_a(int n)
{
	counter++;
	gil_like(n);
}

__attribute__((noinline)) void caller_b(int n)
{
	counter--;
	gil_like(n + 1);
}

static int inside(uint64_t pc, const struct elf_sym *s)
{
	return s->value && pc >= s->value && pc < s->value + s->size;
}

int main(void)
{
	const char *self = "/proc/self/exe";
	uint64_t addrs[8], one[1], none[4], min_vaddr = 0;
	struct elf_sym syms[2] = { { "caller_a", 0, 0 }, { "caller_b", 0, 0 } };
	char path[] = "/tmp/pytop-inlines-XXXXXX";

	caller_a(3);
	caller_b(4);
	if (elf_lookup(self, syms, 2, &min_vaddr) != 2) {
		printf("Bail out! caller_a/caller_b not in this test's symbol table\n");
		return 1;
	}
	struct inlines_query q[3] = { { "gil_like", addrs, 8, 0, 0 }, { "gil_like", one, 1, 0, 0 },
				      { "caller_a", none, 4, 0, 0 } };
	int rc = inlines_entries(self, q, 3);
	tap_ok(rc == 0, "this test's DWARF is read (rc %d)", rc);
	tap_ok(q[0].n == 2 && !q[0].more, "gil_like: two inlined copies (got %d)", q[0].n);
	tap_ok(q[0].n == 2 && ((inside(addrs[0], &syms[0]) && inside(addrs[1], &syms[1])) ||
			       (inside(addrs[1], &syms[0]) && inside(addrs[0], &syms[1]))),
	       "one copy inside caller_a, one inside caller_b");
	tap_ok(q[1].n == 1 && q[1].more, "asked for one: one, and told there were more");
	tap_ok(q[2].n == 0 && !q[2].more, "caller_a is never inlined: none (got %d)", q[2].n);

	/* The file offset of caller_a holds caller_a's bytes. */
	uint64_t off = syms[0].value;
	int n = elf_file_offsets(self, &off, 1);
	unsigned char want[16], got[16] = { 0 };
	memcpy(want, (const void *)(uintptr_t)caller_a, sizeof want);
	FILE *f = fopen(self, "rb");
	int same = n == 1 && f && fseek(f, (long)off, SEEK_SET) == 0 && fread(got, 1, sizeof got, f) == sizeof got &&
		   memcmp(want, got, sizeof got) == 0;
	if (f)
		fclose(f);
	tap_ok(same, "elf_file_offsets: caller_a's file offset holds its code");
	uint64_t bogus = 0x10;   /* below every loadable code segment */
	tap_ok(elf_file_offsets(self, &bogus, 1) == 0, "an address outside the code is dropped");

	/* A file without DWARF (nor ELF) is refused. */
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, "\177ELF but not really", 20) != 20) {
		printf("Bail out! mkstemp\n");
		return 1;
	}
	close(fd);
	rc = inlines_entries(path, q, 1);
	tap_ok(rc == PYTOP_ENOTPY, "no DWARF: refused (rc %d)", rc);
	unlink(path);
	rc = inlines_entries("/nonexistent/pytop-inlines", q, 1);
	tap_ok(rc < 0, "a missing file: an error (rc %d)", rc);
	tap_done();
	return 0;
}
