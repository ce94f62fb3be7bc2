/* duration: the one duration formatter. */
#include "util/duration.h"

#include <math.h>
#include <stdio.h>

const char *duration_format(char *buf, size_t len, double seconds)
{
	long long us, v;

	if (!(seconds > 0) || seconds > 1e12) {
		snprintf(buf, len, seconds > 0 ? "inf" : "0s");
		return buf;
	}
	/* Integer steps so rounding never prints "1000ms" or "60.00s". */
	us = llround(seconds * 1e6);
	if (us == 0)
		snprintf(buf, len, "0s");
	else if (us < 1000)
		snprintf(buf, len, "%lldus", us);
	else if ((v = (us + 50) / 100) < 100)
		snprintf(buf, len, "%lld.%lldms", v / 10, v % 10);
	else if ((v = (us + 500) / 1000) < 1000)
		snprintf(buf, len, "%lldms", v);
	else if ((v = (us + 5000) / 10000) < 6000)
		snprintf(buf, len, "%lld.%02llds", v / 100, v % 100);
	else if ((v = (us + 500000) / 1000000) < 3600)
		snprintf(buf, len, "%lldm%02llds", v / 60, v % 60);
	else
		snprintf(buf, len, "%lldh%02lldm", (v + 30) / 3600, (v + 30) / 60 % 60);
	return buf;
}
