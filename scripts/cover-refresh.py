#!/usr/bin/env python3
"""Refresh the generated tail of the cover letter: the patch count in its
subject, the shortlog and the diffstat, from base..END of the work tree.
The prose above the shortlog is kept as written.

usage: scripts/cover-refresh.py COVER TREE END
"""
import re
import subprocess
import sys


def git(tree, *args):
    return subprocess.run(['git', '-C', tree, *args], check=True,
                          capture_output=True, text=True).stdout


def main():
    cover, tree, end = sys.argv[1:4]
    subjects = git(tree, 'log', '--reverse', '--format=%s',
                   'base..' + end).splitlines()
    stat = git(tree, 'diff', '--stat=72', 'base..' + end)
    text = open(cover).read()
    # The prose ends where the shortlog (the first subject) starts
    start = text.find('\n' + subjects[0] + '\n') if subjects else -1
    if start < 0:
        sys.exit(f'{cover}: no shortlog found (first subject: '
                 f'{subjects[0] if subjects else "none"}); not refreshed')
    prose = text[:start + 1]
    prose = re.sub(r'\[PATCH 0/\d+\]', f'[PATCH 0/{len(subjects)}]', prose,
                   count=1)
    new = prose + '\n'.join(subjects) + '\n\n' + stat
    if new != text:
        open(cover, 'w').write(new)


if __name__ == '__main__':
    main()
