"""`pickle json` and `pickle from-json` against CPython.

    python3 -m pickletests.json_roundtrip --inventory
    python3 -m pickletests.json_roundtrip --cli CLI --roundtrip --python LABEL [--protocols 0,1]
        json.roundtrip.<python>: every zoo pickle of that CPython, through `pickle json`
        then `pickle from-json --protocol P`, is byte-identical to `pickle convert
        --protocol P` of it, for P in 0..5 (and, for Python 2.7, with --py2-str text
        and bytes too)
    python3 -m pickletests.json_roundtrip --cli CLI --libraries
        json.roundtrip.torch: the same for numpy arrays, a pandas DataFrame, a
        scikit-learn model and torch tensors pickled by Debian's python3
    python3 -m pickletests.json_roundtrip --cli CLI --plain
        json.plain: `pickle json --plain` against json.dumps of the loaded object
    python3 -m pickletests.json_roundtrip --cli CLI --malformed
        json.malformed: `pickle from-json` refuses malformed JSON in one line
        `JsonError at byte N`, at the right N, and leaves no output behind
    python3 -m pickletests.json_roundtrip --cli CLI --deep N
        json.deep.*: N nested lists (and, up to a million, dicts, tuples and
        frozensets) through `pickle from-json` and back through `pickle json`: the
        same text; and N nested lists pickled through `pickle json [--plain]`

LABEL is 2.7, 3.6 ... 3.13 or system (Debian's /usr/bin/python3), found as
pickletests.dump_interop finds them. The zoo is cpython/zoo_gen.py's: every protocol
the interpreter knows, the C and the pure-Python pickler. See tests/README.md.

Exit status: 0 passed, 1 failed, 77 (ctest's skip code) when the interpreter or the
libraries asked for are absent ("SKIPPED: ..." says which). Interpreters run with
pythons.clean_env() in a temporary directory (--keep DIR copies it first).
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from pickletests import first_difference, pythons
from pickletests.dump_interop import describe, need, split_pickles, write_zoo
from pickletests.pythons import SYSTEM_PYTHON, clean_env, pyenv_root

LABELS = ['2.7', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', 'system']
SKIP = 77
PROTOCOLS = [0, 1, 2, 3, 4, 5]
RUN_TIMEOUT = 900
# One file in this many is also run on its own with the literal commands, to check
# that the batched runs (many pickles per process) give what single files give.
SAMPLE_EVERY = 97


# ------------------------------------------------------------------ running
class Tool(object):
    """Runs the pickle CLI and counts the runs."""

    def __init__(self, cli):
        self.cli = cli
        self.runs = 0

    def __call__(self, *args, **kw):
        self.runs += 1
        stdin = kw.get('stdin')
        try:
            p = subprocess.run([self.cli] + [str(a) for a in args], input=stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=kw.get('timeout', RUN_TIMEOUT))
        except subprocess.TimeoutExpired:
            return Result(-999, b'', b'TIMEOUT after %ds' % kw.get('timeout', RUN_TIMEOUT))
        return Result(p.returncode, p.stdout, p.stderr)


class Result(object):
    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def ok(self):
        return self.returncode == 0

    def error(self):
        return 'exit %d: %s' % (self.returncode,
                                self.stderr.decode('utf-8', 'replace').strip()[:500])


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)
    return path


def snippet(data, at, limit=100):
    part = data[max(0, at - 24):max(0, at - 24) + limit]
    return repr(part) + ('...' if len(data) > max(0, at - 24) + limit else '')


def describe_difference(want, got, what_want, what_got):
    at = first_difference(want, got)
    return ('differs at byte %d (%s: %d bytes, %s: %d bytes)\n      %-10s %s\n      %-10s %s'
            % (at, what_want, len(want), what_got, len(got), what_want + ':',
               snippet(want, at), what_got + ':', snippet(got, at)))


# ------------------------------------------------------------------ the round trip
class Unit(object):
    """One input file: its name, the case it belongs to, its path and its number of
    pickles."""

    def __init__(self, name, case, path, pickles, alone=False):
        self.name = name
        self.case = case
        self.path = path
        self.pickles = pickles
        self.alone = alone      # run on its own, not in a batch (expected to fail)
        self.json = None        # the lines `pickle json` wrote for it (bytes)
        self.json_error = None  # or why `pickle json` failed
        self.lines_error = None  # or how its lines were not one per pickle


# Mismatches confirmed with the literal commands (and shown in full) per zoo case and
# kind of variant; the others of the case are listed by name.
CONFIRM_PER_CASE = 2


class RoundTrip(object):
    """`pickle json F J; pickle from-json --protocol P J OUT` against `pickle convert
    --protocol P F OUT2`, for many files at once.

    Each file's pickles start with an empty memo in all three commands, so the files
    are concatenated and each command runs once over all of them; a run that fails is
    halved until the files it fails on are found, and outputs that differ are split
    into pickles to name the files. Files expected to fail (CPython cannot load them,
    or a later pickle reads an earlier one's memo) run on their own. A mismatch is
    confirmed with the literal commands on the file alone, which the failure shows.
    """

    def __init__(self, tool, work):
        self.tool = tool
        self.work = work
        self.failures = {}    # case -> [(unit name, variant, why, detail or None)]
        self.skipped = []     # (file, variant, error): convert itself fails
        self.compared = 0     # (file, variant) pairs byte-identical
        self.serial = 0
        self.others = []      # failures not about one file

    def scratch(self, suffix):
        self.serial += 1
        return os.path.join(self.work, 'run%d%s' % (self.serial, suffix))

    # -- pickle json, batched
    def run_json(self, units):
        if not units:
            return
        if len(units) > 1 and any(u.alone for u in units):
            self.run_json([u for u in units if not u.alone])
            for u in units:
                if u.alone:
                    self.run_json([u])
            return
        batch = self.scratch('.pkl')
        with open(batch, 'wb') as f:
            for u in units:
                f.write(read(u.path))
        out = self.scratch('.json')
        r = self.tool('json', batch, out)
        text = read_or_none(out) or r.stdout
        lines = None
        if r.ok:
            lines = text.split(b'\n')
            if lines[-1] == b'' and len(lines) - 1 == sum(u.pickles for u in units):
                lines.pop()
            else:
                lines = None
        for path in (batch, out):
            if os.path.exists(path):
                os.remove(path)
        if lines is not None and all(lines):
            at = 0
            for u in units:
                u.json = b''.join(line + b'\n' for line in lines[at:at + u.pickles])
                at += u.pickles
            return
        if len(units) > 1:
            half = len(units) // 2
            self.run_json(units[:half])
            self.run_json(units[half:])
            return
        u = units[0]
        if not r.ok:
            u.json_error = 'pickle json ' + r.error()
        else:
            u.lines_error = ('pickle json wrote %d lines (%d empty%s) for %d pickles'
                             % (text.count(b'\n'), text.split(b'\n')[:-1].count(b''),
                                '' if text.endswith(b'\n') else ', the last not ended',
                                u.pickles))

    # -- pickle convert and pickle from-json, batched
    def run_pickles(self, units, args, source):
        """{unit: bytes of its pickles, or the error text} for one command over the
        units' concatenated inputs (source(u): the unit's input bytes)."""
        result = {}
        if not units:
            return result
        if len(units) > 1 and any(u.alone for u in units):
            result.update(self.run_pickles([u for u in units if not u.alone], args, source))
            for u in units:
                if u.alone:
                    result.update(self.run_pickles([u], args, source))
            return result
        batch = self.scratch('.in')
        with open(batch, 'wb') as f:
            for u in units:
                f.write(source(u))
        out = self.scratch('.out')
        r = self.tool(*(list(args) + [batch, out]))
        parts = None
        if r.ok:
            data = read(out)
            if len(units) == 1:
                parts = [data]
            else:
                pickles = split_pickles(data)
                if pickles is not None and len(pickles) == sum(u.pickles for u in units):
                    parts, at = [], 0
                    for u in units:
                        parts.append(b''.join(pickles[at:at + u.pickles]))
                        at += u.pickles
        for path in (batch, out):
            if os.path.exists(path):
                os.remove(path)
        if parts is not None:
            return dict(zip(units, parts))
        if len(units) > 1:
            half = len(units) // 2
            result.update(self.run_pickles(units[:half], args, source))
            result.update(self.run_pickles(units[half:], args, source))
            return result
        return {units[0]: 'pickle %s %s' % (args[0], r.error())}

    def check(self, units, variants):
        """variants: [(name, convert args, from-json args)]."""
        self.run_json(units)
        for u in units:
            if u.lines_error:
                self.fail(u, 'json', u.lines_error, '%s json %s' % (self.tool.cli, u.path))
        units = [u for u in units if not u.lines_error]
        for variant, convert_args, from_json_args in variants:
            converted = self.run_pickles(units, ['convert'] + convert_args,
                                         lambda u: read(u.path))
            todo = [u for u in units if u.json is not None and
                    not isinstance(converted[u], str)]
            from_json = self.run_pickles(todo, ['from-json'] + from_json_args,
                                         lambda u: u.json)
            for u in units:
                want = converted[u]
                if isinstance(want, str):
                    self.skipped.append((u.name, variant, want))
                    continue
                got = from_json.get(u, u.json_error)
                if got == want:
                    self.compared += 1
                    continue
                self.mismatch(u, variant, convert_args, from_json_args, got, want)

    def literal(self, u, convert_args, from_json_args):
        """The commands of the promise on the file alone: (json result, JSON text,
        from-json result, its bytes, convert result, its bytes)."""
        j, out, out2 = self.scratch('.json'), self.scratch('.fromjson'), self.scratch('.convert')
        rj = self.tool('json', u.path, j)
        text = read_or_none(j)
        rf = self.tool(*(['from-json'] + from_json_args + [j, out])) if rj.ok else None
        got = read_or_none(out)
        rc = self.tool(*(['convert'] + convert_args + [u.path, out2]))
        want = read_or_none(out2)
        for path in (j, out, out2):
            if os.path.exists(path):
                os.remove(path)
        return rj, text, rf, got, rc, want

    def commands(self, u, convert_args, from_json_args):
        cli = self.tool.cli
        return ('%s json %s J && %s from-json %s J OUT && %s convert %s %s OUT2 && cmp OUT OUT2'
                % (cli, u.path, cli, ' '.join(from_json_args), cli, ' '.join(convert_args),
                   u.path))

    def mismatch(self, u, variant, convert_args, from_json_args, batched, want):
        kind = re.sub(r'protocol \d', 'protocol N', variant)
        confirmed = sum(1 for f in self.failures.get(u.case, ())
                        if f[3] is not None and re.sub(r'protocol \d', 'protocol N', f[1]) == kind)
        if confirmed >= CONFIRM_PER_CASE:
            why = ('pickle from-json fails' if isinstance(batched, str)
                   else 'not byte-identical') + ' (batched run)'
            return self.fail(u, variant, why)
        rj, text, rf, got, rc, want = self.literal(u, convert_args, from_json_args)
        how = self.commands(u, convert_args, from_json_args)
        if not rc.ok:
            self.fail(u, variant, 'pickle convert fails on the file alone, not in a batch: '
                      + rc.error(), how)
        elif not rj.ok:
            self.fail(u, variant, 'pickle json fails where pickle convert does not: '
                      + rj.error(), how)
        elif not rf.ok:
            self.fail(u, variant, 'pickle from-json fails where pickle convert does not: '
                      + rf.error(), how + '\n      JSON: ' + snippet(text, 0, 300))
        elif got != want:
            self.fail(u, variant, 'not byte-identical: ' +
                      describe_difference(want, got, 'convert', 'from-json'),
                      how + '\n      JSON: ' + snippet(text, 0, 300))
        else:
            self.fail(u, variant, 'byte-identical on the file alone, not in a batch with '
                      'other files', how)

    def sample(self, units, variants, every=SAMPLE_EVERY):
        """The literal commands on one file in `every`: the verdict of the batches."""
        checked = 0
        for i, u in enumerate(units):
            if i % every or u.json is None:
                continue
            k = i // every
            for variant, convert_args, from_json_args in (variants[k % len(variants)],
                                                          variants[(k + 3) % len(variants)]):
                rj, _, rf, got, rc, want = self.literal(u, convert_args, from_json_args)
                checked += 1
                alone = rc.ok and rj.ok and rf.ok and got == want
                batched = not any(f[0] == u.name and f[1] == variant
                                  for f in self.failures.get(u.case, ()))
                if rc.ok and alone != batched:
                    self.fail(u, variant, 'the file alone gives another verdict (%s) than in '
                              'a batch (%s)' % (alone, batched),
                              self.commands(u, convert_args, from_json_args))
        return checked

    def fail(self, u, variant, why, detail=None):
        self.failures.setdefault(u.case, []).append((u.name, variant or '', why, detail))

    def report(self, what):
        by_reason = {}
        for name, variant, why in self.skipped:
            key = re.sub(r'\d+', 'N', why.split('\n')[0])[:200]
            by_reason.setdefault(key, []).append('%s [%s]' % (name, variant))
        for reason, cases in sorted(by_reason.items()):
            print('skipped, as pickle convert fails (%d): %s\n    %s'
                  % (len(cases), reason, ' '.join(cases)))
        count = 0
        for case in sorted(self.failures):
            entries = self.failures[case]
            count += len(entries)
            shown = [e for e in entries if e[3] is not None]
            print('FAIL %s: %d failed (file, variant) pairs' % (case, len(entries)))
            for name, variant, why, detail in shown:
                print('  %s [%s]: %s\n      %s' % (name, variant, why, detail))
            rest = [e for e in entries if e[3] is None]
            if rest:
                print('  and: ' + '; '.join('%s [%s] %s' % (n, v, w) for n, v, w, _ in rest))
        for other in self.others:
            print('FAIL ' + other)
            count += 1
        print('%s: %d byte-identical, %d skipped (pickle convert fails), %d failed; '
              '%d runs of pickle' % (what, self.compared, len(self.skipped), count,
                                     self.tool.runs))
        return 1 if count or not self.compared else 0


def read_or_none(path):
    return read(path) if os.path.exists(path) else None


def variants_for(protocols, py2=False):
    """[(name, convert args, from-json args)] for the target protocols."""
    out = [('protocol %d' % p, ['--protocol', str(p)], ['--protocol', str(p)])
           for p in protocols]
    if py2:
        # `pickle json` loads Python 2 str as bytes (its default, as convert's), which
        # keeps every byte; from-json --py2-str then writes them as convert does from
        # the same load (text: where they are ASCII; both refuse the others).
        for p in protocols:
            out.append(('protocol %d --py2-str text' % p,
                        ['--protocol', str(p), '--py2-str', 'text'],
                        ['--protocol', str(p), '--py2-str', 'text']))
            out.append(('protocol %d --py2-str bytes' % p,
                        ['--protocol', str(p), '--py2-str', 'bytes'],
                        ['--protocol', str(p), '--py2-str', 'bytes']))
    return out


def zoo_units(zoo, manifest):
    """The units of a zoo, one per distinct file (the pure-Python pickler's file is
    left out when it is the C pickler's byte for byte)."""
    units, seen = [], {}
    for e in manifest['entries']:
        data = read(os.path.join(zoo, e['file']))
        if data in seen:
            continue
        seen[data] = e['file']
        # Files CPython cannot load, and files of several pickles (a later one may
        # read an earlier one's memo, which fails with a fresh memo), run on their own.
        alone = e['expect'] != 'ok' or e.get('pickles', 1) > 1
        units.append(Unit(e['file'], e['case'], os.path.join(zoo, e['file']),
                          e.get('pickles', 1), alone))
    return units, len(manifest['entries'])


def stdin_stdout(tool, rt, units):
    """`pickle json -` and `pickle from-json - -` over standard input and output give
    what the file arguments give."""
    fine = [u for u in units if u.json is not None][:200]
    if not fine:
        return
    stream = b''.join(read(u.path) for u in fine)
    text = b''.join(u.json for u in fine)
    r = tool('json', '-', stdin=stream)
    if not r.ok or r.stdout != text:
        rt.others.append('pickle json - (standard input, %d files): %s' % (
            len(fine), r.error() if not r.ok else
            describe_difference(text, r.stdout, 'json FILE', 'json -')))
    out = rt.scratch('.pkl')
    r1 = tool('from-json', '--protocol', '5', write(rt.scratch('.json'), text), out)
    r2 = tool('from-json', '--protocol', '5', '-', '-', stdin=text)
    if r1.ok and (not r2.ok or r2.stdout != read(out)):
        rt.others.append('pickle from-json - - (standard input and output): %s' % (
            r2.error() if not r2.ok else
            describe_difference(read(out), r2.stdout, 'from-json FILE OUT', 'from-json - -')))


def test_roundtrip(cli, label, work, protocols):
    found = pythons.find_interpreters(LABELS, names=('python3', 'python2'), wanted=[label])
    python, version = need(found, label)
    start = time.time()
    zoo = os.path.join(work, 'zoo')
    manifest = write_zoo(python, zoo)
    units, files = zoo_units(zoo, manifest)
    print('zoo: %d files, %d distinct (%.1fs)' % (files, len(units), time.time() - start))
    tool = Tool(cli)
    rt = RoundTrip(tool, os.path.join(work, 'runs'))
    os.makedirs(rt.work)
    variants = variants_for(protocols, py2=version[0] == 2)
    rt.check(units, variants)
    sampled = rt.sample(units, variants)
    stdin_stdout(tool, rt, units)
    for s in sorted(manifest.get('skipped', []), key=lambda s: (s['case'], s['protocol'])):
        if s['writer'] == 'c':
            print('not written by this CPython: %s.p%d: %s' % (s['case'], s['protocol'],
                                                               s['reason']))
    print('also run on their own: %d (file, protocol) pairs' % sampled)
    status = rt.report('%s, protocols %s%s' % (
        describe(label), ','.join(map(str, protocols)),
        ' and --py2-str text, bytes' if version[0] == 2 else ''))
    print('time: %.1fs' % (time.time() - start))
    return status


# ------------------------------------------------------------------ numpy, pandas, ...
# Runs under Debian's python3: writes pickle.dumps of each object at protocols 2-5 as
# NAME.pP.pkl, and prints the names of the libraries it could not import.
LIBRARY_SIDE = r'''
import os, pickle, sys
out = sys.argv[1]
objects, missing = {}, []
try:
    import numpy as np
    objects['numpy_float64'] = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    objects['numpy_fortran'] = np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3))
    objects['numpy_scalars'] = [np.float32(1.5), np.int64(-7), np.bool_(True), np.float64('nan')]
    objects['numpy_structured'] = np.array([(1, 2.5, b'ab')],
                                           dtype=[('a', '<i4'), ('b', '<f8'), ('c', 'S2')])
    objects['numpy_object'] = np.array([1, 'two', None, (3,)], dtype=object)
    objects['numpy_empty'] = np.zeros((0, 3), dtype=np.uint8)
    objects['numpy_dtypes'] = [np.dtype(t) for t in ('<f2', '>i8', 'complex128', 'U5', 'M8[s]')]
except ImportError:
    missing.append('numpy')
try:
    import pandas as pd
    objects['pandas_frame'] = pd.DataFrame({'a': [1, 2, 3], 'b': [0.5, None, 2.5],
                                            'c': ['x', 'y', None]},
                                           index=pd.Index([10, 20, 30], name='i'))
    objects['pandas_series'] = pd.Series(pd.date_range('2024-01-01', periods=3, freq='D'))
    objects['pandas_categorical'] = pd.Categorical(['a', 'b', 'a'])
except ImportError:
    missing.append('pandas')
try:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from sklearn.pipeline import make_pipeline
    import numpy as np
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)
    objects['sklearn_pipeline'] = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
except ImportError:
    missing.append('sklearn')
try:
    import torch
    torch.manual_seed(0)
    objects['torch_tensors'] = {'w': torch.randn(3, 4), 'i': torch.arange(5),
                                'h': torch.ones(2, dtype=torch.float16)}
    objects['torch_state_dict'] = torch.nn.Linear(3, 2).state_dict()
except ImportError:
    missing.append('torch')
for name, obj in sorted(objects.items()):
    for protocol in range(2, 6):
        with open(os.path.join(out, '%s.p%d.pkl' % (name, protocol)), 'wb') as f:
            f.write(pickle.dumps(obj, protocol))
print(' '.join(missing))
'''


def test_libraries(cli, work):
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        print('SKIPPED: %s not found' % SYSTEM_PYTHON)
        return SKIP
    start = time.time()
    out = os.path.join(work, 'libraries')
    os.makedirs(out)
    r = subprocess.run([SYSTEM_PYTHON, '-c', LIBRARY_SIDE, out], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=clean_env(), timeout=1800,
                       universal_newlines=True)
    if r.returncode != 0:
        print('FAIL: writing the pickles under %s failed:\n%s' % (SYSTEM_PYTHON, r.stderr))
        return 1
    missing = r.stdout.split()
    for name in missing:
        print('not checked: %s cannot import %s' % (SYSTEM_PYTHON, name))
    names = sorted(os.listdir(out))
    if not names:
        print('SKIPPED: %s has none of numpy, pandas, sklearn, torch' % SYSTEM_PYTHON)
        return SKIP
    print('%d pickles from %s (%.1fs)' % (len(names), SYSTEM_PYTHON, time.time() - start))
    units = [Unit(n, n.partition('.')[0], os.path.join(out, n), 1) for n in names]
    tool = Tool(cli)
    rt = RoundTrip(tool, os.path.join(work, 'runs'))
    os.makedirs(rt.work)
    rt.check(units, variants_for(PROTOCOLS))
    status = rt.report('numpy, pandas, scikit-learn and torch pickles')
    print('time: %.1fs' % (time.time() - start))
    return status


# ------------------------------------------------------------------ plain JSON
def plain_objects():
    """(description, object) pairs of data json.dumps writes: JSON types, tuples (as
    arrays) and dicts with int, float, bool and None keys (converted as json.dumps
    converts them)."""
    texts = ['', 'plain ASCII', '\u00e9', 'na\u00efve caf\u00e9', '\u65e5\u672c\u8a9e',
             'astral \U0001F600 \U00010000 \U0010FFFF', ''.join(map(chr, range(32))),
             '\x80\x9f\xa0\xad\xff', '"quotes" \'single\' \\back\\slash /slash/',
             '\u2028\u2029\ufeff\ufffd\uffff', '\ud7ff\ue000\U000E0001', 'tab\there\r\n',
             '\\u0041 looks like an escape', 'x' * 300,
             '\u00e9\U0001F600' * 50]
    ints = [0, 1, -1, 127, 128, 255, 256, -256, 2 ** 15, 2 ** 31 - 1, 2 ** 31, -2 ** 31 - 1,
            2 ** 32, 2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, -2 ** 63, -2 ** 63 - 1, 2 ** 64 - 1,
            2 ** 64, -2 ** 64, 10 ** 20, 10 ** 100, -10 ** 100, 2 ** 1000, 10 ** 1000]
    big_ints = [10 ** 3000, -10 ** 3000, 2 ** 13598, 10 ** 4093]
    bigger_ints = [2 ** 13600 - 1, 10 ** 4094, -10 ** 4094, 10 ** 4298, 10 ** 4299 - 1,
                   -(10 ** 4299 - 1)]  # 4095 to 4299 digits
    floats = [0.0, -0.0, 0.1, 0.5, 1.5, -2.5, 1e16, 1e15, 1e-7, 1e-5, 1e-4, 1e22, 1e23,
              123456789.123, 1 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
              -1.7976931348623157e308, float('nan'), float('inf'), float('-inf'),
              -float('nan')]
    nested = {'a': [1, {'b': [None, True, False, {'c': []}]}], 'd': {}, 'e': [[], [[]], [{}]]}
    deep = []
    for i in range(60):
        deep = {'level %d' % i: [deep, i]}
    objects = [
        ('None', None), ('True', True), ('False', False),
        ('empty list', []), ('empty dict', {}), ('empty str', ''),
        ('texts', texts),
        ('texts as keys', dict((t, i) for i, t in enumerate(texts))),
        ('lone surrogates', ['\ud800', '\udfff', '\udfff\ud800', 'a\udc80b']),
        ('lone surrogate keys', {'\ud800': '\udbff\udfff', 'k\udc00': 1}),
        ('ints', ints), ('ints of 3001 to 4094 digits', big_ints),
        ('ints of 4095 to 4299 digits', bigger_ints),
        ('DEL (U+007F)', ['\x7f', 'a\x7fb', {'\x7f': 1}]),
        ('floats', floats), ('bools and None', [True, False, None, [True], {'n': None}]),
        ('nested', nested), ('sixty levels', deep),
        ('tuples', (1, (2, 'three'), [(), (4,)], {'t': (None, 1.5)})),
        ('int keys', {0: 'a', -5: 'b', 2 ** 70: 'c', 10 ** 200: 'd', 2 ** 63: 'e'}),
        ('float keys', {1.5: 'a', -0.0: 'b', 1e16: 'c', 0.1: 'd', float('inf'): 'e',
                        float('-inf'): 'f', float('nan'): 'g', 5e-324: 'h'}),
        ('bool and None keys', {True: 1, False: 0, None: 'null'}),
        ('mixed keys', {'s': 1, 2: 'two', 3.25: 'f', None: [], True: {}}),
        ('keys that collide once converted', {1: 'int', '1': 'str', None: 0, 'null': 1}),
        ('list of records', [{'id': i, 'name': 'n%d' % i, 'score': i / 8.0,
                              'tags': ['t'] * (i % 3)} for i in range(30)]),
    ]
    # One list held twice: plain JSON writes it out at each place (no references).
    shared = [1, 'two']
    objects.append(('a list held twice', [shared, shared, {'again': shared}]))
    return objects


def plain_extension_objects():
    """(description, object, what json.dumps is given instead): sets and frozensets
    (arrays, in stream order), bytes (base64 strings) and keys json.dumps refuses
    (Python's repr)."""
    def b64(data):
        return base64.b64encode(data).decode('ascii')
    return [
        ('sets', [{1, 2, 3}, frozenset([4]), set()], [[1, 2, 3], [4], []]),
        ('bytes', [b'', b'abc', bytes(range(256))], ['', b64(b'abc'), b64(bytes(range(256)))]),
        ('tuple keys', {(1, 'a'): 1, (): 2}, {"(1, 'a')": 1, '()': 2}),
        ('bytes keys', {b'k': 1}, {"b'k'": 1}),
    ]


def strip_ansi(data):
    return re.sub(rb'\x1b\[[0-9;]*m', b'', data)


def test_plain(cli, work):
    import pickle
    start = time.time()
    tool = Tool(cli)
    failures, compared = [], 0
    objects = [(d, o, o) for d, o in plain_objects()] + plain_extension_objects()

    def dumps(obj, **kw):
        try:
            text = json.dumps(obj, **kw)
        except (ValueError, TypeError) as e:
            return None, str(e)
        try:
            return text.encode('utf-8'), None
        except UnicodeEncodeError:  # a lone surrogate, with ensure_ascii=False
            return None, 'a lone surrogate is not UTF-8'

    option_sets = [('default', [], {}),
                   ('--indent 2', ['--indent', '2'], {'indent': 2}),
                   ('--indent 0', ['--indent', '0'], {'indent': 0}),
                   ('--utf8', ['--utf8'], {'ensure_ascii': False}),
                   ('--utf8 --indent 4', ['--utf8', '--indent', '4'],
                    {'ensure_ascii': False, 'indent': 4})]
    problems = {}  # (option set, object) -> [protocols], first message
    not_compared = set()
    outputs = {}   # (option set, protocol) -> output, for the colour checks
    for protocol in PROTOCOLS:
        files = []
        for i, (desc, obj, _) in enumerate(objects):
            files.append(write(os.path.join(work, 'plain%d.p%d.pkl' % (i, protocol)),
                               pickle.dumps(obj, protocol)))
        stream = write(os.path.join(work, 'plain.p%d.pkl' % protocol),
                       b''.join(read(f) for f in files))
        for name, args, kw in option_sets:
            want = []
            for desc, obj, expected in objects:
                text, why = dumps(expected, **kw)
                if text is None:
                    not_compared.add('%s [%s]: %s' % (desc, name, why))
                want.append(text)
            r = tool('json', '--plain', *(args + [stream]))
            outputs[(name, protocol)] = r
            whole = b''.join(w + b'\n' for w in want if w is not None)
            if r.ok and all(w is not None for w in want) and r.stdout == whole:
                compared += len(objects)
                continue
            # Each object alone, to name every one that differs.
            for i, (desc, obj, expected) in enumerate(objects):
                if want[i] is None:
                    continue
                one = tool('json', '--plain', *(args + [files[i]]))
                key = (name, desc)
                if one.ok and one.stdout == want[i] + b'\n':
                    compared += 1
                    continue
                why = (one.error() if not one.ok else
                       describe_difference(want[i] + b'\n', one.stdout, 'json.dumps',
                                           'pickle json --plain'))
                entry = problems.setdefault(key, [[], why, files[i], args])
                entry[0].append(protocol)
    # --color: with the escapes taken out, the output is the plain one.
    for protocol in (2, 5):
        stream = os.path.join(work, 'plain.p%d.pkl' % protocol)
        for name, args, _ in option_sets[:2]:
            base = outputs[(name, protocol)]
            r = tool('json', '--plain', '--color', 'always', *(args + [stream]))
            what = 'pickle json --plain --color always %s (protocol %d)' % (' '.join(args),
                                                                           protocol)
            if not r.ok:
                failures.append('%s: %s' % (what, r.error()))
            elif b'\x1b[' not in r.stdout:
                failures.append('%s: no ANSI escape in the output' % what)
            elif strip_ansi(r.stdout) != base.stdout:
                failures.append('%s: without its escapes, not the plain output: %s' % (
                    what, describe_difference(base.stdout, strip_ansi(r.stdout),
                                              'plain', 'stripped')))
            else:
                compared += 1
        for color in ('never', 'auto'):
            out = os.path.join(work, 'colour.json')
            r = tool('json', '--plain', '--color', color, stream, out)
            got = read_or_none(out)
            if not r.ok or got != outputs[('default', protocol)].stdout:
                failures.append('pickle json --plain --color %s IN OUT (protocol %d): %s' % (
                    color, protocol, r.error() if not r.ok else 'not the plain output'))
            else:
                compared += 1
    for (name, desc), (protocols, why, path, args) in sorted(problems.items()):
        failures.append('%s [%s] at protocols %s: %s\n      %s json --plain %s %s' % (
            desc, name, ','.join(map(str, protocols)), why, cli, ' '.join(args), path))
    for n in sorted(not_compared):
        print('not compared (json.dumps cannot write it): ' + n)
    for f in failures:
        print('FAIL ' + f)
    print('plain JSON: %d objects, protocols 0-5, %d option sets: %d matched, %d failed; '
          '%d runs (%.1fs)' % (len(objects), len(option_sets), compared, len(failures),
                               tool.runs, time.time() - start))
    return 1 if failures else 0


# ------------------------------------------------------------------ malformed JSON
def malformed_cases():
    """(name, JSON text, offsets): the byte offsets N that `JsonError at byte N` may
    name, or None where the parser's choice cannot be predicted (then N must be within
    the text). N is the start of the offending value, or of the offending token
    inside it: the key naming an unknown kind or form key, the id that is duplicated
    or dangling, the member or item that is wrong."""
    def at(text, marker, nth=1):
        i = -1
        for _ in range(nth):
            i = text.index(marker, i + 1)
        return i
    cases = []

    def add(name, text, *markers):
        """markers: substrings (their first occurrence) or (substring, nth) pairs, or
        ints; none: any offset."""
        offsets = set()
        for m in markers:
            if isinstance(m, int):
                offsets.add(m)
            elif isinstance(m, tuple):
                offsets.add(at(text, m[0], m[1]))
            else:
                offsets.add(at(text, m))
        cases.append((name, text, offsets or None))

    # syntax
    add('missing_comma', '[1 2]')
    add('missing_colon', '{"a" 1}')
    add('trailing_comma', '[1, 2,]')
    add('unclosed_string', '["abc')
    add('unclosed_array', '[1, [2, 3]')
    add('unclosed_object', '{"a": {"b": 1}')
    add('trailing_garbage', '[1, 2] xyz', 'xyz')
    add('trailing_bracket', '[1, 2]]', 6)
    add('trailing_brace', '{"a": 1} }', 9)
    add('second_document_malformed', '[1]\n[2,]\n', (']\n', 2))
    add('bare_word', '[nul]')
    add('single_quotes', "['a']")
    add('leading_zero', '[01]')
    add('invalid_utf8', b'["\xff"]')
    add('invalid_utf8_in_key', b'{"\xc3": 1}')
    add('overlong_utf8', b'["\xc0\xaf"]')
    add('lone_surrogate_escape', '["\\ud800"]', '"')
    add('lone_surrogate_escape_in_str_form', '{"$str": "\\udfff"}', '"\\udfff"')
    add('control_character_in_string', '["a\x01b"]')
    # wrong types
    add('tuple_not_array', '{"$tuple": 5}', '5')
    add('object_args_not_array', '{"$object": 1, "args": 5}', '5')
    add('dict_not_container', '{"$dict": 3}', '3')
    add('set_not_array', '{"$set": "abc"}', '"abc"')
    add('bytes_not_string', '{"$bytes": 12}', '12')
    add('float_unknown_name', '{"$float": "NaN"}', '"NaN"')
    add('float_short_hex', '{"$float": "0x123"}', '"0x123"')
    add('int_not_digits', '{"$int": "12x"}', '"12x"')
    add('str_piece_not_surrogate', '{"$str": ["a", 65]}', '65')
    add('global_one_name', '{"$global": ["mod"]}', '["mod"]')
    add('complex_one_part', '{"$complex": [1.5]}', '[1.5]')
    add('kwargs_not_dict', '{"$object": 1, "kwargs": [1]}', '[1]')
    add('how_unknown', '{"$object": 1, "how": "call"}', '"call"')
    add('unhashable_set_member', '{"$set": [[1]]}', '[1]')
    add('unhashable_dict_key', '{"$dict": [[[1], 2]]}', '[1]', '[[1], 2]')
    add('negative_id', '{"$id": -1, "$list": []}', '-1')
    # references and ids
    dangling = '[1, {"$ref": 7}]'
    add('dangling_ref', dangling, '{"$ref"', '7')
    before = '[{"$ref": 1}, {"$id": 1, "$list": []}]'
    add('ref_before_definition', before, '{"$ref"', '1')
    dup = '[{"$id":1,"$list":[]},{"$id":1,"$list":[]}]'
    add('duplicate_id', dup, ('{"$id"', 2), ('1', 2))
    add('duplicate_id_other_kind', '[{"$id": 3, "$tuple": []}, {"$id": 3, "$dict": {}}]',
        ('{"$id"', 2), ('3', 2))
    add('id_without_kind', '{"$id": 1}', '{', '1', '}')
    add('id_not_first', '{"$list": [], "$id": 1}', '{', '"$id"')
    add('id_on_ref', '{"$id": 1, "$ref": 1}', '{', '1', '"$ref"')
    # unknown kinds and keys
    add('unknown_kind', '[0, {"$nope": 1}]', '{"$nope"', '"$nope"')
    add('unknown_key_in_form', '{"$tuple": [], "bogus": 1}', '"bogus"')
    add('unknown_key_in_leaf', '{"$bytes": "", "bogus": 1}', '"bogus"')
    add('key_twice_in_form', '{"$object": 1, "args": [], "args": []}', ('"args"', 2))
    # numbers beyond their range
    add('huge_int', '[' + '9' * 5000 + ']', 1)
    add('huge_negative_int', '[-' + '9' * 5000 + ']', 1)
    add('huge_int_string', '{"$int": "' + '9' * 5000 + '"}', '"9')
    add('float_overflow', '[1e999]', '1e999')
    add('float_overflow_negative', '[-1e999]', '-1e999')
    # base64
    add('bad_base64', '{"$bytes": "!!!"}', '"!!!"')
    add('bad_base64_padding', '{"$bytes": "QQ=x"}', '"QQ=x"')
    add('bad_base64_bytearray', '{"$bytearray": "a b"}', '"a b"')
    # pairs
    add('pair_three_items', '{"$dict": [[1, 2, 3]]}', '[1, 2, 3]', '3')
    add('pair_one_item', '{"$dict": [[1]]}', '[1]')
    add('pair_not_array', '{"$dict": [5]}', '5')
    # nothing
    add('empty', '', 0)
    add('only_whitespace', ' \n\t\n', 0)
    return cases


# Well-formed inputs, each beside the malformed ones it resembles: accepted (exit 0).
WELL_FORMED = [
    '[{"$id":1,"$list":[]},{"$id":2,"$list":[{"$ref":1}]}]',
    '{"$id": 1, "$list": [{"$ref": 1}]}',
    '{"$dict": [[1, 2], [{"$tuple": [3]}, 4]]}',
    '{"$str": ["a", 55296, "b"]}',
    '{"$bytes": "QUJD"}',
    '{"$float": "0x7ff8000000000001"}',
    '{"$int": "-0x10000000000000000"}',
    '{"$object": {"$global": ["m", "C"]}, "args": [1], "kwargs": {"k": 2}, "how": "newobj_ex"}',
    '[1]\n[2]\n',
    '[' + '9' * 4300 + ']',
]


ERROR_LINE = re.compile(r'JsonError at byte (\d+)')


def test_malformed(cli, work):
    start = time.time()
    tool = Tool(cli)
    failures, passed = [], 0
    cases = malformed_cases()
    for name, text, offsets in cases:
        data = text if isinstance(text, bytes) else text.encode('utf-8')
        folder = os.path.join(work, name)
        os.makedirs(folder)
        src = write(os.path.join(folder, 'in.json'), data)
        out = os.path.join(folder, 'out.pkl')
        r = tool('from-json', src, out)
        err = r.stderr.decode('utf-8', 'replace')
        lines = err.rstrip('\n').split('\n')
        m = ERROR_LINE.search(err)
        problems = []
        if r.returncode != 1:
            problems.append('exit status %d, not 1' % r.returncode)
        if r.stdout:
            problems.append('standard output not empty: %r' % r.stdout[:200])
        if len(lines) != 1 or not err.endswith('\n'):
            problems.append('standard error is not one line')
        if not m:
            problems.append('no "JsonError at byte N" on standard error')
        else:
            n = int(m.group(1))
            if offsets is None:
                if not 0 <= n <= len(data):
                    problems.append('byte %d is outside the %d bytes of input' % (n, len(data)))
            elif n not in offsets:
                problems.append('byte %d (at %r), expected %s' % (
                    n, data[n:n + 20], ' or '.join('%d (at %r)' % (o, data[o:o + 20])
                                                   for o in sorted(offsets))))
        left = sorted(os.listdir(folder))
        if left != ['in.json']:
            problems.append('left behind: %s' % ' '.join(f for f in left if f != 'in.json'))
        shown = repr(data if len(data) <= 80 else data[:60] + b'...' + data[-10:])
        if problems:
            failures.append('%s: %s\n      input %s\n      stderr %r\n      %s from-json IN OUT'
                            % (name, '; '.join(problems), shown, err.strip()[:300], cli))
        else:
            passed += 1
            print('ok %-36s %s' % (name, lines[0].partition(': ')[2][:110]))
    for text in WELL_FORMED:
        folder = os.path.join(work, 'well_formed')
        os.makedirs(folder, exist_ok=True)
        src = write(os.path.join(folder, 'in.json'), text.encode('utf-8'))
        out = os.path.join(folder, 'out.pkl')
        r = tool('from-json', src, out)
        if not r.ok or not os.path.exists(out):
            failures.append('well-formed input refused: %s\n      input %r' % (
                r.error(), text[:100]))
        else:
            passed += 1
    # An existing OUT stays as it was when the input is malformed.
    folder = os.path.join(work, 'existing_out')
    os.makedirs(folder)
    src = write(os.path.join(folder, 'in.json'), b'[1]\n[2, {"$ref": 9}]\n')
    out = write(os.path.join(folder, 'out.pkl'), b'keep me')
    r = tool('from-json', src, out)
    if r.returncode != 1 or read(out) != b'keep me' or len(os.listdir(folder)) != 2:
        failures.append('existing_out: a malformed input changed an existing OUT or left a '
                        'file (exit %d, OUT now %r, files %s)' % (
                            r.returncode, read(out)[:40], sorted(os.listdir(folder))))
    else:
        passed += 1
    for f in failures:
        print('FAIL ' + f)
    print('malformed JSON: %d cases, %d passed, %d failed (%.1fs)'
          % (len(cases) + len(WELL_FORMED) + 1, passed, len(failures), time.time() - start))
    return 1 if failures else 0


# ------------------------------------------------------------------ deep nesting
def test_deep(cli, work, depth):
    start = time.time()
    tool = Tool(cli)
    shapes = [('lists', '[' * depth + ']' * depth)]
    if depth <= 1000000:
        shapes.append(('dicts', '{"a":' * depth + '{}' + '}' * depth))
        # As `pickle json` writes them back: a pickle memoizes every tuple but the empty one.
        shapes.append(('tuples', '{"$tuple":[' * depth + '{"$tuple":[]}'
                       + '],"memoized":true}' * depth))
        shapes.append(('sets of frozensets', '{"$set":[' + '{"$frozenset":[' * depth
                       + ']}' * depth + ']}'))
    failures = []
    for name, text in shapes:
        data = (text + '\n').encode('ascii')
        src = write(os.path.join(work, '%s.json' % name), data)
        pkl = os.path.join(work, '%s.pkl' % name)
        back = os.path.join(work, '%s.back.json' % name)
        t0 = time.time()
        r = tool('from-json', '--protocol', '5', src, pkl, timeout=3600)
        t1 = time.time()
        if not r.ok:
            left = [f for f in os.listdir(work) if f.startswith(os.path.basename(pkl))]
            failures.append('%d-deep %s: pickle from-json %s%s\n      %s from-json --protocol 5 '
                            'IN OUT, IN: %r...%r (%d bytes)' % (
                                depth, name, r.error(),
                                '; left behind: ' + ' '.join(left) if left else '',
                                cli, data[:30], data[-30:], len(data)))
            continue
        r = tool('json', pkl, back, timeout=3600)
        t2 = time.time()
        got = read_or_none(back)
        if not r.ok:
            failures.append('%d-deep %s: pickle json %s' % (depth, name, r.error()))
        elif got != data:
            failures.append('%d-deep %s: pickle json gives other text: %s' % (
                depth, name, describe_difference(data, got or b'', 'JSON in', 'JSON out')))
        print('%d-deep %s: %d bytes of JSON, from-json %.1fs, json %.1fs, pickle %d bytes'
              % (depth, name, len(data), t1 - t0, t2 - t1, os.path.getsize(pkl)))
        for path in (pkl, back):
            if os.path.exists(path):
                os.remove(path)
    # The other direction alone: a pickle of that many nested lists (EMPTY_LIST ...
    # APPEND ...) through `pickle json` and `pickle json --plain`.
    pkl = write(os.path.join(work, 'lists.made.pkl'),
                b'\x80\x02' + b']' * depth + b'a' * (depth - 1) + b'.')
    want = ('[' * depth + ']' * depth + '\n').encode('ascii')
    for args in ([], ['--plain']):
        out = os.path.join(work, 'lists.made.json')
        t0 = time.time()
        r = tool('json', *(args + [pkl, out]), timeout=3600)
        got = read_or_none(out)
        print('%d-deep lists pickled directly: pickle json %s %.1fs'
              % (depth, ' '.join(args), time.time() - t0))
        if not r.ok or got != want:
            failures.append('%d-deep lists pickled directly: pickle json %s: %s' % (
                depth, ' '.join(args), r.error() if not r.ok else
                describe_difference(want, got or b'', 'expected', 'got')))
        if os.path.exists(out):
            os.remove(out)
    for f in failures:
        print('FAIL ' + f)
    print('%d-deep: %d failed (%.1fs)' % (depth, len(failures), time.time() - start))
    return 1 if failures else 0


# ------------------------------------------------------------------ main
def inventory():
    found = pythons.find_interpreters(LABELS, names=('python3', 'python2'))
    pythons.report_inventory(found, LABELS, describe, 'found:   %-24s %s (%s)')
    if not found:
        print('FAIL: no CPython interpreter found at all (pyenv root: %s, and %s)'
              % (pyenv_root(), SYSTEM_PYTHON))
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--inventory', action='store_true')
    ap.add_argument('--cli', metavar='PICKLE')
    ap.add_argument('--roundtrip', action='store_true')
    ap.add_argument('--python', metavar='LABEL', choices=LABELS)
    ap.add_argument('--protocols', default=','.join(map(str, PROTOCOLS)),
                    help='target protocols of --roundtrip, comma-separated (default 0-5)')
    ap.add_argument('--libraries', action='store_true')
    ap.add_argument('--plain', action='store_true')
    ap.add_argument('--malformed', action='store_true')
    ap.add_argument('--deep', type=int, metavar='N')
    ap.add_argument('--keep', metavar='DIR', help='copy the work directory here')
    args = ap.parse_args()
    if args.inventory:
        return inventory()
    modes = [args.roundtrip, args.libraries, args.plain, args.malformed, args.deep is not None]
    if not args.cli or sum(map(bool, modes)) != 1 or (args.roundtrip and not args.python):
        ap.error('give --inventory, or --cli with one of --roundtrip --python LABEL, '
                 '--libraries, --plain, --malformed, --deep N')
    cli = os.path.abspath(args.cli)
    work = tempfile.mkdtemp(prefix='pickle-json-')
    try:
        if args.roundtrip:
            protocols = [int(p) for p in args.protocols.split(',')]
            status = test_roundtrip(cli, args.python, work, protocols)
        elif args.libraries:
            status = test_libraries(cli, work)
        elif args.plain:
            status = test_plain(cli, work)
        elif args.malformed:
            status = test_malformed(cli, work)
        else:
            status = test_deep(cli, work, args.deep)
        if args.keep:
            if os.path.exists(args.keep):
                shutil.rmtree(args.keep)
            shutil.copytree(work, args.keep)
        return status
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
