/* actions: the session and model changes behind keys and commands. */
#include "ui/actions.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "output/formats.h"
#include "output/outfile.h"
#include "session.h"
#include "ui/tracer.h"
#include "util/clock.h"

#define MS 1000000ull
#define RESET_CONFIRM_NS (5000 * MS)   /* time to press r again after the exit */

static const double delays[] = { 0.2, 0.5, 1, 2, 3, 5, 10 };

int actions_sort(struct ui_model *m, enum sort_key k, bool toggle, unsigned *fx)
{
	*fx |= model_set_sort(m, k, toggle);
	model_message(m, false, "sorted by %s%s", model_sort_name(m->sort), m->reverse ? ", reversed" : "");
	return 0;
}

int actions_follow(struct ui_model *m, uint32_t tid, unsigned *fx)
{
	const char *found = tid ? model_thread_name(m, tid) : NULL;
	char name[AGG_THREAD_NAME_MAX];

	/* a copy: the requery that follows replaces the rows it points into */
	snprintf(name, sizeof(name), "%s", found ? found : "");
	if (tid && !found) {
		model_message(m, true, "no thread %u was sampled", tid);
		return -1;
	}
	m->follow_tid = tid;
	if (tid) {
		m->sel_tid = tid;
		m->thread_pinned = true;
	}
	*fx |= UI_FX_REQUERY | UI_FX_UPDATE | UI_FX_REFRESH_SOON | UI_FX_REDRAW;
	if (tid)
		model_message(m, false, "following thread %u %s (t: all threads)", tid, name);
	else
		model_message(m, false, "all threads");
	return 0;
}

int actions_follow_toggle(struct ui_model *m, unsigned *fx)
{
	uint32_t tid;

	if (m->follow_tid)
		return actions_follow(m, 0, fx);
	tid = m->sel_tid;
	if (!tid && m->ntview)
		tid = m->threads[m->tview[0]].tid;
	if (!tid) {
		model_message(m, true, "no thread to follow yet");
		*fx |= UI_FX_REDRAW;
		return -1;
	}
	return actions_follow(m, tid, fx);
}

int actions_set_rate(struct ui_model *m, double hz, unsigned *fx)
{
	*fx |= UI_FX_REDRAW;
	if (m->exited) {
		model_message(m, true, "rate: the target has exited");
		return -1;
	}
	if (m->sess) {
		session_set_rate(m->sess, hz);
		session_reset(m->sess, false);
	} else
		aggregate_set_interval(m->agg, (uint64_t)(1e9 / hz));
	m->rate_hz = hz;
	*fx |= UI_FX_REQUERY | UI_FX_UPDATE;
	model_message(m, false, "sampling at %.0f Hz; statistics restarted", hz);
	return 0;
}

void actions_save_proposal(const struct ui_model *m, char *dir, size_t dircap, char *stem, size_t stemcap)
{
	const char *d = ".";
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	if (access(".", W_OK) != 0) {
		d = getenv("TMPDIR");
		if (!d || !*d)
			d = "/tmp";
	}
	snprintf(dir, dircap, "%s", d);
	snprintf(stem, stemcap, "pytop-%d-%s", (int)m->pid, stamp);
}

static int write_headless(struct ui_model *m, const struct output_format *fmt, FILE *f)
{
	struct snapshot_meta sm;

	memset(&sm, 0, sizeof(sm));
	sm.pid = (int)m->pid;
	sm.argv = m->argv;
	sm.python = m->python;
	sm.rate_hz = m->rate_hz;
	sm.mode = aggregate_mode_name(aggregate_mode(m->agg));
	sm.version = PACKAGE_VERSION;
	return fmt->write(f, m->agg, &sm);
}

/* Write the snapshot to f (named path) in the format its ending asks for,
 * and say so; closes f. */
static int save_to(struct ui_model *m, FILE *f, const char *path)
{
	const struct output_format *fmt = formats_for_path(path);
	char full[PATH_MAX], ebuf[256];
	int rc;

	if (m->sess)
		rc = session_write_file(m->sess, fmt, f, path, ebuf, sizeof(ebuf));
	else
		rc = write_headless(m, fmt, f);
	if (fclose(f) != 0)
		rc = -1;
	if (rc < 0) {
		model_message(m, true, "cannot write %.300s", path);
		return -1;
	}
	if (!realpath(path, full))
		snprintf(full, sizeof(full), "%s", path);
	model_message(m, false, "saved %.400s (%s)", full, fmt->label);
	return 0;
}

int actions_save(struct ui_model *m, const char *path, unsigned *fx)
{
	char dir[PATH_MAX], stem[64];
	FILE *f;

	if (!path || !*path) {
		actions_save_proposal(m, dir, sizeof(dir), stem, sizeof(stem));
		return actions_save_new(m, dir, stem, formats_default()->exts[0], fx);
	}
	*fx |= UI_FX_REDRAW;
	f = outfile_open_user(path);    /* the user's choice of path */
	if (!f) {
		model_message(m, true, "cannot write %.300s: %s", path, strerror(errno));
		return -1;
	}
	return save_to(m, f, path);
}

int actions_save_new(struct ui_model *m, const char *dir, const char *stem, const char *ext, unsigned *fx)
{
	char path[PATH_MAX];
	FILE *f = NULL;
	int fd;

	*fx |= UI_FX_REDRAW;
	/* dir may be shared with other users (TMPDIR): a new file, 0600,
	 * never through a symlink; another name when taken. */
	fd = outfile_create_new(dir, stem, ext, path, sizeof(path));
	if (fd >= 0 && !(f = fdopen(fd, "w")))
		close(fd);
	if (!f) {
		model_message(m, true, "cannot write %.300s/%.60s%.20s: %s", dir, stem, ext, strerror(errno));
		return -1;
	}
	return save_to(m, f, path);
}

int actions_reset(struct ui_model *m, unsigned *fx)
{
	uint64_t now = clock_now_ns();

	*fx |= UI_FX_REDRAW;
	if (m->exited && now >= m->reset_armed_until) {
		m->reset_armed_until = now + RESET_CONFIRM_NS;
		model_message(m, true, "the target has exited: this data cannot be collected again; "
			      "press r again to wipe it (any other key keeps it)");
		return -1;
	}
	m->reset_armed_until = 0;
	if (m->sess)
		session_reset(m->sess, true);
	else
		aggregate_reset(m->agg);
	m->now_ns = now;
	m->window_start_ns = now;
	m->window_s = 0;
	m->next_refresh_ns = now + (uint64_t)(m->delay_s * 1e9);
	*fx |= UI_FX_REQUERY | UI_FX_UPDATE;
	model_message(m, false, "reset: counts, duration, overhead%s start again from now",
		      m->sess && m->sess->gilstat ? " and gilstat" : "");
	return 0;
}

static const char *const mode_names[] = { "cpu", "wall", "gil" };

int actions_mode_parse(const char *name)
{
	size_t i, len = strlen(name);
	int found = -1;

	for (i = 0; i < 3 && len; i++)
		if (strncasecmp(mode_names[i], name, len) == 0) {
			if (found >= 0)
				return -1;
			found = (int)i;
		}
	return found;
}

int actions_set_mode(struct ui_model *m, enum agg_mode mode, unsigned *fx)
{
	static const char *const what[] = {
		"cpu: samples of threads on CPU count",
		"wall: every sample counts (where a stuck program waits)",
		"gil: samples holding the GIL count",
	};

	if (m->sess)
		session_drain(m->sess);
	aggregate_set_mode(m->agg, mode);
	/* the counts restart: so do the duration and overhead of a snapshot */
	if (m->sess)
		session_reset(m->sess, false);
	m->window_start_ns = m->now_ns;
	*fx |= UI_FX_REQUERY | UI_FX_UPDATE | UI_FX_REDRAW;
	model_message(m, false, "mode %s; counts reset", (unsigned)mode < 3 ? what[mode] : "?");
	return 0;
}

int actions_change_delay(struct ui_model *m, int dir, unsigned *fx)
{
	size_t i, n = sizeof(delays) / sizeof(delays[0]);
	double d = m->delay_s;

	if (dir > 0) {
		for (i = 0; i < n && delays[i] <= d + 1e-9; i++)
			;
		d = i < n ? delays[i] : delays[n - 1];
	} else {
		for (i = n; i > 0 && delays[i - 1] >= d - 1e-9; i--)
			;
		d = i > 0 ? delays[i - 1] : delays[0];
	}
	m->delay_s = d;
	m->next_refresh_ns = m->window_start_ns + (uint64_t)(d * 1e9);
	*fx |= UI_FX_REDRAW;
	model_message(m, false, "refresh every %gs", d);
	return 0;
}

int actions_pause(struct ui_model *m, unsigned *fx)
{
	/* On resume the next refresh (a whole window) brings new rows. */
	m->paused = !m->paused;
	*fx |= UI_FX_REDRAW;
	model_message(m, false, "%s", m->paused ? "display paused (sampling goes on)" : "display resumed");
	return 0;
}

int actions_toggle_lines(struct ui_model *m, unsigned *fx)
{
	m->lines = !m->lines;
	*fx |= UI_FX_REINDEX | UI_FX_REDRAW;
	model_message(m, false, "%s", m->lines ? "one row per line" : "one row per function");
	return 0;
}

int actions_toggle_cumulative(struct ui_model *m, unsigned *fx)
{
	m->cumulative = !m->cumulative;
	*fx |= UI_FX_REINDEX | UI_FX_UPDATE | UI_FX_REDRAW;
	model_message(m, false, "%s", m->cumulative ? "percentages: cumulative"
		      : "percentages: over the last refresh");
	return 0;
}

/* ---- trace and watch ---- */

static bool have_tracer(struct ui_model *m, const char *what)
{
	if (m->tracer && !m->exited)
		return true;
	model_message(m, true, "%s: %s", what, m->exited ? "the target has exited" :
		      "no target process to inject pytop's agent into");
	return false;
}

static int submit(struct ui_model *m, const struct request *q, unsigned *fx)
{
	char err[256], what[REQUEST_TEXT_MAX + 128];

	if (tracer_submit(m->tracer, q, err, sizeof(err)) < 0) {
		model_message(m, true, "%s", err);
		return -1;
	}
	request_describe(q, what, sizeof(what));
	model_message(m, false, "%.400s: results in the trace/watch pane", what);
	*fx |= UI_FX_REDRAW;
	return 0;
}

int actions_agent_request(struct ui_model *m, const struct request *q, unsigned *fx)
{
	if (!have_tracer(m, q->trace ? "trace" : "watch"))
		return -1;
	if (!m->agent_consent) {
		m->asked = *q;
		*fx |= UI_FX_PROMPT_CONSENT | UI_FX_REDRAW;
		return 0;
	}
	return submit(m, q, fx);
}

int actions_agent_consent(struct ui_model *m, bool yes, unsigned *fx)
{
	*fx |= UI_FX_REDRAW;
	if (!yes) {
		model_message(m, false, "not attached: nothing was injected");
		return -1;
	}
	/* The target may have gone while the question was up. */
	if (!have_tracer(m, m->asked.trace ? "trace" : "watch"))
		return -1;
	m->agent_consent = true;
	return submit(m, &m->asked, fx);
}

int actions_agent_stop(struct ui_model *m, bool trace, unsigned *fx)
{
	int running = 0;

	*fx |= UI_FX_REDRAW;
	if (!m->tracer || tracer_state(m->tracer, &running) == TRACER_IDLE) {
		model_message(m, true, "no agent is attached");
		return -1;
	}
	tracer_stop_all(m->tracer, trace);
	model_message(m, false, "%s stopped (:detach removes the agent)", trace ? "traces" : "watches");
	return 0;
}

int actions_agent_detach(struct ui_model *m, unsigned *fx)
{
	*fx |= UI_FX_REDRAW;
	if (!m->tracer || tracer_state(m->tracer, NULL) == TRACER_IDLE) {
		model_message(m, true, "no agent is attached");
		return -1;
	}
	tracer_detach(m->tracer);
	model_message(m, false, "detaching the agent");
	return 0;
}

int actions_save_trace(struct ui_model *m, unsigned *fx)
{
	char dir[256], stem[96], path[PATH_MAX];
	FILE *f = NULL;
	int fd, rc;

	*fx |= UI_FX_REDRAW;
	if (!m->tracer)
		return -1;
	actions_save_proposal(m, dir, sizeof(dir), stem, sizeof(stem) - 8);
	strcat(stem, "-trace");
	fd = outfile_create_new(dir, stem, ".txt", path, sizeof(path));
	if (fd >= 0 && !(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(path);
	}
	if (!f) {
		model_message(m, true, "cannot write %.300s/%.60s.txt: %s", dir, stem, strerror(errno));
		return -1;
	}
	rc = tracer_write(m->tracer, f);
	if (fclose(f) != 0 || rc < 0) {
		int e = errno;

		/* The file is new (ours): a cut one is not left behind. */
		unlink(path);
		model_message(m, true, "cannot write %.300s: %s (nothing kept)", path, strerror(e));
		return -1;
	}
	model_message(m, false, "trace/watch pane saved to %.400s", path);
	return 0;
}

int actions_agent_prompt(struct ui_model *m, bool trace, const char *file, int firstline, unsigned *fx)
{
	if (!have_tracer(m, trace ? "trace" : "watch"))
		return -1;
	if (!file || !*file || *file == '<' || firstline <= 0) {
		model_message(m, true, "%s: this is not a Python function of a file", trace ? "trace" : "watch");
		return -1;
	}
	/* Quoted (a path may hold blanks or quotes); the user adds flags
	 * and Enter. */
	size_t len = (size_t)snprintf(m->prefill, sizeof(m->prefill), "%s \"", trace ? "trace" : "watch");
	for (const char *c = file; *c && len + 4 < sizeof(m->prefill); c++) {
		if (*c == '"' || *c == '\\')
			m->prefill[len++] = '\\';
		m->prefill[len++] = *c;
	}
	m->prefill[len] = '\0';
	if (snprintf(m->prefill + len, sizeof(m->prefill) - len, ":%d\" ", firstline) >= (int)(sizeof(m->prefill) - len)) {
		m->prefill[0] = '\0';
		model_message(m, true, "%s: the file's name is too long for the prompt", trace ? "trace" : "watch");
		return -1;
	}
	*fx |= UI_FX_PROMPT_COMMAND | UI_FX_REDRAW;
	return 0;
}
