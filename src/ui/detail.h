/* detail: the drill-down view of one function (Enter on a row): its
 * numbers, its callers and callees (each with its share of the function's
 * time), its hottest lines with their source text, and its share per
 * thread. Details stack up (Enter on a caller or callee opens that one;
 * Esc goes back). */
#ifndef PYTOP_UI_DETAIL_H
#define PYTOP_UI_DETAIL_H

#include <stdint.h>

#include "ui/canvas.h"

struct tui;
struct rect;
struct detail;

/* Open the detail of func on top of prev (may be NULL); `line` (> 0)
 * marks a line to show first. Queries right away and reads the source. */
struct detail *detail_open(struct tui *t, uint32_t func, int line, struct detail *prev);

/* Free d and return the one below it. */
struct detail *detail_pop(struct detail *d);

/* Free the whole stack. */
void detail_free_all(struct detail *d);

/* Query d's numbers again (the view, thread and window of t). */
void detail_update(struct tui *t, struct detail *d);

/* Move the selection by delta items (page: by the body's height). */
void detail_move(struct detail *d, int delta);

/* First / last item. */
void detail_home(struct detail *d, int end);

/* Select the item drawn at body row y (from the body's top); false if none. */
int detail_select_row(struct detail *d, int y);

/* The function of the selected caller or callee (UINT32_MAX if none). */
uint32_t detail_selected_func(const struct detail *d);

/* The function d shows. */
uint32_t detail_func(const struct detail *d);

/* Draw d into r of c. */
void detail_render(struct tui *t, struct detail *d, struct canvas *c, const struct rect *r);

#endif
