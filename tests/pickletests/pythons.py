"""Finds the CPython interpreters on this machine, for the test drivers that run
every CPython (pickletests.interop, .dump_interop, .tools, .torch_files) and
scripts/fuzz-corpus.py.

Interpreters are pyenv's versions/*/bin/python, or other names a caller asks for (the
root from $PYENV_ROOT, else `pyenv root`, else ~/.pyenv), 2.7 and 3.6-3.13 in CI, and
Debian's /usr/bin/python3.
A `python3.X` on PATH may be a pyenv shim that does not run, so only real binaries
are used. Each caller prints its own found / skipped lines and decides what a
missing interpreter means. Import it as pickletests.pythons (the tests directory on
sys.path); it runs under Python 3.6 and later, like its callers.
"""
import glob
import os
import shutil
import subprocess

SYSTEM_PYTHON = '/usr/bin/python3'  # Debian's own python3, labelled 'system'


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


def clean_env(io_encoding='utf-8'):
    """The environment an interpreter runs in: none of the caller's Python settings,
    a fixed hash seed, no bytecode files written, and PYTHONIOENCODING=io_encoding
    (None: as the caller's environment has it). A script of pickletests/cpython/
    finds its neighbours because Python puts the script's folder first on sys.path,
    which PYTHONSAFEPATH (3.11+) would prevent."""
    env = dict(os.environ)
    for var in ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'PYTHONINSPECT',
                'PYTHONSAFEPATH'):
        env.pop(var, None)
    env['PYTHONHASHSEED'] = '0'
    env['PYTHONDONTWRITEBYTECODE'] = '1'
    if io_encoding:
        env['PYTHONIOENCODING'] = io_encoding
    return env


def importable(python, module):
    """The module's version under python, or None when it cannot be imported."""
    try:
        r = subprocess.run([python, '-c', 'import %s; print(%s.__version__)' % (module, module)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(),
                           timeout=300)
    except OSError:
        return None
    return r.stdout.decode().strip() if r.returncode == 0 else None


def pyenv_bindirs():
    """pyenv's versions/*/bin directories, in name order ([] without pyenv)."""
    root = pyenv_root()
    if not root:
        return []
    return sorted(glob.glob(os.path.join(root, 'versions', '*', 'bin')))


def executables():
    """Every interpreter path, unprobed: each pyenv version's bin/python, in name
    order, then SYSTEM_PYTHON."""
    found = [os.path.join(bindir, 'python') for bindir in pyenv_bindirs()]
    found.append(SYSTEM_PYTHON)
    return [path for path in found if os.access(path, os.X_OK)]


def probe(path):
    """(major, minor, micro) of a CPython interpreter, or None."""
    code = ('import sys, platform; '
            'sys.stdout.write("%s %d.%d.%d" % ((platform.python_implementation(),) '
            '+ tuple(sys.version_info[:3])))')
    try:
        out = subprocess.run([path, '-c', code], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=60, env=clean_env(),
                             universal_newlines=True).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    if len(out) != 2 or out[0] != 'CPython':
        return None
    return tuple(int(x) for x in out[1].split('.'))


def find_interpreters(labels, names=('python',), wanted=None):
    """{label: (path, version tuple)} of the CPythons on this machine whose label is
    in `labels` ('2.7' ... '3.13' for pyenv's, 'system' for SYSTEM_PYTHON), the
    newest of each.

    In each pyenv version directory the first of `names` that is a CPython is used.
    With `wanted` (labels), a version directory whose name (pyenv's X.Y.Z) says it
    holds a label of `labels` not in `wanted` is not probed, nor is SYSTEM_PYTHON
    unless 'system' is wanted: a test of one interpreter need not start them all.
    """
    found = {}
    for bindir in pyenv_bindirs():
        if wanted is not None:
            dirname = os.path.basename(os.path.dirname(bindir))
            guess = '.'.join(dirname.split('.')[:2])
            if guess in labels and guess not in wanted:
                continue
        for name in names:
            path = os.path.join(bindir, name)
            if not os.access(path, os.X_OK):
                continue
            version = probe(path)
            if version is None:
                continue
            label = '%d.%d' % version[:2]
            if label in labels and (label not in found or found[label][1] < version):
                found[label] = (path, version)
            break
    if 'system' in labels and (wanted is None or 'system' in wanted) and \
            os.access(SYSTEM_PYTHON, os.X_OK):
        version = probe(SYSTEM_PYTHON)
        if version is not None:
            found['system'] = (SYSTEM_PYTHON, version)
    return found


def label_name(label):
    return 'system python3 (%s)' % SYSTEM_PYTHON if label == 'system' else 'python' + label


def report_inventory(found, labels, name=label_name, line='FOUND:   %s = %s (%s)'):
    """Prints a line for each label: `line` % (name, path, version) when found, else
    SKIPPED."""
    for label in labels:
        if label in found:
            path, version = found[label]
            print(line % (name(label), path, '.'.join(map(str, version))))
        else:
            print('SKIPPED: %s not found' % name(label))
