/* stackdump: the text and JSON forms of a stack dump. */
#include "output/stackdump.h"

#include "output/escape.h"
#include "output/jsonw.h"
#include "sampling/sample.h"

void stackdump_write_text(FILE *out, const struct stackdump *d)
{
	const struct stackdump_thread *th = d->threads;

	/* Names, files and the command line come from the target: escaped. */
	fprintf(out, "Process %d: ", (int)d->pid);
	escape_fputs(out, d->cmdline);
	fputs("\nPython v", out);
	escape_fputs(out, d->version);
	fputc('\n', out);
	for (int i = 0; i < d->n; i++) {
		fprintf(out, "\nThread %d \"", (int)th[i].tid);
		escape_fputs(out, th[i].name);
		fprintf(out, "\" (%s)\n", th[i].state);
		if (th[i].error)
			fprintf(out, "    (stack not readable: %s)\n", th[i].error);
		int shown = th[i].truncated ? th[i].depth - 1 : th[i].depth;
		for (int k = 0; k < shown; k++) {
			const struct stackdump_frame *f = &th[i].frames[k];
			fputs("    ", out);
			escape_fputs(out, f->name);
			if (f->kind == FUNC_KIND_MARKER) {
				fputc('\n', out);
				continue;
			}
			fputs(" (", out);
			escape_fputs(out, f->file);
			if (f->kind == FUNC_KIND_NATIVE)
				fputs(")\n", out);
			else
				fprintf(out, ":%d)\n", f->line);
		}
		/* The last frame of a cut stack is the marker. */
		if (th[i].truncated && shown >= 0) {
			fputs("    ... ", out);
			escape_fputs(out, th[i].frames[shown].name);
			fprintf(out, ": the stack is deeper than %d frames\n", d->depth_max);
		}
	}
	if (d->unstarted)
		fprintf(out, "\n(%d thread state(s) with no kernel thread yet, not shown)\n", d->unstarted);
	if (d->interps_beyond)
		fprintf(out, "\n(%d more interpreter(s) not shown: pytop reads %d, the main one and the newest)\n",
			d->interps_beyond, d->interps_max);
}

void stackdump_write_json(FILE *out, const struct stackdump *d)
{
	const struct stackdump_thread *th = d->threads;
	struct jsonw *w = jsonw_new(out);

	jsonw_begin_object(w);
	jsonw_key(w, "pid");
	jsonw_int(w, d->pid);
	jsonw_key(w, "python");
	jsonw_string(w, d->version);
	jsonw_key(w, "threads");
	jsonw_begin_array(w);
	for (int i = 0; i < d->n; i++) {
		jsonw_begin_object(w);
		jsonw_key(w, "tid");
		jsonw_int(w, th[i].tid);
		jsonw_key(w, "name");
		jsonw_string(w, th[i].name);
		jsonw_key(w, "state");
		jsonw_string(w, th[i].state);
		if (th[i].error) {
			jsonw_key(w, "error");
			jsonw_string(w, th[i].error);
		}
		if (th[i].truncated) {
			/* Then the last frame is the "(N+ frames truncated)" marker. */
			jsonw_key(w, "truncated");
			jsonw_bool(w, 1);
		}
		jsonw_key(w, "frames");
		jsonw_begin_array(w);
		for (int k = 0; k < th[i].depth; k++) {
			jsonw_begin_object(w);
			jsonw_key(w, "name");
			jsonw_string(w, th[i].frames[k].name);
			jsonw_key(w, "file");
			jsonw_string(w, th[i].frames[k].file);
			jsonw_key(w, "line");
			jsonw_int(w, th[i].frames[k].line);
			if (th[i].frames[k].kind != FUNC_KIND_PYTHON) {
				jsonw_key(w, "kind");
				jsonw_string(w, th[i].frames[k].kind == FUNC_KIND_NATIVE ? "native" : "marker");
			}
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	if (d->unstarted) {
		jsonw_key(w, "unstarted_thread_states");
		jsonw_int(w, d->unstarted);
	}
	if (d->interps_beyond) {
		jsonw_key(w, "interpreters_not_shown");
		jsonw_int(w, d->interps_beyond);
	}
	jsonw_end_object(w);
	jsonw_free(w);
	fputc('\n', out);
}
