/* test_nspid: parsing the NSpid line of /proc status files (hostile text
 * included), and that a process in pytop's own PID namespace needs no map. */
#include <unistd.h>

#include "process/nspid.h"
#include "tap.h"

int main(void)
{
	pid_t outer = 0, inner = 0;

	tap_ok(nspid_parse("Name:\tpython3\nTgid:\t30022\nNSpid:\t30022\t1\nNSpgid:\t30022\t1\n", &outer, &inner) == 2 &&
	       outer == 30022 && inner == 1, "two ids: pytop's first, the target's own last");
	tap_ok(nspid_parse("NSpid:\t500\t40\t3\n", &outer, &inner) == 3 && outer == 500 && inner == 3,
	       "nested namespaces: the innermost id");
	tap_ok(nspid_parse("Pid:\t77\nNSpid:\t77\n", &outer, &inner) == 1 && outer == 77 && inner == 77,
	       "one id: the same namespace");
	tap_ok(nspid_parse("Name:\tx\nPid:\t77\n", &outer, &inner) == -1, "no NSpid line (old kernel): -1");
	tap_ok(nspid_parse("NSpid:\tjunk\n", &outer, &inner) == -1, "garbage: -1");
	tap_ok(nspid_parse("NSpid:\t-5\t3\n", &outer, &inner) == -1, "a negative id: -1");
	tap_ok(nspid_parse("NSpid:\t99999999999\t3\n", &outer, &inner) == -1, "an id out of range: -1");
	tap_ok(nspid_parse("Name:\tNSpid:\t1\t2\nNSpid:\t8\t4\n", &outer, &inner) == 2 && inner == 4,
	       "only a line starting with NSpid: counts");
	/* A status file whose Groups: line is 400 KB (65536 groups): NSpid:
	 * is still found, read through a fixed buffer; a line that merely
	 * contains NSpid: inside a long line does not count. */
	{
		char path[] = "/tmp/pytop-nspid-XXXXXX";
		int fd = mkstemp(path), ok = fd >= 0;
		if (ok) {
			unlink(path);
			const char *head = "Name:\tpython3\nGroups:\t", *fake = "NSpid:\t1\t2",
				   *tail = "\nNSpid:\t30022\t7\nNSpgid:\t1\n";
			ok &= write(fd, head, strlen(head)) == (ssize_t)strlen(head);
			for (int i = 0; ok && i < 65536; i++)
				ok &= write(fd, "1234567 ", 8) == 8;
			ok &= write(fd, fake, strlen(fake)) == (ssize_t)strlen(fake);   /* still the Groups line */
			ok &= write(fd, tail, strlen(tail)) == (ssize_t)strlen(tail);
			ok &= lseek(fd, 0, SEEK_SET) == 0;
			outer = inner = 0;
			ok &= nspid_scan_fd(fd, &outer, &inner) == 2 && outer == 30022 && inner == 7;
			close(fd);
		}
		tap_ok(ok, "a 512 KB Groups: line before NSpid: the ids are found (%d/%d)", (int)outer, (int)inner);
	}
	tap_ok(nspid_create(getpid()) == NULL, "this process is in its own namespace: no map");
	tap_ok(nspid_host(NULL, 1234) == 1234 && nspid_host(NULL, 0) == 0, "no map: ids unchanged");
	return tap_done();
}
