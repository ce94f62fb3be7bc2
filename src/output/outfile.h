/* outfile: how pytop creates the files it writes. Files it names itself
 * (the launch-mode log, the `w` snapshot's default name) may land in a
 * directory other users can write to (/tmp, $TMPDIR, a shared current
 * directory) and pytop usually runs as root, so they are created new and
 * private; a file the user named (-o FILE, a path typed at `w`) is opened
 * like a shell redirection would. */
#ifndef PYTOP_OUTPUT_OUTFILE_H
#define PYTOP_OUTPUT_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

/* Create a new file <dir>/<stem><ext> for writing: O_CREAT|O_EXCL|
 * O_NOFOLLOW|O_CLOEXEC, mode 0600, so neither a planted symlink nor an
 * existing file is ever opened. When that name is taken, a random one
 * <dir>/<stem>-XXXXXX<ext> (mkostemps, the same guarantees) is made
 * instead. The path created is written to path (cap bytes). Returns the
 * fd, or -1 with errno set (ENAMETOOLONG when path is too small). */
int outfile_create_new(const char *dir, const char *stem, const char *ext, char *path, size_t cap);

/* Mode of a file the user named: 0644 less the umask, like a shell's
 * redirection (0666) but not writable by the group or others. */
#define OUTFILE_USER_MODE 0644

/* Open a file the user named for writing (created OUTFILE_USER_MODE or
 * truncated; the user chose the path, so a symlink there is followed).
 * Returns NULL with errno set on failure. */
FILE *outfile_open_user(const char *path);

#endif
