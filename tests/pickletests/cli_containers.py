"""`pickle` on containers made at test time by Python's own modules (issue 12 item 11).

Compressed pickles are opened by content (pickle::open_compressed), so every command
that reads a pickle (show, dis, convert, optimize, bench), from a file and from standard
input, gives for a gzip, bzip2, xz or zlib stream (made by Python's gzip, bz2, lzma and
zlib modules) exactly what it gives for the uncompressed pickle: the same exit status,
standard output (bench: the same figures other than times and memory) and output file,
and nothing on standard error. The same holds for nested layers (a gzip of a bzip2 ...,
up to four), gzip members one after another and zero padding after them, bzip2 and xz
streams one after another, and bytes after a bzip2, xz or zlib stream that begin no
other stream (ignored, as Python's modules ignore them): each is compared with the raw
pickles Python's modules decompress it to.

Errors are one standard error line and exit status 1, with no output file left behind:
  - bytes after a gzip member that are neither another member nor zero padding, a stream
    cut short, a corrupted stream, a fifth layer: `pickle: PATH: <container> at byte N:
    ...` (a ContainerError; N is in the compressed bytes);
  - a malformed pickle inside a compressed stream: the Unpickler's own line, as for the
    raw pickle, with ` (offset in the decompressed bytes of <container>)` after it.
A zip archive (a PyTorch-like checkpoint, an .npz-like zip, an empty zip) and a .npy
file are still refused by dis, convert, optimize and bench with `UnpicklingError at
byte 0: the input is <name>, not a pickle...`, also when they are compressed; `show`
opens them (pickletests.tensor_files checks what it prints) and refuses an empty zip
(`pickle: PATH: a zip archive at byte 0: an empty zip archive holds no tensors`). A
pickle that merely begins with `PK` (a PERSID) still loads.

Real files: `pandas.to_pickle(df, path, compression=...)` (gzip, bz2, xz, and zip: a
zip of one member, opened by `show`) and `joblib.dump(obj, path, compress=(zlib|gzip|bz2|xz, 3))` for plain Python
objects, written by Debian's /usr/bin/python3 (or --python), must show as the pickle
they decompress to. Each is skipped with a SKIPPED line when that interpreter cannot
import pandas or joblib (apt-get install python3-pandas python3-joblib).

Usage: python3 -m pickletests.cli_containers --cli PATH/TO/pickle [--python PYTHON]
"""
import argparse
import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

from pickletests.pythons import SYSTEM_PYTHON, clean_env, importable

PAYLOAD = pickle.dumps({'weight': [1.0, 2.0], 'step': 3}, 2)
SECOND = pickle.dumps([1, 'two', None], 4)
# Protocol 4 frames and a bytes object larger than a read chunk (64 KiB): the
# decompressed bytes arrive in several windows.
BIG = pickle.dumps([b'\x00' * 300000, 'x' * 100000, list(range(1000)),
                    {'k%d' % i: i * 0.5 for i in range(2000)}], 4)

# The commands that read a pickle; OUT is replaced by an output file.
COMMANDS = [['show'], ['dis'], ['convert', '-p', '5', 'OUT'], ['optimize', 'OUT'],
            ['bench', '--repeat', '1']]

COMPRESSORS = {
    'gzip': (gzip.compress, gzip.decompress, 'gzip-compressed data', '.gz'),
    'bzip2': (bz2.compress, bz2.decompress, 'bzip2-compressed data', '.bz2'),
    'xz': (lzma.compress, lzma.decompress, 'xz-compressed data', '.xz'),
    'zlib': (zlib.compress, zlib.decompress, 'zlib-compressed data', '.z'),
}


def compress(kind, data):
    return COMPRESSORS[kind][0](data)


def name_of(kind):
    return 'a zip archive' if kind == 'zip' else COMPRESSORS[kind][2]


def npy_file():
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"
    header += ' ' * (63 - len(header)) + '\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode() + \
        struct.pack('<2q', 1, 2)


def zip_of(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w') as z:
        for name, data in members:
            z.writestr(name, data)
    return out.getvalue()


def corrupt(data, at):
    """data with the byte at `at` flipped."""
    return data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1:]


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)


class Checks(object):
    def __init__(self, cli, tmp):
        self.cli = cli
        self.tmp = tmp
        self.out = os.path.join(tmp, 'out.pkl')
        self.failures = []
        self.count = 0

    def check(self, ok, what):
        self.count += 1
        if not ok:
            self.failures.append(what)
        return ok

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def command(self, command, path, stdin=None):
        """(exit status, standard output, standard error, bytes of the output file or
        None) of `pickle COMMAND` on path ('-': stdin)."""
        if os.path.exists(self.out):
            os.remove(self.out)
        argv = [self.cli, command[0], path] + [self.out if a == 'OUT' else a
                                               for a in command[1:]]
        r = run(argv, stdin)
        written = None
        if os.path.exists(self.out):
            with open(self.out, 'rb') as f:
                written = f.read()
        return r.returncode, comparable(command[0], r.stdout), \
            r.stderr.decode('utf-8', 'replace'), written

    def inputs(self, name, data):
        """(label, path, stdin) for reading data from a file and from standard input."""
        path = self.write(name, data)
        return [(name, path, None), (name + ' on stdin', '-', data)]


def comparable(command, stdout):
    """What of a command's standard output must not depend on compression: all of it,
    but for bench the times and the peak memory."""
    if command != 'bench':
        return stdout
    try:
        figures = json.loads(stdout.decode())
    except ValueError:
        return stdout
    return sorted((k, v) for k, v in figures.items()
                  if not k.endswith('_ns') and k != 'peak_rss_kib')


def one_line(err):
    return err.endswith('\n') and '\n' not in err[:-1]


# ------------------------------------------------------------ same as uncompressed
def same_as_raw(checks, name, packed, raw):
    """Every command on `packed` (a file and stdin) gives what it gives on `raw`."""
    raw_path = checks.write(name + '.raw', raw)
    for command in COMMANDS:
        expected = checks.command(command, raw_path)
        if not checks.check(expected[0] == 0 and not expected[2],
                            'pickle %s on the raw pickles of %s: exit %d, %r'
                            % (command[0], name, expected[0], expected[2])):
            continue
        for label, path, stdin in checks.inputs(name, packed):
            got = checks.command(command, path, stdin)
            what = 'pickle %s (%s)' % (command[0], label)
            if not checks.check(got[0] == 0 and not got[2],
                                '%s: exit %d, stderr %r' % (what, got[0], got[2])):
                continue
            checks.check(got[1] == expected[1], '%s: printed %r, uncompressed %r'
                         % (what, got[1][:300], expected[1][:300]))
            checks.check(got[3] == expected[3], '%s: wrote %r, uncompressed %r'
                         % (what, (got[3] or b'')[:200], (expected[3] or b'')[:200]))


def equivalents():
    """(name, compressed bytes, the raw pickles they decompress to)."""
    cases = []
    for kind in sorted(COMPRESSORS):
        ext = COMPRESSORS[kind][3]
        cases.append(('data.pkl' + ext, compress(kind, PAYLOAD), PAYLOAD))
        cases.append(('big.pkl' + ext, compress(kind, BIG), BIG))
    cases += [
        ('nested.pkl.bz2.gz', gzip.compress(bz2.compress(PAYLOAD)), PAYLOAD),
        ('four.pkl.gz.z.xz.gz',
         gzip.compress(lzma.compress(zlib.compress(gzip.compress(PAYLOAD)))), PAYLOAD),
        ('members.pkl.gz', gzip.compress(PAYLOAD) + gzip.compress(SECOND), PAYLOAD + SECOND),
        ('padded.pkl.gz', gzip.compress(PAYLOAD) + b'\0' * 1024, PAYLOAD),
        ('streams.pkl.bz2', bz2.compress(PAYLOAD) + bz2.compress(SECOND), PAYLOAD + SECOND),
        ('streams.pkl.xz', lzma.compress(PAYLOAD) + lzma.compress(SECOND), PAYLOAD + SECOND),
    ]
    for kind in ('bzip2', 'xz', 'zlib'):
        cases.append(('trailing.pkl' + COMPRESSORS[kind][3],
                      compress(kind, PAYLOAD) + b'trailing garbage\n', PAYLOAD))
    return cases


def check_equivalents(checks):
    for name, packed, raw in equivalents():
        # What Python's own modules read from it (the oracle): the raw pickles given.
        decompressed = packed
        while decompressed[:1] in (b'\x1f', b'B', b'\xfd', b'x'):
            kind = {b'\x1f': 'gzip', b'B': 'bzip2', b'\xfd': 'xz', b'x': 'zlib'}[decompressed[:1]]
            decompressed = COMPRESSORS[kind][1](decompressed)
        checks.check(decompressed == raw, '%s: Python decompresses it to %r, not %r'
                     % (name, decompressed[:100], raw[:100]))
        same_as_raw(checks, name, packed, raw)


# ------------------------------------------------------------------- errors
def fails(checks, name, data, expect, commands=COMMANDS):
    """Every command on data (a file and stdin): exit 1, no output file, one standard
    error line for which expect(line, path) returns None (else what is wrong)."""
    for command in commands:
        for label, path, stdin in checks.inputs(name, data):
            code, _, err, written = checks.command(command, path, stdin)
            what = 'pickle %s (%s)' % (command[0], label)
            if not checks.check(code == 1, '%s: exit %d, stderr %r' % (what, code, err)):
                continue
            checks.check(written is None, '%s: wrote %s' % (what, checks.out))
            if checks.check(one_line(err), '%s: stderr is not one line: %r' % (what, err)):
                problem = expect(err[:-1], path)
                checks.check(problem is None, '%s: stderr %r: %s' % (what, err, problem))


def container_line(kind, offset, detail=None):
    """expect() for `pickle: PATH: <container> at byte OFFSET: DETAIL` (any offset
    when None; any detail when None)."""
    def expect(line, path):
        prefix = 'pickle: %s: %s at byte ' % (path, name_of(kind))
        if offset is not None:
            prefix += '%d: ' % offset
        if not line.startswith(prefix):
            return 'expected it to start with %r' % prefix
        if detail is not None and not line.endswith(': ' + detail):
            return 'expected it to end with %r' % detail
        return None
    return expect


def check_errors(checks):
    # gzip: bytes after a member that are neither a member nor zero padding, where
    # Python's gzip module fails too ("Not a gzipped file").
    member = gzip.compress(PAYLOAD)
    for name, after, at in (('garbage.pkl.gz', b'trailing garbage\n', 0),
                            ('padded-garbage.pkl.gz', b'\0\0\0x', 3)):
        data = member + after
        try:
            gzip.decompress(data)
            checks.check(False, '%s: Python\'s gzip module reads it' % name)
        except OSError:
            pass
        fails(checks, name, data, container_line(
            'gzip', len(member) + at,
            'the bytes after a gzip member are neither another member nor zero padding'))

    for kind in sorted(COMPRESSORS):
        ext = COMPRESSORS[kind][3]
        packed = compress(kind, PAYLOAD)
        # Cut short, in the compressed data or just before the end: at the end of the
        # input, the stream did not end.
        for cut in (len(packed) // 2, len(packed) - 1):
            fails(checks, 'cut%d.pkl%s' % (cut, ext), packed[:cut], container_line(
                kind, cut, 'the compressed data ends before the end of the stream'))
        # A corrupted byte, which Python's module refuses too: the container is named.
        bad = corrupt(packed, len(packed) // 2)
        try:
            checks.check(COMPRESSORS[kind][1](bad) != PAYLOAD,
                         '%s: the corrupted stream decompresses to the pickle' % kind)
        except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error):
            pass
        fails(checks, 'corrupt.pkl' + ext, bad, container_line(kind, None))

    # A fifth layer passes ContainerLimits::max_layers (four open: see equivalents()).
    five = PAYLOAD
    for _ in range(5):
        five = gzip.compress(five)

    def max_layers(line, path):
        return None if line.startswith('pickle: %s: gzip-compressed data at byte 0: ' % path) \
            and 'ContainerLimits::max_layers' in line else 'expected the max_layers limit'
    fails(checks, 'five.pkl.gz.gz.gz.gz.gz', five, max_layers)

    # A malformed pickle inside: the Unpickler's error for the raw bytes (same exit
    # status, same standard output: dis prints the opcodes before the error), its
    # offset counted in the decompressed bytes, which the suffix says.
    truncated = PAYLOAD[:-1]  # no STOP
    raw_path = checks.write('truncated.pkl', truncated)
    for command in COMMANDS:
        raw = checks.command(command, raw_path)
        if not checks.check(raw[0] == 1 and raw[2].startswith('UnpicklingError at byte ')
                            and one_line(raw[2]),
                            'pickle %s on a truncated pickle: exit %d, %r'
                            % (command[0], raw[0], raw[2])):
            continue
        layered = [(kind, compress(kind, truncated), [name_of(kind)])
                   for kind in sorted(COMPRESSORS)]
        layered.append(('gzip of bzip2', gzip.compress(bz2.compress(truncated)),
                        [name_of('gzip'), name_of('bzip2')]))
        for kind, data, names in layered:
            for label, path, stdin in checks.inputs('truncated.pkl (%s)' % kind, data):
                code, out, err, _ = checks.command(command, path, stdin)
                what = 'pickle %s (%s)' % (command[0], label)
                checks.check(code == 1 and out == raw[1],
                             '%s: exit %d, printed %r; raw: exit 1, %r'
                             % (what, code, out[:200], raw[1][:200]))
                if len(names) == 1:
                    want = raw[2][:-1] + ' (offset in the decompressed bytes of %s)\n' % names[0]
                    checks.check(err == want, '%s: stderr %r, expected %r' % (what, err, want))
                else:  # both layers named, in the suffix after the raw error
                    suffix = err[len(raw[2]) - 1:]
                    checks.check(err.startswith(raw[2][:-1]) and one_line(err) and
                                 suffix.startswith(' (offset in the decompressed bytes of ')
                                 and all(n in suffix for n in names),
                                 '%s: stderr %r, expected %r and a suffix naming %s'
                                 % (what, err, raw[2], ' and '.join(names)))


# ------------------------------------------------------------------ refused
def refused():
    """(file name, bytes, what the error line names, the suffix after it)."""
    checkpoint = zip_of([('archive/data.pkl', PAYLOAD), ('archive/version', b'3\n')])
    cases = [
        ('checkpoint.pt', checkpoint, 'a zip archive', ''),
        ('arrays.npz', zip_of([('a.npy', npy_file())]), 'a zip archive', ''),
        ('empty.zip', zip_of([]), 'a zip archive', ''),
        ('array.npy', npy_file(), 'a numpy .npy file', ''),
    ]
    # Compressed, they are opened and then refused as what they hold.
    for name, data, kind, _ in list(cases):
        cases.append((name + '.gz', gzip.compress(data), kind,
                      ' (offset in the decompressed bytes of gzip-compressed data)'))
    return cases


def check_refused(checks):
    not_show = [c for c in COMMANDS if c[0] != 'show']
    for name, data, kind, suffix in refused():
        expected = 'UnpicklingError at byte 0: the input is %s, not a pickle' % kind

        def expect(line, path, expected=expected, suffix=suffix):
            return None if line.startswith(expected) and line.endswith(suffix) \
                else 'expected %r ... %r' % (expected, suffix)
        fails(checks, name, data, expect, not_show)
        # show opens them; an empty zip holds nothing to show.
        if name.startswith('empty.zip'):
            fails(checks, name, data, container_line('zip', 0, 'an empty zip archive holds no tensors'),
                  [['show']])
        else:
            for label, path, stdin in checks.inputs(name, data):
                code, out, err, _ = checks.command(['show'], path, stdin)
                checks.check(code == 0 and out and not err,
                             'pickle show %s (%s): exit %d, %r %r' % (name, label, code, out, err))
    # A pickle whose first persistent id merely starts with K is a pickle.
    path = checks.write('persid.pkl', b'PK\n.')
    r = run([checks.cli, 'show', path])
    checks.check(r.returncode == 0 and r.stdout == b"persistent_id('K')\n",
                 'pickle show PK\\n.: exit %d, %r %r' % (r.returncode, r.stdout, r.stderr))


# ------------------------------------------------------------- pandas, joblib
# Runs under --python: `pandas OUTDIR` and `joblib OUTDIR` write the files.
WRITER = r'''
import os, sys
kind, out = sys.argv[1], sys.argv[2]
if kind == 'pandas':
    import pandas as pd
    df = pd.DataFrame({'n': [1, 2, 3], 's': ['a', 'b', 'c'], 'x': [0.5, 1.5, 2.5]},
                      index=pd.Index(['r1', 'r2', 'r3'], name='row'))
    for c in ('gzip', 'bz2', 'xz', 'zip'):
        df.to_pickle(os.path.join(out, 'frame.' + c), compression=c)
else:
    import joblib
    obj = {'name': 'model', 'weights': [[0.25, -1.5], [3.0, 4.125]], 'layers': (2, 2),
           'tags': {'a', 'b'}, 'blob': b'\x00\x01' * 100, 'text': 'caf\u00e9 ' * 50}
    for c in ('zlib', 'gzip', 'bz2', 'xz'):
        joblib.dump(obj, os.path.join(out, 'obj.' + c), compress=(c, 3))
'''

def unzip_one(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        (name,) = z.namelist()
        return z.read(name)


DECOMPRESS = {'gzip': gzip.decompress, 'bz2': bz2.decompress, 'xz': lzma.decompress,
              'zlib': zlib.decompress, 'zip': unzip_one}


def check_written_by(checks, python, module, compressions, refused_ones=()):
    version = importable(python, module)
    if version is None:
        print('SKIPPED: %s: %s cannot import %s (apt-get install python3-%s)'
              % (module, python, module, module))
        return
    print('FOUND: %s %s under %s' % (module, version, python))
    writer = checks.write('writer.py', WRITER.encode())
    r = subprocess.run([python, writer, module, checks.tmp], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=clean_env(), timeout=600)
    if not checks.check(r.returncode == 0, '%s: the writer failed: %s'
                        % (module, r.stderr.decode(errors='replace')[-800:])):
        return
    prefix = 'frame.' if module == 'pandas' else 'obj.'
    for c in compressions:
        path = os.path.join(checks.tmp, prefix + c)
        with open(path, 'rb') as f:
            packed = f.read()
        # The expected output: `pickle show` on what Python decompresses the file to.
        raw = checks.write(prefix + c + '.raw', DECOMPRESS[c](packed))
        expected = run([checks.cli, 'show', raw])
        got = run([checks.cli, 'show', path])
        what = '%s %s: pickle show' % (module, c)
        if checks.check(expected.returncode == 0 and got.returncode == 0,
                        '%s: exit %d (%r), on the decompressed pickle exit %d (%r)'
                        % (what, got.returncode, got.stderr, expected.returncode,
                           expected.stderr)):
            checks.check(got.stdout == expected.stdout and not got.stderr,
                         '%s: printed %r, the decompressed pickle %r'
                         % (what, got.stdout[:300], expected.stdout[:300]))
    for c in refused_ones:  # a zip archive holds its pickle as a member: refused
        path = os.path.join(checks.tmp, prefix + c)
        r = run([checks.cli, 'show', path])
        checks.check(r.returncode == 1 and r.stderr.startswith(
            b'UnpicklingError at byte 0: the input is a zip archive, not a pickle'),
            '%s %s: pickle show: exit %d, %r' % (module, c, r.returncode, r.stderr))
    print('%s: %s shown as the pickles they hold%s'
          % (module, ', '.join(compressions),
             '; %s refused' % ', '.join(refused_ones) if refused_ones else ''))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cli', required=True)
    parser.add_argument('--python', default=SYSTEM_PYTHON,
                        help='the interpreter that writes the pandas and joblib files')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        checks = Checks(args.cli, tmp)
        check_equivalents(checks)
        check_errors(checks)
        check_refused(checks)
        check_written_by(checks, args.python, 'pandas', ('gzip', 'bz2', 'xz', 'zip'))
        check_written_by(checks, args.python, 'joblib', ('zlib', 'gzip', 'bz2', 'xz'))
    for f in checks.failures:
        print('FAIL ' + f)
    print('%d checks, %d failures' % (checks.count, len(checks.failures)))
    return 1 if checks.failures else 0


if __name__ == '__main__':
    sys.exit(main())
