"""Golden tests of `pickle dis` and `pickle optimize` against CPython's pickletools.

    python3 -m pickletests.tools --cli build/dev/pickle --python 3.12  # the zoo of one CPython
    python3 -m pickletests.tools --cli build/dev/pickle --malformed    # malformed inputs
    python3 -m pickletests.tools --cli build/dev/pickle --numbers      # INT, LONG, FLOAT lines
    python3 -m pickletests.tools --inventory                           # interpreters found / skipped

The expected outputs are made at test time by the oracle, python3.13 (cpython/oracle.py);
nothing expected is committed. See tests/README.md.

Exit status: 0 all matched, 1 a mismatch or harness failure, 77 (ctest's skip code)
when the interpreter asked for is absent.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from pickletests import ROOT, first_difference, script
from pickletests.pythons import clean_env, find_interpreters, report_inventory

ZOO_GEN = script('zoo_gen.py')
OPCODES_DEF = os.path.join(ROOT, 'include', 'pickle', 'opcodes.def')
LABELS = ['2.7', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13']
ORACLE = '3.13'
SKIP = 77
RUN_TIMEOUT = 300
# `pickle dis` options compared on the zoo; --memo is tried on files of several pickles.
VARIANTS = {'plain': [], 'annotate': ['--annotate'], 'indent': ['--indentlevel', '1']}
MEMO_VARIANT = {'memo': ['--memo'], 'plain': []}
ERROR_LINE = re.compile(r'^UnpicklingError at byte (\d+)(?: \(([^)]*)\))?: .+$')


# ------------------------------------------------------------------ running
class Run(object):
    def __init__(self, cmd, stdin=None):
        self.cmd = cmd
        try:
            p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
            self.returncode, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired:
            self.returncode, out, err = -999, b'', b'TIMEOUT'
        self.stdout = out.decode('utf-8', 'backslashreplace')
        self.stderr = err.decode('utf-8', 'backslashreplace')


def run_python(python, args, what):
    p = subprocess.run([python] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=clean_env(), timeout=1800, universal_newlines=True)
    if p.returncode != 0:
        raise SystemExit('%s failed (%d):\n%s%s' % (what, p.returncode, p.stdout, p.stderr))
    return p.stdout


def oracle(python, files, variants, workdir, optimize):
    opt_dir = None
    if optimize:
        opt_dir = os.path.join(workdir, 'optimized')
        os.makedirs(opt_dir)
    job = os.path.join(workdir, 'job.json')
    result = os.path.join(workdir, 'expected.json')
    with open(job, 'w') as f:
        json.dump({'opcodes_def': OPCODES_DEF, 'files': files, 'variants': variants,
                   'optimize_dir': opt_dir}, f)
    run_python(python, [script('oracle.py'), job, result], 'oracle.py')
    with open(result) as f:
        return json.load(f)


def describe(expected, got, limit=3):
    """The first differing line of two texts, with its neighbours."""
    el, gl = expected.split('\n'), got.split('\n')
    i = first_difference(el, gl)
    lines = ['  first difference at line %d:' % (i + 1)]
    for k in range(max(0, i - 1), i + limit):
        if k < len(el) or k < len(gl):
            lines.append('    expected: %r' % (el[k] if k < len(el) else '<end>'))
            lines.append('    got:      %r' % (gl[k] if k < len(gl) else '<end>'))
    return '\n'.join(lines)


def check_error_line(run, offset, opcode):
    """None when stderr is the one error line naming offset and opcode."""
    lines = run.stderr.rstrip('\n').split('\n')
    if len(lines) != 1:
        return 'stderr is not one line: %r' % run.stderr[:500]
    m = ERROR_LINE.match(lines[0])
    if not m:
        return 'stderr is not an UnpicklingError line: %r' % lines[0]
    if offset is not None and (int(m.group(1)) != offset or m.group(2) != opcode):
        return ('error at byte %s (%s), expected byte %d (%s): %r'
                % (m.group(1), m.group(2), offset, opcode, lines[0]))
    return None


class Checker(object):
    def __init__(self, cli, workdir):
        self.cli = cli
        self.workdir = workdir
        self.failures = []
        self.checked = 0

    def fail(self, what, detail):
        self.failures.append('FAIL %s\n%s' % (what, detail))

    def dis(self, options, path, stdin=None):
        target = '-' if stdin is not None else path
        return Run([self.cli, 'dis'] + options + [target], stdin)

    # -- dis of one file whose pickles pickletools fails on, or a single check
    def dis_one(self, label, options, path, expected):
        self.checked += 1
        r = self.dis(options, path)
        what = '%s: pickle dis %s %s' % (label, ' '.join(options), os.path.basename(path))
        if r.stdout != expected['text']:
            self.fail(what, describe(expected['text'], r.stdout))
            return
        if expected['failed']:
            if r.returncode != 1:
                self.fail(what, '  pickletools fails (%s), exit status %d'
                          % (expected['error'], r.returncode))
                return
            problem = check_error_line(r, expected['offset'], expected['opcode'])
            if problem:
                self.fail(what, '  %s\n  pickletools: %s' % (problem, expected['error']))
        elif r.returncode != 0 or r.stderr:
            self.fail(what, '  exit status %d, stderr %r' % (r.returncode, r.stderr[:300]))

    # -- dis of many good files at once, concatenated into one stream
    def dis_stream(self, label, options, entries, name, via_stdin=False):
        if not entries:
            return
        self.checked += len(entries)
        stream = os.path.join(self.workdir, '%s.stream.pkl' % name)
        data = b''
        for e in entries:
            with open(e['file'], 'rb') as f:
                data += f.read()
        with open(stream, 'wb') as f:
            f.write(data)
        expected = ''.join(e['dis'][name]['text'] for e in entries)
        r = self.dis(options, stream, data if via_stdin else None)
        what = '%s: pickle dis %s <%d files%s>' % (label, ' '.join(options), len(entries),
                                                  ' through stdin' if via_stdin else '')
        if r.stdout == expected and r.returncode == 0 and not r.stderr:
            return
        # Find the first file whose text differs.
        at = first_difference(expected, r.stdout)
        pos = 0
        for e in entries:
            text = e['dis'][name]['text']
            if pos + len(text) > at:
                got = r.stdout[pos:pos + len(text) + 2000]
                self.fail('%s, first in %s' % (what, os.path.basename(e['file'])),
                          describe(text, got) + '\n  exit status %d, stderr %r'
                          % (r.returncode, r.stderr[:300]))
                return
            pos += len(text)
        self.fail(what, '  exit status %d, stderr %r' % (r.returncode, r.stderr[:300]))

    # -- optimize
    def optimize_stream(self, label, entries):
        good = [e for e in entries if e.get('optimize')]
        if good:
            self.checked += len(good)
            data, expected = b'', b''
            for e in good:
                with open(e['file'], 'rb') as f:
                    data += f.read()
                with open(e['optimize'], 'rb') as f:
                    expected += f.read()
            src = os.path.join(self.workdir, 'optimize.in.pkl')
            dst = os.path.join(self.workdir, 'optimize.out.pkl')
            with open(src, 'wb') as f:
                f.write(data)
            r = Run([self.cli, 'optimize', src, dst])
            got = b''
            if os.path.exists(dst):
                with open(dst, 'rb') as f:
                    got = f.read()
                os.remove(dst)
            if r.returncode != 0 or got != expected:
                self.optimize_each(label, good, r)
        for e in entries:
            if e.get('optimize') is None:
                self.checked += 1
                dst = os.path.join(self.workdir, 'refused.out.pkl')
                r = Run([self.cli, 'optimize', e['file'], dst])
                what = '%s: pickle optimize %s' % (label, os.path.basename(e['file']))
                if r.returncode != 1 or os.path.exists(dst):
                    self.fail(what, '  pickletools cannot optimize it: expected exit status 1 '
                              'and no output file, got %d' % r.returncode)
                else:
                    problem = check_error_line(r, None, None)
                    if problem:
                        self.fail(what, '  ' + problem)
                if os.path.exists(dst):
                    os.remove(dst)

    def optimize_each(self, label, entries, stream_run):
        reported = 0
        for e in entries:
            dst = os.path.join(self.workdir, 'one.out.pkl')
            r = Run([self.cli, 'optimize', e['file'], dst])
            got = b''
            if os.path.exists(dst):
                with open(dst, 'rb') as f:
                    got = f.read()
                os.remove(dst)
            with open(e['optimize'], 'rb') as f:
                expected = f.read()
            if r.returncode != 0 or got != expected:
                at = first_difference(expected, got)
                self.fail('%s: pickle optimize %s' % (label, os.path.basename(e['file'])),
                          '  exit status %d %s\n  first difference at byte %d of %d/%d:'
                          '\n    expected %r\n    got      %r'
                          % (r.returncode, r.stderr.strip()[:300], at, len(expected),
                             len(got), expected[max(0, at - 10):at + 30],
                             got[max(0, at - 10):at + 30]))
                reported += 1
                if reported >= 5:
                    return
        if not reported:
            self.fail('%s: pickle optimize <stream>' % label,
                      '  the stream differs but no file alone does: exit status %d %s'
                      % (stream_run.returncode, stream_run.stderr[:300]))


# ------------------------------------------------------------------ the zoo
def check_zoo(args, found, label):
    python = found[label][0]
    oracle_python = found[ORACLE][0]
    workdir = tempfile.mkdtemp(prefix='pickle-tools-%s-' % label)
    try:
        zoo = os.path.join(workdir, 'zoo')
        run_python(python, [ZOO_GEN, zoo], 'zoo_gen.py under python%s' % label)
        with open(os.path.join(zoo, 'manifest.json')) as f:
            manifest = json.load(f)
        files = [os.path.join(zoo, e['file']) for e in manifest['entries']]
        expected = oracle(oracle_python, files, VARIANTS, workdir, optimize=True)
        memo_files = [e['file'] for e in expected if e['pickles'] > 1]
        memo_expected = {}
        if memo_files:
            memo_dir = os.path.join(workdir, 'memo')
            os.makedirs(memo_dir)
            for e in oracle(oracle_python, memo_files, MEMO_VARIANT, memo_dir, optimize=False):
                memo_expected[e['file']] = e['dis']
        checker = Checker(args.cli, workdir)
        for name, options in sorted(VARIANTS.items()):
            good = [e for e in expected if not e['dis'][name]['failed']]
            checker.dis_stream(label, options, good, name)
            for e in expected:
                if e['dis'][name]['failed']:
                    checker.dis_one(label, options, e['file'], e['dis'][name])
        checker.dis_stream(label, [], [e for e in expected if not e['dis']['plain']['failed']],
                           'plain', via_stdin=True)
        for path, variants in sorted(memo_expected.items()):
            for name, options in sorted(MEMO_VARIANT.items()):
                checker.dis_one(label, options, path, variants[name])
        checker.optimize_stream(label, expected)
        failed_dis = sum(1 for e in expected if e['dis']['plain']['failed'])
        print('python%s: %d files (%d pickles), %d that pickletools cannot disassemble, '
              '%d it cannot optimize; %d checks' %
              (label, len(expected), sum(e['pickles'] for e in expected), failed_dis,
               sum(1 for e in expected if e.get('optimize') is None), checker.checked))
        skipped = manifest.get('skipped', [])
        if skipped:
            print('  %d zoo cases python%s cannot pickle at some protocol (see zoo_gen.py)'
                  % (len(skipped), label))
        if args.keep:
            shutil.copytree(workdir, os.path.join(args.keep, label))
        return checker.failures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------ malformed input
def check_malformed(args, found):
    oracle_python = found[ORACLE][0]
    workdir = tempfile.mkdtemp(prefix='pickle-tools-malformed-')
    failures = []
    try:
        cases = os.path.join(workdir, 'cases')
        run_python(oracle_python, [script('malformed.py'), cases], 'malformed.py')
        files = sorted(glob.glob(os.path.join(cases, '*.pkl')))
        expected = oracle(oracle_python, files, {'plain': [], 'annotate': ['--annotate']},
                          workdir, optimize=True)
        same = stricter = optimized = refused = 0
        for e in expected:
            generated = re.search(r'_(cut|edit)\d+\.pkl$', e['file'])
            for name, options in (('plain', []), ('annotate', ['--annotate'])):
                if generated and name == 'annotate':
                    continue  # annotations are checked on the hand-made inputs
                exp = e['dis'][name]
                r = Run([args.cli, 'dis'] + options + [e['file']])
                what = 'pickle dis %s %s' % (' '.join(options), os.path.basename(e['file']))
                problem = compare_malformed(args.cli, e, exp, r)
                if problem is None:
                    same += 1
                elif problem == 'stricter':
                    stricter += 1
                else:
                    failures.append('FAIL %s\n%s' % (what, problem))
            if re.search(r'_cut\d+\.pkl$', e['file']):
                continue  # a truncated pickle cannot be optimized either
            problem = compare_malformed_optimize(args.cli, e, workdir)
            if problem is None:
                optimized += 1
            elif problem == 'refused':
                refused += 1
            else:
                failures.append('FAIL pickle optimize %s\n%s'
                                % (os.path.basename(e['file']), problem))
        print('malformed: %d inputs; dis: %d runs identical to pickletools, %d stopped '
              'earlier where the Unpickler refuses the stream; optimize: %d identical, %d '
              'refused where the Unpickler refuses the stream'
              % (len(expected), same, stricter, optimized, refused))
        if args.keep:
            shutil.copytree(workdir, os.path.join(args.keep, 'malformed'))
        return failures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def compare_malformed(cli, entry, exp, r):
    """None when `pickle dis` matches pickletools, 'stricter' when it stops earlier at an
    opcode the Unpickler refuses too, else a description of the difference."""
    text = exp['text']
    if r.stdout == text:
        if exp['failed']:
            if r.returncode != 1:
                return '  pickletools fails (%s), exit status %d' % (exp['error'], r.returncode)
            problem = check_error_line(r, exp['offset'], exp['opcode'])
            return '  %s\n  pickletools: %s' % (problem, exp['error']) if problem else None
        if r.returncode != 0:
            return '  pickletools succeeds; exit status %d, %r' % (r.returncode, r.stderr)
        return None
    # Otherwise dis must have stopped earlier, after a whole line, with the error line
    # naming the opcode whose line pickletools printed next ...
    rest = text[len(r.stdout):]
    m = re.match(r' *(\d+): ', rest)
    if not text.startswith(r.stdout) or (r.stdout and not r.stdout.endswith('\n')) or not m:
        return describe(text, r.stdout)
    problem = check_error_line(r, None, None)
    if problem:
        return '  ' + problem
    if r.returncode != 1:
        return '  stopped early with exit status %d' % r.returncode
    offset = int(ERROR_LINE.match(r.stderr.strip()).group(1))
    # (offsets printed count from the start of each pickle)
    if offset - int(m.group(1)) not in entry['starts']:
        return ('  stopped at byte %d (%s), but pickletools went on with %r'
                % (offset, r.stderr.strip(), rest[:80]))
    # ... and the Unpickler must refuse the stream there or before.
    show = Run([cli, 'show', entry['file']])
    loaded = ERROR_LINE.match(show.stderr.strip())
    if show.returncode != 1 or not loaded or int(loaded.group(1)) > offset:
        return ('  dis stopped at byte %d (%s) where pickletools went on, but `pickle show` '
                'reads on: %r' % (offset, r.stderr.strip(), show.stderr.strip()))
    return 'stricter'


def compare_malformed_optimize(cli, entry, workdir):
    """None when `pickle optimize` does what pickletools.optimize does, 'refused' when
    it refuses a stream the Unpickler refuses too, else a description."""
    dst = os.path.join(workdir, 'malformed.out.pkl')
    r = Run([cli, 'optimize', entry['file'], dst])
    got = None
    if os.path.exists(dst):
        with open(dst, 'rb') as f:
            got = f.read()
        os.remove(dst)
    if entry['optimize'] is None:
        if r.returncode == 1 and got is None and check_error_line(r, None, None) is None:
            return None
        return '  pickletools cannot optimize it; exit status %d, %r' % (r.returncode, r.stderr)
    with open(entry['optimize'], 'rb') as f:
        expected = f.read()
    if r.returncode == 0 and got == expected:
        return None
    if r.returncode != 1 or got is not None or check_error_line(r, None, None):
        return ('  exit status %d, %r\n  expected %r\n  got      %r'
                % (r.returncode, r.stderr, expected[:120], (got or b'')[:120]))
    offset = int(ERROR_LINE.match(r.stderr.strip()).group(1))
    show = Run([cli, 'show', entry['file']])
    loaded = ERROR_LINE.match(show.stderr.strip())
    if show.returncode != 1 or not loaded or int(loaded.group(1)) > offset:
        return ('  optimize refused it at byte %d (%s) where pickletools did not, but '
                '`pickle show` reads on: %r' % (offset, r.stderr.strip(), show.stderr.strip()))
    return 'refused'


# ------------------------------------------------------------------ text numbers
def check_numbers(args, found):
    """INT, LONG and FLOAT lines (text_numbers.py): `pickle show` must load what CPython's C
    unpickler loads (same repr) or refuse what it refuses, at the opcode; `pickle dis`
    must print exactly what pickletools prints and fail where it fails."""
    oracle_python = found[ORACLE][0]
    workdir = tempfile.mkdtemp(prefix='pickle-tools-numbers-')
    failures = []
    try:
        cases = os.path.join(workdir, 'cases')
        run_python(oracle_python, [script('text_numbers.py'), cases], 'text_numbers.py')
        with open(os.path.join(cases, 'expected.json')) as f:
            loads = json.load(f)
        files = sorted(loads)
        dis = {e['file']: e['dis']['plain'] for e in
               oracle(oracle_python, files, {'plain': []}, workdir, optimize=False)}
        checker = Checker(args.cli, workdir)
        loaded = refused = limit = 0
        for path in files:
            name = os.path.basename(path)
            with open(path, 'rb') as f:
                op = {'I': 'INT', 'L': 'LONG', 'F': 'FLOAT'}[f.read(1).decode()]
            exp = loads[path]
            r = Run([args.cli, 'show', path])
            if 'repr' in exp:
                loaded += 1
                if r.returncode != 0 or r.stdout != exp['repr'] + '\n':
                    failures.append('FAIL pickle show %s: CPython loads %r; exit %d, %r %r'
                                    % (name, exp['repr'][:80], r.returncode, r.stdout[:80],
                                       r.stderr.strip()[:200]))
            elif exp.get('int_digits_limit'):
                # CPython's int_max_str_digits (4300); ours is Limits::max_int_digits.
                limit += 1
            else:
                refused += 1
                problem = check_error_line(r, 0, op) if r.returncode == 1 else \
                    'exit status %d, %r' % (r.returncode, r.stdout[:80])
                if problem:
                    failures.append('FAIL pickle show %s: CPython raises %s; %s'
                                    % (name, exp['error'][:100], problem))
            checker.dis_one('numbers', [], path, dis[path])
        failures.extend(checker.failures)
        print('numbers: %d text numbers; show: %d loaded as CPython loads them, %d refused '
              'as CPython refuses them, %d past CPython\'s 4300-digit int limit; dis: %d '
              'compared with pickletools' % (len(files), loaded, refused, limit,
                                             checker.checked))
        if args.keep:
            shutil.copytree(workdir, os.path.join(args.keep, 'numbers'))
        return failures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------ main
def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cli', help='the pickle executable')
    parser.add_argument('--python', choices=LABELS, help='test the zoo of this CPython')
    parser.add_argument('--malformed', action='store_true', help='test malformed inputs')
    parser.add_argument('--numbers', action='store_true', help='test INT, LONG, FLOAT lines')
    parser.add_argument('--inventory', action='store_true', help='list the interpreters')
    parser.add_argument('--keep', help='copy the working directory here')
    args = parser.parse_args()
    found = find_interpreters(LABELS)
    if args.inventory:
        report_inventory(found, LABELS)
        if not found:
            print('FAIL: no CPython found (pyenv versions 2.7, 3.6-3.13)')
            return 1
        if ORACLE not in found:
            print('FAIL: python%s, the oracle of `pickle dis`, is not found' % ORACLE)
            return 1
        return 0
    if not args.cli:
        parser.error('--cli is required')
    if ORACLE not in found:
        print('SKIPPED: python%s (the oracle) not found; nothing to compare with' % ORACLE)
        return SKIP
    if args.malformed:
        failures = check_malformed(args, found)
    elif args.numbers:
        failures = check_numbers(args, found)
    elif args.python:
        if args.python not in found:
            print('SKIPPED: python%s not found' % args.python)
            return SKIP
        failures = check_zoo(args, found, args.python)
    else:
        parser.error('give --python LABEL, --malformed, --numbers or --inventory')
    for f in failures[:40]:
        print(f)
    if len(failures) > 40:
        print('... and %d more failures' % (len(failures) - 40))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
