# The Python side of the typed-interop fixtures (typed_interop/typed_fixtures.cpp):
# for each fixture, the Python object its C++ value stands for, and for each refusal,
# the Python object its C++ type must refuse.
#
#   python typed_objects.py CPP_DIR OUT_DIR [--write-only]
#
# Writes OUT_DIR/NAME.pN.pkl, this CPython's pickle of each fixture's object (and of
# each refusal's) at every protocol it knows, and OUT_DIR/manifest.json. Unless
# --write-only, also loads each pickle pickle++ wrote in CPP_DIR (listed in
# CPP_DIR/fixtures.txt) and checks that it is the fixture's object (pyiso.iso: values,
# NaN as NaN, shared references shared, cycles cycles, distinct objects distinct).
#
# The objects are built as CPython's pickler must see them to write the bytes pickle++
# writes: every str and bytes a distinct object (S(), B()), except field and attribute
# names (interned, as Python's identifiers are) and the empty and one-character strs
# and bytes (singletons, as in CPython 3); every tuple a new one (T()). The classes of
# PICKLE_OBJECT live in a module made here, typed_classes, registered in sys.modules.
#
# Runs under CPython 3.6 and later. Exit status 0 when every pickle loaded as its
# fixture, 1 otherwise.
import datetime
import decimal
import io
import json
import os
import pickle
import struct
import sys
import types
import uuid

sys.dont_write_bytecode = True
from pyiso import iso  # noqa: E402

# ------------------------------------------------------------------ the classes
typed_classes = types.ModuleType('typed_classes')
sys.modules['typed_classes'] = typed_classes


def make_class(qualname):
    cls = type(qualname.rpartition('.')[2], (object,),
               {'__module__': 'typed_classes', '__qualname__': qualname})
    return cls


Point = typed_classes.Point = make_class('Point')
Outer = typed_classes.Outer = make_class('Outer')
Inner = Outer.Inner = make_class('Outer.Inner')
Shape = typed_classes.Shape = make_class('Shape')
Node = typed_classes.Node = make_class('Node')
Other = typed_classes.Other = make_class('Other')


def new(cls, **fields):
    """An instance whose __dict__ holds the fields, in this order (the names are the
    interned identifiers of the call)."""
    o = cls.__new__(cls)
    for k, v in fields.items():
        setattr(o, k, v)
    return o


# ------------------------------------------------------------------ the values
def S(text):
    """A str object of its own (the empty and 1-char latin-1 strs stay singletons)."""
    return text.encode('utf-8', 'surrogatepass').decode('utf-8', 'surrogatepass')


_ALL_BYTES = bytes(range(256))


def B(data):
    """A bytes object of its own; the empty and 1-byte bytes are the singletons that
    CPython makes of them (a slice of one byte is)."""
    if len(data) == 1:
        return _ALL_BYTES[data[0]:data[0] + 1]
    return bytes(bytearray(data))


def T(*items):
    """A new tuple (a literal would be a shared constant)."""
    return tuple(list(items))


def D(text):
    return decimal.Decimal(S(text))


NAN = struct.unpack('>d', bytes.fromhex('7ff8000000000000'))[0]  # C++'s quiet_NaN()
INF = float('inf')
dt = datetime.datetime
td = datetime.timedelta


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def P(x, y):
    return new(Point, x=float(x), y=float(y))


def rec(id, name, score, tags, balance):
    return {'id': id, 'name': S(name), 'score': score, 'tags': [S(t) for t in tags],
            'balance': balance}


def records():
    return [rec(1, 'alice', 9.5, ['admin', 'ops'], 12.25),
            rec(2, 'bob', -0.5, [], None),
            rec(3, 'carol', 0.0, ['x', 'ops'], -1e300)]


def strs():
    return ['', '', 'a', 'a', S('\xe9'), S('\xe9'), S('\u20ac'), S('\u20ac'), S('abc'), S('abc'),
            S('caf\xe9'), S('\U0001f600 \U0010ffff'), S('a\\b\nc\r\x00\x1a"\'\\u0041 \x7f'),
            S('m' * 255), S('n' * 256), S('\xe9t\u20ac' * 110)]


def frames():
    out = []
    for i in range(3000):
        out.append(S(str(i) + 's' * 40))
        if i == 1500:
            out.append(B(b'b' * 100000))
        if i == 2000:
            out.append(S('u' * 70000))
    return out


def lists():
    return T([], [[1], [2, 3], []], [[S('ab'), 'c'], []], [1, 2, 3], [[1.0, 2.0], [3.0, 4.0]], [])


def tuples():
    return T(T(), T(1), T(2, S('xy')), T(3, 4, 5), T(6, S('seven'), 8.5, True),
             T(T(T()), T('a', S('bc'))))


def shared_list():
    a = [1, 2]
    return [a, a, None, [1, 2]]


def shared_str():
    s = S('shared text')
    return [s, S('shared text'), s]


def shared_point():
    p = P(3, 4)
    return [p, p]


def shared_in_tuples():
    s = S('in tuples')
    return [T(s, 1), T(s, 2)]


def shared_tuple():
    a = [1]
    return T(a, a)


def shared_tuple_twice():
    t = T(1, S('one'))
    return [t, t]


def shared_reduced():
    d, b = D('3.14'), B(b'shared')
    t, c, a = dt(1970, 1, 2), complex(1.0, 1.0), bytearray(b'ba')
    return T(d, d, b, b, t, t, c, c, a, a)


def node_self():
    n = new(Node, name=S('self'), next=[])
    n.next.append(n)
    return n


def node_pair():
    a = new(Node, name='a', next=[])
    b = new(Node, name='b', next=[a])
    a.next = [b, a, None]
    return a


def node_shared_child():
    leaf = new(Node, name=S('leaf'), next=[])
    return new(Node, name=S('root'), next=[leaf, leaf])


def shapes():
    tri = new(Shape, kind=S('triangle'), points=[P(0, 0), P(1, 0), P(0, 1)],
              owner=records()[0], meta={S('sides'): 3, 'z': -1}, origin=P(0, 0))
    dot = new(Shape, kind=S('dot'), points=[], owner=records()[1], meta={}, origin=None)
    return [tri, dot]


class Fixture(object):
    """make() -> a new object; compare_bytes: False where C++'s container order is not
    CPython's (unordered containers); fast: Pickler.fast; stream: make() pickled twice
    by one Pickler (two objects, one memo; with clear_memo, Pickler.clear_memo()
    between them)."""

    def __init__(self, make, compare_bytes=True, fast=False, stream=False, clear_memo=False):
        self.make = make
        self.compare_bytes = compare_bytes
        self.fast = fast
        self.stream = stream or clear_memo
        self.clear_memo = clear_memo


FIXTURES = {
    'none_bool': Fixture(lambda: T(None, True, False, None)),
    'int8': Fixture(lambda: [-128, -1, 0, 1, 127]),
    'uint8': Fixture(lambda: [0, 1, 127, 128, 255]),
    'int16': Fixture(lambda: [-32768, -256, -1, 255, 256, 32767]),
    'uint16': Fixture(lambda: [0, 255, 256, 65535]),
    'int32': Fixture(lambda: [-2 ** 31, -65536, -1, 65535, 65536, 2 ** 31 - 1]),
    'uint32': Fixture(lambda: [0, 65535, 65536, 2147483647, 2147483648, 2 ** 32 - 1]),
    'int64': Fixture(lambda: [-2 ** 63, -2147483649, -2147483648, -1, 0, 255, 2147483647,
                              2147483648, 1 << 40, 2 ** 63 - 1]),
    'long_long': Fixture(lambda: [-2 ** 63, -1, 0, 65536, 2 ** 63 - 1]),
    'uint64': Fixture(lambda: [0, 255, 4294967295, 4294967296, 2 ** 63 - 1, 2 ** 63,
                               2 ** 64 - 1]),
    'ulong_long': Fixture(lambda: [0, 2 ** 64 - 1]),
    'int128': Fixture(lambda: [-2 ** 127, -2 ** 64, -2 ** 63 - 1, -1, 0, 2 ** 63, 2 ** 64,
                               2 ** 127 - 1]),
    'uint128': Fixture(lambda: [0, 2 ** 64 - 1, 2 ** 64, 2 ** 128 - 1]),
    'bigint': Fixture(lambda: [0, -1, -2 ** 63, 2 ** 64, -2 ** 100, 10 ** 30,
                               -123456789012345678901234567890123, 2 ** 2031, 2 ** 2039,
                               -2 ** 2100]),
    'floats': Fixture(lambda: [0.0, -0.0, 1.5, 0.1, -2.5e-10, 1e300, 5e-324, 1e16, INF, -INF,
                               NAN, 123.0, -1.0]),
    'float32': Fixture(lambda: [f32(0.1), -0.0, f32(3.4028235e38), INF, NAN]),
    'complex': Fixture(lambda: [complex(1.0, 2.0), complex(-0.0, INF), complex(0.0, 0.0),
                                complex(1.5, -2.5), complex(NAN, 1.0)]),
    'complex_float': Fixture(lambda: T(complex(0.5, -4.0))),
    'strs': Fixture(strs),
    'single_char_names': Fixture(lambda: T(['y'], P(1, 2), ['x', 'y'])),
    'bytes': Fixture(lambda: [B(b''), B(b''), B(b'\x00'), B(b'\x00'), B(b'\xff'), B(b'ab'),
                              B(b'ab'), B(bytes(range(256))), B(b'q' * 300), B(b'\x80')]),
    'byte_vectors': Fixture(lambda: [B(b''), B(b'A'), B(b'\x00\xff\x80')]),
    'bytearray': Fixture(lambda: [bytearray(b''), bytearray(b'b'), bytearray(b'ba'),
                                  bytearray(b'\x00\xff'), bytearray(b'z' * 300)]),
    'frames': Fixture(frames),
    'lists': Fixture(lists),
    'list_1000': Fixture(lambda: list(range(1000))),
    'list_1001': Fixture(lambda: list(range(1001))),
    'list_2001_str': Fixture(lambda: [S('s%d' % i) for i in range(2001)]),
    'list_2500_int64': Fixture(lambda: [i * i * 1000 - 70000 for i in range(2500)]),
    'list_1001_double': Fixture(lambda: [i / 8.0 for i in range(1001)]),
    'tuples': Fixture(tuples),
    'tuple_list': Fixture(lambda: [T(1, 2), T(1, 2)]),
    'dict_small': Fixture(lambda: {'a': 1, S('bc'): 2}),
    'dict_1000': Fixture(lambda: dict((i, -i) for i in range(1000))),
    'dict_1001': Fixture(lambda: dict((i, S('v%d' % i)) for i in range(1001))),
    'dict_2345': Fixture(lambda: dict((i * 3, i) for i in range(2345))),
    'dict_nested': Fixture(lambda: {S('one'): {1: ['a', S('bb')], 2: []}, S('two'): {}}),
    'dict_tuple_keys': Fixture(lambda: {T(1, 2): 'x', T(3, 4): S('yz')}),
    'series': Fixture(lambda: {'a': [1.0, 2.5, -0.0], 'b': [], 'c': [NAN, INF],
                               S('temperature'): [21.5]}),
    'unordered': Fixture(lambda: T({S('k1'): 1, S('k2'): 2, S('k3'): 3},
                                   set(['p', S('qq'), S('rrr')]),
                                   set([S('ant'), S('bee'), S('cat')]), set([-5, 70000, 3])),
                         compare_bytes=False),
    'unordered_one': Fixture(lambda: {S('only'): 1}),
    'sets': Fixture(lambda: T(set(), set([1, 2, 3]), set([5]), set([7]))),
    'set_1001': Fixture(lambda: set(range(1001))),
    'set_2001': Fixture(lambda: set(range(2001))),
    'optional': Fixture(lambda: T([1, None, 3], S('some'), None)),
    'variant': Fixture(lambda: [None, True, 7, 3.5, S('text'), False, [4, 5], P(0.5, -1)]),
    'unique_ptr': Fixture(lambda: [P(1, 2), None, P(1, 2)]),
    'unique_ptr_leaves': Fixture(lambda: T('u', None)),
    'shared_list': Fixture(shared_list),
    'shared_str': Fixture(shared_str),
    'shared_point': Fixture(shared_point),
    'shared_int': Fixture(lambda: [70000, 70000]),
    'shared_in_tuples': Fixture(shared_in_tuples),
    'shared_tuple': Fixture(shared_tuple),
    'shared_tuple_twice': Fixture(shared_tuple_twice),
    'shared_reduced': Fixture(shared_reduced),
    'node_self': Fixture(node_self),
    'node_pair': Fixture(node_pair),
    'node_shared_child': Fixture(node_shared_child),
    'records': Fixture(records),
    'shared_field_names': Fixture(lambda: T(rec(7, 'name', 1.0, ['id', 'tags'], None),
                                            new(Node, name=S('node'), next=[]))),
    'record_one': Fixture(lambda: rec(42, 'solo', 1.25, ['t'], None)),
    'points': Fixture(lambda: [P(1, 2), P(-0.0, 1e300), P(0.5, 0.25)]),
    'nested_class': Fixture(lambda: [new(Inner, v=1, s=S('one')), new(Inner, v=2, s=S('two'))]),
    'shapes': Fixture(shapes),
    'fast_records': Fixture(records, fast=True),
    'stream_records': Fixture(records, stream=True),
    'stream_clear_memo': Fixture(records, clear_memo=True),
    'names_from_buffer': Fixture(lambda: {'ab': 1, 'cd': 2}),
    'value': Fixture(lambda: {'label': S('raw'), 'extra': [1, S('two'), {'k': T(None, 2.5)}]}),
    'decimal': Fixture(lambda: [D('1.10'), D('-Infinity'), D('NaN'), D('0'), D('-1.5E+20'),
                                D('1.10')]),
    'uuid': Fixture(lambda: [uuid.UUID('12345678-1234-5678-1234-567812345678'), uuid.UUID(int=0),
                             uuid.UUID('ffffffff-ffff-4fff-bfff-ffffffffffff')]),
    'timedelta': Fixture(lambda: [td(0), td(days=1, hours=2, microseconds=3),
                                  td(microseconds=-1), td(days=-5), td(hours=-36, seconds=7),
                                  td(days=106000, seconds=86399, microseconds=999999)]),
    'timedelta_units': Fixture(lambda: T(td(seconds=-90061), td(milliseconds=1500),
                                         td(seconds=0.25), td(microseconds=2))),
    'datetime': Fixture(lambda: [dt(1970, 1, 1), dt(2023, 11, 14, 22, 13, 20, 123456),
                                 dt(1, 1, 1), dt(9999, 12, 31, 23, 59, 59, 999999),
                                 dt(2000, 2, 29, 0, 0, 0, 1)]),
    'datetime_ns': Fixture(lambda: [dt(1970, 1, 1, 0, 0, 0, 2), dt(1970, 1, 1, 0, 0, 0, 2),
                                    dt(1970, 1, 1, 0, 0, 1)]),
    'datetime_seconds': Fixture(lambda: [dt(2001, 9, 9, 1, 46, 40)]),
    'date': Fixture(lambda: [datetime.date(2024, 2, 29), datetime.date(1, 1, 1),
                             datetime.date(9999, 12, 31), datetime.date(1970, 1, 1)]),
    'python_types': Fixture(lambda: T(dt(2023, 11, 14, 22, 13, 20, 123456),
                                      datetime.date(2023, 11, 14), td(microseconds=5), D('2.5'),
                                      uuid.UUID(int=1), datetime.date(2000, 1, 2), D('-0'))),
}

# Objects the fixture's C++ type must refuse (typed_fixtures.cpp knows the type and the
# words its TypedError must say).
REFUSALS = {
    'refuse_int8_range': lambda: [127, 128],
    'refuse_uint64_negative': lambda: -1,
    'refuse_uint64_range': lambda: 2 ** 64,
    'refuse_str_as_int': lambda: S('12'),
    'refuse_bytes_as_str': lambda: B(b'ab'),
    'refuse_tuple_size': lambda: T(1, 2, 3),
    'refuse_missing_key': lambda: {'id': 1, 'score': 1.0, 'tags': [], 'balance': None},
    'refuse_extra_key': lambda: dict(rec(1, 'x', 1.0, [], None), extra=1),
    'refuse_other_class': lambda: new(Other, x=1.0, y=2.0),
    'refuse_field_type': lambda: [rec(1, 'a', 1.0, [], None),
                                  {'id': 2, 'name': S('b'), 'score': S('high'), 'tags': [],
                                   'balance': None}],
    'refuse_cycle_by_default': node_self,
    'refuse_array_size': lambda: [1, 2, 3],
    'refuse_datetime_as_date': lambda: dt(2020, 1, 1),
}


def dumps(fx, protocol):
    """This CPython's pickle of a fixture's object at a protocol."""
    if not (fx.fast or fx.stream):
        return pickle.dumps(fx.make(), protocol=protocol)
    f = io.BytesIO()
    p = pickle.Pickler(f, protocol=protocol)
    if fx.fast:
        p.fast = True
        p.dump(fx.make())
    else:
        keep = [fx.make(), fx.make()]  # alive while the memo holds their ids
        p.dump(keep[0])
        if fx.clear_memo:
            p.clear_memo()
        p.dump(keep[1])
    return f.getvalue()


def loads(fx, data):
    """The objects of pickle++'s file: one, or two for a stream."""
    if not fx.stream:
        return [pickle.loads(data)]
    u = pickle.Unpickler(io.BytesIO(data))
    return [u.load(), u.load()]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    write_only = '--write-only' in sys.argv
    cpp_dir, out_dir = args
    if not os.path.isdir(out_dir):
        os.makedirs(out_dir)
    highest = pickle.HIGHEST_PROTOCOL
    for name, fx in sorted(FIXTURES.items()):
        for p in range(highest + 1):
            with open(os.path.join(out_dir, '%s.p%d.pkl' % (name, p)), 'wb') as f:
                f.write(dumps(fx, p))
    for name, make in sorted(REFUSALS.items()):
        for p in range(highest + 1):
            with open(os.path.join(out_dir, '%s.p%d.pkl' % (name, p)), 'wb') as f:
                f.write(pickle.dumps(make(), protocol=p))
    manifest = {
        'version': list(sys.version_info[:3]), 'highest': highest,
        'fixtures': dict((n, {'compare_bytes': fx.compare_bytes})
                         for n, fx in FIXTURES.items()),
        'refusals': sorted(REFUSALS),
    }
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    if write_only:
        return 0
    failures, loaded, unknown, newer = [], 0, set(), 0
    with open(os.path.join(cpp_dir, 'fixtures.txt')) as f:
        entries = [line.split() for line in f if line.strip()]
    for name, p in entries:
        p = int(p)
        fx = FIXTURES.get(name)
        if fx is None:
            unknown.add(name)
            continue
        if p > highest:
            newer += 1
            continue
        label = '%s.p%d' % (name, p)
        with open(os.path.join(cpp_dir, label + '.pkl'), 'rb') as f:
            data = f.read()
        try:
            got = loads(fx, data)
        except Exception as e:
            failures.append('%s: CPython cannot load it: %s: %s' % (label, type(e).__name__, e))
            continue
        for i, one in enumerate(got):
            why = iso(fx.make(), one)
            if why:
                failures.append('%s%s: loads as another object: %s' % (
                    label, ' (pickle %d)' % (i + 1) if len(got) > 1 else '', why))
        loaded += 1
    for name in sorted(unknown):
        failures.append('%s: a C++ fixture without a Python object here' % name)
    for name in sorted(set(FIXTURES) - set(n for n, _ in entries)):
        failures.append('%s: a Python object without a C++ fixture' % name)
    for fail in failures:
        print('FAIL load ' + fail)
    print('CPython %s: %d of pickle++\'s pickles loaded as their fixtures, %d failed '
          '(%d of protocols above %d not loaded)'
          % ('.'.join(map(str, sys.version_info[:3])), loaded, len(failures), newer, highest))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
