"""`pickle` on containers made at test time by Python's own modules (issue 12 item 11).

Each of a PyTorch-like zip checkpoint, an .npz-like zip, an empty zip, gzip, bzip2, xz
and zlib compressed pickles, and a .npy file, through every command that reads a
pickle, from a file and from standard input: exit status 1, nothing written, and one
standard error line `UnpicklingError at byte 0: the input is <name>, not a pickle...`.
A pickle that merely begins with `PK` (a PERSID) still loads.

Usage: python3 -m pickletests.cli_containers --cli PATH/TO/pickle
"""
import argparse
import bz2
import gzip
import io
import lzma
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib

PAYLOAD = pickle.dumps({'weight': [1.0, 2.0], 'step': 3}, 2)


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


def cases():
    return {
        'checkpoint.pt': (zip_of([('archive/data.pkl', PAYLOAD), ('archive/version', b'3\n')]),
                          'a zip archive'),
        'arrays.npz': (zip_of([('a.npy', npy_file())]), 'a zip archive'),
        'empty.zip': (zip_of([]), 'a zip archive'),
        'data.pkl.gz': (gzip.compress(PAYLOAD), 'gzip-compressed data'),
        'data.pkl.bz2': (bz2.compress(PAYLOAD), 'bzip2-compressed data'),
        'data.pkl.xz': (lzma.compress(PAYLOAD), 'xz-compressed data'),
        'data.pkl.z': (zlib.compress(PAYLOAD), 'zlib-compressed data'),
        'array.npy': (npy_file(), 'a numpy .npy file'),
    }


def run(cmd, stdin=None):
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cli', required=True)
    args = parser.parse_args()
    failures = []
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'out.pkl')
        for name, (data, kind) in sorted(cases().items()):
            path = os.path.join(tmp, name)
            with open(path, 'wb') as f:
                f.write(data)
            commands = [(['show', path], None), (['show', '-'], data), (['dis', path], None),
                        (['dis', '-'], data), (['convert', path, out], None),
                        (['optimize', path, out], None), (['bench', path], None)]
            for argv, stdin in commands:
                checked += 1
                r = run([args.cli] + argv, stdin)
                err = r.stderr.decode('utf-8', 'replace').strip()
                what = 'pickle %s (%s)' % (' '.join(argv), name)
                expected = 'UnpicklingError at byte 0: the input is %s, not a pickle' % kind
                if r.returncode != 1:
                    failures.append('%s: exit status %d, stderr %r' % (what, r.returncode, err))
                elif not err.startswith(expected) or '\n' in err:
                    failures.append('%s: stderr %r, expected a line starting %r'
                                    % (what, err, expected))
                elif r.stdout:
                    failures.append('%s: printed %r' % (what, r.stdout[:200]))
                elif os.path.exists(out):
                    failures.append('%s: wrote %s' % (what, out))
                    os.remove(out)
        # A pickle whose first persistent id merely starts with K is a pickle.
        checked += 1
        path = os.path.join(tmp, 'persid.pkl')
        with open(path, 'wb') as f:
            f.write(b'PK\n.')
        r = run([args.cli, 'show', path])
        if r.returncode != 0 or r.stdout != b"persistent_id('K')\n":
            failures.append('pickle show PK\\n.: exit %d, %r %r' % (r.returncode, r.stdout, r.stderr))
    for f in failures:
        print('FAIL ' + f)
    print('%d checks, %d failures' % (checked, len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
