/* runtime: locating the interpreter in a target's address space. */
#include "cpython/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpython/debug_offsets.h"
#include "cpython/objects.h"
#include "cpython/pystring.h"
#include "cpython/rlist.h"
#include "cpython/versions.h"
#include "errors.h"
#include "process/elf.h"
#include "process/memory.h"
#include "process/nspid.h"
#include "process/proc.h"
#include "process/regfile.h"

/* The symbols looked up in the interpreter's file. SYM_RUNTIME and
 * SYM_INTERP_HEAD are the two anchors of the interpreter list (the layout's
 * runtime_model says which one a version uses). */
enum {
	SYM_RUNTIME, SYM_INTERP_HEAD, SYM_VERSION, SYM_CODE_TYPE, SYM_STR_TYPE, SYM_TAKE_GIL, SYM_DROP_GIL,
	SYM_GIL_STATICS,          /* GIL_STATICS of them: 3.6's GIL (gil_static_name()) */
	SYM_COUNT = SYM_GIL_STATICS + GIL_STATICS
};

/* The anchor symbol of each runtime model. */
static const char *anchor_name(enum layout_runtime_model m)
{
	return m == RUNTIME_MODEL_INTERP_HEAD ? "interp_head" : "_PyRuntime";
}

/* Does this mapped file look like it might hold the interpreter? */
static int is_candidate(const char *path, const char *exe)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return strcmp(path, exe) == 0 || strncmp(base, "libpython", 9) == 0;
}

/* Version from a file name like libpython3.11.so.1.0 or python3.9. */
static int version_from_name(const char *path, int *major, int *minor)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *p = strstr(base, "python");
	if (!p)
		return -1;
	return sscanf(p + 6, "%d.%d", major, minor) == 2 ? 0 : -1;
}

static int parse_version(const char *s, int *major, int *minor, int *micro)
{
	*micro = 0;
	return sscanf(s, "%d.%d.%d", major, minor, micro) >= 2 ? 0 : -1;
}

/* Find the file defining _PyRuntime (3.7+) or interp_head (3.6, in its
 * .symtab) and the load bias of its mapping; t->runtime is set from the
 * anchor the version uses once it is known (choose_anchor). */
static int find_runtime(struct py_target *t, struct elf_sym *syms, char *err, size_t errcap)
{
	struct proc_map *maps;
	char exe[512] = "";
	int n = proc_maps_read(t->pid, &maps);
	if (n < 0) {
		return n;
	}
	proc_exe(t->pid, exe, sizeof exe);
	int checked = 0, ret = PYTOP_ENOTPY, unread = 0;
	const char *last = "";
	char unread_path[512] = "";
	/* Two passes: libpython first (a shared build), then the executable. */
	for (int pass = 0; pass < 2 && ret; pass++) {
		for (int i = 0; i < n && ret; i++) {
			struct proc_map *m = &maps[i];
			int lib = strstr(m->path, "libpython") != NULL;
			if (m->offset != 0 || !m->path[0] || !is_candidate(m->path, exe) || lib != (pass == 0))
				continue;
			if (strcmp(m->path, last) == 0)
				continue;
			last = m->path;
			char path[1100];
			uint64_t min_vaddr;
			proc_root_path(t->pid, m->path, path, sizeof path);
			checked++;
			int rc = elf_lookup(path, syms, SYM_COUNT, &min_vaddr);
			if (rc == PYTOP_EIO && (errno == ETIMEDOUT || errno == ENOTSUP) && !unread) {
				/* Said if no other file gives the runtime. */
				unread = errno;
				snprintf(unread_path, sizeof unread_path, "%s", m->path);
			}
			if (rc < 0 || (!syms[SYM_RUNTIME].value && !syms[SYM_INTERP_HEAD].value))
				continue;
			uint64_t bias = m->start - min_vaddr;
			for (int k = 0; k < SYM_COUNT; k++)
				if (syms[k].value)
					syms[k].value += bias;
			snprintf(t->binary, sizeof t->binary, "%s", m->path);
			ret = 0;
		}
	}
	/* Neither anchor: name the version when the file name tells it (an
	 * unsupported one, or 3.6 stripped of the .symtab that holds interp_head),
	 * from a libpython first (a shared build), then the executable. */
	for (int k = 0; k < 2 * n && ret; k++) {
		int i = k % n, major, minor;
		const struct py_layout *L;
		if (!maps[i].path[0] || !is_candidate(maps[i].path, exe) ||
		    (strstr(maps[i].path, "libpython") != NULL) != (k < n) ||
		    version_from_name(maps[i].path, &major, &minor) < 0)
			continue;
		if (!(L = layout_for_version(major, minor))) {
			snprintf(err, errcap, "Python %d.%d is not supported (pytop supports " PY_VERSIONS_TEXT ")", major, minor);
			ret = PYTOP_EVERSION;
		} else if (L->runtime_model == RUNTIME_MODEL_INTERP_HEAD) {
			snprintf(err, errcap, "process %d: Python %d.%d keeps its interpreter list in the static "
				 "interp_head, and %s has no symbol table (stripped): pytop cannot find it",
				 (int)t->pid, major, minor, maps[i].path);
			ret = PYTOP_ENOTPY;
		} else
			continue;
		break;
	}
	if (ret == PYTOP_ENOTPY && unread) {
		/* (err is escaped where it is printed) */
		if (unread == ETIMEDOUT)
			snprintf(err, errcap, "process %d: cannot read %s: no answer within %d s (a FUSE "
				 "filesystem nobody serves?)", (int)t->pid, unread_path, REGFILE_TIMEOUT_MS / 1000);
		else
			snprintf(err, errcap, "process %d: %s is on a FUSE filesystem: pytop does not read files "
				 "there (its server, maybe the target, may never answer)", (int)t->pid, unread_path);
		ret = PYTOP_EIO;
	} else if (ret == PYTOP_ENOTPY && !err[0])
		snprintf(err, errcap, "process %d is not a CPython process: no _PyRuntime (or interp_head) symbol in %s%s",
			 (int)t->pid, exe[0] ? exe : "its executable",
			 checked > 1 ? " or its libpython" : " (and no libpython is loaded)");
	free(maps);
	return ret;
}

static int detect_version(struct py_target *t, struct elf_sym *syms, char *err, size_t errcap)
{
	int major = 0, minor = 0, micro = 0;
	char path[1100];

	if (syms[SYM_VERSION].value) {
		uint32_t hex;
		int rc = mem_read(t->pid, syms[SYM_VERSION].value, &hex, sizeof hex);
		if (rc < 0)
			return rc;
		major = (int)(hex >> 24);
		minor = (int)((hex >> 16) & 0xff);
		micro = (int)((hex >> 8) & 0xff);
		snprintf(t->version, sizeof t->version, "%d.%d.%d", major, minor, micro);
	} else {
		proc_root_path(t->pid, t->binary, path, sizeof path);
		if (version_from_name(t->binary, &major, &minor) < 0)
			major = 3;
		if (elf_find_version_string(path, major, t->version, sizeof t->version) == 0)
			parse_version(t->version, &major, &minor, &micro);
		else if (minor)
			snprintf(t->version, sizeof t->version, "%d.%d", major, minor);
	}
	if (!minor) {
		snprintf(err, errcap, "cannot tell the Python version of process %d (%s)", (int)t->pid, t->binary);
		return PYTOP_EVERSION;
	}
	t->major = major;
	t->minor = minor;
	t->micro = micro;
	return 0;
}

/* Point t->runtime at the anchor of t's runtime model: _PyRuntime, or 3.6's
 * interp_head (a pointer-sized static; a symbol of another size is not it). */
static int choose_anchor(struct py_target *t, const struct elf_sym *syms, char *err, size_t errcap)
{
	const struct elf_sym *s = &syms[t->L.runtime_model == RUNTIME_MODEL_INTERP_HEAD ? SYM_INTERP_HEAD : SYM_RUNTIME];

	if (!s->value || (t->L.runtime_model == RUNTIME_MODEL_INTERP_HEAD && s->size != 8)) {
		snprintf(err, errcap, "process %d: no %s symbol%s in %s (Python %s)", (int)t->pid,
			 anchor_name(t->L.runtime_model), s->value ? " of pointer size" : "", t->binary, t->version);
		return PYTOP_ENOTPY;
	}
	t->runtime = s->value;
	return 0;
}

static int choose_layout(struct py_target *t, const struct elf_sym *syms, char *err, size_t errcap)
{
	const struct py_layout *L = layout_for_version(t->major, t->minor);
	const struct debug_schema *s = debug_schema_for((uint64_t)t->major << 24 | (uint64_t)t->minor << 16);
	const struct debug_schema *newest = debug_schema_newest();
	unsigned char buf[DEBUG_OFFSETS_READ_SIZE];
	int rc;

	/* Newer than every table: its own _Py_DebugOffsets, read with the
	 * newest schema, over the newest table (the block must fit it). */
	if (!L && newest && t->major == newest->major && t->minor > newest->minor &&
	    (L = layout_for_version(newest->major, newest->minor))) {
		s = newest;
		t->schema_minor = newest->minor;
	}
	if (!L) {
		snprintf(err, errcap, "Python %s is not supported (pytop supports " PY_VERSIONS_TEXT ")", t->version);
		return PYTOP_EVERSION;
	}
	t->L = *L;
	/* A newer version read over the newest table numbers its opcodes its
	 * own way: its callers' positions are not checked (stack.c), nor its
	 * frames' owner values (owner_known). */
	if (t->schema_minor)
		t->L.opcodes = NULL;
	if ((rc = choose_anchor(t, syms, err, errcap)) < 0)
		return rc;
	/* A version whose _PyRuntime starts with _Py_DebugOffsets: its own block
	 * wins over the table (a patch release or a debug build may move things). */
	if (s) {
		rc = mem_read(t->pid, t->runtime, buf, sizeof buf);
		if (rc < 0)
			return rc;
		uint64_t hex = debug_offsets_version(buf, sizeof buf);
		/* Never read a free-threaded build with the GIL build's layout:
		 * its own table (registry key (minor, 1)) or a refusal, before
		 * the block is laid over anything. */
		if (debug_offsets_free_threaded(s, buf, sizeof buf) == 1) {
			const struct py_layout *ft = t->schema_minor ? NULL : layout_find(t->major, t->minor, 1);
			const struct debug_schema *fs = ft ? debug_schema_find(t->major, t->minor, 1) : NULL;
			if (!ft || !fs) {
				snprintf(err, errcap, "process %d: Python %s is a free-threaded build (no GIL), "
					 "which pytop does not support yet", (int)t->pid, t->version);
				return PYTOP_EVERSION;
			}
			t->L = *ft;
			s = fs;
		}
		if (t->schema_minor && (int)((hex >> 24) & 0xff) == t->major && (int)((hex >> 16) & 0xff) == t->minor)
			rc = debug_offsets_apply_schema(s, buf, sizeof buf, &t->L);
		else
			rc = t->schema_minor || (int)((hex >> 16) & 0xff) != t->minor ? PYTOP_EVERSION
			     : debug_offsets_apply_schema(s, buf, sizeof buf, &t->L);
		if (rc < 0 && t->schema_minor) {
			snprintf(err, errcap, "Python %s is not supported (pytop supports " PY_VERSIONS_TEXT
				 "), and its _Py_DebugOffsets at _PyRuntime is not in %d.%d's format",
				 t->version, newest->major, newest->minor);
			return PYTOP_EVERSION;
		}
		if (rc < 0) {
			snprintf(err, errcap, "process %d: _Py_DebugOffsets at _PyRuntime not understood (Python %s)",
				 (int)t->pid, t->version);
			return PYTOP_EVERSION;
		}
		t->debug_offsets_used = 1;
		/* Never read a free-threaded build with the GIL build's layout. */
		if (t->L.free_threaded && !layout_find(t->major, t->minor, 1)) {
			snprintf(err, errcap, "process %d: Python %s is a free-threaded build (no GIL), "
				 "which pytop does not support yet", (int)t->pid, t->version);
			return PYTOP_EVERSION;
		}
	}
	/* Every offset and size must fit the buffer it indexes. */
	char why[200];
	if (layout_validate(&t->L, why, sizeof why) < 0) {
		snprintf(err, errcap, "process %d: %s (Python %s, %s%s)", (int)t->pid, why, t->version,
			 t->debug_offsets_used ? "from its _Py_DebugOffsets" : "pytop's table",
			 t->schema_minor ? " read with the newest schema pytop has" : "");
		return PYTOP_ECORRUPT;
	}
	return 0;
}

/* GIL_MODEL_STATICS: t->gil_statics from the symbols (addr 0: unknown). */
static void find_gil_statics(struct py_target *t, const struct elf_sym *syms)
{
	uint64_t value[GIL_STATICS], size[GIL_STATICS];

	memset(&t->gil_statics, 0, sizeof t->gil_statics);
	if (t->L.gil_model != GIL_MODEL_STATICS)
		return;
	for (int i = 0; i < GIL_STATICS; i++) {
		value[i] = syms[SYM_GIL_STATICS + i].value;
		size[i] = syms[SYM_GIL_STATICS + i].size;
	}
	gil_where_statics(&t->L, value, size, &t->gil_statics);
}

/* Refine "3.8" to "3.8.18" from the target's own sys.version. */
static void version_from_sys(struct py_target *t)
{
	uint64_t interps[8], sysdict, ver;
	char buf[128];
	int n = pyrt_interpreters(t, interps, 8, NULL);
	if (n <= 0)
		return;
	/* The main interpreter is the last one in the list. */
	if (mem_read_ptr(t->pid, interps[n - 1] + (uint64_t)t->L.interp_sysdict, &sysdict) < 0 || !sysdict)
		return;
	if (dict_get_str(t, sysdict, "version", &ver) < 0 || obj_read_string(t, ver, buf, sizeof buf) < 0)
		return;
	int major, minor, micro;
	if (parse_version(buf, &major, &minor, &micro) == 0 && major == t->major && minor == t->minor) {
		buf[strcspn(buf, " ")] = 0;
		buf[utf8_cut(buf, sizeof t->version - 1)] = 0;
		memcpy(t->version, buf, sizeof t->version);
		t->micro = micro;
	}
}

static void describe(int rc, pid_t pid, char *err, size_t errcap)
{
	if (err[0])
		return;
	switch (rc) {
	case PYTOP_ENOPROC:
		snprintf(err, errcap, "no such process: %d", (int)pid);
		break;
	case PYTOP_EPERM:
		if (proc_dumpable(pid) == 0) {
			snprintf(err, errcap,
				 "permission denied reading process %d: it is not dumpable (it called "
				 "prctl(PR_SET_DUMPABLE, 0) or changed its user or group), so not even its own "
				 "user may read it: run pytop as root (CAP_SYS_PTRACE)", (int)pid);
			break;
		}
		snprintf(err, errcap,
			 "permission denied reading process %d: run pytop as root or as its user with "
			 "ptrace allowed (sysctl kernel.yama.ptrace_scope=0, or CAP_SYS_PTRACE; "
			 "containers need --cap-add SYS_PTRACE)", (int)pid);
		break;
	case PYTOP_EGONE:
		snprintf(err, errcap, "process %d exited", (int)pid);
		break;
	default:
		snprintf(err, errcap, "process %d: %s", (int)pid, pytop_strerror(rc));
	}
}

int pyrt_open(pid_t pid, struct py_target **out, char *err, size_t errcap)
{
	struct elf_sym syms[SYM_COUNT] = {
		[SYM_RUNTIME] = { "_PyRuntime", 0, 0 },
		[SYM_INTERP_HEAD] = { "interp_head", 0, 0 },
		[SYM_VERSION] = { "Py_Version", 0, 0 },
		[SYM_CODE_TYPE] = { "PyCode_Type", 0, 0 },
		[SYM_STR_TYPE] = { "PyUnicode_Type", 0, 0 },
		[SYM_TAKE_GIL] = { "take_gil", 0, 0 },
		[SYM_DROP_GIL] = { "drop_gil", 0, 0 },
	};
	struct py_target *t;
	int rc;

	for (int i = 0; i < GIL_STATICS; i++)
		syms[SYM_GIL_STATICS + i] = (struct elf_sym){ gil_static_name(i), 0, 0 };
	err[0] = 0;
	*out = NULL;
	rc = proc_check(pid);
	if (rc < 0) {
		describe(rc, pid, err, errcap);
		return rc;
	}
	/* /proc/TID exists for every thread: a thread id is not a process. */
	long tgid;
	if (proc_status_long(pid, "Tgid", &tgid) == 0 && tgid > 0 && tgid != (long)pid) {
		snprintf(err, errcap, "PID %d is a thread of process %ld: use -p %ld", (int)pid, tgid, tgid);
		return PYTOP_EINVAL;
	}
	t = xcalloc(1, sizeof *t);
	t->pid = pid;
	t->pthread_tid_offset = -1;
	if ((rc = find_runtime(t, syms, err, errcap)) < 0)
		goto fail;
	t->code_type = syms[SYM_CODE_TYPE].value;
	t->str_type = syms[SYM_STR_TYPE].value;
	t->take_gil = syms[SYM_TAKE_GIL].value;
	t->drop_gil = syms[SYM_DROP_GIL].value;
	/* A first read proves we may read the process at all. */
	uint64_t probe;
	uint64_t anchor = syms[SYM_RUNTIME].value ? syms[SYM_RUNTIME].value : syms[SYM_INTERP_HEAD].value;
	if ((rc = mem_read(pid, anchor, &probe, sizeof probe)) < 0)
		goto fail;
	if ((rc = detect_version(t, syms, err, errcap)) < 0)
		goto fail;
	if ((rc = choose_layout(t, syms, err, errcap)) < 0)
		goto fail;
	if (!t->code_type) {
		snprintf(err, errcap, "process %d: no PyCode_Type symbol in %s", (int)pid, t->binary);
		rc = PYTOP_ENOTPY;
		goto fail;
	}
	find_gil_statics(t, syms);
	if (!syms[SYM_VERSION].value)
		version_from_sys(t);
	t->nspid = nspid_create(pid);
	*out = t;
	return 0;
fail:
	describe(rc, pid, err, errcap);
	free(t);
	return rc;
}

int pyrt_schema_note(const struct py_target *t, char *buf, size_t cap)
{
	if (cap)
		buf[0] = 0;
	if (!t->schema_minor)
		return -1;
	snprintf(buf, cap, "Python %s is newer than pytop's tables (" PY_VERSIONS_TEXT "): read through its own "
		 "_Py_DebugOffsets with %d.%d's schema, and %d.%d's table for the rest (stacks may be wrong)",
		 t->version, t->major, t->schema_minor, t->major, t->schema_minor);
	return 0;
}

void pyrt_close(struct py_target *t)
{
	if (!t)
		return;
	nspid_destroy(t->nspid);
	free(t);
}

int pyrt_interpreters(struct py_target *t, uint64_t *interps, int max, int *beyond)
{
	uint64_t p;
	int n = 0, total = 0, rc;
	struct rlist walk;

	if (beyond)
		*beyond = 0;
	if (max < 1)
		return PYTOP_EINVAL;
	rlist_init(&walk);
	rc = mem_read_ptr(t->pid, t->runtime + (uint64_t)t->L.runtime_interpreters_head, &p);
	if (rc < 0)
		return rc;
	/* Newest first; the main interpreter is the last of the list. When
	 * there are more than max, the newest max - 1 and the main one are
	 * kept: the main interpreter is never the one left out. */
	while (p) {
		if (rlist_loops(&walk, p) || total == PYRT_INTERPS_WALK_MAX)
			return PYTOP_ECORRUPT;   /* the list loops, or is longer than any real one */
		if (n < max)
			interps[n++] = p;
		else
			interps[max - 1] = p;
		total++;
		rc = mem_read_ptr(t->pid, p + (uint64_t)t->L.interp_next, &p);
		if (rc < 0)
			return rc;
	}
	if (beyond)
		*beyond = total - n;
	return n;
}

void pyrt_gil(struct py_target *t, uint64_t interp, struct gil_where *out)
{
	uint64_t gil = 0;

	if (t->L.gil_model == GIL_MODEL_STATICS) {
		*out = t->gil_statics;
		return;
	}
	if (t->L.runtime_gil >= 0)
		gil = t->runtime + (uint64_t)t->L.runtime_gil;
	else if (t->L.interp_gil_ptr >= 0 && interp &&
		 mem_read_ptr(t->pid, interp + (uint64_t)t->L.interp_gil_ptr, &gil) < 0)
		gil = 0;
	gil_where_struct(&t->L, gil, out);
}
