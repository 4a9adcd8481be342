"""`pickle tensors` and `pickle safetensors` against real numpy and PyTorch files.

    python3 -m pickletests.tensor_files --cli build/dev/pickle [--python PYTHON] [--keep DIR]

Debian's /usr/bin/python3 (or --python) writes the files at test time with numpy 1.24
and python3-torch 1.13, and says what each holds: the name, `dtype.name`, shape and
nbytes of every array and tensor, in the order Python walks the object (depth-first,
dict insertion order; dict keys and list/tuple indices joined by `.`, int keys in
decimal; a whole pickled torch module walked through its BUILD state, so through
`_modules` and `_parameters`; a node listed at its first path only; a root array or
tensor named ""; the members of an .npz named as `np.load(f).files`), and the bytes
safetensors must hold for each (`np.ascontiguousarray(a)` in little-endian order;
`t.contiguous()`, a bfloat16 tensor through its int16 view). This driver, which
needs neither numpy nor torch, then checks for each file:

  - `pickle tensors FILE --json` prints exactly {"tensors": [{name, dtype, shape,
    nbytes}, ...]} with those entries in that order; `pickle tensors FILE` prints
    the same as NAME<TAB>DTYPE<TAB>[d0, d1]<TAB>NBYTES lines; both exit 0;
  - `pickle safetensors FILE OUT` exits 0 and leaves OUT alone in its (fresh)
    folder; OUT's 8-byte length, JSON header (trailing spaces allowed) and data
    hold every array of a safetensors dtype (F64 F32 F16 BF16 I64 I32 I16 I8 U64
    U32 U16 U8 BOOL F8_E4M3 F8_E5M2) with its dtype, shape and exact bytes, data
    offsets that tile the data as safetensors' own validation asks, and nothing
    else; every array of another dtype (longdouble, complex, datetime64,
    timedelta64, bytes, str, void, structured, object) and the chosen non-tensor
    values (a checkpoint's `epoch`, numpy scalars) are named on standard error; a
    file of supported arrays alone writes nothing on standard error;
  - `pickle show FILE` exits 0, prints each numeric array as
    `numpy.ndarray(shape=(2, 3), dtype=int32)` (or dtype='>i4', as numpy's repr names
    a byte order) and each tensor as `torch.Tensor(shape=(3, 4), dtype=float32)` (or
    `torch.nn.Parameter(...)`): loosely, those forms appear, and no array data, marked
    by a known byte run, does (nor more than 200,000 characters).

numpy files: a dict of arrays of every dtype numpy 1.24 has (bool, int8-int64,
uint8-uint64, float16/32/64, longdouble, complex64/128, clongdouble, datetime64 and
timedelta64 of every unit, generic and with a multiplier, bytes, str, void, object,
structured with field names, offsets, padding, nesting, subarrays and non-ASCII
names), big-endian ones, Fortran-ordered, 0-d, empty, read-only, broadcast and
strided views, pickled at protocols 2-5 (5 with in-band buffers), compressed with
gzip, bzip2, xz and zlib, and a mixed dict (numpy scalars, a shared array, int keys);
each array alone as .npy (np.save, and np.lib.format.write_array versions 2.0 and
3.0; np.save picks 2.0 for a header over 64 KiB and 3.0 for non-ASCII field names);
all of them as .npz (np.savez, np.savez_compressed).

torch files, each written by torch.save as a zip (archive/ prefix) and as a legacy
file (_use_new_zipfile_serialization=False): the state_dict of nn.Sequential(Linear,
BatchNorm1d, Linear) after a training step; tensors of float32/64/16, bfloat16,
int8/16/32/64, uint8, bool, complex64/128 (0-d, empty, 3-d); views sharing one
storage (w, w[1], w.t(), w[:, 1:3], w[::2], expand, narrow); nn.Parameters; a
training checkpoint {'model', 'optimizer' (Adam after one step), 'epoch'}; the whole
pickled module; a root view with a storage offset; a root strided column; torch and
numpy together. Also: the checkpoint with its prefix renamed `mymodel/` (stored
members, as torch writes them), one saved under a path (prefix `my.checkpoint/`), and
data.pkl edited to name the storages torch 2.x writes for float8_e4m3fn, float8_e5m2
and complex32 (dtypes torch 1.13 cannot save), and a tar checkpoint of torch before
0.4 laid out by hand (storages, a storage view, tensors, pickle), whose expected
values torch 1.13's torch.load gives.

Files are named by what they are not (an .npz as .pt, a .npy as .pkl ...): content
decides. Broken input: a cut checkpoint zip, a zip lacking a storage member, storage
members shorter than their persistent id says (by whole elements, by one byte; torch
1.13 loads these, reading past the member), a storage as long as its persistent id
says under a tensor whose storage_offset + extent (by its offset, by its stride)
passes its end, a size whose byte count overflows, cut legacy files, .npy files whose
header lies about the shape, is no dict, lacks a key, runs past the end, names an
unknown dtype or version, or asks for a negative or overflowing shape, an .npz
holding such a member, a cut .npz: each command (tensors, tensors --json,
safetensors) exits 1 with one standard error line, and safetensors leaves nothing in
OUT's folder. A pickle that would run a command (in an object .npy, as a zip's
data.pkl) is never run: the commands list nothing (or, for the .npy, the object array
its header declares) or refuse the file in one line.

Exit 77 (skipped) with a message when the interpreter cannot import numpy; without
torch the numpy checks still run and the torch ones are reported SKIPPED.
"""
import argparse
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

from pickletests.pythons import SYSTEM_PYTHON, clean_env, importable

SKIP = 77

# Runs under --python: `numpy OUTDIR` or `torch OUTDIR` writes the files there, the
# bytes each supported array must have in safetensors in OUTDIR/expected-KIND.bin,
# and OUTDIR/manifest-KIND.json: a list of cases, each
#   {"file", "what", "tensors": [{"name", "dtype", "shape", "nbytes", "st",
#    "blob": [offset, length] (when st)}], "named": [names for standard error],
#    "quiet": true when safetensors must write nothing on standard error,
#    "show": [short forms], "hidden": [byte runs show must not print]}
# or {"file", "what", "broken": true} or {"file", "what", "marker": PATH}.
WRITER = r'''
import bz2, gzip, io, json, lzma, os, pickle, struct, sys, tarfile, warnings, zipfile, zlib
import numpy as np
warnings.simplefilter('ignore')

KIND, OUT = sys.argv[1], sys.argv[2]
BLOBS = open(os.path.join(OUT, 'expected-%s.bin' % KIND), 'wb')
MANIFEST = []
MARKER = b'MARKERDATA-0123456789-'
NP_ST = {('b', 1): 'BOOL', ('i', 1): 'I8', ('i', 2): 'I16', ('i', 4): 'I32',
         ('i', 8): 'I64', ('u', 1): 'U8', ('u', 2): 'U16', ('u', 4): 'U32',
         ('u', 8): 'U64', ('f', 2): 'F16', ('f', 4): 'F32', ('f', 8): 'F64'}


def blob(data):
    offset = BLOBS.tell()
    BLOBS.write(data)
    return [offset, len(data)]


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def np_entry(name, a):
    st = NP_ST.get((a.dtype.kind, a.dtype.itemsize))
    e = {'name': name, 'dtype': a.dtype.name, 'shape': list(a.shape),
         'nbytes': int(a.nbytes), 'st': st,
         # show is checked loosely, on numeric arrays: dtype=NAME, or as numpy's repr
         # names a byte order, dtype='>i4' (numpy's unpickling makes an array native)
         'short': ['numpy.ndarray(shape=%r, dtype=%s)' % (tuple(a.shape), form)
                   for form in (a.dtype.name, repr(a.dtype.newbyteorder('>').str),
                                repr(a.dtype.newbyteorder('<').str))]
         if a.dtype.kind in 'biufc' else None}
    if st:
        e['blob'] = blob(np.ascontiguousarray(a).astype(a.dtype.newbyteorder('<')).tobytes())
    return e


def join(name, key):
    key = str(key)  # str keys as they are, int keys in decimal
    return name + '.' + key if name else key


def walk(obj, name='', found=None, plain=None, seen=None, keep=None):
    """(found, plain): the (name, array or tensor) leaves of obj in the order Python
    iterates it, each node at its first path only, and the names of the other leaves."""
    if found is None:
        found, plain, seen, keep = [], [], set(), []
    if isinstance(obj, (np.ndarray,) + TENSOR):
        if id(obj) not in seen:
            seen.add(id(obj))
            found.append((name, obj))
        return found, plain
    if isinstance(obj, (dict, list, tuple)) or is_object(obj):
        if id(obj) in seen:
            return found, plain
        seen.add(id(obj))
        keep.append(obj)
    if isinstance(obj, dict):
        for k, v in obj.items():
            walk(v, join(name, k), found, plain, seen, keep)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            walk(v, join(name, i), found, plain, seen, keep)
    elif is_object(obj):  # a pickled Object: into its BUILD state
        rv = obj.__reduce_ex__(2)
        keep.append(rv)
        state = rv[2] if len(rv) > 2 else None
        if isinstance(state, dict):
            walk(state, name, found, plain, seen, keep)
    else:
        plain.append(name)
    return found, plain


def entries(obj):
    return [entry(n, a) for n, a in walk(obj)[0]]


def entry(name, x):
    return np_entry(name, x) if isinstance(x, np.ndarray) else torch_entry(name, x)


def case(file, what, tensors, named=(), quiet='auto', hidden=(MARKER.decode(),)):
    """quiet: True when safetensors must print nothing on standard error, None when
    it is not checked, 'auto': True when nothing is unsupported or named."""
    unsupported = [e['name'] for e in tensors if not e['st']]
    MANIFEST.append({
        'file': file, 'what': what, 'tensors': tensors,
        'named': unsupported + list(named),
        'quiet': (not unsupported and not named) if quiet == 'auto' else quiet,
        'show': [s for s in [e.pop('short') for e in tensors] if s], 'hidden': list(hidden)})


class Evil(object):
    """Pickles as a call of os.system that would create the marker file."""
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ('touch ' + self.marker,))


def npy_bytes(header, data, version=(1, 0)):
    header = header.encode('latin1')
    if version == (1, 0):
        return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header + data
    return b'\x93NUMPY' + bytes(version) + struct.pack('<I', len(header)) + header + data


def padded_header(text):
    text += ' ' * (63 - (10 + len(text)) % 64) + '\n'
    return text


# ------------------------------------------------------------------------- numpy
def catalogue():
    """A dict of arrays of every dtype numpy 1.24 has, nested in dicts, lists and
    tuples. Keys are not dtype names, so a name on standard error is not a dtype."""
    c = {}
    c['v_bool'] = np.array([[True, False, True], [False, True, True]])
    pattern = np.arange(12, dtype=np.uint64) * np.uint64(0x0102030405060709)
    for t in ('i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8'):
        c['v_' + t] = pattern.astype(t).reshape(3, 4)
    for t in ('f2', 'f4', 'f8', 'g'):
        a = np.linspace(-3.5, 7.25, 12).reshape(3, 4).astype(t)
        a[0, 0], a[0, 1], a[0, 2] = np.nan, np.inf, -0.0
        c['v_' + t] = a
    for t in ('c8', 'c16', 'G'):
        c['v_' + t] = (np.arange(6) + 1j * np.arange(6)[::-1]).astype(t).reshape(2, 3)
    for unit in ('Y', 'M', 'W', 'D', 'h', 'm', 's', 'ms', 'us', 'ns', 'ps', 'fs', 'as',
                 '10s'):
        c['v_M8_' + unit] = np.array([0, 1, -1, 1000]).astype('M8[%s]' % unit)
        c['v_m8_' + unit] = np.array([[0, 7], [-3, 1000]]).astype('m8[%s]' % unit)
    c['v_M8_generic'] = np.array(['NaT', 'NaT'], dtype='M8')
    c['v_m8_generic'] = np.array([1, 2, 3], dtype='m8')
    c['v_S5'] = np.array([b'ab', b'cde\x00f', b''], dtype='S5')
    c['v_U4'] = np.array([['a', 'b\u00e9ta'], ['\u65e5\u672c', '']], dtype='U4')
    c['v_V8'] = np.frombuffer(bytes(range(24)), dtype='V8').copy()
    o = np.empty(4, dtype=object)
    o[0], o[1], o[2], o[3] = 1, 'two', None, {'k': 3.5}
    c['v_O'] = o
    rec = np.zeros(3, dtype=[('x', '<i4'), ('y', '<f8', (2, 3)), ('tag', 'S3')])
    rec['x'] = [1, -2, 3]
    rec['y'] = np.arange(18).reshape(3, 2, 3) / 4
    rec['tag'] = [b'ab', b'cd', b'e']
    c['s_plain'] = rec
    c['s_aligned'] = np.ones(2, dtype=np.dtype([('a', 'u1'), ('b', '<i8'), ('c', '<f2')],
                                                align=True))
    c['s_offsets'] = np.ones(3, dtype=np.dtype({'names': ['a', 'b'], 'formats': ['<i2', '>f4'],
                                                 'offsets': [4, 8], 'itemsize': 16}))
    c['s_nested'] = np.zeros((2, 2), dtype=[('p', [('x', '<f4'), ('y', '<f4')]), ('n', '<i2'),
                                            ('m', 'u1', (2,))])
    c['s_unicode_names'] = np.ones(2, dtype=[('\u00f1ame', '<i4'), ('\u65e5', '<f2')])
    c['s_wide'] = np.zeros(2, dtype=[('field_%05d_xxxxxxxx' % i, 'u1') for i in range(3000)])
    c['v_marker'] = np.frombuffer(MARKER * 4, dtype='u1').copy()
    c['v_4d'] = np.arange(120, dtype='<u2').reshape(2, 3, 4, 5)
    c['v_big'] = np.arange(70000, dtype='<f8')  # more than a 64 KiB window
    ro = np.arange(10, dtype='<i4')
    ro.setflags(write=False)
    c['v_readonly'] = ro
    c['be'] = {}
    for t in ('>i2', '>i4', '>i8', '>u2', '>u4', '>u8', '>f2', '>f4', '>f8', '>g', '>c8',
              '>c16', '>M8[ns]', '>m8[s]', '>U3'):
        key = 'v_' + t[1:].replace('[', '_').replace(']', '')
        c['be'][key] = np.arange(6).astype(t.replace('>', '<') if 'U' in t else t) \
            .astype(t).reshape(2, 3)
    c['be']['s_be'] = np.array([(1, 2.5), (-3, 4.0)], dtype=[('a', '>i4'), ('b', '>f8')])
    c['fortran'] = [
        np.asfortranarray(np.arange(12, dtype='<f8').reshape(3, 4)),
        np.asfortranarray(np.arange(24, dtype='>i4').reshape(2, 3, 4)),
        np.asfortranarray(np.array([[True, False], [False, False], [True, True]])),
        np.asfortranarray(np.ones((2, 3), dtype=[('a', '<i2'), ('b', '<f4')])),
        np.asfortranarray(np.arange(6, dtype='<c8').reshape(2, 3)),
    ]
    c['zero_d'] = (np.array(3.5), np.array(7, dtype='>i2'), np.array(b'abc'),
                   np.array((1, 2.5), dtype=[('a', '<i4'), ('b', '<f8')]), np.array(True),
                   np.array(5, dtype='M8[D]'))
    c['empty'] = {'f4': np.zeros(0, dtype='<f4'), 'i2': np.zeros((2, 0, 3), dtype='<i2'),
                  'U5': np.zeros(0, dtype='U5'), 'c8': np.zeros((0, 4), dtype='<c8'),
                  'b1': np.zeros(0, dtype=bool),
                  'fortran': np.asfortranarray(np.zeros((0, 3), dtype='>f8'))}
    base = np.arange(40, dtype='<f4').reshape(5, 8)
    c['views'] = {'rows': base[::2], 'cols': base[:, 1:6:2], 'T': base.T,
                  'reversed': base[::-1, ::-1], 'be_step': np.arange(20, dtype='>u2')[::3],
                  'diagonal': np.diagonal(base), 'broadcast': np.broadcast_to(
                      np.arange(3, dtype='<i8'), (4, 3)),
                  'fields': rec['y'], 'real': c['v_c16'].real}
    return c


def supported_only():
    return {'f4': np.arange(12, dtype='<f4').reshape(3, 4),
            'i8': np.arange(5, dtype='>i8'),
            'b1': np.array([True, False, True]),
            'u2': np.asfortranarray(np.arange(6, dtype='<u2').reshape(2, 3)),
            'f2': np.array(1.5, dtype='<f2'),
            'nested': {'u8': np.arange(3, dtype='<u8')[::2], 'lst': [np.zeros((2, 0))]},
            'marker': np.frombuffer(MARKER, dtype='u1').copy()}


def numpy_cases():
    cat = catalogue()
    for protocol in (2, 3, 4, 5):
        data = pickle.dumps(cat, protocol)
        write('dict-p%d.npz' % protocol, data)
        case('dict-p%d.npz' % protocol,
             'a dict of every numpy dtype pickled at protocol %d%s'
             % (protocol, ' (in-band buffers)' if protocol == 5 else ''),
             entries(pickle.loads(data)))
    data = pickle.dumps(cat, 4)
    for kind, packed in (('gzip', gzip.compress(data)), ('bzip2', bz2.compress(data)),
                         ('xz', lzma.compress(data)), ('zlib', zlib.compress(data))):
        write('dict-p4-%s.npy' % kind, packed)
        case('dict-p4-%s.npy' % kind, 'the protocol 4 dict, %s-compressed' % kind,
             entries(pickle.loads(data)))

    data = pickle.dumps(supported_only(), 4)
    write('supported.pt', data)
    case('supported.pt', 'a dict of supported arrays alone (protocol 4)',
         entries(pickle.loads(data)))
    shared = np.arange(6, dtype='<f8').reshape(2, 3)
    mixed = {'arr': shared, 'again': shared, 'scalar': np.float64(1.5), 'n': 3,
             'count': np.int32(7),
             'nested': {'x': np.ones(2, dtype='<i2'),
                        'lst': [np.zeros(3, dtype='<u1'), 'text', (np.eye(2), None)]},
             5: np.arange(4, dtype='<i4'), 'same': [shared]}
    for protocol in (2, 5):
        data = pickle.dumps(mixed, protocol)
        write('mixed-p%d.bin' % protocol, data)
        case('mixed-p%d.bin' % protocol, 'a shared array, numpy scalars, an int key '
             '(protocol %d)' % protocol, entries(pickle.loads(data)),
             named=['scalar', 'n', 'count'], quiet=False)
    root = np.arange(6, dtype='<i4').reshape(2, 3)
    data = pickle.dumps(root, 4)
    write('root.npy', data)
    case('root.npy', 'an array pickled alone (protocol 4)', entries(pickle.loads(data)))
    data = pickle.dumps([root, np.array(2.5)], 2)
    write('root-list.bin', data)
    case('root-list.bin', 'a list of two arrays (protocol 2)', entries(pickle.loads(data)))

    flat = walk(cat)[0]
    for i, (name, a) in enumerate(flat):
        if name == 'v_big':
            continue
        f = io.BytesIO()
        np.save(f, a)
        version = f.getvalue()[6:8]
        write('array-%d.pkl' % i, f.getvalue())
        case('array-%d.pkl' % i, '%s as .npy (np.save, version %d.%d)'
             % (name, version[0], version[1]),
             [np_entry('', np.load(os.path.join(OUT, 'array-%d.pkl' % i),
                                   allow_pickle=True))])
        for version in ((2, 0), (3, 0)):
            f = io.BytesIO()
            try:
                np.lib.format.write_array(f, a, version=version)
            except ValueError:  # version 2.0 cannot hold non-latin-1 field names
                continue
            file = 'array-%d-v%d.bin' % (i, version[0])
            write(file, f.getvalue())
            case(file, '%s as .npy (write_array version %d.0)' % (name, version[0]),
                 [np_entry('', np.load(os.path.join(OUT, file), allow_pickle=True))])
    named = dict(flat)
    named['sub/dir'] = np.arange(3, dtype='<i8')
    for saver in (np.savez, np.savez_compressed):
        file = saver.__name__ + '.pt'
        with open(os.path.join(OUT, file), 'wb') as f:
            saver(f, np.arange(4, dtype='<f4'), np.array(['x', 'yz']), **named)
        with np.load(os.path.join(OUT, file), allow_pickle=True) as z:
            case(file, 'every array as .npz (np.%s)' % saver.__name__,
                 [np_entry(k, z[k]) for k in z.files])
    f = io.BytesIO()
    np.savez(f, a=np.arange(3, dtype='<i2'), b=np.ones((2, 2), dtype='<f8'))
    write('small.npz', f.getvalue())
    with np.load(io.BytesIO(f.getvalue())) as z:
        case('small.npz', 'an .npz of supported arrays', [np_entry(k, z[k]) for k in z.files])

    # Broken files: np.load refuses each.
    ints = np.arange(5, dtype='<i8').tobytes()
    broken = {
        'lying-shape.npy': npy_bytes(padded_header(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (10,), }"), ints),
        'lying-shape-2d.npy': npy_bytes(padded_header(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }"), b'\0' * 44),
        'not-a-dict.npy': npy_bytes(padded_header("garbage, not a dict"), ints),
        'no-shape.npy': npy_bytes(padded_header(
            "{'descr': '<i8', 'fortran_order': False, }"), ints),
        'past-end.npy': b'\x93NUMPY\x01\x00' + struct.pack('<H', 5000) + b"{'descr': ",
        'bad-descr.npy': npy_bytes(padded_header(
            "{'descr': '<x9', 'fortran_order': False, 'shape': (5,), }"), ints),
        'bad-version.npy': npy_bytes(padded_header(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"), ints, (9, 0)),
        'bad-fortran.npy': npy_bytes(padded_header(
            "{'descr': '<i8', 'fortran_order': 'yes', 'shape': (5,), }"), ints),
        'negative-shape.npy': npy_bytes(padded_header(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (-1, -1), }"), ints),
        'overflow-shape.npy': npy_bytes(padded_header(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (1099511627776, "
            "1099511627776, 1099511627776), }"), ints),
        'cut-header.npy': npy_bytes(padded_header(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"), ints)[:30],
    }
    f = io.BytesIO()
    with zipfile.ZipFile(f, 'w') as z:
        z.writestr('good.npy', npy_bytes(padded_header(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }"), ints))
        z.writestr('bad.npy', broken['lying-shape.npy'])
    broken['lying-member.npz'] = f.getvalue()
    f = io.BytesIO()
    np.savez(f, a=np.arange(1000), b=np.arange(1000))
    broken['cut.npz'] = f.getvalue()[:len(f.getvalue()) // 2]
    for file, data in sorted(broken.items()):
        write(file, data)
        try:
            np.load(os.path.join(OUT, file), allow_pickle=False)
            if file.endswith('.npz'):
                with np.load(os.path.join(OUT, file)) as z:
                    [z[k] for k in z.files]
            sys.exit('%s: np.load reads it' % file)
        except Exception:
            pass
        MANIFEST.append({'file': file, 'what': 'broken: ' + file, 'broken': True})

    # An object .npy whose pickle would run a command: never run. np.load returns what
    # the pickle builds (here no array), so the listing is empty or the header's array.
    marker = os.path.join(OUT, 'RAN-npy')
    write('evil.npy', npy_bytes(padded_header(
        "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"),
        pickle.dumps(Evil(marker), 2)))
    MANIFEST.append({'file': 'evil.npy', 'what': 'an object .npy whose pickle runs a '
                     'command', 'marker': marker,
                     'listings': [[], [{'name': '', 'dtype': 'object', 'shape': [1],
                                        'nbytes': 8, 'st': None}]]})


# ------------------------------------------------------------------------- torch
if KIND == 'torch':
    import torch
    TENSOR = (torch.Tensor,)
    TORCH = {torch.float32: ('float32', 'F32'), torch.float64: ('float64', 'F64'),
             torch.float16: ('float16', 'F16'), torch.bfloat16: ('bfloat16', 'BF16'),
             torch.int8: ('int8', 'I8'), torch.uint8: ('uint8', 'U8'),
             torch.int16: ('int16', 'I16'), torch.int32: ('int32', 'I32'),
             torch.int64: ('int64', 'I64'), torch.bool: ('bool', 'BOOL'),
             torch.complex64: ('complex64', None), torch.complex128: ('complex128', None)}

    def is_object(obj):
        return isinstance(obj, torch.nn.Module)
else:
    TENSOR = ()

    def is_object(obj):
        return False


def torch_entry(name, t):
    t = t.detach()
    dtype, st = TORCH[t.dtype]
    e = {'name': name, 'dtype': dtype, 'shape': list(t.shape),
         'nbytes': t.numel() * t.element_size(), 'st': st,
         'short': ['torch.%s(shape=%r, dtype=%s)' % (cls, tuple(t.shape), dtype)
                   for cls in ('Tensor', 'nn.Parameter')]}
    if st:
        c = t.contiguous()
        if t.dtype == torch.bfloat16:
            c = c.view(torch.int16)
        e['blob'] = blob(c.numpy().tobytes())
    return e


def saved(obj, legacy):
    f = io.BytesIO()
    if legacy:
        torch.save(obj, f, _use_new_zipfile_serialization=False)
    else:
        torch.save(obj, f)
    return f.getvalue()


def rezip(data, rename=None, drop=(), replace=None):
    """A copy of zip data with members renamed (a function of the name), dropped or
    their bytes replaced ({name: bytes}), stored uncompressed as torch stores them."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, \
            zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            body = (replace or {}).get(info.filename, zin.read(info))
            zout.writestr(rename(info.filename) if rename else info.filename, body)
    return out.getvalue()


def old_tar():
    """A tar checkpoint as torch before 0.4 wrote one: members sys_info, pickle (tensors
    named by int persistent ids), tensors and storages (with one storage view)."""
    def p(obj):
        return pickle.dumps(obj, 2)
    storages = io.BytesIO()
    storages.write(p(2))
    storages.write(p((1001, 'cpu', torch.FloatStorage)))
    storages.write(struct.pack('<q', 6) + struct.pack('<6f', *range(6)))
    storages.write(p((1002, 'cpu', torch.LongStorage)))
    storages.write(struct.pack('<q', 3) + struct.pack('<3q', 7, 8, 9))
    storages.write(p([(1003, 1001, 2, 4)]))  # a view: elements 2..5 of storage 1001
    tensors = io.BytesIO()
    tensors.write(p(3))
    for key, storage, shape, stride, offset in [(11, 1001, (2, 3), (3, 1), 0),
                                                 (12, 1002, (3,), (1,), 0),
                                                 (13, 1003, (2, 2), (1, 2), 0)]:
        tensors.write(p((key, storage, torch.FloatTensor)))
        tensors.write(struct.pack('<i', len(shape)) + b'\0' * 4)
        tensors.write(struct.pack('<%dq' % len(shape), *shape) +
                      struct.pack('<%dq' % len(shape), *stride) + struct.pack('<q', offset))

    class Ref(object):
        def __init__(self, key):
            self.key = key

    class Ids(pickle.Pickler):
        def persistent_id(self, obj):
            return obj.key if isinstance(obj, Ref) else None
    body = io.BytesIO()
    Ids(body, 2).dump({'w': Ref(11), 'n': Ref(12), 'v': Ref(13), 'epoch': 5})
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as tar:
        for name, data in [('sys_info', p({'protocol_version': 1001, 'little_endian': True})),
                           ('pickle', body.getvalue()), ('tensors', tensors.getvalue()),
                           ('storages', storages.getvalue())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def torch_cases():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                torch.nn.Linear(4, 2, bias=False))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(8, 3)).pow(2).sum().backward()
    opt.step()
    sd = model.state_dict()
    w = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 1.5 - 2
    dtypes = {}
    for dt in TORCH:
        name = str(dt).replace('torch.', '')
        dtypes[name] = (torch.arange(6) * 37 - 50).reshape(2, 3).to(dt)
    dtypes['bool'] = torch.tensor([[True, False, True], [False, False, True]])
    dtypes['f32_0d'] = torch.tensor(2.5)
    dtypes['bf16_0d'] = torch.tensor(-1.25, dtype=torch.bfloat16)
    dtypes['empty'] = torch.zeros(0, 3)
    dtypes['cube'] = torch.arange(24, dtype=torch.int16).reshape(2, 3, 4)
    dtypes['bf16_t'] = torch.randn(3, 5).to(torch.bfloat16).t()
    dtypes['f16_big'] = torch.randn(40000).to(torch.float16)
    dtypes['marker'] = torch.tensor(list(MARKER * 2), dtype=torch.uint8)
    views = {'w': w, 'row': w[1], 't': w.t(), 'cols': w[:, 1:3], 'every_other': w[::2],
             'list': [w[2], w[0, 1:]],
             'expanded': torch.arange(3, dtype=torch.float32).expand(4, 3),
             'narrow': torch.arange(10)[3:7]}
    params = {'p': torch.nn.Parameter(torch.randn(2, 3)),
              'frozen': torch.nn.Parameter(torch.ones(3), requires_grad=False),
              'buf': torch.ones(2, dtype=torch.float64)}
    checkpoint = {'model': sd, 'optimizer': opt.state_dict(), 'epoch': 3}
    both = {'t': torch.ones(2, 2), 'np': np.arange(6, dtype='<f4').reshape(2, 3),
            'np_be': np.arange(4, dtype='>i4'), 'note': 'text',
            'np_c': np.ones(2, dtype='<c8')}
    cases = [
        ('state_dict', 'the state_dict of Sequential(Linear, BatchNorm1d, Linear)', sd,
         (), None),  # its _metadata (a BUILD state) may be named or not
        ('dtypes', 'tensors of every dtype torch 1.13 saves', dtypes, (), 'auto'),
        ('views', 'views sharing one storage', views, (), True),
        ('params', 'nn.Parameters and a buffer', params, (), True),
        ('checkpoint', 'a training checkpoint after one Adam step', checkpoint,
         ('epoch',), False),
        ('module', 'a whole pickled module (torch.save(model))', model,
         ('_modules.0.in_features',), False),
        ('root', 'a root view w[2] (storage offset 8)', w[2], (), True),
        ('column', 'a root strided column w[:, 3]', w[:, 3], (), True),
        ('with_numpy', 'torch and numpy together', both, ('note',), False),
    ]
    zips = {}
    for stem, what, obj, named, quiet in cases:
        for legacy in (False, True):
            data = saved(obj, legacy)
            file = '%s-%s.npy' % (stem, 'legacy' if legacy else 'zip')
            write(file, data)
            if not legacy:
                zips[stem] = data
            case(file, '%s (%s)' % (what, 'legacy serialization' if legacy else
                                   'zip serialization'),
                 entries(obj), named=named, quiet=quiet)

    def rename(n):
        assert n.startswith('archive/'), n
        return 'mymodel/' + n[len('archive/'):]
    write('renamed.bin', rezip(zips['checkpoint'], rename=rename))
    case('renamed.bin', 'the checkpoint zip with its prefix renamed mymodel/',
         entries(checkpoint), named=('epoch',), quiet=False)
    path = os.path.join(OUT, 'my.checkpoint.pt')
    torch.save(views, path)
    with zipfile.ZipFile(path) as z:
        assert z.namelist()[0].startswith('my.checkpoint/'), z.namelist()
    case('my.checkpoint.pt', 'views saved under a path (prefix my.checkpoint/)',
         entries(views), quiet=True)

    # The tar format of torch before 0.4, laid out as torch.load (legacy_load) reads
    # it, with the expected values from torch.load itself (which reads the tar format
    # from a file only, not from a BytesIO).
    tar = old_tar()
    write('old-format.tar', tar)
    case('old-format.tar', 'a tar checkpoint of torch before 0.4 (made by hand, read by '
         'torch.load)', entries(torch.load(os.path.join(OUT, 'old-format.tar'))),
         named=('epoch',), quiet=False)

    # float8 and complex32 as torch 2.x names their storages, on bytes torch 1.13
    # writes for uint8, int8 and int32 tensors of the same element sizes.
    raw = {'e4m3': torch.tensor([[0, 1, 56, 127], [128, 200, 255, 7]], dtype=torch.uint8),
           'e5m2': torch.tensor([-128, -1, 0, 60, 127], dtype=torch.int8)[1:],
           'c32': torch.arange(6, dtype=torch.int32).reshape(3, 2) * 0x3c003c00}
    renames = [(b'ctorch\nByteStorage\n', b'ctorch\nFloat8_e4m3fnStorage\n'),
               (b'ctorch\nCharStorage\n', b'ctorch\nFloat8_e5m2Storage\n'),
               (b'ctorch\nIntStorage\n', b'ctorch\nComplexHalfStorage\n')]
    expected = []
    for key, t in raw.items():
        e = torch_entry(key, t)
        e['dtype'], e['st'] = {'e4m3': ('float8_e4m3fn', 'F8_E4M3'),
                               'e5m2': ('float8_e5m2', 'F8_E5M2'),
                               'c32': ('complex32', None)}[key]
        e['short'] = ['torch.Tensor(shape=%r, dtype=%s)' % (tuple(t.shape), e['dtype'])]
        if not e['st']:
            del e['blob']
        expected.append(e)
    for legacy in (False, True):
        data = saved(raw, legacy)
        if legacy:
            for old, new in renames:
                assert data.count(old) == 1, old
                data = data.replace(old, new)
        else:
            pkl = zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl')
            for old, new in renames:
                assert pkl.count(old) == 1, old
                pkl = pkl.replace(old, new)
            data = rezip(data, replace={'archive/data.pkl': pkl})
        file = 'float8-%s.bin' % ('legacy' if legacy else 'zip')
        write(file, data)
        case(file, 'float8_e4m3fn, float8_e5m2 and complex32 storages (%s)'
             % ('legacy' if legacy else 'zip'), [dict(e) for e in expected])

    # Broken checkpoints: torch.load refuses each but the short storages, which torch
    # 1.13 loads reading past the member (its storage takes the size data.pkl gives:
    # w[2] over a 44-byte member loads with a last element from beyond it).
    col = saved(w[:, 3], False)
    legacy = saved(checkpoint, True)
    row = saved(w[2], False)
    broken = {
        'cut-zip.pt': zips['checkpoint'][:len(zips['checkpoint']) // 2],
        'cut-end-record.pt': zips['checkpoint'][:-10],
        'missing-storage.pt': rezip(zips['views'], drop=('archive/data/0',)),
        'short-storage-offset.pt': rezip(row, replace={'archive/data/0': bytes(44)}),
        'short-storage-stride.pt': rezip(col, replace={'archive/data/0': bytes(44)}),
        'short-storage-byte.pt': rezip(zips['views'], replace={'archive/data/0': bytes(47)}),
        'cut-legacy.pt': legacy[:len(legacy) * 2 // 3],
        'cut-legacy-end.pt': saved(w[2], True)[:-4],
    }

    def edited(data, old, new):
        """data (a zip) with data.pkl's one occurrence of old replaced by new."""
        pkl = zipfile.ZipFile(io.BytesIO(data)).read('archive/data.pkl')
        assert pkl.count(old) == 1, (old, pkl)
        return rezip(data, replace={'archive/data.pkl': pkl.replace(old, new)})
    # A storage of 11 elements, as its persistent id says, under a tensor that reaches
    # the 12th: by its storage offset (w[2]: 8 + 4) or by its stride (w[:, 3]: 3 +
    # 2 * 4 + 1). torch.load refuses both (setStorage: out of bounds).
    numel = b'X\x03\x00\x00\x00cpuq\x04K\x0ct'
    eleven = numel.replace(b'K\x0c', b'K\x0b')
    broken['extent-offset.pt'] = edited(rezip(row, replace={'archive/data/0': bytes(44)}),
                                        numel, eleven)
    broken['extent-stride.pt'] = edited(rezip(col, replace={'archive/data/0': bytes(44)}),
                                        numel, eleven)
    # w[2] with the size (2**62,): its byte count overflows 64 bits.
    broken['huge-size.pt'] = edited(row, b'K\x08K\x04\x85', b'K\x08\x8a\x08'
                                    + (2 ** 62).to_bytes(8, 'little') + b'\x85')
    for file, data in sorted(broken.items()):
        write(file, data)
        if not file.startswith('short-storage-'):
            try:
                torch.load(io.BytesIO(data))
                sys.exit('%s: torch.load reads it' % file)
            except Exception:
                pass
        MANIFEST.append({'file': file, 'what': 'broken: ' + file, 'broken': True})

    marker = os.path.join(OUT, 'RAN-zip')
    write('evil.pt', rezip(row, replace={'archive/data.pkl': pickle.dumps(Evil(marker), 2)}))
    MANIFEST.append({'file': 'evil.pt', 'what': 'a checkpoint whose data.pkl runs a '
                     'command', 'marker': marker, 'listings': [[]]})


if KIND == 'numpy':
    numpy_cases()
else:
    torch_cases()
BLOBS.close()
with open(os.path.join(OUT, 'manifest-%s.json' % KIND), 'w') as f:
    json.dump(MANIFEST, f)
'''


def run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)


def command_line(argv):
    return ' '.join(shlex.quote(a) for a in argv)


def one_line(err):
    return err.endswith('\n') and '\n' not in err[:-1]


def text(data):
    return data.decode('utf-8', 'replace')


def short(s, n=400):
    s = s if isinstance(s, str) else repr(s)
    return s if len(s) <= n else s[:n] + '...'


def shape_text(shape):
    return '[' + ', '.join(str(d) for d in shape) + ']'


def named_in(name, err):
    """Whether err names `name`: it occurs with no name character either side."""
    if name == '':
        return bool(err.strip())
    start = 0
    while True:
        i = err.find(name, start)
        if i < 0:
            return False
        before = err[i - 1] if i > 0 else ' '
        after = err[i + len(name)] if i + len(name) < len(err) else ' '
        if not (before.isalnum() or before in '_.') and not (after.isalnum() or after in '_.'):
            return True
        start = i + 1


def listing_difference(expected, got):
    """What is wrong with `got` (a tensors list) against `expected`, or None."""
    if not isinstance(got, list):
        return 'not a list: %s' % short(got)
    want_names = [e['name'] for e in expected]
    try:
        got_names = [g['name'] for g in got]
    except (TypeError, KeyError):
        return 'an entry without a name: %s' % short(got)
    if want_names != got_names:
        missing = [n for n in want_names if n not in got_names]
        extra = [n for n in got_names if n not in want_names]
        if not missing and not extra:
            return 'names in another order: %s, expected %s' % (short(got_names),
                                                                short(want_names))
        return 'missing %s; unexpected %s' % (short(missing, 600), short(extra, 600))
    for want, g in zip(expected, got):
        w = {k: want[k] for k in ('name', 'dtype', 'shape', 'nbytes')}
        if g != w:
            return 'entry %s: got %s, expected %s' % (json.dumps(want['name']), json.dumps(g),
                                                     json.dumps(w))
    return None


def parse_safetensors(data):
    """(header without __metadata__, data bytes), or raises ValueError saying why."""
    if len(data) < 8:
        raise ValueError('%d bytes, fewer than the 8-byte header length' % len(data))
    n = struct.unpack('<Q', data[:8])[0]
    if 8 + n > len(data):
        raise ValueError('header length %d runs past the end (%d bytes)' % (n, len(data)))
    raw = data[8:8 + n]
    try:
        header = json.loads(raw.decode('utf-8'))
    except ValueError as e:
        raise ValueError('header is not JSON (%s): %r' % (e, raw[:200]))
    if not isinstance(header, dict):
        raise ValueError('header is not a JSON object: %r' % raw[:200])
    if not raw.startswith(b'{') or raw.rstrip(b' ') != raw.rstrip():
        raise ValueError('header has padding other than trailing spaces: %r' % raw[-40:])
    header.pop('__metadata__', None)
    body = data[8 + n:]
    spans = []
    for name, info in header.items():
        try:
            begin, end = info['data_offsets']
            ok = isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok or not isinstance(info.get('dtype'), str) or \
                not isinstance(info.get('shape'), list):
            raise ValueError('entry %r is not {dtype, shape, data_offsets}: %r' % (name, info))
        spans.append((begin, end, name))
    spans.sort()
    at = 0
    for begin, end, name in spans:  # safetensors' validate(): the offsets tile the data
        if begin != at:
            raise ValueError('%r begins at %d, not at %d where the previous tensor ends'
                             % (name, begin, at))
        at = end
    if at != len(body):
        raise ValueError('the tensors end at %d but the data is %d bytes' % (at, len(body)))
    return header, body


class Checks(object):
    def __init__(self, cli, work):
        self.cli = cli
        self.work = work
        self.failures = []
        self.count = 0
        self.runs = 0

    def check(self, ok, what):
        self.count += 1
        if not ok:
            self.failures.append(what)
        return ok

    def run(self, argv):
        self.runs += 1
        return run(argv)

    def out_dir(self):
        """A fresh empty folder for one safetensors output."""
        path = tempfile.mkdtemp(prefix='out-', dir=self.work)
        return path, os.path.join(path, 'out.safetensors')

    # -------------------------------------------------------------- one good file
    def good(self, case, blobs, kind):
        path = os.path.join(self.work, kind, case['file'])
        what = case['what']
        expected = case['tensors']

        argv = [self.cli, 'tensors', path, '--json']
        r = self.run(argv)
        where = '%s  [%s]' % (command_line(argv), what)
        if self.check(r.returncode == 0, '%s: exit %d, stderr %r'
                      % (where, r.returncode, short(text(r.stderr)))):
            try:
                got = json.loads(text(r.stdout))
            except ValueError:
                got = None
            if self.check(isinstance(got, dict) and set(got) == {'tensors'},
                          '%s: not one JSON object {"tensors": [...]}: %s'
                          % (where, short(text(r.stdout)))):
                problem = listing_difference(expected, got['tensors'])
                self.check(problem is None, '%s: %s' % (where, problem))
            self.check(not r.stderr, '%s: stderr %r' % (where, short(text(r.stderr))))

        argv = [self.cli, 'tensors', path]
        r = self.run(argv)
        where = '%s  [%s]' % (command_line(argv), what)
        want = ''.join('%s\t%s\t%s\t%d\n' % (e['name'], e['dtype'], shape_text(e['shape']),
                                               e['nbytes']) for e in expected)
        if self.check(r.returncode == 0, '%s: exit %d, stderr %r'
                      % (where, r.returncode, short(text(r.stderr)))):
            got = text(r.stdout)
            if got != want:
                got_lines, want_lines = got.splitlines(), want.splitlines()
                i = next((i for i, (a, b) in enumerate(zip(got_lines, want_lines)) if a != b),
                         min(len(got_lines), len(want_lines)))
                self.check(False, '%s: line %d is %r, expected %r (%d lines, expected %d)'
                           % (where, i + 1, got_lines[i] if i < len(got_lines) else None,
                              want_lines[i] if i < len(want_lines) else None,
                              len(got_lines), len(want_lines)))
            else:
                self.check(True, '')

        self.safetensors(path, case, blobs)

        argv = [self.cli, 'show', path]
        r = self.run(argv)
        where = '%s  [%s]' % (command_line(argv), what)
        if self.check(r.returncode == 0, '%s: exit %d, stderr %r'
                      % (where, r.returncode, short(text(r.stderr)))):
            out = text(r.stdout)
            missing = [forms[0] for forms in case['show']
                       if not any(form in out for form in forms)]
            self.check(not missing, '%s: lacks %s; printed %s'
                       % (where, short(missing), short(out, 600)))
            leaked = [s for s in case['hidden'] if s in out]
            self.check(not leaked, '%s: prints array data %r' % (where, leaked))
            self.check(len(out) < 200000, '%s: prints %d characters (array data?)'
                       % (where, len(out)))

    def safetensors(self, path, case, blobs):
        folder, out = self.out_dir()
        argv = [self.cli, 'safetensors', path, out]
        r = self.run(argv)
        where = '%s  [%s]' % (command_line(argv), case['what'])
        err = text(r.stderr)
        if not self.check(r.returncode == 0, '%s: exit %d, stderr %r'
                          % (where, r.returncode, short(err))):
            return
        left = sorted(os.listdir(folder))
        self.check(left == ['out.safetensors'], '%s: the folder holds %r, expected only '
                   'out.safetensors' % (where, left))
        unnamed = [n for n in case['named'] if not named_in(n, err)]
        self.check(not unnamed, '%s: stderr does not name %s: %r'
                   % (where, short(unnamed), short(err, 600)))
        if case['quiet']:
            self.check(not err, '%s: stderr %r, expected nothing (every array is '
                       'written)' % (where, short(err)))
        if not os.path.exists(out):
            return
        with open(out, 'rb') as f:
            data = f.read()
        try:
            header, body = parse_safetensors(data)
        except ValueError as e:
            self.check(False, '%s: OUT is no safetensors file: %s' % (where, e))
            return
        supported = [e for e in case['tensors'] if e['st']]
        want_names = sorted(e['name'] for e in supported)
        self.check(sorted(header) == want_names, '%s: OUT holds %s, expected %s'
                   % (where, short(sorted(header), 600), short(want_names, 600)))
        for e in supported:
            info = header.get(e['name'])
            if info is None:
                continue
            name = json.dumps(e['name'])
            if not self.check(info['dtype'] == e['st'] and info['shape'] == e['shape'],
                              '%s: %s is %s %s, expected %s %s'
                              % (where, name, info['dtype'], info['shape'], e['st'],
                                 e['shape'])):
                continue
            begin, end = info['data_offsets']
            offset, length = e['blob']
            want = blobs[offset:offset + length]
            got = body[begin:end]
            if got != want:
                i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                         min(len(got), len(want)))
                self.check(False, '%s: the bytes of %s differ from byte %d: %s..., '
                           'expected %s... (%d bytes, expected %d)'
                           % (where, name, i, got[i:i + 16].hex(), want[i:i + 16].hex(),
                              len(got), len(want)))
            else:
                self.check(True, '')

    # ------------------------------------------------------------ one broken file
    def broken(self, case, kind):
        path = os.path.join(self.work, kind, case['file'])
        for command in (['tensors', path], ['tensors', path, '--json'], 'safetensors'):
            folder = None
            if command == 'safetensors':
                folder, out = self.out_dir()
                command = ['safetensors', path, out]
            argv = [self.cli] + command
            r = self.run(argv)
            where = '%s  [%s]' % (command_line(argv), case['what'])
            err = text(r.stderr)
            self.check(r.returncode == 1 and one_line(err),
                       '%s: exit %d, stderr %r; expected exit 1 and one line'
                       % (where, r.returncode, short(err)))
            if folder is not None:
                left = os.listdir(folder)
                self.check(not left, '%s: left %r behind' % (where, left))

    # ------------------------------------------------------------- never executed
    def never_run(self, case, kind):
        path = os.path.join(self.work, kind, case['file'])
        folder, out = self.out_dir()
        for command in (['tensors', path, '--json'], ['safetensors', path, out],
                        ['show', path]):
            argv = [self.cli] + command
            r = self.run(argv)
            where = '%s  [%s]' % (command_line(argv), case['what'])
            self.check(not os.path.exists(case['marker']), '%s: the pickle ran: %s exists'
                       % (where, case['marker']))
            err = text(r.stderr)
            if command[0] == 'tensors':
                # Listed from the header (numpy's answer), or refused in one line.
                if r.returncode == 0:
                    try:
                        got = json.loads(text(r.stdout))['tensors']
                    except (ValueError, KeyError, TypeError):
                        got = None
                    problems = [listing_difference(want, got) for want in case['listings']]
                    self.check(None in problems, '%s: %s' % (where, problems[-1]))
                else:
                    self.check(r.returncode == 1 and one_line(err),
                               '%s: exit %d, stderr %r' % (where, r.returncode, short(err)))
            else:
                self.check(r.returncode in (0, 1), '%s: exit %d, stderr %r'
                           % (where, r.returncode, short(err)))


def write_files(python, kind, folder):
    os.makedirs(folder)
    script = os.path.join(folder, 'writer.py')
    with open(script, 'w') as f:
        f.write(WRITER)
    r = subprocess.run([python, script, kind, folder], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=clean_env(), timeout=600)
    if r.returncode != 0:
        return None, 'the %s writer failed: %s' % (kind, text(r.stderr)[-1500:])
    with open(os.path.join(folder, 'manifest-%s.json' % kind)) as f:
        manifest = json.load(f)
    with open(os.path.join(folder, 'expected-%s.bin' % kind), 'rb') as f:
        blobs = f.read()
    return (manifest, blobs), None


def check_kind(checks, python, kind):
    (files, problem) = write_files(python, kind, os.path.join(checks.work, kind))
    if not checks.check(problem is None, problem):
        return
    manifest, blobs = files
    before = len(checks.failures)
    counts = {'good': 0, 'broken': 0, 'marker': 0}
    for case in manifest:
        if case.get('broken'):
            checks.broken(case, kind)
            counts['broken'] += 1
        elif 'marker' in case:
            checks.never_run(case, kind)
            counts['marker'] += 1
        else:
            checks.good(case, blobs, kind)
            counts['good'] += 1
    print('%s: %d files listed, converted and shown, %d broken files, %d that would run '
          'a command: %d failures' % (kind, counts['good'], counts['broken'],
                                      counts['marker'], len(checks.failures) - before))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cli', required=True)
    ap.add_argument('--python', default=SYSTEM_PYTHON,
                    help='the interpreter with numpy and torch that writes the files')
    ap.add_argument('--keep', metavar='DIR',
                    help='write the files in DIR (made, must not exist) and keep them')
    args = ap.parse_args()
    numpy_version = importable(args.python, 'numpy')
    if numpy_version is None:
        print('SKIPPED: %s cannot import numpy (apt-get install python3-numpy '
              'python3-torch; scripts/install-deps.sh does)' % args.python)
        return SKIP
    print('FOUND: numpy %s under %s' % (numpy_version, args.python))
    torch_version = importable(args.python, 'torch')
    if args.keep:
        os.makedirs(args.keep)
        work = os.path.abspath(args.keep)
    else:
        work = tempfile.mkdtemp(prefix='tensor_files-')
    try:
        checks = Checks(args.cli, work)
        check_kind(checks, args.python, 'numpy')
        if torch_version is None:
            print('SKIPPED: torch: %s cannot import torch (apt-get install python3-torch)'
                  % args.python)
        else:
            print('FOUND: torch %s under %s' % (torch_version, args.python))
            check_kind(checks, args.python, 'torch')
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for f in checks.failures:
        print('FAIL ' + f)
    print('%d checks (%d commands run), %d failures'
          % (checks.count, checks.runs, len(checks.failures)))
    return 1 if checks.failures else 0


if __name__ == '__main__':
    sys.exit(main())
