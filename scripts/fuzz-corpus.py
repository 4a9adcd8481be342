#!/usr/bin/env python3
"""Writes a seed corpus for the fuzz targets into a directory, from test pickles.

    python3 scripts/fuzz-corpus.py OUTDIR

Nothing here is committed: the corpus is made at run time, the same way each time.
Sources, each optional:
  - the object zoo of tests/pickletests/cpython/zoo_gen.py, written by every CPython
    found (pickletests.pythons: pyenv's versions, then /usr/bin/python3), at every protocol
    each knows;
  - tests/regressions/* and examples/record.pkl;
  - a few dozen pseudo-random byte strings from a fixed seed (programs for the
    graph target, whose input is not a pickle).
Files are named by the SHA-1 of their content, as libFuzzer names corpus files, so
duplicates collapse. Prints what it found and how many files it wrote.
"""
import bz2
import glob
import gzip
import hashlib
import io
import lzma
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))  # the test package, pickletests
from pickletests import script  # noqa: E402
from pickletests.pythons import clean_env, executables  # noqa: E402

ZOO_GEN = script('zoo_gen.py')
MAX_SIZE = 64 * 1024  # larger seeds slow every run down; libFuzzer's -max_len is 4096 by default
TIMEOUT = 300


def add(out, data, seen):
    if not data or len(data) > MAX_SIZE:
        return
    name = hashlib.sha1(data).hexdigest()
    if name in seen:
        return
    seen.add(name)
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)


def add_files(out, paths, seen):
    for path in sorted(paths):
        if os.path.isfile(path) and not path.endswith(('.md', '.json')):
            with open(path, 'rb') as f:
                add(out, f.read(), seen)


def compressed_seeds(seed_dir, out):
    """Seeds of decompress_fuzzer (fuzz/targets.hpp, decompress_target): the first byte
    picks the format (its two low bits: gzip, bzip2, xz, zlib) and the chunk size (the
    others); the rest is a seed pickle compressed in that format."""
    compressors = [gzip.compress, bz2.compress, lzma.compress, zlib.compress]
    os.makedirs(out, exist_ok=True)
    seen = set(os.listdir(out))
    names = sorted(os.listdir(seed_dir))[:300]
    for i, name in enumerate(names):
        with open(os.path.join(seed_dir, name), 'rb') as f:
            data = f.read()
        for kind, compress in enumerate(compressors):
            add(out, bytes([kind | ((i % 8) << 2)]) + compress(data), seen)
    print('fuzz-corpus: %d compressed seeds in %s' % (len(seen), out))
    return 0


def zip_seeds(seed_dir, out):
    """Seeds of zip_fuzzer (fuzz/targets.hpp, zip_target): seed pickles as the data.pkl
    of small archives laid out as torch.save lays them out, stored and deflated, with
    ZIP64 records, and written to a stream (data descriptors)."""
    os.makedirs(out, exist_ok=True)
    seen = set(os.listdir(out))
    names = sorted(os.listdir(seed_dir))[:200]

    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.data += b
            return len(b)

    for i, name in enumerate(names):
        with open(os.path.join(seed_dir, name), 'rb') as f:
            data = f.read()
        method = zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED
        target = io.BytesIO() if i % 3 else Unseekable()
        with zipfile.ZipFile(target, 'w', method) as z:
            with z.open('archive/data.pkl', 'w', force_zip64=(i % 5 == 0)) as f:
                f.write(data)
            z.writestr('archive/data/0', b'\0' * 16)
            z.writestr('archive/version', b'3\n')
        add(out, bytes(target.getvalue() if isinstance(target, io.BytesIO) else target.data),
            seen)
    print('fuzz-corpus: %d zip seeds in %s' % (len(seen), out))
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--compressed':
        return compressed_seeds(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 4 and sys.argv[1] == '--zip':
        return zip_seeds(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        print('usage: fuzz-corpus.py OUTDIR | --compressed SEEDDIR OUTDIR | --zip SEEDDIR OUTDIR',
              file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seen = set(os.listdir(out))
    before = len(seen)

    for python in executables():
        tmp = tempfile.mkdtemp(prefix='pickle-fuzz-zoo-')
        try:
            # No PYTHONIOENCODING, as ever: Python 2.7 orders dicts keyed by identity by
            # address, and the environment's size moves addresses, so any change to the
            # environment changes some of the zoo's bytes.
            r = subprocess.run([python, ZOO_GEN, tmp], env=clean_env(io_encoding=None),
                               timeout=TIMEOUT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, universal_newlines=True)
            n = len(seen)
            if r.returncode == 0:
                add_files(out, glob.glob(os.path.join(tmp, '*.pkl')), seen)
            print('fuzz-corpus: %s: %s, %d new files' %
                  (python, 'ok' if r.returncode == 0 else
                   'failed (%s)' % (r.stderr.strip().splitlines() or ['?'])[-1],
                   len(seen) - n))
        except (OSError, subprocess.SubprocessError) as e:
            print('fuzz-corpus: %s: skipped (%s)' % (python, e))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    n = len(seen)
    add_files(out, glob.glob(os.path.join(ROOT, 'tests', 'regressions', '*')), seen)
    add_files(out, [os.path.join(ROOT, 'examples', 'record.pkl')], seen)
    rng = random.Random(20240501)
    for _ in range(48):
        add(out, bytes(rng.randrange(256) for _ in range(rng.randrange(8, 256))), seen)
    print('fuzz-corpus: regressions, examples and %d random programs: %d new files' %
          (48, len(seen) - n))
    print('fuzz-corpus: %d files in %s (%d new)' % (len(seen), out, len(seen) - before))
    return 0


if __name__ == '__main__':
    sys.exit(main())
