"""Interop tests of what pickle++ writes, against every CPython on the machine.

    python3 -m pickletests.dump_interop --inventory
    python3 -m pickletests.dump_interop --fixtures EXE --python LABEL
                                   (a) C++ graphs load in CPython
    python3 -m pickletests.dump_interop --identity --cli CLI --python LABEL
                                   (b) CPython's zoo, converted at the same protocol,
                                       is byte-identical (LABEL: 3.8 ... 3.13, system)
    python3 -m pickletests.dump_interop --py2 --cli CLI --python LABEL
                                   (c) Python 2.7's zoo converted to every protocol
                                       LABEL knows loads in LABEL as the original does
    python3 -m pickletests.dump_interop --py2-str --cli CLI --python LABEL
                                   (d) Python 2.7's zoo converted with --py2-str text
                                       and bytes loads in LABEL (a Python 3), without
                                       an encoding, as the original does with one

LABEL is 2.7, 3.6 ... 3.13 or system. Interpreters: pyenv's versions/*/bin/python2 or
python3 (the root from $PYENV_ROOT, else `pyenv root`, else ~/.pyenv) and Debian's
/usr/bin/python3. Exit status: 0 passed, 1 failed, 77 (ctest's skip code) when an
interpreter the test needs is not installed ("SKIPPED: ..." says which).
Runs everything with PYTHONHASHSEED=0 in a temporary directory (--keep DIR keeps it).
"""
import argparse
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

LABELS = ['2.7', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', 'system']
SKIP = 77

NEWEST = '3.13'  # where CPython versions write different bytes, the newest is the target
# Zoo cases whose CPython bytes pickle++ cannot reproduce, with the reason. For these
# the converted pickle must still load into the object CPython reads from its own.
NOT_BYTE_IDENTICAL = {
    # A state setter (the sixth item of __reduce__) is called as setter(obj, state):
    # CPython writes that argument tuple with TUPLE2 even at protocols 0 and 1, where
    # TUPLE2 does not exist yet; pickle++ writes MARK ... TUPLE, as those protocols can.
    ('obj_reduce6', 0): 'a state setter call written with MARK TUPLE, not TUPLE2',
    ('obj_reduce6', 1): 'a state setter call written with MARK TUPLE, not TUPLE2',
}
# Conversions CPython cannot do either: (zoo case, target protocol) -> the error text.
CANNOT_CONVERT = {
    ('pid_tuple', 0): 'persistent IDs in protocol 0 must be ASCII strings',
}


def known_difference(entry):
    """Why CPython's file for this zoo entry is not the one to match, or None."""
    return (NOT_BYTE_IDENTICAL.get(entry['case']) or
            NOT_BYTE_IDENTICAL.get((entry['case'], entry['protocol'])))


def run(cmd, timeout=1800, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=clean_env(), timeout=timeout, **kw)


# ------------------------------------------------------------------ interpreters
def find_interpreters():
    """{label: (path, version)} of the CPythons on this machine."""
    return pythons.find_interpreters(LABELS, names=('python3', 'python2'))


def describe(label):
    return 'Debian python3 (%s)' % SYSTEM_PYTHON if label == 'system' else 'python' + label


def need(found, label):
    if label not in found:
        print('SKIPPED: %s not found (pyenv root: %s)' % (describe(label), pyenv_root()))
        sys.exit(SKIP)
    path, version = found[label]
    print('%s: %s, CPython %s' % (describe(label), path, '.'.join(map(str, version))))
    return path, version


def inventory():
    found = find_interpreters()
    pythons.report_inventory(found, LABELS, describe, 'found:   %-24s %s (%s)')
    if not found:
        print('FAIL: no CPython interpreter found at all')
        return 1
    return 0


# ------------------------------------------------------------------ helpers
def split_pickles(data):
    """The pickles of a stream (each up to its STOP), or None if it does not parse."""
    out, start = [], 0
    while start < len(data):
        end = None
        try:
            for op, _arg, pos in pickletools.genops(data[start:]):
                if op.name == 'STOP':
                    end = start + pos + 1
                    break
        except Exception:
            return None
        if end is None:
            return None
        out.append(data[start:end])
        start = end
    return out


def convert(cli, src, dst, protocol, shared_memo=False, extra=()):
    """None on success, else the error text."""
    cmd = [cli, 'convert', '--protocol', str(protocol)] + list(extra)
    if shared_memo:
        cmd.append('--shared-memo')
    r = run(cmd + [src, dst], timeout=600)
    if r.returncode != 0:
        return 'pickle convert exit %d: %s' % (r.returncode, r.stderr.decode(errors='replace').strip())
    # Every file every conversion writes, whatever it holds, is a well-formed pickle
    # of the protocol asked for (pickle++'s PROTO is the target's, even for -1).
    with open(dst, 'rb') as f:
        wrong = problems(f.read(), 5 if protocol < 0 else protocol)
    if wrong:
        return 'pickle convert --protocol %d wrote a malformed pickle: %s' % (
            protocol, '; '.join(wrong[:3]))
    return None


def convert_many(cli, work, files, protocol, extra=()):
    """{file: converted bytes or error text (str)} for single-pickle files: one
    `pickle convert` run for all (each pickle starts with an empty memo), then one per
    file when that fails or does not split."""
    result = {}
    if not files:
        return result
    batch = os.path.join(work, 'batch.in')
    out = os.path.join(work, 'batch.out')
    with open(batch, 'wb') as f:
        for path in files:
            with open(path, 'rb') as g:
                f.write(g.read())
    if convert(cli, batch, out, protocol, extra=extra) is None:
        with open(out, 'rb') as f:
            parts = split_pickles(f.read())
        if parts is not None and len(parts) == len(files):
            return dict(zip(files, parts))
    for path in files:
        err = convert(cli, path, out, protocol, extra=extra)
        if err:
            result[path] = err
        else:
            with open(out, 'rb') as f:
                result[path] = f.read()
    return result


def show(data, limit=160):
    text = repr(data[:limit])
    return text + ('... (%d bytes)' % len(data) if len(data) > limit else '')


def write_zoo(python, out):
    r = run([python, script('zoo_gen.py'), out], timeout=1800)
    if r.returncode != 0:
        raise RuntimeError('zoo_gen.py failed: ' + r.stderr.decode(errors='replace'))
    with open(os.path.join(out, 'manifest.json')) as f:
        return json.load(f)


def is_stream(entry):
    return entry.get('stream', entry.get('pickles', 1) > 1)


# ------------------------------------------------------------------ (a) fixtures
def test_fixtures(exe, label, work):
    found = find_interpreters()
    python, _ = need(found, label)
    fx = os.path.join(work, 'fixtures')
    os.makedirs(fx)
    r = run([exe, fx], timeout=1800)
    if r.returncode != 0:
        print('FAIL: %s exited %d: %s' % (exe, r.returncode, r.stderr.decode(errors='replace')))
        return 1
    malformed = []  # every dump, whatever it holds, is well formed for its protocol
    for name in sorted(os.listdir(fx)):
        if name.endswith('.pkl'):
            with open(os.path.join(fx, name), 'rb') as f:
                protocol = int(name[:-len('.pkl')].rpartition('.p')[2])
                malformed += ['%s: %s' % (name, w) for w in problems(f.read(), protocol)]
    for m in malformed:
        print('FAIL malformed: ' + m)
    r = run([python, script('check_fixtures.py'), fx], timeout=1800)
    sys.stdout.write(r.stdout.decode(errors='replace'))
    sys.stdout.write(r.stderr.decode(errors='replace'))
    return 0 if r.returncode == 0 and not malformed else 1


# ------------------------------------------------------------------ (b) identity
def compare_loads(python, work, pairs):
    """Runs compare_converted.py under python; {label: None (loads equal) or why}."""
    if not pairs:
        return {}
    job = os.path.join(work, 'compare.json')
    with open(job, 'w') as f:
        json.dump({'pairs': pairs}, f)
    r = run([python, script('compare_converted.py'), job], timeout=3600)
    result = dict((p['label'], None) for p in pairs)
    for line in r.stdout.decode(errors='replace').splitlines():
        if line.startswith('FAIL '):
            label, _, why = line[5:].partition(' encoding=')
            result[label] = why.partition(': ')[2] or why
    return result


def test_identity(cli, label, work):
    found = find_interpreters()
    python, version = need(found, label)
    if version[:2] < (3, 8):
        print('FAIL: the byte-identity oracle is CPython 3.8-3.13, not %s' % describe(label))
        return 1
    zoo = os.path.join(work, 'zoo')
    manifest = write_zoo(python, zoo)
    # DESIGN.md: where CPython 3.8-3.13 write different bytes, match the newest.
    newest = None
    if '%d.%d' % version[:2] != NEWEST:
        if NEWEST in found:
            newest = os.path.join(work, 'zoo-newest')
            write_zoo(found[NEWEST][0], newest)
        else:
            print('note: python%s not found: differences between CPython versions cannot be '
                  'told from ours' % NEWEST)
    failures, identical, known, newer, py_identical = [], 0, [], [], 0
    not_converted = []
    by_protocol = {}
    streams = []
    c_bytes = {}
    for e in manifest['entries']:
        if e['writer'] == 'c':
            with open(os.path.join(zoo, e['file']), 'rb') as f:
                c_bytes[(e['case'], e['protocol'])] = f.read()
    for e in manifest['entries']:
        if e['writer'] == 'py':
            with open(os.path.join(zoo, e['file']), 'rb') as f:
                if f.read() == c_bytes.get((e['case'], e['protocol'])):
                    continue  # the same file as the C pickler's: checked once
        if e['expect'] != 'ok':  # CPython cannot load these either (no buffers/registry)
            if e['writer'] == 'c':
                not_converted.append('%s (CPython cannot load it either)' % e['file'])
            continue
        (streams if is_stream(e) else by_protocol.setdefault(e['protocol'], [])).append(e)
    results = []  # (entry, converted bytes or error)
    for protocol, entries in sorted(by_protocol.items()):
        paths = [os.path.join(zoo, e['file']) for e in entries]
        conv = convert_many(cli, work, paths, protocol)
        results.extend((e, conv[p]) for e, p in zip(entries, paths))
    for e in streams:
        out = os.path.join(work, 'stream.out')
        err = convert(cli, os.path.join(zoo, e['file']), out, e['protocol'], shared_memo=True)
        if err:
            results.append((e, err))
        else:
            with open(out, 'rb') as f:
                results.append((e, f.read()))
    differing = []  # (entry, name, message): compared by loading afterwards
    conv_dir = os.path.join(work, 'converted')
    os.makedirs(conv_dir)
    for e, got in results:
        with open(os.path.join(zoo, e['file']), 'rb') as f:
            want = f.read()
        name = '%s.p%d' % (e['case'], e['protocol'])
        if e['writer'] == 'py':
            # The pure-Python pickler's files: the promise is the C pickler's bytes, so
            # converting one gives the C pickler's file for the case, or the same bytes
            # when the two picklers saw different graphs (e.g. set iteration order).
            name += ' (pure-Python pickler)'
            if got != want and (e['case'], e['protocol']) in c_bytes:
                want = c_bytes[(e['case'], e['protocol'])]
            if not isinstance(got, str) and got == want:
                py_identical += 1
                continue
        if isinstance(got, str):
            failures.append('%s: %s' % (name, got))
            continue
        if got == want:
            identical += 1
            if known_difference(e):
                failures.append('%s: byte-identical, yet listed in NOT_BYTE_IDENTICAL' % name)
            continue
        newest_file = newest and os.path.join(newest, e['file'])
        if newest_file and os.path.exists(newest_file):
            with open(newest_file, 'rb') as f:
                want_newest = f.read()
            if want_newest != want and got == want_newest:
                newer.append(name)
                continue
        conv_path = os.path.join(conv_dir, e['file'])
        with open(conv_path, 'wb') as f:
            f.write(got)
        e = dict(e, conv=conv_path)
        if known_difference(e) and e['writer'] == 'c':
            differing.append((e, name, None))
        else:
            at = first_difference(got, want)
            differing.append((e, name, 'differs at byte %d of %d\n    CPython:  %s\n    '
                              'pickle++: %s' % (at, len(want), show(want[max(0, at - 24):]),
                                                show(got[max(0, at - 24):]))))
    loads = compare_loads(python, work, [
        {'orig': os.path.join(zoo, e['file']), 'conv': e['conv'], 'label': name,
         'pickles': e.get('pickles', 1), 'pid': e['case'].startswith('pid_')}
        for e, name, _ in differing])
    for e, name, message in differing:
        why = loads.get(name)
        loaded = ('it loads into the object CPython reads from its own' if why is None else
                  'and it does NOT load as CPython\'s does: ' + why)
        if message is None:
            if why is None:
                known.append('%s: %s (%s)' % (name, known_difference(e), loaded))
            else:
                failures.append('%s: %s' % (name, loaded))
        else:
            failures.append('%s: %s\n    (%s)' % (name, message, loaded))
    for k in known:
        print('NOT BYTE-IDENTICAL (known): ' + k)
    if newer:
        print('matches CPython %s where CPython %d.%d writes other bytes: %s' % (
            NEWEST, version[0], version[1], ' '.join(newer)))
    for s in sorted(manifest.get('skipped', []), key=lambda s: (s['case'], s['protocol'])):
        if s['writer'] == 'c':
            print('not written by this CPython: %s.p%d: %s' % (s['case'], s['protocol'],
                                                               s['reason']))
    for n in not_converted:
        print('not converted: ' + n)
    for f in failures:
        print('FAIL ' + f)
    print('%s: %d byte-identical, %d as CPython %s writes them, %d known differences, '
          '%d failed; %d files of the pure-Python pickler (other than the C one\'s) too'
          % (describe(label), identical, len(newer), NEWEST, len(known), len(failures),
             py_identical))
    return 1 if failures or not identical else 0


# ------------------------------------------------------------------ (c) Python 2 pickles
def compare_all(python, work, pairs):
    """Runs compare_converted.py on pairs under python, echoing what it prints; True
    when every pair loaded as its original."""
    job = os.path.join(work, 'job.json')
    with open(job, 'w') as f:
        json.dump({'pairs': pairs}, f)
    r = run([python, script('compare_converted.py'), job], timeout=3600)
    sys.stdout.write(r.stdout.decode(errors='replace'))
    sys.stdout.write(r.stderr.decode(errors='replace'))
    return r.returncode == 0


def test_py2(cli, label, work):
    found = find_interpreters()
    python2, _ = need(found, '2.7')
    python, version = need(found, label)
    zoo = os.path.join(work, 'zoo2')
    manifest = write_zoo(python2, zoo)
    highest = 2 if version[0] == 2 else 4 if version[:2] < (3, 8) else 5
    singles, streams, errors = [], [], []
    for e in manifest['entries']:
        if e['expect'] != 'ok':
            errors.append(e)
        elif is_stream(e):
            streams.append(e)
        else:
            singles.append(e)
    failures, cannot = [], []
    # What CPython cannot load, pickle++ cannot convert either.
    for e in errors:
        err = convert(cli, os.path.join(zoo, e['file']), os.path.join(work, 'x.out'), 2)
        if err is None:
            failures.append('%s: converted, though CPython cannot load it' % e['file'])
    pairs = []
    conv_dir = os.path.join(work, 'converted')
    os.makedirs(conv_dir)
    for target in range(highest + 1):
        paths = [os.path.join(zoo, e['file']) for e in singles]
        conv = convert_many(cli, work, paths, target)
        todo = [(e, conv[p]) for e, p in zip(singles, paths)]
        for e in streams:
            out = os.path.join(work, 'stream.out')
            err = convert(cli, os.path.join(zoo, e['file']), out, target, shared_memo=True)
            if err is None:
                with open(out, 'rb') as f:
                    err = f.read()
            todo.append((e, err))
        for e, got in todo:
            label_ = '%s -> protocol %d' % (e['file'], target)
            expected_error = CANNOT_CONVERT.get((e['case'], target))
            if isinstance(got, str):
                if expected_error and expected_error in got:
                    cannot.append('%s (%s)' % (label_, expected_error))
                else:
                    failures.append('%s: %s' % (label_, got))
                continue
            if expected_error:
                failures.append('%s: converted, though CPython cannot write this protocol '
                                '(%s)' % (label_, expected_error))
            path = os.path.join(conv_dir, '%s.to%d' % (e['file'], target))
            with open(path, 'wb') as f:
                f.write(got)
            pairs.append({'orig': os.path.join(zoo, e['file']), 'conv': path, 'label': label_,
                          'pickles': e.get('pickles', 1), 'pid': e['case'].startswith('pid_'),
                          'protocols': [e['protocol'], target]})
    compared = compare_all(python, work, pairs)
    for c in cannot:
        print('not convertible, as in CPython: ' + c)
    for f in failures:
        print('FAIL ' + f)
    print('Python 2.7 zoo: %d files, converted to protocols 0-%d, %d conversion failures'
          % (len(singles) + len(streams), highest, len(failures)))
    return 1 if failures or not compared else 0


# ------------------------------------------------------------------ (d) --py2-str
# `convert --py2-str text|bytes` writes Python 2 strs for Python 3 readers: what
# Python 3's plain pickle.loads reads from the conversion must be what it reads from
# the original with encoding latin1 (text, converted with --encoding latin1) or bytes.
PY2_STR_MODES = [('text', ['--py2-str', 'text', '--encoding', 'latin1'], 'latin1'),
                 ('bytes', ['--py2-str', 'bytes'], 'bytes')]


def test_py2_str(cli, label, work):
    found = find_interpreters()
    python2, _ = need(found, '2.7')
    python, version = need(found, label)
    zoo = os.path.join(work, 'zoo2')
    manifest = write_zoo(python2, zoo)
    highest = 4 if version[:2] < (3, 8) else 5
    entries = [e for e in manifest['entries'] if e['expect'] == 'ok']
    failures, pairs = [], []
    conv_dir = os.path.join(work, 'converted')
    os.makedirs(conv_dir)
    for mode, extra, encoding in PY2_STR_MODES:
        for target in range(highest + 1):
            singles = [e for e in entries if not is_stream(e)]
            paths = [os.path.join(zoo, e['file']) for e in singles]
            conv = convert_many(cli, work, paths, target, extra)
            todo = [(e, conv[p]) for e, p in zip(singles, paths)]
            for e in entries:
                if is_stream(e):
                    out = os.path.join(work, 'stream.out')
                    got = convert(cli, os.path.join(zoo, e['file']), out, target, True, extra)
                    if got is None:
                        with open(out, 'rb') as f:
                            got = f.read()
                    todo.append((e, got))
            for e, got in todo:
                name = '%s -> protocol %d --py2-str %s' % (e['file'], target, mode)
                if isinstance(got, str):
                    if CANNOT_CONVERT.get((e['case'], target), '\0') not in got:
                        failures.append('%s: %s' % (name, got))
                    continue
                path = os.path.join(conv_dir, '%s.%s.to%d' % (e['file'], mode, target))
                with open(path, 'wb') as f:
                    f.write(got)
                pairs.append({'orig': os.path.join(zoo, e['file']), 'conv': path, 'label': name,
                              'pickles': e.get('pickles', 1), 'pid': e['case'].startswith('pid_'),
                              'orig_encoding': encoding, 'conv_encoding': 'ASCII'})
    compared = compare_all(python, work, pairs)
    for f in failures:
        print('FAIL ' + f)
    print('Python 2.7 zoo: %d files, --py2-str text and bytes at protocols 0-%d, '
          '%d conversion failures' % (len(entries), highest, len(failures)))
    return 1 if failures or not compared else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--inventory', action='store_true')
    ap.add_argument('--fixtures', metavar='EXE')
    ap.add_argument('--identity', action='store_true')
    ap.add_argument('--py2', action='store_true')
    ap.add_argument('--py2-str', action='store_true')
    ap.add_argument('--cli', metavar='PICKLE')
    ap.add_argument('--python', metavar='LABEL', choices=LABELS)
    ap.add_argument('--keep', metavar='DIR', help='copy the work directory here')
    args = ap.parse_args()
    if args.inventory:
        return inventory()
    if not args.python or not (args.fixtures or
                               ((args.identity or args.py2 or args.py2_str) and args.cli)):
        ap.error('give --inventory, or --python with --fixtures EXE, --identity --cli, '
                 '--py2 --cli or --py2-str --cli')
    work = tempfile.mkdtemp(prefix='pickle-dump-interop-')
    try:
        if args.fixtures:
            status = test_fixtures(os.path.abspath(args.fixtures), args.python, work)
        elif args.identity:
            status = test_identity(os.path.abspath(args.cli), args.python, work)
        elif args.py2_str:
            status = test_py2_str(os.path.abspath(args.cli), args.python, work)
        else:
            status = test_py2(os.path.abspath(args.cli), args.python, work)
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
