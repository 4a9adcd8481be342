"""The `pickle` tool on small inputs made at test time, one case per ctest (cli.CASE).

    python3 -m pickletests.cli --cli build/dev/pickle CASE

show_names: globals, object classes and keyword names holding what str.isprintable()
    rejects (every C0 control, DEL, every C1 control, every lone surrogate, a few
    more) print on one line, escaped as Python's repr(str) escapes them (without the
    quotes); printable names print as they are.
show_max_output: a well-formed pickle whose printout passes the limit (the default
    one, or --max-output BYTES) is printed up to the limit and ended with '...',
    standard error says where and why, the exit status is 0, and the pickles after it
    are not shown; exactly at the limit nothing is cut.
load_options: show, convert and bench take the same load options (--encoding,
    --errors, --no-fix-imports), so a Python 2 pickle with a non-ASCII str can be
    benchmarked.
negative_protocol: a negative --protocol means the highest (5) in convert and bench,
    as in the pickle module; above 5 is a usage error.
unwritable_output: convert and optimize name only the output file when it cannot be
    written (`pickle: OUT: reason`), exit 1, and leave no file behind.

Runs under the build's Python 3 (3.6 or later), which is also the oracle where one is
needed. Exit status 0 when the case passes, 1 otherwise.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=300)


def write(tmp, name, data):
    path = os.path.join(tmp, name)
    with open(path, 'wb') as f:
        f.write(data)
    return path


def read(path):
    with open(path, 'rb') as f:
        return f.read()


class Case(object):
    def __init__(self, name):
        self.name = name
        self.failures = []

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok


# ------------------------------------------------------------------ show_names
def name_repr(s):
    """What `show` prints for a name: repr(str) of each character that is not
    printable, without the quotes; every other character as it is."""
    return ''.join(c if c.isprintable() else repr(c)[1:-1] for c in s)


def utf8(s):
    return s.encode('utf-8', 'surrogatepass')


def short_binunicode(s):
    b = utf8(s)
    return b'\x8c' + bytes([len(b)]) + b


def show_names(cli, case, tmp):
    chars = [chr(c) for c in list(range(0x20)) + list(range(0x7f, 0xa1)) + [0xad]]
    chars += [chr(c) for c in range(0xd800, 0xe000)]
    chars += ['\u2028', '\u2029', '\ufeff', '\u200b', '\ue000', '\U000e0001']
    chars += ['\\', "'", '"', ' ', '\xe9', '\u20ac', '\U0001f600']  # printable
    data, expected = b'', []
    for c in chars:
        module, name, key = 'm' + c + 'x', 'N' + c + '.y' + c, 'k' + c
        dotted = name_repr(module) + '.' + name_repr(name)
        cls = short_binunicode(module) + short_binunicode(name) + b'\x93'
        data += b'\x80\x04' + cls + b'.'  # the class itself
        expected.append(dotted)
        data += b'\x80\x04' + cls + b'K\x01\x85\x81.'  # NEWOBJ: cls(1)
        expected.append(dotted + '(1)')
        data += b'\x80\x04' + cls + b')}' + short_binunicode(key) + b'K\x02s\x92.'
        expected.append(dotted + '(' + name_repr(key) + '=2)')  # NEWOBJ_EX, a keyword
        if c != '\n' and not '\ud800' <= c <= '\udfff':
            # a protocol 0 GLOBAL line: strict UTF-8, ended by the newline
            data += b'c' + utf8(module) + b'\n' + utf8('N' + c) + b'\n.'
            expected.append(name_repr(module) + '.' + name_repr('N' + c))
    path = write(tmp, 'names.pkl', data)
    r = run([cli, 'show', path])
    if not case.check(r.returncode == 0 and not r.stderr,
                      'exit status %d, stderr %r' % (r.returncode, r.stderr[:300])):
        return
    lines = r.stdout.decode('utf-8', 'backslashreplace').split('\n')
    case.check(lines[-1] == '', 'output does not end with a newline')
    lines = lines[:-1]
    case.check(len(lines) == len(expected),
               '%d lines for %d pickles' % (len(lines), len(expected)))
    for got, want in zip(lines, expected):
        if not case.check(got == want, 'expected %r, got %r' % (want, got)):
            break
    print('show_names: %d pickles, %d characters' % (len(expected), len(chars)))


# ------------------------------------------------------------------ show_max_output
def show_max_output(cli, case, tmp):
    import pickle
    first = pickle.dumps([1, 2, 3], 2)  # [1, 2, 3]: 9 bytes
    second = pickle.dumps('\xe9\u20ac' * 4, 4)  # 'é€é€é€é€': 2 + 4 * 5 bytes
    third = pickle.dumps(None, 0)
    path = write(tmp, 'three.pkl', first + second + third)
    whole = "[1, 2, 3]\n'" + '\xe9\u20ac' * 4 + "'\nNone\n"
    budget = 9 + 22 + 4

    def show(*options):
        r = run([cli, 'show'] + list(options) + [path])
        return r.returncode, r.stdout.decode('utf-8', 'backslashreplace'), \
            r.stderr.decode('utf-8', 'backslashreplace')

    for limit in (budget, budget + 1, '1k', '1KB'):
        got = show('--max-output', str(limit))
        case.check(got == (0, whole, ''), '--max-output %s: %r' % (limit, got))
    prefix = "pickle: %s: the printout of the pickle at byte " % path
    for limit, line, at, kept in ((budget - 1, 'Non...', len(first + second), 3),
                                  (9 + 6, "'\xe9\u20ac...", len(first), 6),
                                  (9 + 5, "'\xe9...", len(first), 3),  # not inside €
                                  (9 + 1, "'...", len(first), 1),
                                  (9, '...', len(first), 0),
                                  (8, '[1, 2, 3...', 0, 8),
                                  (0, '...', 0, 0)):
        code, out, err = show('--max-output', str(limit))
        n = {0: 0, len(first): 1, len(first + second): 2}[at]  # lines printed whole
        expected = ''.join(l + '\n' for l in whole.split('\n')[:n]) + line + '\n'
        case.check(code == 0, '--max-output %d: exit status %d' % (limit, code))
        case.check(out == expected, '--max-output %d: %r, expected %r' % (limit, out, expected))
        why = '%d bytes and ends with \'...\': the output reached --max-output %d' % (kept, limit)
        more = '; the pickles after it are not shown' if n < 2 else ''
        want = '%s%d is cut after %s%s\n' % (prefix, at, why, more)
        case.check(err == want, '--max-output %d: stderr %r, expected %r' % (limit, err, want))
    for bad in ('-1', '1x', 'lots'):
        code, out, err = show('--max-output', bad)
        case.check(code == 2 and out == '', '--max-output %s: exit status %d' % (bad, code))

    # The default limit: 64 MiB plus 64 bytes per input byte (71.1 MB here). A 60 KB str
    # referenced 1200 times prints 72 MB; nothing else follows.
    data = pickle.dumps(['x' * 60000] * 1200, 4)
    big = write(tmp, 'wide.pkl', data)
    r = run([cli, 'show', big])
    limit = (64 << 20) + 64 * len(data)
    out, err = r.stdout, r.stderr.decode('utf-8', 'backslashreplace')
    case.check(r.returncode == 0, 'default limit: exit status %d' % r.returncode)
    case.check(len(out) == limit + 4 and out.startswith(b"['xxx") and out.endswith(b'x...\n'),
               'default limit: %d bytes, %r ... %r' % (len(out), out[:10], out[-10:]))
    want = ("pickle: %s: the printout of the pickle at byte 0 is cut after %d bytes and ends "
            "with '...': the output reached the limit of %d bytes (64 MiB plus 64 per input "
            "byte; a value shared through the memo prints once per reference); --max-output "
            "BYTES sets it\n" % (big, limit, limit))
    case.check(err == want, 'default limit: stderr %r, expected %r' % (err, want))
    # Raised, it prints the whole.
    r = run([cli, 'show', '--max-output', '100M', big])
    case.check(r.returncode == 0 and len(r.stdout) == 1200 * 60004 + 1 and not r.stderr,
               '--max-output 100M: exit status %d, %d bytes, %r'
               % (r.returncode, len(r.stdout), r.stderr[:200]))
    print('show_max_output: checked')


# ------------------------------------------------------------------ load_options
# What Python 2.7 writes for pickle.dumps([u'x', 'caf\xe9', set([1])], 2).
PY2_PICKLE = (b'\x80\x02]q\x00(X\x01\x00\x00\x00xq\x01U\x04caf\xe9q\x02c__builtin__\nset\nq\x03'
              b']q\x04K\x01a\x85q\x05Rq\x06e.')


def load_options(cli, case, tmp):
    import json
    path = write(tmp, 'py2.pkl', PY2_PICKLE)

    def bench(*options):
        r = run([cli, 'bench', path, '--repeat', '1'] + list(options))
        doc = None
        if r.returncode == 0:
            doc = json.loads(r.stdout.decode())
        return r.returncode, doc, r.stderr.decode('utf-8', 'backslashreplace')

    code, _, err = bench()
    case.check(code == 1 and err.startswith('UnpicklingError at byte 14 (SHORT_BINSTRING): '),
               'bench, ASCII: exit status %d, %r' % (code, err))
    for options in (['--encoding', 'latin1'], ['--encoding', 'latin1', '--no-fix-imports'],
                    ['--encoding', 'bytes'], ['--errors', 'surrogateescape'],
                    ['--encoding', 'utf-8', '--errors', 'backslashreplace']):
        code, doc, err = bench(*options)
        what = 'bench %s' % ' '.join(options)
        if case.check(code == 0 and not err, '%s: exit status %d, %r' % (what, code, err)):
            case.check(doc['pickles'] == 1 and doc['protocol'] == 2, '%s: %r' % (what, doc))
            if options[:2] == ['--encoding', 'latin1'] or options[1] == 'bytes':
                # Loaded losslessly, written back with the same bytes.
                case.check(doc['dump_bytes'] == len(PY2_PICKLE), '%s: %r' % (what, doc))
    for options in (['--encoding', 'nope'], ['--errors', 'nope']):
        code, _, err = bench(*options)
        case.check(code == 2, 'bench %s: exit status %d' % (' '.join(options), code))

    # The same options, from the same code, in show and convert.
    for options, line in (([], "['x', b'caf\\xe9', {1}]"),
                          (['--encoding', 'latin1'], "['x', 'caf\xe9', {1}]"),
                          (['--encoding', 'latin1', '--no-fix-imports'],
                           "['x', 'caf\xe9', __builtin__.set([1])]"),
                          (['--errors', 'replace'], "['x', 'caf\ufffd', {1}]")):
        r = run([cli, 'show'] + options + [path])
        got = (r.returncode, r.stdout.decode('utf-8', 'backslashreplace'), r.stderr)
        case.check(got == (0, line + '\n', b''), 'show %s: %r' % (' '.join(options), got))
    for options in ([], ['--encoding', 'latin1'], ['--encoding', 'latin1', '--no-fix-imports'],
                    ['--errors', 'strict']):
        out = os.path.join(tmp, 'converted.pkl')
        r = run([cli, 'convert', '-p', '2'] + options + [path, out])
        same = os.path.exists(out) and read(out) == PY2_PICKLE
        case.check(r.returncode == 0 and same, 'convert %s: exit status %d, %r, same bytes %s'
                   % (' '.join(options), r.returncode, r.stderr, same))
        if os.path.exists(out):
            os.remove(out)
    print('load_options: checked')


# ------------------------------------------------------------------ negative_protocol
def negative_protocol(cli, case, tmp):
    import json
    import pickle
    path = write(tmp, 'in.pkl', pickle.dumps({'a': [1, 2.5, b'x', (None, True)]}, 2))
    highest = os.path.join(tmp, 'p5.pkl')
    r = run([cli, 'convert', '-p', '5', path, highest])
    case.check(r.returncode == 0, 'convert -p 5: exit status %d' % r.returncode)
    expected = read(highest)
    case.check(expected[:2] == b'\x80\x05', 'convert -p 5 wrote %r' % expected[:2])
    out = os.path.join(tmp, 'out.pkl')
    for options in (['-p', '-1'], ['-p', '-2'], ['--protocol', '-5'], ['--protocol=-1'],
                    ['-p', '-2147483648']):
        r = run([cli, 'convert'] + options + [path, out])
        got = read(out) if os.path.exists(out) else None
        case.check(r.returncode == 0 and got == expected, 'convert %s: exit status %d, %r'
                   % (' '.join(options), r.returncode, r.stderr[:200]))
        if os.path.exists(out):
            os.remove(out)
        r = run([cli, 'bench', path, '--repeat', '1'] + options)
        doc = json.loads(r.stdout.decode()) if r.returncode == 0 else {}
        case.check(doc.get('protocol') == 5 and doc.get('dump_bytes') == len(expected),
                   'bench %s: exit status %d, %r %r'
                   % (' '.join(options), r.returncode, doc, r.stderr[:200]))
    r = run([cli, 'bench', path, '--repeat', '1'])  # default: the input's own protocol
    case.check(r.returncode == 0 and json.loads(r.stdout.decode())['protocol'] == 2,
               'bench: exit status %d, %r' % (r.returncode, r.stdout))
    for command in (['convert', '-p', '6', path, out], ['bench', '-p', '6', path]):
        r = run([cli] + command)
        case.check(r.returncode == 2 and not os.path.exists(out),
                   '%s: exit status %d' % (' '.join(command), r.returncode))
    print('negative_protocol: checked')


# ------------------------------------------------------------------ unwritable_output
def unwritable_output(cli, case, tmp):
    import errno
    import pickle
    data = pickle.dumps([1, 2], 2)
    path = write(tmp, 'in.pkl', data)
    missing = os.path.join(tmp, 'no-such-dir', 'x.pkl')
    directory = os.path.join(tmp, 'a-dir')
    os.mkdir(directory)
    write(directory, 'keep', b'')  # a directory that is not empty
    for command in ('convert', 'optimize'):
        for out, code in ((missing, errno.ENOENT), (directory, errno.EISDIR)):
            for source, stdin in ((path, None), ('-', data)):
                r = run([cli, command, source, out], stdin)
                want = 'pickle: %s: %s\n' % (out, os.strerror(code))
                got = r.stderr.decode('utf-8', 'backslashreplace')
                case.check(r.returncode == 1 and got == want and not r.stdout,
                           '%s %s %s: exit status %d, stderr %r, expected %r'
                           % (command, source, out, r.returncode, got, want))
        left = sorted(os.listdir(tmp)) + sorted(os.listdir(directory))
        case.check(left == ['a-dir', 'in.pkl', 'keep'], 'files left behind: %r' % left)
    print('unwritable_output: checked')


CASES = {
    'show_names': show_names,
    'show_max_output': show_max_output,
    'load_options': load_options,
    'negative_protocol': negative_protocol,
    'unwritable_output': unwritable_output,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cli', required=True, help='the pickle executable')
    parser.add_argument('case', choices=sorted(CASES))
    args = parser.parse_args()
    case = Case(args.case)
    tmp = tempfile.mkdtemp(prefix='pickle-cli-')
    try:
        CASES[args.case](args.cli, case, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in case.failures[:20]:
        print('FAIL %s: %s' % (case.name, f))
    return 1 if case.failures else 0


if __name__ == '__main__':
    sys.exit(main())
