"""CPython interop test for `pickle show`.

For each CPython found on this machine (pyenv's 2.7 and 3.6-3.13, Debian's
/usr/bin/python3), zoo_gen.py writes the object zoo at every protocol the
interpreter knows; mirror.py, run under the oracle (python3.13), computes the line
`pickle show` must print for each pickle; this driver runs `pickle show` and
compares. See tests/README.md.

    python3 -m pickletests.interop --cli build/pickle                # every interpreter found
    python3 -m pickletests.interop --cli build/pickle --python 3.13  # one interpreter (ctest)
    python3 -m pickletests.interop --inventory                       # which are found / skipped

Exit status: 0 all matched, 1 a mismatch or harness failure, 77 (ctest's skip code)
when every interpreter asked for is absent.
"""
import argparse
import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from pickletests import first_difference, script
from pickletests.pythons import (SYSTEM_PYTHON, clean_env, find_interpreters,
                                 label_name, pyenv_root, report_inventory)

LABELS = ['2.7', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', 'system']
ORACLE = '3.13'
SKIP = 77
# Extra runs over pickles that hold Python 2 str: (key, --encoding, --errors).
VARIANTS = [('latin1', 'latin1', 'strict'), ('bytes', 'bytes', 'strict'),
            ('utf8', 'utf-8', 'strict'), ('utf8replace', 'utf-8', 'replace'),
            ('utf8surrogateescape', 'utf-8', 'surrogateescape'),
            ('asciibackslashreplace', 'ASCII', 'backslashreplace')]
MAX_DIFFS_PER_CASE = 2
RUN_TIMEOUT = 120


# ------------------------------------------------------------------ interpreters
def choose_oracle(found):
    if ORACLE in found:
        return found[ORACLE][0], None
    py3 = sorted((v, p) for p, v in found.values() if v[0] == 3)
    if py3:
        version, path = py3[-1]
        return path, ('python%s not found: the oracle is %s (%d.%d.%d); reprs of '
                      'recently assigned Unicode characters may differ' %
                      ((ORACLE, path) + version))
    return sys.executable, ('no pyenv/system python3 found: the oracle is %s' %
                            sys.executable)


# ------------------------------------------------------------------ running show
class Result(object):
    def __init__(self, returncode, stdout, stderr):
        self.returncode = returncode
        self.lines = stdout.split('\n')
        if self.lines and self.lines[-1] == '':
            self.lines.pop()
        self.stdout = stdout
        self.stderr = stderr


def run_show(cli, options, path, stdin_data=None):
    cmd = [cli, 'show'] + list(options) + [path]
    try:
        p = subprocess.run(cmd, input=stdin_data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return Result(-999, '', 'TIMEOUT after %ds: %s' % (RUN_TIMEOUT, ' '.join(cmd)))
    return Result(p.returncode, p.stdout.decode('utf-8', 'backslashreplace'),
                  p.stderr.decode('utf-8', 'backslashreplace'))


def variant_options(key):
    for k, encoding, errors in VARIANTS:
        if k == key:
            return ['--encoding', encoding, '--errors', errors]
    return []


def window(text, column, width=70):
    """A piece of a long line around `column`, and the column within it."""
    if len(text) <= 2 * width + 20:
        return text, column
    start = max(0, column - width)
    end = column + width
    prefix = '...' if start else ''
    return (prefix + text[start:end] + ('...' if end < len(text) else ''),
            column - start + len(prefix))


def describe_line(expected, got):
    col = first_difference(expected, got)
    e, ecol = window(expected, col)
    g, _ = window(got, col)
    return ('  expected: %s\n  got:      %s\n            %s^ first difference at column %d'
            % (e, g, ' ' * ecol, col))


def error_prefix(error):
    if error['opcode'] is None:
        return 'UnpicklingError at byte %d: ' % error['offset']
    return 'UnpicklingError at byte %d (%s): ' % (error['offset'], error['opcode'])


def compare(expected, result):
    """None if `pickle show` printed what the mirror expects, else a description."""
    want, got = expected['lines'], result.lines
    problems = []
    if want != got:
        i = first_difference(want, got)
        if i < len(want) and i < len(got):
            problems.append('pickle #%d differs:\n%s' % (i, describe_line(want[i], got[i])))
        else:
            problems.append('expected %d line(s) on stdout, got %d%s' % (
                len(want), len(got),
                ('; first missing: ' + window(want[i], 0)[0]) if i < len(want) else
                ('; first extra: ' + window(got[i], 0)[0])))
    err = result.stderr.rstrip('\n')
    if expected['error'] is None:
        if result.returncode != 0:
            problems.append('exit status %d, expected 0' % result.returncode)
    else:
        prefix = error_prefix(expected['error'])
        if result.returncode != 1:
            problems.append('exit status %d, expected 1 (CPython: %s at byte %d)' % (
                result.returncode, expected['error']['message'], expected['error']['offset']))
        if '\n' in err or not err.startswith(prefix):
            problems.append('stderr should be one line starting %r (CPython: %s)' % (
                prefix, expected['error']['message']))
    if not problems:
        return None
    text = '\n'.join('  ' + p if not p.startswith('  ') else p for p in problems)
    if err:
        text += '\n  stderr:   ' + window(err, 0)[0]
    return text


def option_tag(variant, shared_memo):
    """How a run is named in the report: the --encoding/--errors variant, and
    whether --shared-memo was given."""
    if not shared_memo:
        return variant
    return 'shared-memo' if variant == 'default' else variant + '+shared-memo'


class Checker(object):
    def __init__(self, label, cli, gendir, workdir, oracle, manifest, expected):
        self.label = label
        self.cli = cli
        self.gendir = gendir
        self.workdir = workdir
        self.oracle = oracle
        self.entries = manifest['entries']
        self.files = expected['results']
        self.failures = []  # (case, file, tag)
        self.harness_problems = []
        self.checked = collections.Counter()
        self.diffs_shown = collections.Counter()

    def path(self, name):
        return os.path.join(self.gendir, name)

    @staticmethod
    def is_stream(entry):
        """Written by one Pickler with several dump() calls."""
        return entry.get('stream', entry.get('pickles', 1) > 1)

    def expected(self, entry, variant, shared_memo=False):
        """What the mirror expects of one file: each pickle with a fresh memo, or with
        --shared-memo one memo for the file (the same, but for files written by one
        Pickler)."""
        result = self.files.get(entry['file'])
        if result is None:
            return None
        if shared_memo and 'shared' in result:
            return result['shared'].get(variant)
        return result['variants'].get(variant)

    def fail(self, case, fname, tag, message):
        if (case, fname, tag) in self.failures:
            return
        self.failures.append((case, fname, tag))
        if self.diffs_shown[case] < MAX_DIFFS_PER_CASE:
            self.diffs_shown[case] += 1
            print('MISMATCH %s [%s] %s\n%s' % (label_name(self.label), tag, fname, message))
            sys.stdout.flush()

    def plan_streams(self, case_filter):
        """The files to concatenate, and how: [{name, variant, entries, shared_memo,
        stdin}].

        Each pickle starts with a fresh memo, so the output for files concatenated
        is each file's output in turn, whatever their order: every file that loads
        without an error joins the stream of its protocol and pickler. A file that
        fails (on purpose, or a file of several pickles that refers back to an
        earlier one) is run alone. A file written by one Pickler is also run alone
        with --shared-memo.
        """
        entries = []
        seen = set()
        for e in self.entries:
            if case_filter not in e['case']:
                continue
            with open(self.path(e['file']), 'rb') as f:
                digest = hashlib.sha1(f.read()).hexdigest()
            if digest in seen:  # the C and Python picklers often agree byte for byte
                self.checked['identical files skipped'] += 1
                continue
            seen.add(digest)
            entries.append(e)
        streams = []
        for variant in ['default'] + [v[0] for v in VARIANTS]:
            groups = collections.OrderedDict()
            alone = []
            for e in entries:
                want = self.expected(e, variant)
                if want is None:
                    continue
                if want['error'] is None:
                    groups.setdefault((e['writer'], e['protocol']), []).append(e)
                else:
                    alone.append({'name': '%s[%s]' % (e['file'], variant),
                                  'variant': variant, 'entries': [e]})
                if self.is_stream(e) and e['expect'] == 'ok':
                    alone.append({'name': '%s[%s]' % (e['file'], option_tag(variant, True)),
                                  'variant': variant, 'entries': [e], 'shared_memo': True})
            for (writer, protocol), group in groups.items():
                streams.append({'name': 'p%d.%s[%s]' % (protocol, writer, variant),
                                'variant': variant, 'entries': group})
            streams.extend(alone)
        loads = [e for e in entries
                 if (self.expected(e, 'default') or {'error': 1})['error'] is None]
        if not loads:
            return streams
        # Pickles of every case and protocol, interleaved from high protocol to low,
        # on standard input: many loads on one stream, with the protocol changing
        # between them (fix_imports applies per pickle).
        mixed = sorted(loads, key=lambda e: (e['case'], -e['protocol'], e['writer']))
        streams.append({'name': 'stdin-all', 'variant': 'default', 'entries': mixed,
                        'stdin': True})
        # The same below protocol 4 with --shared-memo: every pickle stores a memo
        # entry (PUT n) before it reads it back, so a pickle does not see the entries
        # of another file (it replaces them), and the output is the same, but for
        # files written by one Pickler, which now refer back.
        shared = [e for e in entries if e['protocol'] < 4 and e['expect'] == 'ok' and
                  (self.expected(e, 'default', True) or {'error': 1})['error'] is None]
        shared.sort(key=lambda e: (e['case'], -e['protocol'], e['writer']))
        if shared:
            streams.append({'name': 'shared-memo-protocols-0-3', 'variant': 'default',
                            'entries': shared, 'shared_memo': True})
        # Output printed before a bad pickle stays; the offset is absolute.
        head = [mixed[0], mixed[len(mixed) // 2]]
        unframed = [e for e in mixed if e['protocol'] < 4 and e.get('pickles', 1) == 1]
        if unframed:
            with open(self.path(unframed[-1]['file']), 'rb') as f:
                last = f.read()
            truncated = {'file': '_truncated.pkl', 'case': '(truncated)', 'protocol': -1,
                         'writer': '-', 'pickles': 1, 'expect': 'error'}
            with open(self.path(truncated['file']), 'wb') as f:
                f.write(last[:-1])  # without its STOP: the input ends before an opcode
            streams.append({'name': 'truncated-stream', 'variant': 'default',
                            'entries': head + [truncated]})
        for e in entries:
            if e['expect'] == 'error':
                streams.append({'name': 'error-stream', 'variant': 'default',
                                'entries': head + [e]})
                break
        for e in entries:
            want = self.expected(e, 'default')
            if e['expect'] == 'ok' and want is not None and want['error'] is not None:
                # A reference back with a fresh memo: a missing memo entry.
                streams.append({'name': 'memo-missing-stream', 'variant': 'default',
                                'entries': head + [e]})
                break
        return streams

    def expect_streams(self, streams):
        spec = [{'name': s['name'], 'variant': s['variant'],
                 'shared_memo': s.get('shared_memo', False),
                 'files': [e['file'] for e in s['entries']]} for s in streams]
        spec_path = os.path.join(self.workdir, 'streams.json')
        out_path = os.path.join(self.workdir, 'expected-streams.json')
        with open(spec_path, 'w') as f:
            json.dump(spec, f)
        cmd = [self.oracle, script('mirror.py'), '--dir', self.gendir,
               '--out', out_path, '--streams', spec_path]
        for key, encoding, errors in VARIANTS:
            cmd += ['--variant', '%s:%s:%s' % (key, encoding, errors)]
        p = subprocess.run(cmd, env=clean_env(), timeout=600, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        if p.returncode != 0 or not os.path.exists(out_path):
            raise RuntimeError('mirror.py --streams failed:\n' + p.stdout)
        with open(out_path) as f:
            return json.load(f)['results']

    def check_plan(self, stream, expected):
        """The halving below takes a stream's output to be its files' outputs in
        turn: check that the mirror agrees."""
        wants = [self.expected(e, stream['variant'], stream.get('shared_memo', False))
                 for e in stream['entries']]
        if any(w is None for w in wants):
            return  # a file made up here (the truncated pickle)
        lines = []
        for w in wants:
            lines.extend(w['lines'])
            if w['error'] is not None:
                break
        if lines != expected['lines']:
            self.harness_problems.append(
                'stream %s: the mirror expects other lines than those of its files in '
                'turn (line %d)' % (stream['name'], first_difference(lines,
                                                                     expected['lines'])))

    def show(self, entries, variant, stdin=False, shared_memo=False):
        parts = []
        for e in entries:
            with open(self.path(e['file']), 'rb') as f:
                parts.append(f.read())
        data = b''.join(parts)
        options = variant_options(variant) + (['--shared-memo'] if shared_memo else [])
        if stdin:
            return run_show(self.cli, options, '-', stdin_data=data)
        concat = os.path.join(self.workdir, 'stream.pkl')
        with open(concat, 'wb') as f:
            f.write(data)
        return run_show(self.cli, options, concat)

    def bisect(self, entries, variant, shared_memo):
        """Finds the files `pickle show` gets wrong, halving a failing stream.
        Returns how many it reported."""
        wants = [self.expected(e, variant, shared_memo) for e in entries]
        if any(w is None for w in wants):
            return 0
        if len(entries) == 1:
            problem = compare(wants[0], self.show(entries, variant, shared_memo=shared_memo))
            if problem is None:
                return 0
            self.fail(entries[0]['case'], entries[0]['file'],
                      option_tag(variant, shared_memo), problem)
            return 1
        if any(w['error'] is not None for w in wants):
            return sum(self.bisect([e], variant, shared_memo) for e in entries)
        expected = {'lines': [line for w in wants for line in w['lines']], 'error': None}
        if compare(expected, self.show(entries, variant, shared_memo=shared_memo)) is None:
            return 0
        mid = len(entries) // 2
        return (self.bisect(entries[:mid], variant, shared_memo) +
                self.bisect(entries[mid:], variant, shared_memo))

    def check_stream(self, stream, expected):
        entries = stream['entries']
        variant = stream['variant']
        shared_memo = stream.get('shared_memo', False)
        stdin = stream.get('stdin', False)
        tag = option_tag(variant, shared_memo)
        self.check_plan(stream, expected)
        self.checked[tag] += sum(e.get('pickles', 1) for e in entries)
        result = self.show(entries, variant, stdin, shared_memo)
        problem = compare(expected, result)
        if problem is None:
            return
        known = set(f for _, f, t in self.failures if t == tag)
        rest = [e for e in entries if e['file'] not in known]
        if len(rest) < len(entries) and all(e.get('expect') == 'ok' for e in rest):
            # Without the files already reported, is the rest right?
            wants = [self.expected(e, variant, shared_memo) for e in rest]
            if all(w is not None and w['error'] is None for w in wants):
                expected_rest = {'lines': [l for w in wants for l in w['lines']],
                                 'error': None}
                if compare(expected_rest,
                           self.show(rest, variant, stdin, shared_memo)) is None:
                    return
        if len(rest) > 1 and self.bisect(rest, variant, shared_memo):
            return
        if len(entries) == 1 and entries[0]['file'] in self.files:
            self.fail(entries[0]['case'], entries[0]['file'], tag, problem)
            return
        # Every file is right on its own: the stream as a whole differs (a memo
        # kept or not kept between pickles, absolute offsets, standard input, ...).
        # Name the first differing pickle.
        i = first_difference(expected['lines'], result.lines)
        fname = entries[-1]['file']
        for e in entries:
            if i < e.get('pickles', 1):
                fname = e['file']
                break
            i -= e.get('pickles', 1)
        if fname in known:
            return  # the difference is in a file already reported
        self.fail('(stream %s)' % stream['name'], fname, tag,
                  '  `pickle show%s%s` over %d concatenated files (%s):\n%s' % (
                      ' --shared-memo' if shared_memo else '', ' -' if stdin else '',
                      len(entries), stream['name'], problem))

    def run(self, case_filter):
        streams = self.plan_streams(case_filter)
        expected = self.expect_streams(streams)
        for stream in streams:
            self.check_stream(stream, expected[stream['name']])


def mirror_problems(manifest, expected):
    problems = []
    for entry in manifest['entries']:
        r = expected['results'].get(entry['file'])
        if r is None:
            problems.append('%s: no mirror result' % entry['file'])
            continue
        outcomes = [(key, v) for key, v in r['variants'].items()]
        outcomes += [(option_tag(key, True), v) for key, v in r.get('shared', {}).items()]
        for key, v in sorted(outcomes):
            if 'mirror_error' in v:
                problems.append('%s [%s]: %s' % (entry['file'], key, v['mirror_error']))
        if r['sanity'].startswith('MISMATCH'):
            problems.append('%s: mirror differs from %s' % (entry['file'], r['sanity']))
    return problems


def run_interpreter(label, python, oracle, cli, keep, case_filter):
    name = label_name(label)
    workdir = tempfile.mkdtemp(prefix='pickle-interop-%s-' % label)
    try:
        gendir = os.path.join(workdir, 'zoo')
        p = subprocess.run([python, script('zoo_gen.py'), gendir],
                           env=clean_env(), cwd=workdir, timeout=600,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if p.returncode != 0:
            print('FAIL: %s: zoo_gen.py failed:\n%s' % (name, p.stdout))
            return False
        expected_path = os.path.join(workdir, 'expected.json')
        cmd = [oracle, script('mirror.py'), '--dir', gendir,
               '--out', expected_path]
        for key, encoding, errors in VARIANTS:
            cmd += ['--variant', '%s:%s:%s' % (key, encoding, errors)]
        p = subprocess.run(cmd, env=clean_env(), cwd=workdir, timeout=600,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if not os.path.exists(expected_path):
            print('FAIL: %s: mirror.py failed:\n%s' % (name, p.stdout))
            return False
        with open(os.path.join(gendir, 'manifest.json')) as f:
            manifest = json.load(f)
        with open(expected_path) as f:
            expected = json.load(f)
        problems = mirror_problems(manifest, expected)
        for line in problems:
            print('HARNESS: %s: %s' % (name, line))

        checker = Checker(label, cli, gendir, workdir, oracle, manifest, expected)
        try:
            checker.run(case_filter)
        except (RuntimeError, subprocess.SubprocessError) as e:
            print('FAIL: %s: %s' % (name, e))
            return False
        for line in checker.harness_problems:
            print('HARNESS: %s: %s' % (name, line))
        problems += checker.harness_problems

        unsupported = sorted(set(s['case'] for s in manifest['skipped']))
        print('%s: %d files written; cases this version skips at some protocol '
              '(version-specific or not picklable there): %s' % (
            name, len(manifest['entries']), ', '.join(unsupported) or 'none'))
        print('%s: pickles checked (counted per stream and option set): %s' % (
            name, ', '.join('%s %d' % kv for kv in sorted(checker.checked.items()))))
        if checker.failures:
            by_case = collections.OrderedDict()
            for case, fname, tag in checker.failures:
                short = fname.replace(case + '.', '').replace('.pkl', '')
                by_case.setdefault(case, []).append(
                    short + ('' if tag == 'default' else '[%s]' % tag))
            print('%s: FAILED: %d mismatches in %d cases:' % (
                name, len(checker.failures), len(by_case)))
            for case, where in by_case.items():
                print('  %-28s %s' % (case, ' '.join(where)))
        else:
            print('%s: all pickles match' % name)
        return not checker.failures and not problems
    finally:
        if keep:
            dest = os.path.join(keep, label)
            if os.path.exists(dest):
                shutil.rmtree(dest)
            shutil.copytree(workdir, dest)
            print('%s: files kept in %s' % (name, dest))
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description='CPython interop test for `pickle show`.')
    ap.add_argument('--cli', help='the pickle executable')
    ap.add_argument('--python', action='append', choices=LABELS,
                    help='check only this interpreter (repeatable); default: all')
    ap.add_argument('--inventory', action='store_true',
                    help='only report which interpreters are found; fail if none')
    ap.add_argument('--keep', help='copy the generated files into this directory')
    ap.add_argument('--filter', default='', help='only zoo cases whose name contains this')
    args = ap.parse_args()

    wanted = args.python or LABELS
    found = find_interpreters(LABELS, wanted=wanted + [ORACLE])
    report_inventory(found, wanted)
    if not found and (args.inventory or not args.python):
        print('FAIL: no CPython interpreter found (looked in pyenv root %s and %s)' %
              (pyenv_root(), SYSTEM_PYTHON))
        return 1
    if args.inventory:
        return 0
    if not args.cli:
        ap.error('--cli is required')
    cli = os.path.abspath(args.cli)
    present = [label for label in wanted if label in found]
    if not present:
        return SKIP
    oracle, note = choose_oracle(found)
    if note:
        print('NOTE: ' + note)
    ok = True
    for label in present:
        ok = run_interpreter(label, found[label][0], oracle, cli, args.keep,
                             args.filter) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
