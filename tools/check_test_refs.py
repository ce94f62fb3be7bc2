#!/usr/bin/env python3
"""Finds references to names that no longer exist between the Python files of
tests/, bench/ and tools/: `mod.name` where `mod` is one of those files,
imported by its plain name, and `name` is not defined at its top level.

A helper moved from one test module to another leaves its old callers
failing only when that line runs, often in one CI lane; this catches it
statically.  Usage: check_test_refs.py [ROOT]; prints FILE:LINE lines and
exits 1 when any reference dangles.
"""

import ast
import glob
import os
import sys

DIRS = ("tests", "bench", "tools")


def files_under(root):
    out = []
    for d in DIRS:
        out += glob.glob(os.path.join(root, d, "**", "*.py"), recursive=True)
    return sorted(out)


def top_level_names(tree):
    """Every name a module binds at its top level, including inside if/try
    blocks and through imports; functions' bodies are not walked."""
    names = set()

    def bind(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                names.add((a.asname or a.name).split(".")[0])
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        for child in ast.iter_child_nodes(node):
            bind(child)

    for node in tree.body:
        bind(node)
    return names


def check(root):
    parsed = {}
    defined = {}
    for f in files_under(root):
        with open(f, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), f)
        parsed[f] = tree
        mod = os.path.splitext(os.path.basename(f))[0]
        defined.setdefault(mod, set()).update(top_level_names(tree))
    bad = []
    for f, tree in parsed.items():
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(a.name for a in node.names if a.name in defined and not a.asname)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in imported and node.attr not in defined[node.value.id]):
                bad.append("%s:%d: %s.%s is not defined in %s.py"
                           % (os.path.relpath(f, root), node.lineno, node.value.id, node.attr, node.value.id))
    return bad


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    bad = check(root)
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
