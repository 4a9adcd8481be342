# A structural comparison of two Python object graphs that also compares identity:
# iso(expected, actual) walks both together (without recursion, so deep data works)
# and fails when the structure or a value differs, when an object reached twice in
# `expected` is two objects in `actual` (a shared reference or a cycle was lost), or
# when two distinct objects of `expected` are one object in `actual`.
#
# Identity is compared for mutable objects and instances (lists, dicts, sets,
# bytearrays, instances) and for non-empty tuples and frozensets; not for numbers and
# strings, which Python itself shares or not as it pleases. Globals (classes,
# functions) must be the very same object. Objects of other types (datetime, Decimal,
# functools.partial, exceptions, bound methods, ...) are compared through
# __reduce_ex__(2), the way pickle itself sees them.
#
# Runs under Python 2.7 and every Python 3.
import math
import sys
import types

PY2 = sys.version_info[0] == 2
if PY2:
    NUMBERS = (int, long, float, complex)  # noqa: F821
    TEXT = (str, unicode)  # noqa: F821
    INTS = (int, long)  # noqa: F821
    GLOBAL_TYPES = (type, types.ClassType, types.FunctionType, types.BuiltinFunctionType)
else:
    NUMBERS = (int, float, complex)
    TEXT = (str, bytes)
    INTS = (int,)
    GLOBAL_TYPES = (type, types.FunctionType, types.BuiltinFunctionType)

_MISSING = object()


def _float_same(x, y):
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y and math.copysign(1.0, x) == math.copysign(1.0, y)


def is_atom(x):
    return x is None or isinstance(x, (bool,) + NUMBERS + TEXT)


def _atom_same(e, a):
    if isinstance(e, bool) or isinstance(a, bool):
        return type(e) is type(a) and e == a
    if isinstance(e, INTS) and isinstance(a, INTS):  # int and long are one on Python 2
        return e == a
    if type(e) is not type(a):
        return False
    if isinstance(e, float):
        return _float_same(e, a)
    if isinstance(e, complex):
        return _float_same(e.real, a.real) and _float_same(e.imag, a.imag)
    return e == a


def _hashable_atoms(x):
    """True for atoms and tuples/frozensets of them: compared by value in sets."""
    todo = [x]
    while todo:
        y = todo.pop()
        if isinstance(y, (tuple, frozenset)):
            todo.extend(y)
        elif not is_atom(y):
            return False
    return True


def _sort_key(x):
    return (type(x).__name__, repr(x) if _hashable_atoms(x) else '')


def _reduction(x):
    r = x.__reduce_ex__(2)
    if isinstance(r, str):
        return None
    r = list(r) + [None] * (5 - len(r))
    for i in (3, 4):
        if r[i] is not None:
            r[i] = list(r[i])
    return r


def iso(expected, actual):
    """None when `actual` matches `expected`, else a message saying where and why."""
    fwd = {}
    back = {}
    keep = []  # temporaries (reductions) stay alive while their ids are in the maps
    todo = [(expected, actual, 'root')]
    while todo:
        e, a, path = todo.pop()
        if is_atom(e) or is_atom(a):
            if not _atom_same(e, a):
                return '%s: %r (%s), expected %r (%s)' % (
                    path, a, type(a).__name__, e, type(e).__name__)
            continue
        if isinstance(e, GLOBAL_TYPES):
            if e is not a:
                return '%s: %r, expected the global %r' % (path, a, e)
            continue
        if type(e) is not type(a):
            return '%s: type %s, expected %s' % (path, type(a).__name__, type(e).__name__)
        tracked = not (isinstance(e, (tuple, frozenset)) and len(e) == 0)
        if tracked:
            seen = fwd.get(id(e))
            if seen is not None:
                if seen is not a:
                    return '%s: a shared reference (or cycle) was not kept' % path
                continue
            fwd[id(e)] = a
            other = back.get(id(a))
            if other is not None and other is not e:
                return '%s: two distinct objects became one' % path
            back[id(a)] = e
            keep.append((e, a))
        children = []
        if isinstance(e, (list, tuple)):
            if len(e) != len(a):
                return '%s: length %d, expected %d' % (path, len(a), len(e))
            children.extend((e[i], a[i], '%s[%d]' % (path, i)) for i in range(len(e)))
        elif isinstance(e, dict):
            if len(e) != len(a):
                return '%s: %d keys, expected %d' % (path, len(a), len(e))
            for k in e:
                if _hashable_atoms(k):
                    if k not in a:
                        return '%s: key %r missing' % (path, k)
                    children.append((e[k], a[k], '%s[%r]' % (path, k)))
            # Keys with identity: in insertion order (Python 3), or by type (Python 2).
            ek = [k for k in e if not _hashable_atoms(k)]
            ak = [k for k in a if not _hashable_atoms(k)]
            if len(ek) != len(ak):
                return '%s: keys differ' % path
            if PY2:
                if len(set(type(k) for k in ek)) < len(ek):
                    return '%s: cannot pair keys that have identity on Python 2' % path
                ek.sort(key=_sort_key)
                ak.sort(key=_sort_key)
            for i, (x, y) in enumerate(zip(ek, ak)):
                children.append((x, y, '%s.key%d' % (path, i)))
                children.append((e[x], a[y], '%s.value%d' % (path, i)))
        elif isinstance(e, (set, frozenset)):
            if len(e) != len(a):
                return '%s: %d members, expected %d' % (path, len(a), len(e))
            if all(_hashable_atoms(x) for x in e):
                if e != a:
                    return '%s: %r, expected %r' % (path, a, e)
            else:
                es, as_ = sorted(e, key=_sort_key), sorted(a, key=_sort_key)
                if len(e) > 1 and any(not _hashable_atoms(x) for x in e) and \
                        len(set(type(x) for x in e)) < len(e):
                    return '%s: cannot pair members that have identity' % path
                children.extend((x, y, '%s{%d}' % (path, i))
                                for i, (x, y) in enumerate(zip(es, as_)))
        elif isinstance(e, bytearray):
            if bytes(e) != bytes(a):
                return '%s: %r, expected %r' % (path, a, e)
        if PY2 and isinstance(e, types.InstanceType):
            if e.__class__ is not a.__class__:
                return '%s: class %r, expected %r' % (path, a.__class__, e.__class__)
            children.append((e.__dict__, a.__dict__, path + '.__dict__'))
        elif isinstance(e, (list, tuple, dict, set, frozenset, bytearray)):
            if type(e) not in (list, tuple, dict, set, frozenset, bytearray):
                d = getattr(e, '__dict__', None)  # subclasses: their attributes too
                if d is not None:
                    children.append((d, a.__dict__, path + '.__dict__'))
        elif hasattr(e, '__dict__') or hasattr(type(e), '__slots__'):
            if hasattr(e, '__dict__'):
                children.append((e.__dict__, getattr(a, '__dict__', None), path + '.__dict__'))
            for slot in getattr(type(e), '__slots__', ()):
                if slot in ('__dict__', '__weakref__'):
                    continue
                x, y = getattr(e, slot, _MISSING), getattr(a, slot, _MISSING)
                if (x is _MISSING) != (y is _MISSING):
                    return '%s.%s: set on one side only' % (path, slot)
                if x is not _MISSING:
                    children.append((x, y, '%s.%s' % (path, slot)))
            if type(e).__module__ not in ('dump_classes', 'zoo_classes'):
                # A builtin-ish type with attributes (exceptions): its reduction too.
                re_, ra = _reduction(e), _reduction(a)
                pair = (re_ and re_[1:], ra and ra[1:])
                keep.append((re_, ra, pair))
                children.append(pair + (path + '.__reduce__',))
        elif isinstance(e, memoryview):
            if e.tobytes() != a.tobytes() or e.readonly != a.readonly:
                return '%s: memoryview differs' % path
        else:
            re_, ra = _reduction(e), _reduction(a)
            if re_ is None or ra is None:
                if e != a:
                    return '%s: %r, expected %r' % (path, a, e)
            else:
                pair = (re_[1:], ra[1:])
                keep.append((re_, ra, pair))
                if re_[0] is not ra[0]:
                    return '%s: reduced by %r, expected %r' % (path, ra[0], re_[0])
                children.append(pair + (path + '.__reduce__',))
        todo.extend(reversed(children))
    return None
