"""Interop tests of the typed binding (pickle/typed.hpp) against one CPython.

    python3 -m pickletests.typed_interop --inventory
    python3 -m pickletests.typed_interop --fixtures EXE --python LABEL [--keep DIR]

EXE is pickle_typed_fixtures (typed_interop/typed_fixtures.cpp): C++ values of the
typed binding, each with a name that cpython/typed_objects.py knows the equivalent
Python object of. For the CPython labelled LABEL (3.6 ... 3.13, system):

  (a) every C++ value dumped at protocols 0-5 (`EXE dump`) must be byte-identical to
      CPython's pickle.dumps of the equivalent object at the same protocol, for each
      protocol that CPython knows. Where that CPython writes other bytes than CPython
      3.13 (NEWEST), ours must be 3.13's (DESIGN.md: match the newest); for 3.6 and
      3.7 a difference from both is reported but does not fail (the identity promise
      is made for CPython 3.8-3.13, as in dump_interop). Fixtures of unordered C++
      containers are not compared byte for byte (their order is the container's);
  (b) every C++ pickle must load in CPython into the equivalent object (values, NaN as
      NaN, shared references shared, cycles cycles), at every protocol it knows;
  (c) every CPython pickle of a fixture must load with pickle::loads<T> into the C++
      value (`EXE load NAME FILE` prints `ok`), and every pickle of a refusal must be
      refused with a TypedError saying what it expects (`EXE refuse NAME FILE`).

Exit status: 0 passed, 1 failed, 77 (ctest's skip code) when the interpreter is not
installed ("SKIPPED: ..." says which). Everything runs with PYTHONHASHSEED=0 in a
temporary directory (--keep DIR copies it first).
"""
import argparse
import io
import json
import os
import pickletools
import shutil
import subprocess
import sys
import tempfile

from pickletests import first_difference, pythons, script
from pickletests.pythons import SYSTEM_PYTHON, clean_env, pyenv_root
from pickletests.wellformed import problems

LABELS = ['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', 'system']
SKIP = 77
NEWEST = '3.13'  # where CPython versions write different bytes, the newest is the target
OLDEST_IDENTICAL = (3, 8)  # the byte-identity promise: CPython 3.8-3.13

# Bugs of the typed binding, reported and not yet fixed (none now).
# (fixture, protocol or None for all) -> why pickle++'s bytes are not CPython 3.13's.
# For these only the loads are compared (both ways); a listed fixture whose bytes turn
# out to be CPython 3.13's fails, so that the entry goes once the bug is fixed.
KNOWN_DIFFERENCES = {}
# Fixtures whose pickle++ pickles CPython cannot load as the fixture's object (the
# same bugs), with the reason. A listed fixture that loads fails, as above.
KNOWN_LOAD_FAILURES = {}


def run(cmd, timeout=900, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=clean_env(), timeout=timeout, **kw)


def text(b):
    return b.decode('utf-8', errors='replace')


# ------------------------------------------------------------------ interpreters
def find_interpreters(wanted=None):
    return pythons.find_interpreters(LABELS, names=('python3', 'python'), wanted=wanted)


def describe(label):
    return 'Debian python3 (%s)' % SYSTEM_PYTHON if label == 'system' else 'python' + label


def inventory():
    found = find_interpreters()
    pythons.report_inventory(found, LABELS, describe, 'found:   %-24s %s (%s)')
    if not found:
        print('FAIL: no CPython interpreter found at all')
        return 1
    return 0


# ------------------------------------------------------------------ showing a difference
def dis_lines(data):
    """pickletools.dis of data as (offset, line) pairs, as far as it goes."""
    out = io.StringIO()
    try:
        pickletools.dis(data, out=out)
    except Exception as e:  # the lines before the failure still help
        out.write('    (pickletools.dis stopped: %s: %s)\n' % (type(e).__name__, e))
    lines = []
    for line in out.getvalue().splitlines():
        head = line.split(':', 1)[0].strip()
        lines.append((int(head) if head.isdigit() else None, line))
    return lines


def dis_around(data, at, before=4, after=3):
    """The pickletools.dis lines around the opcode at or before byte `at`."""
    lines = dis_lines(data)
    index = 0
    for i, (offset, _) in enumerate(lines):
        if offset is not None and offset <= at:
            index = i
    lo, hi = max(0, index - before), min(len(lines), index + after + 1)
    return ['      ' + ('>> ' if i == index else '   ') + lines[i][1] for i in range(lo, hi)]


def difference(want, got):
    at = first_difference(want, got)
    out = ['differs at byte %d (CPython %d bytes, pickle++ %d)' % (at, len(want), len(got)),
           '    CPython:  %r' % want[max(0, at - 16):at + 32],
           '    pickle++: %r' % got[max(0, at - 16):at + 32],
           '    CPython (pickletools.dis):']
    out += dis_around(want, at)
    out.append('    pickle++ (pickletools.dis):')
    out += dis_around(got, at)
    return '\n'.join(out)


def known_difference(name, protocol):
    return KNOWN_DIFFERENCES.get((name, protocol)) or KNOWN_DIFFERENCES.get((name, None))


# ------------------------------------------------------------------ the test
def read(path):
    with open(path, 'rb') as f:
        return f.read()


def write_python_side(python, cpp, out, write_only):
    """Runs cpython/typed_objects.py; (its manifest, its exit status, its output)."""
    cmd = [python, script('typed_objects.py'), cpp, out]
    if write_only:
        cmd.append('--write-only')
    r = run(cmd)
    output = text(r.stdout) + text(r.stderr)
    manifest_path = os.path.join(out, 'manifest.json')
    if not os.path.exists(manifest_path):
        return None, r.returncode, output
    with open(manifest_path) as f:
        return json.load(f), r.returncode, output


def test_fixtures(exe, label, work):
    found = find_interpreters(wanted=[label, NEWEST])
    if label not in found:
        print('SKIPPED: %s not found (pyenv root: %s)' % (describe(label), pyenv_root()))
        return SKIP
    python, version = found[label]
    print('%s: %s, CPython %s' % (describe(label), python, '.'.join(map(str, version))))
    failures, notes = [], []

    # pickle++'s pickles of every fixture at every protocol.
    cpp = os.path.join(work, 'cpp')
    os.makedirs(cpp)
    r = run([exe, 'dump', cpp])
    if r.returncode != 0:
        print('FAIL: %s dump exited %d: %s%s' % (exe, r.returncode, text(r.stdout),
                                                 text(r.stderr)))
        return 1
    with open(os.path.join(cpp, 'fixtures.txt')) as f:
        entries = [(n, int(p)) for n, p in (line.split() for line in f if line.strip())]
    with open(os.path.join(cpp, 'refusals.txt')) as f:
        refusals = [line.strip() for line in f if line.strip()]
    for name, p in entries:  # well formed for its protocol, whatever it holds
        for w in problems(read(os.path.join(cpp, '%s.p%d.pkl' % (name, p))), p):
            failures.append('%s.p%d: malformed: %s' % (name, p, w))

    # (b) CPython loads them; and CPython's own pickles of the same objects.
    py = os.path.join(work, 'py')
    manifest, status, output = write_python_side(python, cpp, py, False)
    if manifest is None:
        sys.stdout.write(output)
        print('FAIL: typed_objects.py wrote no manifest (exit %d)' % status)
        return 1
    load_failures, known_loads = [], []
    for line in output.splitlines():
        if line.startswith('FAIL load '):
            what = line[len('FAIL load '):]
            name = what.partition(':')[0].rpartition('.p')[0] or what.partition(':')[0]
            if name in KNOWN_LOAD_FAILURES:
                known_loads.append(name)
            else:
                load_failures.append('CPython: ' + what)
        else:
            print(line)
    failures += load_failures
    if status != 0 and not load_failures and not known_loads:
        failures.append('typed_objects.py exited %d' % status)
    for name in sorted(set(KNOWN_LOAD_FAILURES) - set(known_loads)):
        if name in manifest['fixtures']:
            failures.append('%s: loads in CPython, yet listed in KNOWN_LOAD_FAILURES (%s)'
                            % (name, KNOWN_LOAD_FAILURES[name]))
    highest = manifest['highest']
    if sorted(manifest['refusals']) != sorted(refusals):
        failures.append('the refusals differ: C++ %s, Python %s' % (sorted(refusals),
                                                                    sorted(manifest['refusals'])))

    # CPython 3.13's pickles, where this CPython's differ.
    newest = None
    this = '%d.%d' % version[:2]
    if this != NEWEST:
        if NEWEST in found:
            newest = os.path.join(work, 'py-newest')
            m, status, output = write_python_side(found[NEWEST][0], cpp, newest, True)
            if m is None or status != 0:
                print('FAIL: python%s typed_objects.py --write-only: %s' % (NEWEST, output))
                return 1
        else:
            notes.append('python%s not found: a difference between CPython versions cannot '
                         'be told from ours' % NEWEST)

    # (a) byte identity.
    identical, as_newest, unordered, known, old_differences = 0, [], 0, [], []
    for name, p in entries:
        if p > highest or name not in manifest['fixtures']:
            continue  # typed_objects.py reported a fixture it does not know
        label_ = '%s.p%d' % (name, p)
        got = read(os.path.join(cpp, label_ + '.pkl'))
        want = read(os.path.join(py, label_ + '.pkl'))
        if not manifest['fixtures'][name]['compare_bytes']:
            unordered += 1
            continue
        why_known = known_difference(name, p)
        want_newest = read(os.path.join(newest, label_ + '.pkl')) if newest else want
        if got == want:
            identical += 1
            if why_known and got == want_newest:
                failures.append('%s: byte-identical, yet listed in KNOWN_DIFFERENCES (%s)'
                                % (label_, why_known))
            continue
        if want_newest != want and got == want_newest:
            as_newest.append(label_)
            if why_known:
                failures.append('%s: CPython %s\'s bytes, yet listed in KNOWN_DIFFERENCES (%s)'
                                % (label_, NEWEST, why_known))
            continue
        if why_known:
            known.append((name, p, why_known))
        elif version[:2] < OLDEST_IDENTICAL:
            old_differences.append(label_)
        else:
            failures.append('%s: not the bytes CPython writes: %s' % (label_,
                                                                       difference(want, got)))

    # (c) CPython's pickles read into the C++ types, and the refusals refused.
    loaded, refused = 0, 0
    for name, p in entries:
        if p > highest or name not in manifest['fixtures']:
            continue
        path = os.path.join(py, '%s.p%d.pkl' % (name, p))
        r = run([exe, 'load', name, path], timeout=300)
        out = text(r.stdout).strip()
        if r.returncode != 0 or out != 'ok':
            failures.append('%s.p%d: CPython\'s pickle does not load as the C++ value (exit %d):'
                            ' %s %s' % (name, p, r.returncode, out, text(r.stderr).strip()))
        else:
            loaded += 1
    for name in refusals:
        for p in range(highest + 1):
            path = os.path.join(py, '%s.p%d.pkl' % (name, p))
            r = run([exe, 'refuse', name, path], timeout=300)
            out = text(r.stdout).strip()
            if r.returncode != 0 or not out.startswith('refused: '):
                failures.append('%s.p%d: not refused as expected (exit %d): %s %s'
                                % (name, p, r.returncode, out, text(r.stderr).strip()))
            else:
                refused += 1

    by_reason = {}
    for name, p, why in known:
        by_reason.setdefault((name, why), []).append('p%d' % p)
    for (name, why), protocols in sorted(by_reason.items()):
        print('NOT BYTE-IDENTICAL (known): %s at %s: %s' % (name, ' '.join(protocols), why))
    for name in sorted(set(known_loads)):
        print('NOT LOADED BY CPYTHON AS ITS FIXTURE (known): %s: %s'
              % (name, KNOWN_LOAD_FAILURES[name]))
    if as_newest:
        print('as CPython %s writes them, where CPython %s writes other bytes: %s'
              % (NEWEST, this, ' '.join(as_newest)))
    if old_differences:
        print('not the bytes CPython %s writes (no promise before 3.8; they load both ways): '
              '%s' % (this, ' '.join(old_differences)))
    for n in notes:
        print('note: ' + n)
    for f in failures:
        print('FAIL ' + f)
    print('%s: %d byte-identical, %d as CPython %s writes them, %d known differences, '
          '%d not compared (unordered containers); %d CPython pickles loaded into the C++ '
          'values, %d refused as expected; %d failures'
          % (describe(label), identical, len(as_newest), NEWEST, len(known), unordered, loaded,
             refused, len(failures)))
    return 1 if failures or not identical else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--inventory', action='store_true')
    ap.add_argument('--fixtures', metavar='EXE', help='pickle_typed_fixtures')
    ap.add_argument('--python', metavar='LABEL', choices=LABELS)
    ap.add_argument('--keep', metavar='DIR', help='copy the work directory here')
    args = ap.parse_args()
    if args.inventory:
        return inventory()
    if not (args.python and args.fixtures):
        ap.error('give --inventory, or --fixtures EXE with --python LABEL')
    work = tempfile.mkdtemp(prefix='pickle-typed-interop-')
    try:
        status = test_fixtures(os.path.abspath(args.fixtures), args.python, work)
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
