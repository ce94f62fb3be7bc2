/* test_regfile: a path a target chose is opened only when it is a regular
 * file; a FIFO is refused at once (never waited on), a device, a directory
 * and a symlink to a device are refused, a symlink to a regular file is
 * followed. A FIFO open that blocked would hang this test (the harness's
 * timeout fails it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process/regfile.h"
#include "tap.h"

int main(void)
{
	char dir[] = "/tmp/pytop-regfile-XXXXXX", fifo[128], reg[128], link_dev[128], link_reg[128];
	char buf[8] = "";
	int fd;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(fifo, sizeof fifo, "%s/libpython3.12.so", dir);
	snprintf(reg, sizeof reg, "%s/regular", dir);
	snprintf(link_dev, sizeof link_dev, "%s/to-dev", dir);
	snprintf(link_reg, sizeof link_reg, "%s/to-regular", dir);
	fd = open(reg, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (mkfifo(fifo, 0600) < 0 || symlink("/dev/null", link_dev) < 0 || symlink(reg, link_reg) < 0 ||
	    fd < 0 || write(fd, "ELF", 3) != 3 || close(fd) < 0) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return 1;
	}

	fd = regfile_open(fifo);
	tap_ok(fd < 0 && errno == EINVAL, "a FIFO is refused at once, not waited on (EINVAL)");
	fd = regfile_open("/dev/null");
	tap_ok(fd < 0 && errno == EINVAL, "a device is refused");
	fd = regfile_open(link_dev);
	tap_ok(fd < 0 && errno == EINVAL, "a symlink to a device is refused");
	fd = regfile_open("/proc/self/status");
	tap_ok(fd < 0 && errno == EINVAL, "a procfs file (a kernel interface, e.g. /proc/kmsg) is refused");
	fd = regfile_open("/proc/self/exe");
	tap_ok(fd >= 0, "/proc/self/exe (resolves to the real file) is opened");
	if (fd >= 0)
		close(fd);
	fd = regfile_open(dir);
	tap_ok(fd < 0 && errno == EINVAL, "a directory is refused");
	fd = regfile_open("/nonexistent/pytop");
	tap_ok(fd < 0 && errno == ENOENT, "a missing file: ENOENT");
	fd = regfile_open(link_reg);
	tap_ok(fd >= 0 && read(fd, buf, 3) == 3 && !memcmp(buf, "ELF", 3), "a symlink to a regular file is read");
	if (fd >= 0)
		close(fd);
	fd = regfile_open(reg);
	tap_ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "a regular file is opened read-only");
	if (fd >= 0)
		close(fd);
	unlink(fifo);
	unlink(link_dev);
	unlink(link_reg);
	unlink(reg);
	rmdir(dir);
	return tap_done();
}
