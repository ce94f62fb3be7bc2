/* duration: a length of time for people, as the text report and the live
 * view show it. */
#ifndef PYTOP_UTIL_DURATION_H
#define PYTOP_UTIL_DURATION_H

#include <stddef.h>

/* Format a duration in seconds ("0s", "850us", "4.5ms", "45ms", "1.23s",
 * "2m05s", "1h02m"; "inf" past 10^12 s) into buf; returns buf. */
const char *duration_format(char *buf, size_t len, double seconds);

#endif
