#!/usr/bin/env python3
"""Print the compiler warnings of a build log that fall on lines a git range
adds or changes; exit 1 if there are any.

usage: new-warnings.py TREE RANGE LOG
"""
import os
import re
import subprocess
import sys


def changed_lines(tree, rng):
    """{path: set of line numbers} added or changed by rng."""
    diff = subprocess.run(['git', '-C', tree, 'diff', '-U0', rng],
                          capture_output=True, text=True, check=True).stdout
    lines, path = {}, None
    for line in diff.splitlines():
        if line.startswith('+++ '):
            path = line[6:] if line.startswith('+++ b/') else None
            continue
        m = re.match(r'^@@ -\S+ \+(\d+)(?:,(\d+))? @@', line)
        if m and path:
            start, count = int(m.group(1)), int(m.group(2) or 1)
            lines.setdefault(path, set()).update(range(start, start + count))
    return lines


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    tree, rng, log = sys.argv[1:]
    tree = os.path.realpath(tree)
    changed = changed_lines(tree, rng)
    found = 0
    with open(log, errors='replace') as f:
        for line in f:
            m = re.match(r'^(\S+?):(\d+):\d+: warning:', line)
            if not m:
                continue
            path = os.path.realpath(os.path.join(tree, m.group(1)))
            rel = os.path.relpath(path, tree)
            if int(m.group(2)) in changed.get(rel, ()):
                print(line.rstrip())
                found += 1
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
