# Prints the expected-bytes table of tests/unit/pickler_test.cpp (kVectors): for each
# case and protocol, what CPython's C pickler writes for the Python object that the
# C++ builder of the same name makes.
#
#   PYTHONHASHSEED=0 python3.13 tests/pickletests/cpython/gen_pickler_vectors.py [--update FILE]
#   PYTHONHASHSEED=0 python2.7  tests/pickletests/cpython/gen_pickler_vectors.py [--update FILE]
#
# With --update FILE (tests/unit/pickler_test.cpp) the lines between
# `// BEGIN GENERATED (pythonX.Y)` and `// END GENERATED (pythonX.Y)` are replaced;
# otherwise they are printed.
#
# Under Python 3 it writes the Python 3 cases; under Python 2.7 (cPickle) the cases
# only Python 2 can write: old-style instances (INST, OBJ) and Python 2 `str`.
# Short pickles are printed as a literal (the body of a Python bytes literal), long
# ones as their size and FNV-1a 64 hash. The output replaces the generated block of
# pickler_test.cpp; review the diff.
#
# Identity matters: pickles memoize objects, so every str or bytes below is a distinct
# object unless the case shares it on purpose (fresh() defeats constant sharing), and
# the C++ builders mirror that.
from __future__ import print_function

import collections
import io
import sys
import types

PY2 = sys.version_info[0] == 2
if PY2:
    import pickle  # the pure-Python pickler: cPickle numbers its memo from 1
    import copy_reg as copyreg
else:
    import copyreg
    import functools
    import pickle

m = types.ModuleType('m')
sys.modules['m'] = m


def export(obj, qualname=None):
    name = qualname or obj.__name__
    obj.__module__ = 'm'
    if not PY2:
        obj.__qualname__ = name
    if '.' not in name:
        setattr(m, name, obj)
    return obj


def fresh(s):
    """A new object equal to s (literals in one function are shared constants)."""
    return (s + s[:1])[:-1] if len(s) > 1 else s


def fnv(data):
    h = 0xcbf29ce484222325
    for c in bytearray(data):
        h ^= c
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h


VECTORS = []  # (name, protocol, bytes)



def dumps(obj, protocol, fast=False, pid=None):
    f = io.BytesIO()
    if PY2:
        p = pickle.Pickler(f, protocol)
        if pid:
            p.persistent_id = pid
    else:
        if pid:
            class P(pickle.Pickler):
                def persistent_id(self, obj):
                    return pid(obj)
            p = P(f, protocol)
        else:
            p = pickle.Pickler(f, protocol)
    if fast:
        p.fast = True
    p.dump(obj)
    return f.getvalue()


def case(name, protocols=None, **kw):
    def register(factory):
        for p in (protocols if protocols is not None else range(pickle.HIGHEST_PROTOCOL + 1)):
            VECTORS.append((name, p, dumps(factory(), p, **kw)))
        return factory
    return register


def value(name, v, protocols=None):
    case(name, protocols)(lambda: v)


def py3():
    # ---------------------------------------------------------------- scalars
    value('none', None)
    value('true', True)
    value('false', False)
    ints = [('0', 0), ('255', 255), ('256', 256), ('65535', 65535), ('65536', 65536),
            ('m1', -1), ('2p31m1', 2 ** 31 - 1), ('m2p31', -2 ** 31), ('2p31', 2 ** 31),
            ('m2p31m1', -2 ** 31 - 1), ('2p63m1', 2 ** 63 - 1), ('m2p63', -2 ** 63),
            ('2p63', 2 ** 63), ('m2p63m1', -2 ** 63 - 1), ('2p64', 2 ** 64),
            ('2p2100', 2 ** 2100), ('m2p2100', -2 ** 2100)]
    for n, v in ints:
        value('int_' + n, v)
    floats = [('1_5', 1.5), ('0_1', 0.1), ('m0', -0.0), ('inf', float('inf')),
              ('minf', float('-inf')), ('nan', float('nan')), ('1e16', 1e16),
              ('1em5', 1e-05), ('1e22', 1e22), ('min_sub', 5e-324)]
    for n, v in floats:
        value('float_' + n, v)
    value('complex', 1 + 2j)
    value('complex_two', [1 + 2j, -0.5j])

    # ---------------------------------------------------------------- text, bytes
    value('str_empty', '')
    value('str_a', 'a')
    value('str_abc', fresh('abc'))
    value('str_latin1', fresh('caf\xe9'))
    value('str_euro', fresh('\u20ac'))
    value('str_nonbmp', fresh('\U0001f600!'))
    value('str_escapes', fresh('a\\b\nc\rd\x00e\x1af\tg'))
    value('str_surrogate', fresh('x\ud800y'))
    value('str_255', 'x' * 255)
    value('str_256', 'x' * 256)
    value('str_shared', (lambda s: [s, s, fresh(s)])(fresh('shared')))
    value('str_chars', ['', '', 'a', 'a', '\xe9', '\xe9'])
    value('bytes_empty', b'')
    value('bytes_1', b'\x80')
    value('bytes_abc', b'abc')
    value('bytes_high', b'\x00\xff\x80\n')
    value('bytes_256', b'x' * 256)
    value('bytes_two', [b'ab', b'cd'])
    value('bytearray_empty', bytearray())
    value('bytearray_ab', bytearray(b'ab'))

    # ---------------------------------------------------------------- containers
    value('tuple_0', ())
    value('tuple_1', (1,))
    value('tuple_2', (1, 2))
    value('tuple_3', (1, 2, 3))
    value('tuple_4', (1, 2, 3, 4))
    value('tuple_nested', ((), ((),)))
    value('list_0', [])
    value('list_1', [1])
    value('list_2', [1, 2])
    value('list_1000', list(range(1000)))
    value('list_1001', list(range(1001)))
    value('list_2500', list(range(2500)))
    value('dict_0', {})
    value('dict_1', {'a': 1})
    value('dict_2', {'a': 1, 'b': 2})
    value('dict_1000', dict((i, i) for i in range(1000)))
    value('dict_1001', dict((i, i) for i in range(1001)))
    value('set_0', set())
    value('set_1', set([1]))
    value('set_3', set([1, 2, 3]))
    value('set_1000', set(range(1000)))
    value('frozenset_0', frozenset())
    value('frozenset_2', frozenset([1, 2]))
    value('odict_0', collections.OrderedDict())
    value('odict_2', collections.OrderedDict([('b', 1), ('a', 2)]))

    # ---------------------------------------------------------------- sharing, recursion
    @case('shared_list')
    def _():
        a = [1]
        return [a, a]

    @case('rec_list')
    def _():
        v = []
        v.append(v)
        return v

    @case('rec_dict')
    def _():
        v = {}
        v['self'] = v
        return v

    @case('rec_tuple1')
    def _():
        v = []
        t = (v,)
        v.append(t)
        return t

    @case('rec_tuple4')
    def _():
        v = []
        t = (1, v, 2, 3)
        v.append(t)
        return t

    @case('rec_tuple_in_list')
    def _():
        v = []
        t = (v, 1)
        v.append(t)
        return v

    @case('rec_frozenset')
    def _():
        o = m.H()
        f = frozenset([o])
        o.f = f
        return f

    @case('rec_set')
    def _():
        o = m.H()
        s = set([o])
        o.s = s
        return [s, o]

    @case('memo_many')
    def _():
        strs = [fresh('s%d' % i) for i in range(300)]
        return strs + strs

    @case('frames')
    def _():
        return [fresh('%05d' % i) * 10 for i in range(2000)]

    @case('big_payloads')
    def _():
        return [b'a', b'x' * 70000, 'y' * 70000, bytearray(b'z') * 70000, b'c']

    # ---------------------------------------------------------------- globals
    value('global_cls', m.C)
    value('global_two', [m.C, m.E, m.C])
    value('global_odict', collections.OrderedDict)
    value('global_range', range)
    value('global_reduce', functools.reduce)
    value('global_nested', m.Outer.Inner)
    value('global_nested_two', [m.Outer.Inner, m.Outer, m.Outer.Inner])

    # ---------------------------------------------------------------- objects
    @case('obj_empty')
    def _():
        return m.E()

    @case('obj_newobj')
    def _():
        c = m.C()
        c.x = 1
        return c

    @case('obj_reconstructed')
    def _():
        c = m.Reconstructed()
        c.x = 1
        return c

    value('obj_newobj_args', m.N(), None)
    value('obj_newobj_ex', m.NX(), [0, 1, 4, 5])
    value('obj_reduce', m.R())
    value('obj_reduce_items', m.RI())
    value('obj_reduce_items_big', m.RIBig())

    @case('obj_shared')
    def _():
        c = m.E()
        return [c, c]

    @case('obj_rec')
    def _():
        c = m.C()
        c.x = c
        return c

    @case('obj_rec_args')
    def _():
        # An object reachable from its own reduce arguments: CPython writes it, then
        # POP and a GET of the memoized copy.
        r = m.RArgs()
        r.lst = [r]
        r.args = (r.lst,)  # one args tuple, as the C++ graph has one
        return r

    # ---------------------------------------------------------------- pids, ext, fast
    def pid(obj):
        return obj.pid if isinstance(obj, m.P) else None

    case('pid_str', pid=pid)(lambda: [1, m.P(fresh('abc')), m.P(fresh('abc'))])
    case('pid_tuple', protocols=range(1, 6), pid=pid)(
        lambda: [m.P((fresh('tag'), 42))])

    for code, name in ((200, 'ext1'), (40000, 'ext2'), (123456789, 'ext4')):
        copyreg.add_extension('m', 'C', code)
        value(name, [m.C, m.C])
        copyreg.remove_extension('m', 'C', code)

    case('fast_shared', fast=True)(lambda: (lambda a: [a, a, (a,)])([1, fresh('ab')]))
    case('fast_globals', fast=True)(lambda: [m.C, m.C])

    # ---------------------------------------------------------------- buffers
    value('buffer_inband', [pickle.PickleBuffer(bytearray(b'ab')), pickle.PickleBuffer(b'cd')],
          [5])

    @case('buffer_inband_shared', protocols=[5])
    def _():
        b = pickle.PickleBuffer(bytearray(b'ab'))
        return [b, b]

    for p in [5]:
        f = io.BytesIO()
        b = pickle.PickleBuffer(bytearray(b'ab'))
        pickle.Pickler(f, p, buffer_callback=lambda buf: False).dump(
            [b, pickle.PickleBuffer(b'cd'), b])
        VECTORS.append(('buffer_oob', p, f.getvalue()))

    # ---------------------------------------------------------------- several dumps
    for p in range(pickle.HIGHEST_PROTOCOL + 1):
        f = io.BytesIO()
        pk = pickle.Pickler(f, p)
        a = [1, fresh('ab')]
        pk.dump(a)
        pk.dump([a, m.C])
        pk.dump(m.C)
        pk.clear_memo()
        pk.dump([a])
        VECTORS.append(('stream', p, f.getvalue()))


def setup_classes():
    class NewObj(object):
        """Reduced by copyreg.__newobj__ at every protocol, as the C++ graphs' Objects
        built by NEWOBJ are written (CPython's own default below protocol 2 is
        copyreg._reconstructor: see Reconstructed)."""

        def __reduce_ex__(self, protocol):
            return (copyreg.__newobj__, (type(self),), self.__dict__ or None)

    class C(NewObj):
        pass

    class E(NewObj):
        pass

    class H(NewObj):
        pass

    class Reconstructed(object):
        """What pickle++ writes for an object loaded from copyreg._reconstructor (CPython's
        default reduction below protocol 2): that reduction at every protocol."""
        def __reduce_ex__(self, p):
            try:
                from copyreg import _reconstructor
            except ImportError:
                from copy_reg import _reconstructor
            return (_reconstructor, (Reconstructed, object, None), self.__dict__)

    class Outer(object):
        class Inner(object):
            pass

    class N(object):
        def __reduce_ex__(self, p):
            return (copyreg.__newobj__, (m.N, 1, fresh('ab')), {'x': 1})

    class NX(object):
        def __reduce_ex__(self, p):
            return (copyreg.__newobj_ex__, (m.NX, (1,), {'k': 2}), None)

    def f(*a):
        return a

    class R(object):
        def __reduce__(self):
            return (m.f, (1, fresh('ab')))

    class RI(object):
        def __reduce__(self):
            return (m.RI, (), {'s': 1}, iter([1, 2]), iter([('a', 1)]))

    class RIBig(object):
        def __reduce__(self):
            return (m.RIBig, (), None, iter(range(1001)), iter([(i, i) for i in range(1000)]))

    class RArgs(object):
        def __reduce__(self):
            return (m.RArgs, self.args)

    class P(object):
        def __init__(self, pid):
            self.pid = pid

    for cls in (C, E, H, Reconstructed, Outer, N, NX, f, R, RI, RIBig, RArgs, P):
        export(cls)
    export(Outer.Inner, 'Outer.Inner')


def py2():
    class Old:
        pass

    class OldEmpty:
        pass

    # (Instances with __getinitargs__ are left out: pickle.py keeps the arguments alive
    # in its memo, which uses up a memo index that no pickle refers to.)
    for cls in (Old, OldEmpty):
        export(cls)

    @case('py2_inst', protocols=[0, 1, 2])
    def _():
        o = m.Old()
        o.v = 1
        return o

    case('py2_inst_empty', protocols=[0, 1, 2])(lambda: m.OldEmpty())
    value('py2_str', fresh('abc'), [0, 1, 2])
    value('py2_str_quotes', fresh('it\'s'), [0, 1, 2])
    value('py2_str_both', fresh('both \' and "\\'), [0, 1, 2])
    value('py2_str_binary', fresh('\xe9\x00\t\n\r\x7f'), [0, 1, 2])
    value('py2_str_300', 'x' * 300, [0, 1, 2])
    value('py2_mixed', [fresh('str'), u'unicode'], [0, 1, 2])


def literal(data):
    body = repr(bytes(data))
    if body.startswith('b'):
        body = body[1:]
    return body[1:-1]


def main():
    setup_classes()
    if PY2:
        py2()
    else:
        py3()
    lines = []
    for name, p, data in VECTORS:
        if len(data) <= 240:
            lines.append('    {"%s", %d, R"pk(%s)pk"},' % (name, p, literal(data)))
        else:
            lines.append('    {"%s", %d, {}, %d, 0x%016xULL},' % (name, p, len(data), fnv(data)))
    if len(sys.argv) == 3 and sys.argv[1] == '--update':
        tag = 'python%d.%d' % sys.version_info[:2]
        begin, end = '// BEGIN GENERATED (%s)' % tag, '// END GENERATED (%s)' % tag
        with open(sys.argv[2]) as f:
            text = f.read()
        head, rest = text.split(begin + '\n')
        _, tail = rest.split(end + '\n')
        with open(sys.argv[2], 'w') as f:
            f.write(head + begin + '\n' + '\n'.join(lines) + '\n' + end + '\n' + tail)
    else:
        print('\n'.join(lines))


if __name__ == '__main__':
    main()
