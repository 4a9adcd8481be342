# Writes the interop "object zoo": for every protocol this interpreter knows, one
# pickle file per zoo case and per pickler (the C accelerator and the pure-Python
# one), plus manifest.json describing them.
#
#   python zoo_gen.py OUTDIR
#
# Runs under Python 2.7 and every Python 3, so it uses only syntax both accept.
# Run it with PYTHONHASHSEED=0. A case that a version cannot build or pickle is
# listed in the manifest under "skipped" with the reason.
from __future__ import print_function

import collections
import datetime
import decimal
import functools
import io
import json
import os
import pickle
import sys

sys.dont_write_bytecode = True
import zoo_classes as zc  # noqa: E402
from zoo_classes import copyreg  # noqa: E402

PY2 = sys.version_info[0] == 2
if PY2:
    import cPickle
    text_type = unicode  # noqa: F821
    long_type = long  # noqa: F821
    unichr_ = unichr  # noqa: F821
else:
    text_type = str
    long_type = int
    unichr_ = chr


class Skip(Exception):
    """A case this interpreter cannot express."""


def need(major_minor, what=''):
    if sys.version_info[:2] < major_minor:
        raise Skip('needs Python %d.%d %s' % (major_minor + (what,)))


def need_py3():
    if PY2:
        raise Skip('Python 3 only')


def need_py2():
    if not PY2:
        raise Skip('Python 2 only')


CASES = []  # (name, factory, options)


def case(name, **options):
    def register(factory):
        CASES.append((name, factory, options))
        return factory
    return register


def value(name, v, **options):
    CASES.append((name, lambda: v, options))


def u(s):
    """Text from a \\u-escaped ASCII literal, the same under Python 2 and 3."""
    return s.encode('ascii').decode('unicode-escape')


# ---------------------------------------------------------------- scalars
value('none', None)
value('true', True)
value('false', False)
value('bools', [True, False, 1, 0])

INTS = [
    ('0', 0), ('1', 1), ('m1', -1), ('2', 2), ('127', 127), ('128', 128),
    ('255', 255), ('256', 256), ('m255', -255), ('m256', -256), ('m257', -257),
    ('32767', 32767), ('32768', 32768), ('65535', 65535), ('65536', 65536),
    ('m65535', -65535), ('m65536', -65536), ('m65537', -65537),
    ('2p31m1', 2 ** 31 - 1), ('2p31', 2 ** 31), ('m2p31', -2 ** 31),
    ('m2p31m1', -2 ** 31 - 1), ('2p32', 2 ** 32), ('2p63m1', 2 ** 63 - 1),
    ('2p63', 2 ** 63), ('m2p63', -2 ** 63), ('m2p63m1', -2 ** 63 - 1),
    ('2p64m1', 2 ** 64 - 1), ('2p64', 2 ** 64), ('m2p64', -2 ** 64),
    ('2p1000', 2 ** 1000), ('m2p1000', -2 ** 1000), ('2p1000m1', 2 ** 1000 - 1),
    ('2p2100', 2 ** 2100), ('m2p2100', -2 ** 2100),
    ('m128', -128), ('m129', -129), ('m32768', -32768), ('m32769', -32769),
    ('2p55p1', 2 ** 55 + 1),
]
for _name, _v in INTS:
    value('int_' + _name, _v)
value('ints_all', [v for _, v in INTS])


@case('py2_long_small')
def _():
    need_py2()
    return [long_type(0), long_type(1), long_type(-1), long_type(255), long_type(-256)]


FLOATS = [
    ('0', 0.0), ('m0', -0.0), ('1', 1.0), ('m1_5', -1.5), ('0_1', 0.1),
    ('1e16', 1e16), ('1e15', 1e15), ('9e15', 9007199254740993.0), ('1em5', 1e-5),
    ('1em4', 1e-4), ('1e22', 1e22), ('1e23', 1e23), ('max', 1.7976931348623157e308),
    ('min_normal', 2.2250738585072014e-308), ('max_sub', 2.225073858507201e-308),
    ('min_sub', 5e-324), ('pi', 3.141592653589793), ('third', 1.0 / 3),
    ('inf', float('inf')), ('minf', float('-inf')), ('nan', float('nan')),
    ('mnan', -float('nan')), ('123456789', 123456789.0), ('1_5e300', 1.5e300),
    ('0_3', 0.30000000000000004), ('m1em7', -1e-7),
]
for _name, _v in FLOATS:
    value('float_' + _name, _v)
value('floats_all', [v for _, v in FLOATS])

COMPLEX = [
    ('j', 1j), ('1p2j', 1 + 2j), ('0_m0', complex(0.0, -0.0)),
    ('m0_0', complex(-0.0, 0.0)), ('m0_m0', complex(-0.0, -0.0)),
    ('inf_nan', complex(float('inf'), float('nan'))),
    ('nan_minf', complex(float('nan'), float('-inf'))),
    ('big', complex(1e300, 1e-300)), ('m1_5', complex(-1.5, 0.25)),
]
for _name, _v in COMPLEX:
    value('complex_' + _name, _v)

# ---------------------------------------------------------------- text
STRS = [
    ('empty', u('')), ('a', u('a')), ('apos', u("it's")), ('quote', u('say "hi"')),
    ('both', u('both \' and "')), ('backslash', u('back\\\\slash')),
    ('controls', u('new\\nline\\r\\t tab\\x00\\x01\\x1a\\x1f\\x7f')),
    ('latin1', u('\\x80\\x9f\\xa0\\xad\\xe9\\xff caf\\xe9')),
    ('euro', u('\\u20ac 100')), ('invisible', u('\\u200b\\u2028\\u3000\\ufeff\\u00a0\\u1680\\u0600')),
    ('private', u('\\ue000\\U000f0000')), ('unassigned', u('\\u0378\\U000e0080')),
    ('nonbmp', u('\\U0001f600 \\U00020000 \\U0010ffff \\U000e0001 \\U0001d173')),
    ('unicode15', u('\\U0001fae8 \\U0002ebf0 \\U00031350')),
    ('lone_hi', u('\\ud800')), ('lone_lo', u('x\\udfffy')),
    ('lone_pair', u('\\ud83d\\ude00')), ('lone_mixed', u('\\udc80\\U0001f600\\ud800')),
    ('escape_lookalike', u('a\\\\u0041 \\\\n \\\\x41')), ('ctrl_z', u('a\\x1ab')),
    ('s255', u('x') * 255), ('s256', u('x') * 256), ('e200', u('\\xe9') * 200),
    ('long', u('line\\n') * 20000),
]
for _name, _v in STRS:
    value('str_' + _name, _v)

BYTES = [
    ('empty', b''), ('abc', b'abc'), ('apos', b"it's"), ('quote', b'"q"'),
    ('both', b'both \' and "'), ('backslash', b'\\'), ('controls', b'\x00\xff\x80\t\n\r\x7f'),
    ('all256', bytes(bytearray(range(256)))), ('b255', b'x' * 255), ('b256', b'x' * 256),
    ('large', b'ab' * 50000), ('utf8', u('caf\\xe9').encode('utf-8')),
]
for _name, _v in BYTES:
    value('bytes_' + _name, _v)  # Python 2 str on Python 2

value('bytearray_empty', bytearray())
value('bytearray_abc', bytearray(b'abc'))
value('bytearray_binary', bytearray(b'\x00\xff\x80') * 10)
value('bytearray_all256', bytearray(range(256)))
value('bytearray_large', bytearray(b'z') * 70000)


@case('py2_str_unicode_mix')
def _():
    need_py2()
    return {'str': u('unicode'), u('unicode'): 'str', 'non_ascii_str': '\xe9',
            'tuple': ('a', u('a')), '\xff key': set(['\xe9', 'a']),
            'instance': zc.Plain('\x80', u('\\x80'))}


# ---------------------------------------------------------------- containers
value('tuple_0', ())
value('tuple_1', (1,))
value('tuple_2', (1, 2))
value('tuple_3', (1, 2, 3))
value('tuple_4', (1, 2, 3, 4))
value('tuple_nested', ((), ((),), (1, (2, (3,)))))
value('tuple_big', tuple(range(2500)))
value('list_0', [])
value('list_1', [1])
value('list_big', list(range(2500)))
value('list_mixed', [None, True, 1, 2.5, u('s'), b'b', (1,), [2], {3: 4}])
value('dict_0', {})
value('dict_1', {u('a'): 1})
value('dict_big', dict((i, str(i)) for i in range(2500)))
value('dict_keys', {(1, 2): 3, (): 0, frozenset([1]): u('fs'), None: 1, True: 2,
                     1.5: 3, b'b': 4, u('s'): 5, -7: 6, 2 ** 70: 7})
value('nested', [[1, [2, [3]]], {u('k'): (1, [2, {3: 4}])}])


@case('deep_list')
def _():
    v = []
    for _i in range(100):
        v = [v]
    return v


@case('deep_dict')
def _():
    v = {}
    for i in range(60):
        v = {i: v}
    return v


@case('deep_tuple')
def _():
    v = ()
    for _i in range(80):
        v = (v,)
    return v


# ---------------------------------------------------------------- sharing, recursion
@case('shared_list')
def _():
    a = [1, 2]
    return [a, a, (a,), {u('a'): a}]


@case('shared_str')
def _():
    s = u('shared text')
    b = b'shared bytes'
    return [s, s, b, b, (s, b)]


@case('shared_tuple')
def _():
    t = (1, u('two'))
    return [t, t, {u('t'): t}]


@case('shared_many')
def _():
    strs = [u('s%d') % i for i in range(300)]
    return strs + strs


@case('rec_list')
def _():
    v = []
    v.append(v)
    return v


@case('rec_list2')
def _():
    v = [1]
    v.append(v)
    v.append(2)
    v.append(v)
    return v


@case('rec_dict')
def _():
    v = {}
    v[u('self')] = v
    return v


@case('rec_tuple_in_list')
def _():
    v = []
    t = (v,)
    v.append(t)
    return v


@case('rec_tuple_top')
def _():
    v = []
    t = (1, v, v)
    v.append(t)
    return t


@case('rec_tuple_outer')
def _():
    v = []
    t = (1, v)
    v.append(t)
    return (t, v, [t])


@case('rec_mutual')
def _():
    a = []
    b = [a]
    a.append(b)
    return {u('a'): a, u('b'): b}


@case('rec_dict_list')
def _():
    d = {}
    d[1] = [d, (d,)]
    return d


# ---------------------------------------------------------------- sets
value('set_0', set())
value('set_ints', set([1, 2, 3]))
value('set_strs', set([u('a'), u('b'), u('c')]))
value('set_mixed', set([frozenset([1, 2]), (1, 2), None, 1.5, u('x'), b'y']))
value('set_big', set(range(2500)))
value('frozenset_0', frozenset())
value('frozenset_ints', frozenset([1, 2]))
value('frozenset_big', frozenset(range(1500)))
value('frozenset_nested', frozenset([frozenset([frozenset()]), frozenset([1])]))


@case('set_shared')
def _():
    s = set([1])
    f = frozenset([2])
    return [s, s, f, f, {u('f'): f}]


@case('set_rec_via_object')
def _():
    o = zc.Hashable()
    s = set([o])
    o.s = s
    return s


@case('frozenset_rec_via_object')
def _():
    o = zc.Hashable()
    f = frozenset([o, 1])
    o.f = f
    return [f, o]


# ---------------------------------------------------------------- OrderedDict
value('odict_0', collections.OrderedDict())
value('odict_items', collections.OrderedDict([(u('b'), 1), (u('a'), [2]), (3, None)]))


@case('odict_rec')
def _():
    d = collections.OrderedDict()
    d[u('self')] = d
    return d


@case('odict_subclass')
def _():
    d = zc.MyOrderedDict()
    d[u('k')] = 1
    return d


# An OrderedDict with an attribute: what torch.save writes for a state_dict (its
# _metadata), as a BUILD after the items. Also when empty, and its subclasses and
# other containers' subclasses carrying attributes.
@case('odict_attrs')
def _():
    d = collections.OrderedDict([(u('w'), [1.5]), (u('b'), 2)])
    d._metadata = collections.OrderedDict([(u(''), {u('version'): 1})])
    return d


@case('odict_attrs_empty')
def _():
    d = collections.OrderedDict()
    d.note = u('empty')
    return d


@case('odict_attrs_self')
def _():
    d = collections.OrderedDict([(1, 2)])
    d.me = d
    return d


@case('odict_subclass_attrs')
def _():
    return zc.with_attributes(zc.MyOrderedDict([(u('k'), 1)]), tag=u('t'))


@case('dict_subclass_attrs')
def _():
    return zc.with_attributes(zc.MyDict(a=1), tag=u('t'), n=2)


@case('list_subclass_attrs')
def _():
    return zc.with_attributes(zc.MyList([1, 2]), tag=u('t'))


@case('set_subclass_attrs')
def _():
    return zc.with_attributes(zc.MySet([1]), tag=u('t'))


# ---------------------------------------------------------------- datetime, Decimal
value('date', datetime.date(2024, 2, 29))
value('datetime', datetime.datetime(2024, 1, 2, 3, 4, 5, 678901))
value('datetime_min', datetime.datetime.min)
value('datetime_max', datetime.datetime.max)
value('time', datetime.time(1, 2, 3, 4))
value('timedelta', datetime.timedelta(1, 2, 3))
value('timedelta_neg', datetime.timedelta(-1))
value('decimal', [decimal.Decimal('1.1'), decimal.Decimal('-0'), decimal.Decimal('NaN'),
                  decimal.Decimal('1E+100')])


@case('datetime_tz')
def _():
    need_py3()
    return datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


@case('datetime_offset')
def _():
    need_py3()
    return datetime.timezone(datetime.timedelta(hours=-5), u('EST'))


@case('datetime_fold')
def _():
    need((3, 6), 'for fold')
    return datetime.datetime(2024, 11, 3, 1, 30, fold=1)


# ---------------------------------------------------------------- references
value('ref_func', zc.func)
value('ref_class', zc.Plain)
value('ref_os_path_join', os.path.join)
value('ref_odict_class', collections.OrderedDict)
value('ref_builtins', [len, int, object, set, frozenset, bytearray, complex, dict, list])
value('ref_exception_class', ValueError)
value('exception', ValueError(u('boom'), 2))
value('slice', slice(1, None, 2))
value('partial', functools.partial(zc.func, 1, k=2))
value('ref_singleton', zc.SINGLETON)


@case('ref_bytes_class')
def _():
    need_py3()
    return bytes


@case('ref_nested_class')
def _():
    return zc.Outer.Inner


@case('nested_instance')
def _():
    return zc.Outer.Inner()


@case('ref_unbound_method')
def _():
    need_py3()
    return zc.Outer.method


@case('ref_bound_method')
def _():
    return zc.Plain().method


@case('ref_method_descriptor')
def _():
    return text_type.upper


@case('ref_py3_renamed')
def _():
    need_py3()
    import io
    return [functools.reduce, range, zip, map, collections.UserDict, io.StringIO,
            range(1, 10, 2)]


@case('ref_py2_renamed')
def _():
    need_py2()
    import itertools
    import StringIO
    import UserDict
    return [reduce, xrange, itertools.izip, UserDict.UserDict, StringIO.StringIO,  # noqa
            unicode, basestring, long, xrange(1, 10, 2)]  # noqa: F821


@case('ellipsis')
def _():
    need_py3()
    return [Ellipsis, NotImplemented, type(None)]


# ---------------------------------------------------------------- instances
value('obj_plain', zc.Plain())
value('obj_plain_args', zc.Plain([1, 2], {u('k'): u('v')}))
value('obj_empty', zc.Empty())
value('obj_object', object())
value('obj_getstate', zc.WithState())
value('obj_falsy_state', zc.FalsyState())
value('obj_slots', zc.Slots())
value('obj_slots_dict', zc.SlotsAndDict())
value('obj_slots_getstate', zc.SlotsGetState())
value('obj_reduce2', zc.Reduce2())
value('obj_reduce3', zc.Reduce3())
value('obj_reduce4', zc.Reduce4())
value('obj_reduce4_big', zc.Reduce4Big())
value('obj_reduce5', zc.Reduce5())
value('obj_reduce5_dict_only', zc.Reduce5DictOnly())
value('obj_reduce_newobj', zc.ReduceNewobj())
value('obj_reduce_ex', zc.ReduceEx())
value('obj_getnewargs', zc.GetNewArgs(1, u('b')))
value('obj_getnewargs_ex', zc.GetNewArgsEx(1, k=[2]))
value('obj_getnewargs_ex_nokw', zc.GetNewArgsExNoKw(3))
value('obj_old', zc.Old())
value('obj_old_empty', zc.OldEmpty())
value('obj_old_initargs', zc.OldInitArgs(1, u('two')))
value('obj_old_state', zc.OldState())
value('obj_mylist', zc.MyList([1, 2, 3]))
value('obj_mydict', zc.MyDict(a=1))
value('obj_myint', zc.MyInt(5))
value('obj_mystr', zc.MyStr('s'))
value('obj_mytuple', zc.MyTuple((1, 2)))
value('obj_myset', zc.MySet([1, 2]))


@case('obj_reduce6')
def _():
    need((3, 8), 'for the state setter')
    return zc.Reduce6()


@case('obj_mylist_attr')
def _():
    v = zc.MyList([1, [2]])
    v.tag = u('t')
    return v


@case('obj_mydict_big')
def _():
    return zc.MyDict((i, i) for i in range(1200))


@case('obj_rec')
def _():
    o = zc.Plain()
    o.me = o
    return o


@case('obj_rec_list')
def _():
    o = zc.Plain()
    v = [o]
    o.b = v
    return v


@case('obj_rec_mylist')
def _():
    v = zc.MyList()
    v.append(v)
    return v


@case('obj_shared')
def _():
    o = zc.Plain(u('shared'))
    return [o, o, (o,)]


@case('obj_as_key')
def _():
    h = zc.Hashable(u('key'))
    return {h: 1, u('h'): h}


@case('obj_nested')
def _():
    return zc.Plain(zc.Plain(zc.WithState(), zc.Old()), [zc.Reduce3(9), zc.GetNewArgs()])


@case('obj_exception_attr')
def _():
    e = KeyError(u('k'))
    e.note = 1
    return e


# ---------------------------------------------------------------- persistent ids
@case('pid_str', pid=True)
def _():
    return [1, zc.Persistent(u('abc')), zc.Persistent(u('abc')), 2]


@case('pid_tuple', pid=True, min_protocol=1)
def _():
    return {u('p'): zc.Persistent((u('tag'), 42)), u('n'): zc.Persistent(None)}


# ---------------------------------------------------------------- extension codes
# A global named by copyreg's extension registry (EXT1/EXT2/EXT4). Nobody registered
# the code where the pickle is read, so CPython fails with "unregistered extension
# code", and so must `pickle show`.
def extension_case(name, code):
    def factory():
        return [zc.Plain, zc.Plain]

    CASES.append((name, factory, {'min_protocol': 2, 'expect_error': True,
                                  'extension': code}))


extension_case('ext1', 200)
extension_case('ext2', 40000)
extension_case('ext4', 123456789)


# ---------------------------------------------------------------- protocol 5 buffers
@case('pickle_buffer', min_protocol=5)
def _():
    need((3, 8), 'for PickleBuffer')
    return [pickle.PickleBuffer(bytearray(b'in-band writable')),
            pickle.PickleBuffer(b'in-band readonly'), bytearray(b'plain')]


@case('pickle_buffer_big', min_protocol=5)
def _():
    need((3, 8), 'for PickleBuffer')
    return pickle.PickleBuffer(bytearray(b'q') * 100000)


@case('oob_buffer', min_protocol=5, oob=True)
def _():
    need((3, 8), 'for PickleBuffer')
    return [1, pickle.PickleBuffer(bytearray(b'out-of-band'))]


@case('oob_buffer_readonly', min_protocol=5, oob=True)
def _():
    need((3, 8), 'for PickleBuffer')
    return [pickle.PickleBuffer(b'readonly out-of-band')]


# ---------------------------------------------------------------- streams
# Several dump() calls on one Pickler: one file, several pickles, one shared memo
# (a later pickle may refer to an object of an earlier one). `pickle show
# --shared-memo` must follow the references back; without it each pickle starts with
# an empty memo, as with repeated pickle.load(f), and a reference back either fails
# (no such memo entry) or, at protocol 4+ where MEMOIZE numbers entries from the
# size of the memo, finds an object of the pickle itself.
@case('stream_shared_memo', stream=True)
def _():
    shared = [1, u('two')]
    o = zc.Plain(u('shared'))
    return [shared, {u('again'): shared}, (shared, o), o, [o, u('end')]]


# The same with builtin types only, so that mirror.py checks its two ways of loading
# such a file against CPython's own.
@case('stream_shared_builtin', stream=True)
def _():
    shared = [1, u('two')]
    d = {u('k'): shared}
    return [shared, d, (shared, d), [d, u('end')]]


# One Pickler, several dump() calls, nothing shared between the pickles: the same
# lines with and without --shared-memo.
@case('stream_independent', stream=True)
def _():
    return [[1, u('first')], {u('k'): (2, 3), u('l'): [u('x')]}, u('third'),
            zc.Plain(u('fourth')), [4.5, None]]


# ---------------------------------------------------------------- writers
def persistent_id(obj):
    if isinstance(obj, zc.Persistent):
        return obj.pid
    return None


def writers():
    """(name, make_pickler(file, protocol, pid, oob)) for this interpreter's picklers."""
    if PY2:
        def c_pickler(f, protocol, pid, oob):
            p = cPickle.Pickler(f, protocol)
            if pid:
                p.persistent_id = persistent_id
            return p

        class PyPickler(pickle.Pickler):
            def persistent_id(self, obj):
                return persistent_id(obj)

        def py_pickler(f, protocol, pid, oob):
            return (PyPickler if pid else pickle.Pickler)(f, protocol)
    else:
        def make(base):
            class WithPid(base):
                def persistent_id(self, obj):
                    return persistent_id(obj)

            def make_pickler(f, protocol, pid, oob):
                kwargs = {}
                if oob:
                    kwargs['buffer_callback'] = lambda buf: False  # False: out-of-band
                return (WithPid if pid else base)(f, protocol, **kwargs)
            return make_pickler
        c_pickler = make(pickle.Pickler)
        py_pickler = make(pickle._Pickler)
    return [('c', c_pickler), ('py', py_pickler)]


def main():
    if len(sys.argv) != 2:
        print('usage: zoo_gen.py OUTDIR', file=sys.stderr)
        return 2
    out = sys.argv[1]
    if not os.path.isdir(out):
        os.makedirs(out)
    entries = []
    skipped = []
    names = set()
    for name, factory, options in CASES:
        assert name not in names, name
        names.add(name)
        for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
            if protocol < options.get('min_protocol', 0):
                continue
            for writer, make_pickler in writers():
                try:
                    obj = factory()  # fresh each time: iterators in __reduce__ are consumed
                    f = io.BytesIO()
                    p = make_pickler(f, protocol, options.get('pid', False),
                                     options.get('oob', False))
                    code = options.get('extension')
                    if code:
                        copyreg.add_extension('zoo_classes', 'Plain', code)
                    try:
                        for item in (obj if options.get('stream') else [obj]):
                            p.dump(item)
                    finally:
                        if code:
                            copyreg.remove_extension('zoo_classes', 'Plain', code)
                    data = f.getvalue()
                except Skip as e:
                    skipped.append({'case': name, 'protocol': protocol, 'writer': writer,
                                    'reason': str(e)})
                    continue
                except Exception as e:  # this version cannot pickle it at this protocol
                    skipped.append({'case': name, 'protocol': protocol, 'writer': writer,
                                    'reason': '%s: %s' % (type(e).__name__, e)})
                    continue
                fname = '%s.p%d.%s.pkl' % (name, protocol, writer)
                with open(os.path.join(out, fname), 'wb') as f:
                    f.write(data)
                entries.append({'file': fname, 'case': name, 'protocol': protocol,
                                'writer': writer,
                                'pickles': len(obj) if options.get('stream') else 1,
                                'stream': bool(options.get('stream')),
                                'expect': 'error' if options.get('oob') or
                                options.get('expect_error') else 'ok'})
    manifest = {
        'python': '.'.join(str(x) for x in sys.version_info[:3]),
        'implementation': sys.version.split()[0],
        'highest_protocol': pickle.HIGHEST_PROTOCOL,
        'entries': entries,
        'skipped': skipped,
    }
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
