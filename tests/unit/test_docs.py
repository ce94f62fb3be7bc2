"""Unit test: the docs name everything the tables hold (TAP).

The tables are the truth; the docs must not drift from them:

  every output format of the formats table (src/output/formats.c) is named
        in man/pytop.1's -f/--format item (`.B NAME`) and in README.md's
        --format row (`NAME` in backquotes); when a pytop binary is at hand
        ($PYTOP, else the build directory), its --help -f line too
  every long option of the options table (src/options.c option_rows) is in
        README.md's options table (`--NAME`), man/pytop.1 (\-\-NAME) and --help
  every key of the key table (src/ui/keys.c), by the name the help screen
        gives it (F1, Up, ^B, Esc, Space, ...; Return is Enter there too),
        is a tag of man/pytop.1's Keys section (.SS Keys)
  the supported range the prose gives (README.md "CPython 3.A to 3.B are
        supported", "newer than the newest table (3.C today)", "Python
        3.C.0 is newer"; man/pytop.1 "CPython 3.A\(en3.B") is the registry's
        (src/cpython/versions.txt, generated: its oldest and newest default
        builds, C = B + 1): a version added by the generator fails here,
        naming the sentence, until the prose says it

`test_docs.py --versions FILE` checks only that, against another
versions.txt (tests/unit/test_gen_new_version.py uses it).
"""

import os
import re
import shlex
import subprocess
import sys

SRC = os.path.normpath(os.environ.get('PYTOP_SRCDIR') or
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
BUILD = os.environ.get('PYTOP_BUILDDIR') or SRC

n = 0
failed = 0


def ok(cond, what, diag=''):
    global n, failed
    n += 1
    print('%s %d - %s' % ('ok' if cond else 'not ok', n, what))
    if not cond:
        failed += 1
        for line in str(diag).splitlines():
            print('# ' + line)
    return cond


def read(*parts):
    with open(os.path.join(SRC, *parts), encoding='utf-8') as f:
        return f.read()


def table_body(text, start):
    """The text of the C array initializer that follows START."""
    i = text.index(start)
    return text[text.index('{', i) + 1:text.index('\n};', i)]


def format_names():
    body = table_body(read('src', 'output', 'formats.c'), 'struct output_format formats[]')
    return re.findall(r'\{\s*"([^"]+)",\s*"[^"]*",\s*\{', body)


# keys_name() in src/ui/keys.c, for the key forms the table uses.
FN_NAMES = {'KEY_UP': 'Up', 'KEY_DOWN': 'Down', 'KEY_LEFT': 'Left', 'KEY_RIGHT': 'Right',
            'KEY_PPAGE': 'PgUp', 'KEY_NPAGE': 'PgDn', 'KEY_HOME': 'Home', 'KEY_END': 'End',
            'KEY_BTAB': 'Shift-Tab', 'KEY_ENTER': 'Enter', 'KEY_BACKSPACE': 'Backspace',
            'KEY_A1': 'Home', 'KEY_C1': 'End', 'KEY_DC': 'Delete'}
CHAR_NAMES = {'\\t': 'Tab', '\\n': 'Enter', '\\r': 'Enter', ' ': 'Space'}


def key_name(token):
    token = token.strip()
    m = re.fullmatch(r"F\((\d+)\)", token)
    if m:
        return 'F' + m.group(1)
    m = re.fullmatch(r"KEYS_FN\((\w+)\)", token)
    if m:
        return FN_NAMES.get(m.group(1), m.group(1))
    m = re.fullmatch(r"KEYS_CTRL\('(.)'\)", token)
    if m:
        return '^' + m.group(1).upper()
    if token == 'KEYS_ESC':
        return 'Esc'
    if token == '127':
        return 'Backspace'
    m = re.fullmatch(r"'(\\?.)'", token)
    if m:
        return CHAR_NAMES.get(m.group(1), m.group(1).replace('\\', ''))
    return token


def table_keys():
    """[(key names, action)] of the key table."""
    body = table_body(read('src', 'ui', 'keys.c'), 'struct key_binding table[]')
    rows = []
    for keys, action in re.findall(r"\{\s*\{\s*(.*?)\s*\},\s*(ACT_\w+)", body):
        tokens = re.findall(r"KEYS_\w+\([^)]*\)|F\(\d+\)|'(?:\\.|[^'])'|\w+", keys)
        rows.append(([key_name(t) for t in tokens], action))
    return rows


def man_key_tags(man):
    """Every key named in a tag (the line after .TP) of the Keys section."""
    section = man[man.index('\n.SS Keys\n'):]
    section = section[:re.search(r'\n\.S[SH] ', section[1:]).start() + 1]
    lines = section.splitlines()
    tags = set()
    for i, line in enumerate(lines[:-1]):
        if line.strip() != '.TP':
            continue
        tag = lines[i + 1]
        m = re.match(r'\.(B|BR|RB|I|IR)\s+(.*)', tag)
        words = shlex.split(m.group(2).replace('\\', '\\\\')) if m else [tag]
        for w in words:
            w = w.replace('\\\\-', '-').replace('\\-', '-').strip()
            if w and w != ',' and not re.fullmatch(r'[,\s]*(or|and)?[,\s]*', w):
                tags.add(w)
    return tags


def registry_range(path):
    """(oldest, newest) default build of a versions.txt, as '3.N' strings."""
    with open(path) as f:
        builds = [w for line in f if not line.startswith('#') for w in line.split()]
    default = [b for b in builds if not b.endswith('t')]
    return default[0], default[-1]


def check_versions(readme, man, versions_txt):
    """The prose's supported range against the registry's."""
    lo, hi = registry_range(versions_txt)
    nxt = '3.%d' % (int(hi.split('.')[1]) + 1)
    fix = 'the registry (%s) has %s to %s: update the prose' % (os.path.relpath(versions_txt, SRC), lo, hi)
    checks = [
        ('README.md', readme, r'CPython (3\.\d+) to (3\.\d+) are supported', (lo, hi)),
        ('man/pytop.1', man, r'CPython (3\.\d+)\\\(en(3\.\d+)', (lo, hi)),
        ('README.md', readme, r'newer than the newest table \((3\.\d+) today\)', (nxt,)),
        ('README.md', readme, r'Python (3\.\d+)\.0 is newer than', (nxt,)),
    ]
    for name, text, pat, want in checks:
        found = [m if isinstance(m, tuple) else (m,) for m in re.findall(pat, text)]
        ok(found, '%s has the sentence /%s/' % (name, pat))
        for got in found:
            ok(got == want, '%s says %s where the registry says %s' % (name, ' to '.join(got), ' to '.join(want)),
               '%s: /%s/ gives %s; %s' % (name, pat, ' to '.join(got), fix))


def main():
    print('TAP version 13')
    man = read('man', 'pytop.1')
    readme = read('README.md')
    if len(sys.argv) == 3 and sys.argv[1] == '--versions':
        check_versions(readme, man, os.path.abspath(sys.argv[2]))
        print('1..%d' % n)
        return 1 if failed else 0
    check_versions(readme, man, os.path.join(SRC, 'src', 'cpython', 'versions.txt'))

    names = format_names()
    ok(len(names) >= 4 and 'text' in names, 'the formats table reads (%s)' % ', '.join(names))
    fitem = man[man.index('.BR \\-f ", " \\-\\-format'):]
    fitem = fitem[:fitem.index('\n.TP')]
    row = [l for l in readme.splitlines() if l.startswith('|') and '--format' in l.split('|')[1]]
    for name in names:
        ok(re.search(r'^\.B %s\b' % re.escape(name), fitem, re.M),
           'man/pytop.1 -f/--format names the format %s' % name, fitem)
        ok(row and ('`%s`' % name) in row[0], 'README.md --format row names the format %s' % name,
           row[0] if row else 'no README table row for --format')
    pytop = os.environ.get('PYTOP') or os.path.join(BUILD, 'pytop')
    if os.access(pytop, os.X_OK):
        out = subprocess.run([pytop, '--help'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=30).stdout.decode('utf-8', 'replace')
        # The -f item with its continuation lines (indented, no option).
        lines = out.splitlines()
        line = []
        for i, l in enumerate(lines):
            if '--format' in l:
                item = [l]
                for more in lines[i + 1:]:
                    if not more.startswith(' ' * 10) or more.lstrip().startswith('-'):
                        break
                    item.append(more.strip())
                line = [' '.join(item)]
                break
        for name in names:
            ok(line and re.search(r'\b%s\b' % re.escape(name), line[0]),
               'pytop --help: the -f line names the format %s' % name, line[0] if line else out)
    else:
        print('ok %d - pytop --help lists the formats # SKIP no pytop at %s' % (n + 1, pytop))
        globals()['n'] += 1

    opts = read('src', 'options.c')
    i = opts.index('struct option_row option_rows[]')
    body = opts[i:opts.index('\n};', i)]
    longs = re.findall(r'^\t\{ "([a-z-]+)",', body, re.M)
    ok(len(longs) >= 20, 'the options table reads (%d long options)' % len(longs))
    helptext = ''
    if os.access(pytop, os.X_OK):
        helptext = subprocess.run([pytop, '--help'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=30).stdout.decode('utf-8', 'replace')
    rows_readme = [l.split('|')[1] for l in readme.splitlines() if l.startswith('| `')]
    for name in longs:
        ok(any(re.search(r'`--%s\b' % re.escape(name), r) for r in rows_readme),
           'README.md options table has --%s' % name)
        ok(re.search(r'\\-\\-%s\b' % re.escape(name.replace('-', '\\-')), man),
           'man/pytop.1 has --%s' % name)
        if helptext:
            ok(re.search(r'--%s\b' % re.escape(name), helptext), 'pytop --help has --%s' % name)

    rows = table_keys()
    ok(len(rows) >= 20, 'the key table reads (%d bindings)' % len(rows))
    tags = man_key_tags(man)
    for keys, action in rows:
        missing = [k for k in keys if k not in tags]
        ok(keys and not missing, "man/pytop.1's Keys section names every key of %s (%s)%s"
           % (action, ' '.join(keys), ': missing ' + ' '.join(missing) if missing else ''),
           'tags in the Keys section: ' + ' '.join(sorted(tags)))

    print('1..%d' % n)
    return 0


if __name__ == '__main__':
    sys.exit(main())
