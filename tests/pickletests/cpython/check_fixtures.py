# Checks, under one CPython, the pickles pickle++ wrote for dump_fixtures.cpp:
# each loads into the expected object (pyiso.iso: structure and identity), and the
# fixture's own `is` checks hold (shared references shared, cycles cycles).
#
#   python check_fixtures.py FIXTURE_DIR
#
# Runs under Python 2.7 and every Python 3 (only syntax both accept). Pickles of a
# protocol this Python does not know are counted and skipped. Exit status 0 when
# every pickle checked matched, 1 otherwise.
from __future__ import print_function

import collections
import io
import os
import pickle
import sys

sys.dont_write_bytecode = True
import dump_classes as dc  # noqa: E402
from pyiso import iso  # noqa: E402

PY2 = sys.version_info[0] == 2
if PY2:
    import __builtin__ as builtins
    import copy_reg as copyreg
    text = unicode  # noqa: F821
    range_type = xrange  # noqa: F821
    reduce_fn = builtins.reduce
else:
    import copyreg
    import functools
    text = str
    range_type = range
    reduce_fn = functools.reduce


def native(b):
    """A Python 2 str: bytes on Python 2, text (ASCII) as Python 3 loads it by default."""
    return b if PY2 else b.decode('ascii')


def T(*items):
    """A new tuple (literals would be shared constants)."""
    return tuple(list(items))


def new(cls, **attrs):
    o = cls.__new__(cls)
    o.__dict__.update(attrs)
    return o


def old(*args, **attrs):
    """An instance of dump_classes.Old as INST/OBJ builds it."""
    if args:
        o = dc.Old(*args)
    elif PY2:
        import types
        o = types.InstanceType(dc.Old)
    else:
        o = dc.Old.__new__(dc.Old)
    o.__dict__.update(attrs)
    return o


class Check(object):
    """expected(protocol) -> object; checks(loaded, protocol) -> [(ok, what)];
    load: keyword arguments of pickle.loads (Python 3 only); python3_only: why not 2."""

    def __init__(self, expected, checks=None, load=None, variants=None, python3_only=None,
                 before=None, after=None):
        self.expected = expected
        self.checks = checks or (lambda r, p: [])
        self.variants = variants or [(load or {}, expected)]
        self.python3_only = python3_only
        self.before = before
        self.after = after


INF = float('inf')
FIXTURES = {}


def fixture(name, **kw):
    def register(expected):
        FIXTURES[name] = Check(expected, **kw)
        return expected
    return register


@fixture('scalars')
def _(p):
    return [None, True, False, 0, 1, -1, 255, 256, 65535, 65536, -65536, 2 ** 31 - 1,
            -2 ** 31, 2 ** 31, 2 ** 40, 2 ** 63 - 1, -2 ** 63, 2 ** 64, -2 ** 100, 2 ** 2100,
            0.0, -0.0, 1.5, 0.1, 1e300, 5e-324, INF, -INF, float('nan')]


@fixture('text')
def _(p):
    return [u'', u'a', u'abc', u'caf\xe9', u'\u20ac uro', u'\U0001f600 \U0010ffff',
            u'a\\b\nc\r\x00\x1a"\'\\u0041', u'x' * 300, u'y' * 70000]


@fixture('text_surrogates')
def _(p):
    return [u'\ud800', u'a\udc80z']


@fixture('bytes')
def _(p):
    return [b'', b'\x00\xff', bytes(bytearray(range(256))), bytearray(b'ba'), bytearray(),
            b'x' * 70000, bytearray(b'z' * 70000)]


@fixture('containers')
def _(p):
    return [(), T(1), T(1, 2), T(1, 2, 3), T(1, 2, 3, 4), [], [1, [2, [3]]], {},
            {u'a': 1, 2: u'b', (1, 2): None}, set(), set([1, 2, 3]), frozenset(),
            frozenset([u'x']), list(range(2500)), dict((i, text(i)) for i in range(1500)),
            set(range(1200)), frozenset(range(1001))]


def _ordered(p):
    rec = collections.OrderedDict()
    rec[u'self'] = rec
    return [collections.OrderedDict([(u'b', 1), (u'a', [2])]), collections.OrderedDict(), rec]


fixture('ordered_dict', checks=lambda r, p: [(r[2][u'self'] is r[2], 'recursive OrderedDict')])(
    _ordered)


@fixture('complex')
def _(p):
    return [complex(1, 2), complex(-0.0, INF)]


def _shared(p):
    a = [1, u'shared']
    s = u'str'
    b = b'bytes'
    t = T(a, s)
    o = new(dc.Plain, x=a)
    return [a, a, t, t, {u'k': a, u'k2': t}, s, s, b, b, o, o, set([s]), frozenset([s])]


fixture('shared', checks=lambda r, p: [
    (r[0] is r[1], 'list shared'), (r[2] is r[3], 'tuple shared'),
    (r[2][0] is r[0], 'list inside the tuple'), (r[4][u'k'] is r[0], 'list in the dict'),
    (r[4][u'k2'] is r[2], 'tuple in the dict'), (r[5] is r[6], 'str shared'),
    (r[7] is r[8], 'bytes shared'), (r[9] is r[10], 'object shared'),
    (r[9].x is r[0], 'list in the object'), (list(r[11])[0] is r[5], 'str in the set'),
    (list(r[12])[0] is r[5], 'str in the frozenset')])(_shared)


def _rec_list(p):
    v = [1]
    v.append(v)
    return v


fixture('rec_list', checks=lambda r, p: [(r[1] is r, 'list holds itself')])(_rec_list)


def _rec_dict(p):
    d = {}
    d[u'self'] = d
    d[u'list'] = [d]
    return d


fixture('rec_dict', checks=lambda r, p: [(r[u'self'] is r, 'dict holds itself'),
                                         (r[u'list'][0] is r, 'through a list')])(_rec_dict)


def _rec_tuple(p):
    v = []
    t = T(v, 2)
    v.append(t)
    return t


fixture('rec_tuple', checks=lambda r, p: [(r[0][0] is r, 'tuple through a list')])(_rec_tuple)


def _rec_tuple4(p):
    v = []
    t = T(1, v, 3, 4)
    v.append(t)
    return [t, v]


fixture('rec_tuple4', checks=lambda r, p: [(r[0] is r[1][0], 'the tuple'),
                                           (r[0][1] is r[1], 'the list')])(_rec_tuple4)


def _mutual(p):
    a = []
    b = [a]
    a.append(b)
    return {u'a': a, u'b': b}


fixture('mutual', checks=lambda r, p: [(r[u'a'][0] is r[u'b'], 'a -> b'),
                                       (r[u'b'][0] is r[u'a'], 'b -> a')])(_mutual)


@fixture('objects')
def _(p):
    args = dc.WithArgs.__new__(dc.WithArgs, 1, u'x')
    args.extra = True
    slots = dc.Slots.__new__(dc.Slots)
    slots.x = 1
    slots.y = []
    return [new(dc.Plain, a=1, b=[2]), args, dc.make(1, u'two'), slots, old(v=1),
            old(1, u'two', w=2), dc.Outer.Inner()]


def _subclasses(p):
    lst = dc.ListSub([1, 2, 3])
    lst.tag = u't'
    dct = dc.DictSub()
    dct[u'k'] = u'v'
    dct[2] = []
    self = dc.ListSub()
    self.append(self)
    return [lst, dct, self]


fixture('builtin_subclasses', checks=lambda r, p: [(r[2][0] is r[2], 'list subclass holds itself')])(
    _subclasses)


def _newobj_ex(p):
    kw = dc.WithArgs.__new__(dc.WithArgs, 1, k=[2])
    return [kw, dc.WithArgs.__new__(dc.WithArgs, 3), kw]


fixture('newobj_ex', checks=lambda r, p: [(r[0] is r[2], 'object shared')],
        python3_only='Python 2 has no keyword arguments for __new__ in pickles '
                     '(no NEWOBJ_EX, no copy_reg.__newobj_ex__)')(_newobj_ex)


def _rec_objects(p):
    o = dc.Plain()
    o.me = o
    o.items = [o]
    h = dc.Hashable()
    s = set([h])
    h.s = s
    h2 = dc.Hashable()
    fs = frozenset([h2])
    h2.f = fs
    return [o, s, fs]


fixture('rec_objects', checks=lambda r, p: [
    (r[0].me is r[0], 'object holds itself'), (r[0].items[0] is r[0], 'through a list'),
    (list(r[1])[0].s is r[1], 'set through its member'),
    (list(r[2])[0].f is r[2], 'frozenset through its member')])(_rec_objects)


@fixture('globals')
def _(p):
    return [dc.Plain, dc.Outer.Inner, dc.Outer, dc.make, range_type, reduce_fn,
            collections.OrderedDict, dc.Plain]


@fixture('py2_str')
def _(p):
    return [native(b'abc'), native(b"it's"), u'unicode', native(b''), native(b'p' * 300)]


FIXTURES['py2_str_latin1'] = Check(
    None, variants=[({'encoding': 'latin1'}, lambda p: [u'caf\xe9', u'\xff\x00']),
                    ({'encoding': 'bytes'}, lambda p: [b'caf\xe9', b'\xff\x00'])])
if PY2:
    FIXTURES['py2_str_latin1'].variants = [({}, lambda p: [b'caf\xe9', b'\xff\x00'])]


def _persistent(p):
    if PY2 and p == 0:
        return [1, (u'PID', b'text'), (u'PID', b'text2')]
    second = (u'PID', (u'tuple', 1)) if p > 0 else (u'PID', u'text2')
    return [1, (u'PID', u'text'), second]


FIXTURES['persistent'] = Check(_persistent)


def _register():
    copyreg.add_extension('dump_classes', 'Plain', 240)
    copyreg.add_extension('dump_classes', 'Outer', 50000)
    copyreg.add_extension('dump_classes', 'make', 0x12345678)


def _unregister():
    copyreg.remove_extension('dump_classes', 'Plain', 240)
    copyreg.remove_extension('dump_classes', 'Outer', 50000)
    copyreg.remove_extension('dump_classes', 'make', 0x12345678)


FIXTURES['extension'] = Check(lambda p: [dc.Plain, dc.Outer, dc.make, dc.Plain, dc.Plain()],
                              before=_register, after=_unregister)

IN_BAND_RW = b'in-band writable'
IN_BAND_RO = b'in-band read-only'
OOB = [bytearray(b'out-of-band one'), b'out-of-band two (read-only)']


def _in_band(p):
    rw = bytearray(IN_BAND_RW)
    return [rw, IN_BAND_RO, rw]


fixture('buffers_in_band', checks=lambda r, p: [(r[0] is r[2], 'buffer shared')])(_in_band)
FIXTURES['buffers_out_of_band'] = Check(
    None, variants=[({'buffers': OOB}, lambda p: [OOB[0], OOB[1], u'after'])],
    checks=lambda r, p: [(r[0] is OOB[0], 'the first buffer given'),
                         (r[1] is OOB[1], 'the second buffer given')])


@fixture('fast', checks=lambda r, p: [(r[0] is not r[1], 'fast mode: no sharing'),
                                      (r[2][0] is not r[0], 'fast mode: no sharing')])
def _(p):
    return [[1, u'x'], [1, u'x'], T([1, u'x'])]


@fixture('deep')
def _(p):
    l, d, t = [], {}, ()
    for i in range(10000):
        l = [l]
        d = {i: d}
        t = (t,)
    return [l, d, t]


@fixture('frames')
def _(p):
    items = []
    for i in range(3000):
        items.append(text(i) + u's' * 40)
        if i == 1500:
            items.append(b'b' * 100000)
    return items


FIXTURES['stream'] = 'stream'


def persistent_unpickler(f, **kwargs):
    class Unpickler(pickle.Unpickler):
        def persistent_load(self, pid):
            return (u'PID', pid)
    if PY2:
        u = pickle.Unpickler(f)
        u.persistent_load = lambda pid: (u'PID', pid)
        return u
    return Unpickler(f, **kwargs)


def check_stream(data):
    f = io.BytesIO(data)
    u = pickle.Unpickler(f)
    r = [u.load() for _ in range(4)]
    want = [1, u'x']
    problems = []
    if f.read():
        problems.append('bytes left after four pickles')
    checks = [(r[0] == want, 'first pickle'), (r[1] == [want, want], 'second pickle'),
              (r[1][0] is r[0] and r[1][1] is r[0], 'second pickle refers to the first'),
              (r[2] == {u'a': want} and r[2][u'a'] is r[0], 'third pickle refers to the first'),
              (r[3] == want and r[3] is not r[0], 'after clear_memo: a new list')]
    problems.extend(what for ok, what in checks if not ok)
    return problems


def check_file(name, protocol, data):
    """A list of problems (empty: fine)."""
    chk = FIXTURES[name]
    if chk == 'stream':
        return check_stream(data)
    problems = []
    for kwargs, expected in chk.variants:
        if PY2 and kwargs:
            continue
        if chk.before:
            chk.before()
        try:
            loaded = persistent_unpickler(io.BytesIO(data), **kwargs).load()
        except Exception as e:
            problems.append('%sload failed: %s: %s' % (
                '%r: ' % kwargs if kwargs else '', type(e).__name__, e))
            continue
        finally:
            if chk.after:
                chk.after()
        why = iso(expected(protocol), loaded)
        if why:
            problems.append(('%r: ' % kwargs if kwargs else '') + why)
        for ok, what in chk.checks(loaded, protocol):
            if not ok:
                problems.append('identity: ' + what)
    return problems


def main():
    if len(sys.argv) != 2:
        print('usage: check_fixtures.py FIXTURE_DIR', file=sys.stderr)
        return 2
    here = sys.argv[1]
    version = '%d.%d.%d' % sys.version_info[:3]
    with open(os.path.join(here, 'fixtures.txt')) as f:
        listed = [line.split() for line in f if line.strip()]
    failures = 0
    checked = 0
    skipped = []
    names = set()
    for name, protocol in listed:
        protocol = int(protocol)
        names.add(name)
        label = '%s.p%d' % (name, protocol)
        if name not in FIXTURES:
            print('FAIL %s: no expectation for this fixture' % label)
            failures += 1
            continue
        if protocol > pickle.HIGHEST_PROTOCOL:
            skipped.append('%s (protocol %d unknown to Python %s)' % (label, protocol, version))
            continue
        chk = FIXTURES[name]
        if PY2 and chk != 'stream' and chk.python3_only:
            skipped.append('%s (%s)' % (label, chk.python3_only))
            continue
        with open(os.path.join(here, label + '.pkl'), 'rb') as f:
            data = f.read()
        problems = check_file(name, protocol, data)
        checked += 1
        if problems:
            failures += 1
            for p in problems:
                print('FAIL %s: %s' % (label, p))
    for name in sorted(set(FIXTURES) - names):
        print('FAIL %s: fixture not written by dump_fixtures' % name)
        failures += 1
    for s in skipped:
        print('not applicable: ' + s)
    print('Python %s: %d pickles checked, %d failed, %d not applicable' % (
        version, checked, failures, len(skipped)))
    return 1 if failures or not checked else 0


if __name__ == '__main__':
    sys.exit(main())
