/* smallfile: open, one read, close. */
#include "util/smallfile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int smallfile_read(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	buf[n] = '\0';
	return (int)n;
}
