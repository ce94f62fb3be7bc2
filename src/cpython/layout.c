/* layout: the table of generated layouts by version. */
#include "cpython/layout.h"

#include <stddef.h>

static const struct py_layout *const tables[] = {
	&layout_3_8, &layout_3_9, &layout_3_10, &layout_3_11, &layout_3_12, &layout_3_13,
};

const struct py_layout *layout_for_version(int major, int minor)
{
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (tables[i]->major == major && tables[i]->minor == minor)
			return tables[i];
	return NULL;
}
