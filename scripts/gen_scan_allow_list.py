#!/usr/bin/env python3
"""Rewrites the `Trusted: ...` lines of docs/security.md ("The allow-list") from the
table in src/tools/scan/names.cpp: one line per group, in the table's order of groups,
names sorted. The prose around each line is written by hand; the unit test
Scan.TrustedNamesAreReasonedInTheDocs checks that the lines and the table agree.

    python3 scripts/gen_scan_allow_list.py
"""
import collections
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def groups():
    src = open(os.path.join(ROOT, 'src/tools/scan/names.cpp')).read()
    start = src.index('constexpr Trusted kTrusted[] = {')
    table = src[start:src.index('\n};', start)]
    found = collections.OrderedDict()
    for module, name, group in re.findall(r'\{"([^"]+)", "([^"]+)", G::(\w+)\}', table):
        found.setdefault(group, set()).add(module + '.' + name)
    return found


def main():
    path = os.path.join(ROOT, 'docs/security.md')
    doc = open(path).read()
    begin, end = doc.index('<!-- allow-list begin -->'), doc.index('<!-- allow-list end -->')
    lines = doc[begin:end].split('\n')
    slots = [i for i, line in enumerate(lines) if line.startswith('Trusted: ')]
    table = list(groups().values())
    if len(slots) != len(table):
        raise SystemExit('docs/security.md has %d Trusted: lines for %d groups'
                         % (len(slots), len(table)))
    for i, names in zip(slots, table):
        lines[i] = 'Trusted: ' + ', '.join('`%s`' % n for n in sorted(names)) + '.'
    with open(path, 'w') as f:
        f.write(doc[:begin] + '\n'.join(lines) + doc[end:])


if __name__ == '__main__':
    main()
