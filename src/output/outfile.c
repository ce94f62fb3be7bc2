/* outfile: new private files in shared directories, and the files the user
 * names. */
#include "output/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int outfile_create_new(const char *dir, const char *stem, const char *ext, char *path, size_t cap)
{
	int fd, n;

	n = snprintf(path, cap, "%s/%s%s", dir, stem, ext);
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0 || errno != EEXIST)
		return fd;
	/* Taken (maybe by a planted symlink): a name nobody can predict. */
	n = snprintf(path, cap, "%s/%s-XXXXXX%s", dir, stem, ext);
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkostemps(path, (int)strlen(ext), O_CLOEXEC);
}

FILE *outfile_open_user(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, OUTFILE_USER_MODE);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}
