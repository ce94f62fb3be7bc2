"""Unit test: no include cycles between the modules of src/ (TAP).

Runs tools/check_includes.py on two small trees made here (one with a cycle
through a .c file and a header included by a relative name, one without),
then on src/: a cycle there fails, with the tool's lines as diagnostics.
"""

import os
import subprocess
import sys
import tempfile

SRC = os.path.normpath(os.environ.get('PYTOP_SRCDIR') or
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
TOOL = os.path.join(SRC, 'tools', 'check_includes.py')

n = 0
failed = 0


def ok(cond, what, diag=''):
    global n, failed
    n += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, what))
    if not cond:
        failed += 1
        for line in diag.splitlines():
            print('# ' + line)


def run(*args):
    p = subprocess.run([sys.executable, TOOL] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True)
    return p.returncode, p.stdout


def tree(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)


with tempfile.TemporaryDirectory() as tmp:
    bad = os.path.join(tmp, 'bad')
    tree(bad, {
        'a/one.h': '#include "b/two.h"\n',
        'a/one.c': '#include "a/one.h"\n#include <stdio.h>\n#include "config.h"\n',
        'b/two.h': '#include <stdint.h>\n',
        'b/two.c': '#include "b/two.h"\n#  include "three.h"\n',   # relative to b/
        'b/three.h': '#include "a/one.h"\n',
        'c/leaf.c': '#include "b/two.h"\n',
    })
    rc, out = run(bad)
    lines = out.splitlines()
    ok(rc == 1 and len(lines) == 1 and lines[0].endswith('include cycle: a/one <-> b/three <-> b/two'),
       'a planted cycle (through a .c file, a relative include) is found, on one line', out)
    rc, out = run('-v', bad)
    ok(rc == 1 and 'b/two.c:2: #  include "three.h"' in out, '-v names the #include lines of the cycle', out)

    good = os.path.join(tmp, 'good')
    tree(good, {
        'a/one.h': '#include "b/two.h"\n',
        'a/one.c': '#include "a/one.h"\n#include "b/two.h"\n',
        'b/two.h': '',
        'b/two.c': '#include "b/two.h"\n',
        'main.c': '#include "a/one.h"\n',
    })
    rc, out = run(good)
    ok(rc == 0 and out.strip().endswith('no include cycles (3 modules)'), 'a tree without cycles passes', out)

rc, out = run('-v', os.path.join(SRC, 'src'))
ok(rc == 0, 'src/ has no include cycles', out)
if rc == 0:
    print('# ' + out.strip())
print('1..%d' % n)
# 0 once the plan is out: a failing point is reported by its own "not ok"
# line, once (as tests/unit/tap.h and tests/live/pythons.py's Tap).
if failed:
    print('# %d of %d points failed' % (failed, n))
sys.exit(0)
