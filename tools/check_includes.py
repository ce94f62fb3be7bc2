#!/usr/bin/env python3
"""check_includes: find include cycles between the modules of a C source tree.

A module is foo.c and foo.h together (either may be missing). Module A
depends on module B when a file of A has #include "x" naming a file of B: x
is looked up next to the including file, then from the tree's root (src/ is
the -I directory). Includes that name no file in the tree (config.h, system
headers) are ignored. Modules that depend on each other, directly or
through others (a strongly connected component of more than one module),
form a cycle: each is printed on one line, and the exit status is 1.

    check_includes.py [-v] [ROOT ...]     (default ROOT: src/ of this repo)

-v also prints the #include lines that make up each cycle. Python 3.6+, no
dependencies.
"""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
EXTENSIONS = ('.c', '.h')


def module_of(rel):
    """The module a file belongs to: its path without the extension."""
    return os.path.splitext(rel)[0]


def scan(root):
    """The tree's modules and edges: ({module}, {module: {dep: [(file, line, text)]}})."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(EXTENSIONS):
                path = os.path.join(dirpath, name)
                files.append(os.path.relpath(path, root).replace(os.sep, '/'))
    known = set(files)
    modules = set(module_of(f) for f in files)
    edges = {m: {} for m in modules}
    for rel in files:
        here = os.path.dirname(rel)
        with open(os.path.join(root, rel), encoding='utf-8', errors='replace') as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = None
                for cand in (os.path.join(here, m.group(1)), m.group(1)):
                    cand = os.path.normpath(cand).replace(os.sep, '/')
                    if cand in known:
                        target = cand
                        break
                if target is None:
                    continue
                a, b = module_of(rel), module_of(target)
                if a != b:
                    edges[a].setdefault(b, []).append((rel, lineno, line.strip()))
    return modules, edges


def components(modules, edges):
    """Strongly connected components (Tarjan's algorithm, iterative)."""
    index, low, on_stack = {}, {}, set()
    stack, result, counter = [], [], [0]
    for start in sorted(modules):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                result.append(sorted(comp))
    return result


def check(root, label, verbose):
    """Print the cycles of one tree; returns how many there are."""
    modules, edges = scan(root)
    cycles = sorted(c for c in components(modules, edges) if len(c) > 1)
    for comp in cycles:
        print('%s: include cycle: %s' % (label, ' <-> '.join(comp)))
        if verbose:
            members = set(comp)
            for a in comp:
                for b in sorted(edges[a]):
                    if b in members:
                        for rel, lineno, text in edges[a][b]:
                            print('    %s:%d: %s' % (rel, lineno, text))
    if not cycles:
        print('%s: no include cycles (%d modules)' % (label, len(modules)))
    return len(cycles)


def main(argv):
    verbose = False
    roots = []
    for arg in argv:
        if arg in ('-v', '--verbose'):
            verbose = True
        elif arg in ('-h', '--help'):
            print(__doc__.strip())
            return 0
        elif arg.startswith('-'):
            sys.stderr.write('check_includes.py: unknown option %s\n' % arg)
            return 2
        else:
            roots.append(arg)
    if not roots:
        top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        roots = [(os.path.join(top, 'src'), 'src')]
    else:
        roots = [(r, r.rstrip('/') or r) for r in roots]
    found = 0
    for root, label in roots:
        if not os.path.isdir(root):
            sys.stderr.write('check_includes.py: %s: not a directory\n' % root)
            return 2
        found += check(os.path.normpath(root), label, verbose)
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
