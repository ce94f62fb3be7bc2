"""Unit test: no test, bench or tool module calls a helper that another
module no longer defines (tools/check_test_refs.py, TAP).

A planted tree with one dangling `mod.name` and one defined inside an
if-block, then the real tests/, bench/ and tools/.
"""

import os
import subprocess
import sys
import tempfile

SRC = os.path.normpath(os.environ.get('PYTOP_SRCDIR') or
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
TOOL = os.path.join(SRC, 'tools', 'check_test_refs.py')
sys.path.insert(0, os.path.join(SRC, 'tests', 'live'))
import pythons  # noqa: E402

tap = pythons.Tap()
ok = tap.ok


def run(root):
    p = subprocess.run([sys.executable, TOOL, root], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    return p.returncode, p.stdout


with tempfile.TemporaryDirectory() as tmp:
    os.makedirs(os.path.join(tmp, 'tests', 'live'))
    os.makedirs(os.path.join(tmp, 'tests', 'tui'))
    with open(os.path.join(tmp, 'tests', 'live', 'helpers.py'), 'w') as f:
        f.write('import os\nif os.name:\n    def kept(pid):\n        return pid\nLIMIT = 3\n')
    with open(os.path.join(tmp, 'tests', 'tui', 'user.py'), 'w') as f:
        f.write('import helpers\n\n\ndef go():\n    helpers.kept(1)\n    return helpers.LIMIT + helpers.moved(2)\n')
    rc, out = run(tmp)
    ok(rc == 1 and out.strip() == 'tests/tui/user.py:6: helpers.moved is not defined in helpers.py',
       'a helper called through its module but defined nowhere is found, by file and line', out)
    with open(os.path.join(tmp, 'tests', 'tui', 'user.py'), 'w') as f:
        f.write('import helpers\n\n\ndef go():\n    return helpers.kept(1) + helpers.LIMIT\n')
    rc, out = run(tmp)
    ok(rc == 0 and out == '', 'names bound inside an if-block and by assignment count as defined', out)

rc, out = run(SRC)
ok(rc == 0, "tests/, bench/ and tools/ call no helper another module does not define", out)
sys.exit(tap.done())
