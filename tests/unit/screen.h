/* screen: reading the live view drawn headless into a canvas, and typing
 * into it, for the C unit tests of the ui (one copy instead of one a test). */
#ifndef PYTOP_TESTS_SCREEN_H
#define PYTOP_TESTS_SCREEN_H

#include <stdbool.h>

struct canvas;
struct tui;

/* Row y as text; the buffer is reused by the next call. */
const char *row_of(const struct canvas *c, int y);

/* The first row holding text, -1 if none. */
int find_row(const struct canvas *c, const char *text);
bool screen_has(const struct canvas *c, const char *text);

/* Draw the view into c (the cursor position is dropped). */
void render(struct tui *t, struct canvas *c);

/* Every row as a TAP comment, to see a failing screen. */
void dump(const struct canvas *c);

/* Type the bytes of s, one key each. */
void keys(struct tui *t, const char *s);

#endif
