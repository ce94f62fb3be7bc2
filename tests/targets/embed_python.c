/* embed_python: a small C program running a Python file through the shared
 * libpython it is linked with (tests/live/test_embed.py builds it against the
 * Debian unstable root's libpython3.1X.so and runs it chrooted there). */
#include <Python.h>
int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	Py_Initialize();
	FILE *f = fopen(argv[1], "r");
	if (!f)
		return 3;
	int rc = PyRun_SimpleFile(f, argv[1]);
	Py_Finalize();
	return rc ? 1 : 0;
}
