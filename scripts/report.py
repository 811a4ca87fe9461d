#!/usr/bin/env python3
"""Turn the serial log of one test VM into per-suite results.

usage: report.py --log LOG --tree TREE [--kunit] [--expect a,b] [--counts FILE]

KUnit output (KTAP) is parsed with the tree's own tools/testing/kunit/kunit.py;
kselftest TAP comes from the blocks /init prints between '### TAP BEGIN name'
and '### TAP END name rc=N'.  A kernel panic, oops, BUG, WARN, lockup or a VM
that never reached '### HARNESS END' is a failure.  Prints one line per suite
and writes 'passed failed skipped' to FILE.  Exits 1 on any failure.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

PROBLEMS = [
    r'Kernel panic - not syncing',
    r'\bOops\b',
    r'\bBUG: ',
    r'WARNING: CPU: \d+ PID: ',
    r'general protection fault',
    r'Unable to handle kernel',
    r'INFO: task .* blocked for more than',
    r'soft lockup',
    r'rcu: INFO: .* detected stalls',
    r'UBSAN: ',
    r'KASAN: ',
    # lockdep's reports (PROVE_LOCKING, PROVE_RAW_LOCK_NESTING)
    r'WARNING: (possible|suspicious|inconsistent|bad unlock|held lock)',
    r'WARNING: .*lock.* detected',
]
PROBLEM_RE = re.compile('|'.join(PROBLEMS))
RESULT_RE = re.compile(r'^(not ok|ok) (\d+)( [^#]*)?(?:#\s*(\S+)\s*(.*))?$')


class Counts:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped

    def __str__(self):
        return (f'{self.passed} passed, {self.failed} failed, '
                f'{self.skipped} skipped')


def kunit_results(log, tree):
    """Per-suite Counts and failure names from the tree's KUnit parser."""
    kunit = os.path.join(tree, 'tools/testing/kunit/kunit.py')
    with tempfile.NamedTemporaryFile(suffix='.json') as js:
        proc = subprocess.run([sys.executable, kunit, 'parse',
                               f'--json={js.name}', os.path.abspath(log)], capture_output=True, text=True)
        text = proc.stdout + proc.stderr
        try:
            with open(js.name) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None, text, [], []
    suites, failures, skips = [], [], []

    def walk(group, prefix):
        c = Counts()
        for case in group.get('test_cases', []):
            st = case.get('status')
            if st == 'PASS':
                c.passed += 1
            elif st == 'SKIP':
                c.skipped += 1
            else:
                c.failed += 1
                failures.append(f'{prefix}{case.get("name")}: {st}')
        for sub in group.get('sub_groups', []):
            sc = walk(sub, f'{prefix}{sub.get("name")}.')
            c.add(sc)
        return c

    for suite in data.get('sub_groups', []):
        suites.append((suite.get('name'), walk(suite, suite.get('name') + '.')))
    # The JSON leaves out suites skipped as a whole: take them from the
    # top-level KTAP result lines of the kernel log.
    known = {name for name, _ in suites}
    with open(log, errors='replace') as f:
        for line in f:
            m = re.match(r'^\[ *[0-9.]+\] (?:not )?ok \d+ (\S+)\s*#\s*SKIP\s*(.*)$',
                         line.rstrip())
            if m and m.group(1) not in known:
                c = Counts()
                c.skipped = 1
                suites.append((m.group(1), c))
                skips.append((m.group(1), m.group(2).strip()))
    return suites, text, failures, skips


def tap_blocks(lines):
    """{name: (tap lines, rc)} from the /init markers."""
    blocks, cur, body = {}, None, []
    for line in lines:
        m = re.match(r'^### TAP BEGIN (\S+)$', line)
        if m:
            cur, body = m.group(1), []
            continue
        m = re.match(r'^### TAP END (\S+) rc=(\d+)$', line)
        if m and cur == m.group(1):
            blocks[cur] = (body, int(m.group(2)))
            cur = None
            continue
        if cur:
            body.append(line)
    return blocks


def tap_results(body, rc):
    """Counts, failures and notes of one kselftest TAP block."""
    c, failures, notes = Counts(), [], []
    plan, seen, comments = None, 0, []
    for line in body:
        if line.startswith('#'):
            comments.append(line)
            continue
        m = re.match(r'^1\.\.(\d+)(?:\s*#\s*SKIP\s*(.*))?$', line)
        if m:
            plan = int(m.group(1))
            comments = []
            if plan == 0:
                c.skipped += 1
                notes.append(f'SKIP (whole suite): {m.group(2) or "no reason"}')
            continue
        if line.startswith('Bail out!'):
            failures.append(line)
            c.failed += 1
            continue
        m = RESULT_RE.match(line)
        if not m:
            continue
        seen += 1
        name = (m.group(3) or '').strip()
        directive = (m.group(4) or '').upper()
        if directive == 'SKIP':
            c.skipped += 1
            notes.append(f'SKIP {name}: {m.group(5).strip() or "no reason given"}')
        elif m.group(1) == 'ok':
            c.passed += 1
        else:
            c.failed += 1
            failures.append(f'not ok {name}')
            # What the harness said about it: the failed expectation.
            failures += [f'  {l}' for l in comments
                         if re.search(r'Expected|FAIL|rc=|errno', l)][:5]
        comments = []
    if plan is None:
        failures.append('no TAP plan line: the test did not run')
        c.failed += 1
    elif plan and seen != plan:
        failures.append(f'{plan} tests planned, {seen} results: the test stopped early')
        c.failed += 1
    if rc not in (0, 4) and not c.failed:
        failures.append(f'exit status {rc} with no failing test')
        c.failed += 1
    return c, failures, notes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--log', required=True)
    ap.add_argument('--tree', required=True)
    ap.add_argument('--kunit', action='store_true',
                    help='this boot must have run KUnit')
    ap.add_argument('--expect', default='',
                    help='comma-separated kselftest blocks that must be there')
    ap.add_argument('--counts')
    args = ap.parse_args()
    label = os.path.basename(args.log).removeprefix('vm-').removesuffix('.log')

    try:
        with open(args.log, errors='replace') as f:
            lines = [l.rstrip('\r\n') for l in f]
    except OSError as e:
        lines = []
        print(f'{label}: cannot read the log: {e}')

    total, failures = Counts(), []
    # Kernel health and completion.
    for line in lines:
        if PROBLEM_RE.search(line):
            failures.append(f'kernel: {line.strip()}')
    if failures:
        total.failed += 1
    if not any(l.startswith('### HARNESS END') for l in lines):
        running = [l[len('### RUN '):] for l in lines if l.startswith('### RUN ')]
        where = f' while running {running[-1]}' if running else ' before /init ran a test'
        timeout = [l for l in lines if l.startswith('### HARNESS TIMEOUT')]
        if timeout:
            failures.append(f'the VM hung{where}: killed by the harness '
                            f'{timeout[-1].split(" ", 3)[-1]}')
        else:
            failures.append(f'the VM stopped{where}, without reaching '
                            '"### HARNESS END"')
        total.failed += 1

    rows = []
    if args.kunit:
        suites, text, kfail, kskips = kunit_results(args.log, args.tree)
        if not suites:
            failures.append('no KUnit results in the log')
            total.failed += 1
        else:
            for name, c in suites:
                rows.append(('kunit', name, c))
                total.add(c)
            failures += [f'kunit {f}' for f in kfail]
            for name, why in kskips:
                print(f'  {label} kunit {name}: SKIP (whole suite): '
                      f'{why or "no reason given: no test case of it is enabled"}')
            if kfail:
                # The tree's parser shows each failed expectation.
                for l in text.splitlines():
                    l = re.sub(r'^\[[0-9:]+\] ', '', l)
                    if re.search(r'FAILED|Expected|^\s+\S.*==', l) and \
                            not l.startswith('='):
                        failures.append(f'kunit | {l}')

    blocks = tap_blocks(lines)
    for name in [n for n in args.expect.split(',') if n]:
        if name not in blocks:
            failures.append(f'kselftest {name}: no results in the log')
            total.failed += 1
    for name, (body, rc) in blocks.items():
        c, fails, notes = tap_results(body, rc)
        rows.append(('kselftest', name, c))
        total.add(c)
        failures += [f'{name}: {f}' for f in fails]
        for n in notes:
            print(f'  {label} {name}: {n}')

    for kind, name, c in rows:
        print(f'  {label:14} {kind:9} {name:32} {c}')
    if failures:
        print(f'{label}: FAILED')
        for f in failures:
            print(f'    {f}')
        if any(f.startswith('kernel:') or f.startswith('the VM ') or 'stopped early' in f
               for f in failures):
            print(f'  last lines of {args.log}:')
            for l in lines[-40:]:
                print(f'    | {l}')
        print(f'  full log: {args.log}')
    print(f'{label}: {total}')
    if args.counts:
        with open(args.counts, 'w') as f:
            f.write(f'{total.passed} {total.failed} {total.skipped}\n')
    return 1 if failures or total.failed else 0


if __name__ == '__main__':
    sys.exit(main())
