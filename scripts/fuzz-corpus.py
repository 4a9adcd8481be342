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
import pickle
import random
import shutil
import struct
import subprocess
import sys
import tarfile
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


def npy_file(descr, shape, data, fortran=False, version=1):
    """An .npy file laid out as numpy.lib.format writes one."""
    header = "{'descr': %r, 'fortran_order': %r, 'shape': %r, }" % (descr, fortran, shape)
    prefix = 10 if version == 1 else 12
    pad = (64 - (prefix + len(header) + 1) % 64) % 64
    header = (header + ' ' * pad + '\n').encode('latin1' if version < 3 else 'utf8')
    size = (struct.pack('<H', len(header)) if version == 1 else struct.pack('<I', len(header)))
    return b'\x93NUMPY' + bytes([version, 0]) + size + header + data


class _Tensor:
    """Pickles as torch.save writes a tensor, without torch: _rebuild_tensor_v2 over a
    storage named by a persistent id."""

    def __init__(self, key, numel, offset, size, stride, storage='FloatStorage'):
        self.args = (('storage', storage, key, 'cpu', numel), offset, size, stride)

    def __reduce__(self):
        pid, offset, size, stride = self.args
        return (_fake_global('torch._utils', '_rebuild_tensor_v2'),
                (_Storage(pid), offset, size, stride, False, {}))


class _Storage:
    def __init__(self, pid):
        self.pid = pid


def _fake_global(module, name):
    """A function that pickles as the global module.name (a module made for it)."""
    import types
    parts = module.split('.')
    for i in range(1, len(parts) + 1):  # the parents first, so that the import works
        sys.modules.setdefault('.'.join(parts[:i]), types.ModuleType('.'.join(parts[:i])))
    mod = sys.modules[module]
    if not hasattr(mod, name):
        def f(*args):
            return args
        f.__module__, f.__qualname__, f.__name__ = module, name, name
        setattr(mod, name, f)
    return getattr(mod, name)


class _TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage) and isinstance(obj.pid, str):
            return obj.pid  # a tar checkpoint names its tensors by key
        if isinstance(obj, _Storage):
            kind, storage, key, location, numel = obj.pid[:5]
            return (kind, _fake_global('torch', storage), key, location, numel) + obj.pid[5:]
        return None


def _torch_pickle(obj, protocol=2):
    f = io.BytesIO()
    _TorchPickler(f, protocol).dump(obj)
    return f.getvalue()


def tensor_seeds(seed_dir, out):
    """Seeds of tensor_file_fuzzer (fuzz/targets.hpp, tensor_file_target): .npy files
    (versions 1-3, plain, structured, Fortran order, object), .npz archives (stored and
    deflated), torch.save-like zip and legacy checkpoints made without torch, and a few
    seed pickles as they are and gzip-compressed, and a tar checkpoint of torch before
    0.4."""
    os.makedirs(out, exist_ok=True)
    seen = set(os.listdir(out))
    npys = [
        npy_file('<f8', (3,), struct.pack('<3d', 1.0, 2.0, 3.0)),
        npy_file('>i4', (2, 2), struct.pack('>4i', 1, 2, 3, 4), version=2),
        npy_file('|b1', (4,), b'\x00\x01\x01\x00', version=3),
        npy_file('<f4', (2, 3), struct.pack('<6f', *range(6)), fortran=True),
        npy_file([('x', '<f4'), ('y', '<i2', (2,))], (2,), b'\x00' * 16),
        npy_file('|O', (2,), pickle.dumps([1, 'x'], 3)),
        npy_file('<M8[s]', (), struct.pack('<q', 86400)),
    ]
    for data in npys:
        add(out, data, seen)
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        f = io.BytesIO()
        with zipfile.ZipFile(f, 'w', method) as z:
            for i, data in enumerate(npys[:4]):
                z.writestr('arr_%d.npy' % i, data)
        add(out, f.getvalue(), seen)
    w = _Tensor('0', 6, 0, (2, 3), (3, 1))
    state = {'w': w, 'v': _Tensor('0', 6, 3, (3,), (1,)), 't': _Tensor('0', 6, 0, (3, 2), (1, 3)),
             'b': _Tensor('1', 2, 0, (2,), (1,), 'BFloat16Storage'), 'epoch': 3}
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        f = io.BytesIO()
        with zipfile.ZipFile(f, 'w', method) as z:
            z.writestr('archive/data.pkl', _torch_pickle(state))
            z.writestr('archive/byteorder', b'little')
            z.writestr('archive/data/0', struct.pack('<6f', *range(6)))
            z.writestr('archive/data/1', b'\x80\x3f\x80\x3f')
            z.writestr('archive/version', b'3\n')
        add(out, f.getvalue(), seen)
    legacy = _torch_pickle(0x1950a86a20f9469cfc6c) + _torch_pickle(1001)
    legacy += _torch_pickle({'protocol_version': 1001, 'little_endian': True})
    legacy_state = {'w': _Tensor('0', 6, 0, (2, 3), (3, 1))}
    legacy_state['w'].args = (('storage', 'FloatStorage', '0', 'cpu', 6, None),) + w.args[1:]
    legacy += _torch_pickle(legacy_state) + _torch_pickle(['0'])
    legacy += struct.pack('<q', 6) + struct.pack('<6f', *range(6))
    add(out, legacy, seen)
    # The tar checkpoints of torch before 0.4 (TensorFile's open_tar).
    def p(obj):
        return _torch_pickle(obj)
    storages = p(1) + p(('1', 'cpu', _fake_global('torch', 'FloatStorage')))
    storages += struct.pack('<q', 6) + struct.pack('<6f', *range(6)) + p([('2', '1', 2, 4)])
    tensors = p(2)
    for key, storage, shape, stride in [('11', '1', (2, 3), (3, 1)), ('12', '2', (2, 2), (1, 2))]:
        tensors += p((key, storage, _fake_global('torch', 'FloatTensor')))
        tensors += struct.pack('<i', 2) + b'\0' * 4 + struct.pack('<2q', *shape)
        tensors += struct.pack('<2q', *stride) + struct.pack('<q', 0)
    body = io.BytesIO()
    _TorchPickler(body, 2).dump({'w': _Storage('11'), 'v': _Storage('12')})
    f = io.BytesIO()
    with tarfile.open(fileobj=f, mode='w', format=tarfile.PAX_FORMAT) as tar:
        for name, data in [('sys_info', p({'little_endian': True})), ('pickle', body.getvalue()),
                           ('tensors', tensors), ('storages', storages)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    add(out, f.getvalue(), seen)
    names = sorted(os.listdir(seed_dir))[:100]
    for i, name in enumerate(names):
        with open(os.path.join(seed_dir, name), 'rb') as f:
            data = f.read()
        add(out, gzip.compress(data) if i % 2 else data, seen)
    print('fuzz-corpus: %d tensor file seeds in %s' % (len(seen), out))
    return 0


# Seeds of json_fuzzer: every form of the lossless mapping (docs/json.md), and plain
# JSON as json.dumps writes it.
JSON_SEEDS = [
    'null', 'true', '-12', '1.5e-7', '"text\\u00e9\\ud83d\\ude00"', '[]', '{}',
    '[1, 2.5, null, true, "x", [], {}]',
    '{"a": {"b": [1, {"c": "d"}]}, "e": -0.0}',
    '{"$id": 1, "$list": [{"$ref": 1}, {"$key": "k"}, {"k": 1}]}',
    '{"$tuple": [1, {"$set": [2]}, {"$frozenset": []}], "memoized": true}',
    '{"$dict": [[1, 2], [{"$tuple": [3]}, null]], "ordered": true, "states": [{"a": 1}]}',
    '{"$dict": {"$x": 1}}',
    '{"$str": ["a", 55296, "b"], "py2": "latin1"}',
    '{"$bytes": "AP8=", "py2": true}', '{"$bytearray": "YWI="}',
    '[{"$float": "nan"}, {"$float": "-inf"}, {"$float": "0x7ff0000000000001"}]',
    '{"$int": "-0x1ffffffffffffffffffffff"}', '123456789012345678901234567890',
    '{"$complex": [1.0, {"$float": "inf"}]}',
    '{"$global": ["m", "f"], "py2": ["__builtin__", "f"], "getattr": true}',
    '{"$object": {"$id": 2, "$global": ["m", "C"]}, "how": "newobj_ex", "args": [1], '
    '"kwargs": {"k": 2}, "states": [{"x": 3}], "items": [4], "dict_items": [["k", 5]], '
    '"calls": [{"$object": {"$ref": 2}}], "reconstructed": true, "memoized": true}',
    '{"$persistent": ["storage", 1], "text": true}',
    '{"$buffer": "AAEC", "index": 0, "readonly": true}',
    '{"$id": 3, "$tuple": [[{"$ref": 3}]]}',
    '1 [2] {"a": 3}\n"four"\n',
]


def json_seeds(out):
    import json
    os.makedirs(out, exist_ok=True)
    seen = set(os.listdir(out))
    for text in JSON_SEEDS:
        add(out, text.encode('utf-8'), seen)
    records = [{'id': i, 'name': 'n%d' % i, 'score': i / 7, 'tags': ['a', 'b'][:i % 3]}
               for i in range(20)]
    add(out, json.dumps(records).encode(), seen)
    add(out, json.dumps(records, indent=2).encode(), seen)
    print('fuzz-corpus: %d json seeds in %s' % (len(seen), out))
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--json':
        return json_seeds(sys.argv[2])
    if len(sys.argv) == 4 and sys.argv[1] == '--tensors':
        return tensor_seeds(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 4 and sys.argv[1] == '--compressed':
        return compressed_seeds(sys.argv[2], sys.argv[3])
    if len(sys.argv) == 4 and sys.argv[1] == '--zip':
        return zip_seeds(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        print('usage: fuzz-corpus.py OUTDIR | --compressed SEEDDIR OUTDIR | --zip SEEDDIR OUTDIR '
              '| --tensors SEEDDIR OUTDIR | --json OUTDIR', file=sys.stderr)
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
