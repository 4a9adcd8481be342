#!/usr/bin/env python3
"""Writes a seed corpus for the fuzz targets into a directory, from test pickles.

    python3 scripts/fuzz-corpus.py OUTDIR

Nothing here is committed: the corpus is made at run time, the same way each time.
Sources, each optional:
  - the object zoo of tests/interop/zoo_gen.py, written by every CPython found
    (pyenv's versions, then /usr/bin/python3), at every protocol each knows;
  - tests/regressions/* and examples/record.pkl;
  - a few dozen pseudo-random byte strings from a fixed seed (programs for the
    graph target, whose input is not a pickle).
Files are named by the SHA-1 of their content, as libFuzzer names corpus files, so
duplicates collapse. Prints what it found and how many files it wrote.
"""
import glob
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZOO_GEN = os.path.join(ROOT, 'tests', 'interop', 'zoo_gen.py')
MAX_SIZE = 64 * 1024  # larger seeds slow every run down; libFuzzer's -max_len is 4096 by default
TIMEOUT = 300


def pyenv_root():
    root = os.environ.get('PYENV_ROOT')
    if root and os.path.isdir(root):
        return root
    pyenv = shutil.which('pyenv')
    if pyenv:
        try:
            out = subprocess.run([pyenv, 'root'], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, timeout=30,
                                 universal_newlines=True).stdout.strip()
            if out and os.path.isdir(out):
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    home = os.path.expanduser('~/.pyenv')
    return home if os.path.isdir(home) else None


def interpreters():
    """Interpreter paths, pyenv's (by version directory) first. A `python3.X` on
    PATH may be a pyenv shim that does not run, so only real binaries are used."""
    found = []
    root = pyenv_root()
    if root:
        for path in sorted(glob.glob(os.path.join(root, 'versions', '*', 'bin', 'python'))):
            if os.access(path, os.X_OK):
                found.append(path)
    if os.access('/usr/bin/python3', os.X_OK):
        found.append('/usr/bin/python3')
    return found


def clean_env():
    env = dict(os.environ)
    for var in ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONINSPECT'):
        env.pop(var, None)
    env['PYTHONHASHSEED'] = '0'
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    return env


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


def main():
    if len(sys.argv) != 2:
        print('usage: fuzz-corpus.py OUTDIR', file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    seen = set(os.listdir(out))
    before = len(seen)

    for python in interpreters():
        tmp = tempfile.mkdtemp(prefix='pickle-fuzz-zoo-')
        try:
            r = subprocess.run([python, ZOO_GEN, tmp], env=clean_env(), timeout=TIMEOUT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               universal_newlines=True)
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
