/* test_outfile: files pytop names itself are created new and private, and
 * a symlink planted at the predicted name is never followed (issue 9,
 * item 2); a file the user names is created 0644 less the umask. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output/outfile.h"
#include "tap.h"

static char dir[64];

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int file_is(const char *path, const char *text)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return strcmp(buf, text) == 0;
}

static char *at(const char *name)
{
	static char p[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

int main(void)
{
	char path[256], small[8];
	struct stat st;
	FILE *f;
	int fd;

	umask(022);
	snprintf(dir, sizeof(dir), "/tmp/pytop-outfile-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}

	/* A free name: exactly that name, a new regular file, 0600. */
	fd = outfile_create_new(dir, "pytop-1", ".log", path, sizeof(path));
	tap_ok(fd >= 0 && strcmp(path, at("pytop-1.log")) == 0, "free name: created as predicted (%s)", path);
	memset(&st, 0, sizeof(st));
	if (fd >= 0)
		fstat(fd, &st);
	tap_ok(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600,
	       "free name: a regular file with mode 0600 (%o)", (unsigned)(st.st_mode & 0777));
	tap_ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "free name: close-on-exec");
	if (fd >= 0)
		close(fd);

	/* A symlink planted at the predicted name, to a file of the victim. */
	put_file(at("victim"), "precious");
	if (symlink(at("victim"), at("pytop-2.log")) != 0)
		printf("Bail out! symlink: %s\n", strerror(errno));
	fd = outfile_create_new(dir, "pytop-2", ".log", path, sizeof(path));
	tap_ok(fd >= 0, "planted symlink: a file is still created (%s)", path);
	tap_ok(strcmp(path, at("pytop-2.log")) != 0 && strncmp(path, at("pytop-2-"), strlen(at("pytop-2-"))) == 0 &&
	       strlen(path) == strlen(at("pytop-2-XXXXXX.log")) && strcmp(path + strlen(path) - 4, ".log") == 0,
	       "planted symlink: another name, pytop-2-XXXXXX.log (%s)", path);
	if (fd >= 0) {
		tap_ok(write(fd, "output", 6) == 6, "planted symlink: the new file takes the output");
		tap_ok(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600,
		       "planted symlink: the new file is regular, 0600");
		close(fd);
	}
	tap_ok(file_is(at("victim"), "precious"), "planted symlink: the victim file is untouched");
	tap_ok(lstat(at("pytop-2.log"), &st) == 0 && S_ISLNK(st.st_mode), "planted symlink: left as it was");

	/* A dangling symlink: its target must not be created. */
	if (symlink(at("created-by-root"), at("pytop-3.log")) != 0)
		printf("Bail out! symlink: %s\n", strerror(errno));
	fd = outfile_create_new(dir, "pytop-3", ".log", path, sizeof(path));
	tap_ok(fd >= 0 && strcmp(path, at("pytop-3.log")) != 0, "dangling symlink: another name (%s)", path);
	tap_ok(access(at("created-by-root"), F_OK) != 0, "dangling symlink: its target was not created");
	if (fd >= 0)
		close(fd);

	/* An existing file is neither opened nor truncated. */
	put_file(at("pytop-4.txt"), "someone else's");
	fd = outfile_create_new(dir, "pytop-4", ".txt", path, sizeof(path));
	tap_ok(fd >= 0 && strcmp(path, at("pytop-4.txt")) != 0 && file_is(at("pytop-4.txt"), "someone else's"),
	       "existing file: kept, another name used (%s)", path);
	if (fd >= 0)
		close(fd);

	/* A directory that cannot take it: an error, errno set. */
	fd = outfile_create_new(at("no-such-dir"), "pytop-5", ".log", path, sizeof(path));
	tap_ok(fd < 0 && errno == ENOENT, "missing directory: -1, ENOENT");
	fd = outfile_create_new(dir, "pytop-6", ".log", small, sizeof(small));
	tap_ok(fd < 0 && errno == ENAMETOOLONG, "path buffer too small: -1, ENAMETOOLONG");

	/* A file the user names: created 0644 (umask 022), or truncated. */
	f = outfile_open_user(at("user.txt"));
	memset(&st, 0, sizeof(st));
	stat(at("user.txt"), &st);
	tap_ok(f && (st.st_mode & 0777) == 0644,
	       "user's file: created 0644 less the umask (%o)", (unsigned)(st.st_mode & 0777));
	if (f) {
		fputs("new", f);
		fclose(f);
	}
	put_file(at("user2.txt"), "old contents");
	f = outfile_open_user(at("user2.txt"));
	if (f) {
		fputs("new", f);
		fclose(f);
	}
	tap_ok(file_is(at("user2.txt"), "new"), "user's file: an existing one is truncated");

	if (fork() == 0)
		execlp("rm", "rm", "-rf", dir, (char *)NULL), _exit(127);
	while (wait(NULL) > 0)
		;
	return tap_done();
}
