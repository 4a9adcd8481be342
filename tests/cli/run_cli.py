#!/usr/bin/env python3
"""The `pickle` tool on small inputs made at test time, one case per ctest (cli.CASE).

    run_cli.py --cli build/dev/pickle CASE

show_names: globals, object classes and keyword names holding what str.isprintable()
    rejects (every C0 control, DEL, every C1 control, every lone surrogate, a few
    more) print on one line, escaped as Python's repr(str) escapes them (without the
    quotes); printable names print as they are.

Runs under the build's Python 3 (3.6 or later), which is also the oracle where one is
needed. Exit status 0 when the case passes, 1 otherwise.
"""
import argparse
import os
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


CASES = {
    'show_names': show_names,
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
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)
    for f in case.failures[:20]:
        print('FAIL %s: %s' % (case.name, f))
    return 1 if case.failures else 0


if __name__ == '__main__':
    sys.exit(main())
