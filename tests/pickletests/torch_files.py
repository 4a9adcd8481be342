"""Real PyTorch files through `pickle show` and `pickle convert`.

    python3 -m pickletests.torch_files --cli build/dev/pickle

Runs Debian's /usr/bin/python3 with `python3-torch` (scripts/install-deps.sh installs
it): torch.save writes the state_dict of a small model (an OrderedDict of tensors
carrying a `_metadata` attribute, which CPython writes as a BUILD after the items)
and a checkpoint dict holding it. For each, the `data.pkl` of the zip must
  - show (with --data) as the OrderedDict with `.__setstate__({'_metadata': ...})`,
    every tensor named by its persistent id;
  - convert at protocols 1-5 to a pickle that torch.load, in the original zip, reads
    into equal tensors and the same `_metadata`; protocol 0 is refused with CPython's
    own PicklingError (a tuple persistent id needs protocol 1).
Byte identity is not asked for: CPython, loading torch's file, shares the
one-character key strs that torch wrote twice ('0', '1'), and so does pickle++ on
dumping (the zoo's identity suite checks bytes against CPython's own dumps).
Exit 77 (skipped) with a message when there is no such interpreter or it lacks torch.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import zipfile

from pickletests.pythons import SYSTEM_PYTHON, clean_env
from pickletests.wellformed import problems

SKIP = 77

# Runs under the torch interpreter: `save OUTDIR` writes the files; `check ORIG NEW`
# loads both zips and compares them.
TORCH_SIDE = r'''
import collections, sys, torch
torch.manual_seed(0)

def model():
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                               torch.nn.Linear(4, 2, bias=False))

def same(a, b):
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return (type(a) is type(b) and list(a) == list(b) and
                all(same(a[k], b[k]) for k in a) and
                same(getattr(a, '_metadata', None), getattr(b, '_metadata', None)))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    return a == b

if sys.argv[1] == 'save':
    sd = model().state_dict()
    assert hasattr(sd, '_metadata')
    torch.save(sd, sys.argv[2] + '/state_dict.pt')
    torch.save({'epoch': 3, 'model': sd, 'note': 'checkpoint'}, sys.argv[2] + '/checkpoint.pt')
else:
    a, b = torch.load(sys.argv[2]), torch.load(sys.argv[3])
    if not same(a, b):
        sys.exit('loaded differently:\n  %r\n  %r' % (a, b))
'''


def has_torch(python):
    try:
        r = subprocess.run([python, '-c', 'import torch; print(torch.__version__)'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(),
                           timeout=300)
    except OSError:
        return None
    return r.stdout.decode().strip() if r.returncode == 0 else None


def data_member(names):
    pkl = [n for n in names if n.endswith('/data.pkl') or n == 'data.pkl']
    if len(pkl) != 1:
        raise ValueError('expected one data.pkl in %r' % (names,))
    return pkl[0]


def rezip(src, dst, member, data):
    """src with member's bytes replaced (stored, as torch writes them)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info, data if info.filename == member else zin.read(info))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cli', required=True)
    ap.add_argument('--python', default=SYSTEM_PYTHON)
    args = ap.parse_args()
    version = has_torch(args.python)
    if version is None:
        print('SKIPPED: %s cannot import torch (apt-get install python3-torch; '
              'scripts/install-deps.sh does)' % args.python)
        return SKIP
    print('FOUND: torch %s under %s' % (version, args.python))
    failures = []
    with tempfile.TemporaryDirectory() as work:
        side = os.path.join(work, 'torch_side.py')
        with open(side, 'w') as f:
            f.write(TORCH_SIDE)
        subprocess.run([args.python, side, 'save', work], check=True, env=clean_env(),
                       timeout=600)
        for name in ('state_dict', 'checkpoint'):
            path = os.path.join(work, name + '.pt')
            with zipfile.ZipFile(path) as z:
                member = data_member(z.namelist())
                data = z.read(member)
            pkl = os.path.join(work, name + '.pkl')
            with open(pkl, 'wb') as f:
                f.write(data)
            # --data: tensors in the constructor form (by default `show` prints them in
            # short; pickletests.tensor_files checks that form).
            r = subprocess.run([args.cli, 'show', '--data', pkl], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            text = r.stdout.decode(errors='replace')
            if r.returncode != 0:
                failures.append('%s: show exit %d: %s' % (name, r.returncode,
                                                          r.stderr.decode(errors='replace')))
                continue
            for want in (".__setstate__({'_metadata': OrderedDict({'': {'version': 1}",
                         "torch._utils._rebuild_tensor_v2(persistent_id(('storage', "
                         "torch.FloatStorage, '0', 'cpu', 12))"):
                if want not in text:
                    failures.append('%s: show lacks %r:\n  %s' % (name, want, text[:600]))
            for protocol in range(6):
                out = os.path.join(work, '%s.p%d.pkl' % (name, protocol))
                r = subprocess.run([args.cli, 'convert', '--protocol', str(protocol), pkl, out],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                if protocol == 0:
                    err = r.stderr.decode(errors='replace')
                    if r.returncode != 1 or 'persistent IDs in protocol 0' not in err:
                        failures.append('%s: convert -p 0: exit %d, %r; expected the '
                                        'PicklingError' % (name, r.returncode, err))
                    continue
                if r.returncode != 0:
                    failures.append('%s: convert -p %d exit %d: %s' % (
                        name, protocol, r.returncode, r.stderr.decode(errors='replace')))
                    continue
                with open(out, 'rb') as f:
                    converted = f.read()
                for p in problems(converted, protocol):
                    failures.append('%s: convert -p %d: %s' % (name, protocol, p))
                zipped = os.path.join(work, '%s.p%d.pt' % (name, protocol))
                rezip(path, zipped, member, converted)
                r = subprocess.run([args.python, side, 'check', path, zipped],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=clean_env(), timeout=600)
                if r.returncode != 0:
                    failures.append('%s: protocol %d: torch.load: %s' % (
                        name, protocol, r.stderr.decode(errors='replace').strip()[-800:]))
            print('%s: shown, and converted at protocols 0-5' % name)
    for f in failures:
        print('FAIL ' + f)
    print('torch: %s' % ('%d failures' % len(failures) if failures else 'all files match'))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
