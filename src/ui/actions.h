/* actions: what the keys and the `:` commands do to the session and the
 * view model (follow a thread, change the rate, the mode or the refresh
 * interval, save a snapshot, reset, pause ...). Each sets the status
 * message, adds what must happen next to *fx (UI_FX_*, ui/model.h) and
 * returns 0, or -1 on an error. */
#ifndef PYTOP_UI_ACTIONS_H
#define PYTOP_UI_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "ui/model.h"

/* Sort by k (toggle: reverse when already by k) and say so. */
int actions_sort(struct ui_model *m, enum sort_key k, bool toggle, unsigned *fx);

/* Follow thread tid (0 = all threads). */
int actions_follow(struct ui_model *m, uint32_t tid, unsigned *fx);

/* f / F4: follow the selected thread, or all threads again. */
int actions_follow_toggle(struct ui_model *m, unsigned *fx);

/* Change the sampling rate (resets the statistics). */
int actions_set_rate(struct ui_model *m, double hz, unsigned *fx);

/* Write a snapshot to path (NULL: a new text file named after the pid and
 * the time); the format follows the ending (formats_for_path). Reports the
 * path or the error in the status line. */
int actions_save(struct ui_model *m, const char *path, unsigned *fx);

/* Write a snapshot to a new file dir/stem+ext (O_EXCL, 0600, never through
 * a symlink; another name when taken), in the format ext asks for. */
int actions_save_new(struct ui_model *m, const char *dir, const char *stem, const char *ext, unsigned *fx);

/* Where a snapshot goes unless the user says otherwise: the current
 * directory (TMPDIR or /tmp when it is not writable) and the stem
 * pytop-PID-YYYYmmdd-HHMMSS. */
void actions_save_proposal(const struct ui_model *m, char *dir, size_t dircap, char *stem, size_t stemcap);

/* Forget everything shown (counts, duration, overhead, gilstat, the
 * window). After the target exited the first call only asks: a second one
 * within a few seconds wipes the frozen data. */
int actions_reset(struct ui_model *m, unsigned *fx);

/* Count samples by mode from now on (resets the counts). */
int actions_set_mode(struct ui_model *m, enum agg_mode mode, unsigned *fx);

/* Parse "cpu", "wall" or "gil" (or a unique prefix); -1 when unknown. */
int actions_mode_parse(const char *name);

/* The refresh interval one step up (dir > 0) or down. */
int actions_change_delay(struct ui_model *m, int dir, unsigned *fx);

/* p: freeze the display (sampling goes on), or resume. */
int actions_pause(struct ui_model *m, unsigned *fx);

/* l: rows per line or per function. */
int actions_toggle_lines(struct ui_model *m, unsigned *fx);

/* c: percentages cumulative or over the last refresh. */
int actions_toggle_cumulative(struct ui_model *m, unsigned *fx);

/* Trace or watch q: sent to the agent once the user said yes to it (the
 * first time, UI_FX_PROMPT_CONSENT asks first, with q kept in m->asked). */
int actions_agent_request(struct ui_model *m, const struct request *q, unsigned *fx);

/* The answer to the consent prompt: yes sends m->asked. */
int actions_agent_consent(struct ui_model *m, bool yes, unsigned *fx);

/* :untrace (trace true), :unwatch, :detach. */
int actions_agent_stop(struct ui_model *m, bool trace, unsigned *fx);
int actions_agent_detach(struct ui_model *m, unsigned *fx);

/* Write the trace/watch pane's lines to a new text file named like a
 * snapshot, with "-trace" (w in the pane). */
int actions_save_trace(struct ui_model *m, unsigned *fx);

/* T / W in the detail view: the command prompt, opened on `trace` or
 * `watch` and the function at file:firstline, for flags to be added. */
int actions_agent_prompt(struct ui_model *m, bool trace, const char *file, int firstline, unsigned *fx);
#endif
