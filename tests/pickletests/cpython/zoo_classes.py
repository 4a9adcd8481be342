# Classes and functions pickled by the interop zoo (zoo_gen.py).
#
# This module must import under Python 2.7 and every Python 3, so it uses only
# syntax both understand. Pickles refer to these names as `zoo_classes.<name>`;
# the checker (mirror.py) never imports this module: it only records names.
import collections

try:
    import copyreg
except ImportError:  # Python 2
    import copy_reg as copyreg


def func(*args, **kwargs):
    """A module-level function, pickled by reference and used as a reducer."""
    return (args, kwargs)


def make_thing(*args):
    return Plain(*args)


def set_state(obj, state):
    """A state setter for 6-item __reduce__ (Python 3.8+)."""
    obj.__dict__.update(state)
    return obj


class Plain(object):
    """A new-style class with an instance __dict__ and no pickling hooks."""

    def __init__(self, a=1, b='two'):
        self.a = a
        self.b = b

    def method(self):
        return self.a


class Empty(object):
    """No attributes at all: nothing to BUILD."""


class WithState(object):
    def __init__(self, x=3):
        self.x = x

    def __getstate__(self):
        return ('state', self.x, [self.x])

    def __setstate__(self, state):
        self.x = state[1]


class FalsyState(object):
    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        pass


class Slots(object):
    __slots__ = ('x', 'y')

    def __init__(self):
        self.x = 1
        self.y = [2, 'y']


class SlotsAndDict(object):
    __slots__ = ('x', '__dict__')

    def __init__(self):
        self.x = 'slot'
        self.d = 'dict'


class SlotsGetState(object):
    __slots__ = ('x',)

    def __init__(self):
        self.x = 7

    def __getstate__(self):
        return {'x': self.x}

    def __setstate__(self, state):
        self.x = state['x']


class Reduce2(object):
    def __reduce__(self):
        return (make_thing, (1, 'a', None))


class Reduce3(object):
    def __init__(self, n=5):
        self.n = n

    def __reduce__(self):
        return (Reduce3, (self.n,), {'k': 'v', 'n': self.n})


class Reduce4(object):
    """__reduce__ with list items (APPEND/APPENDS)."""

    def __init__(self, n=3):
        self.items = list(range(n))

    def __reduce__(self):
        return (Reduce4, (), None, iter(self.items))


class Reduce4Big(Reduce4):
    """Enough list items to cross a batch of 1000."""

    def __init__(self):
        Reduce4.__init__(self, 2345)

    def __reduce__(self):
        return (Reduce4Big, (), None, iter(self.items))


class Reduce5(object):
    """__reduce__ with state, list items and dict items."""

    def __reduce__(self):
        return (Reduce5, (), {'s': 1}, iter(['x', 'y']),
                iter([('a', 1), ('b', [2]), (3, None)]))


class Reduce5DictOnly(object):
    def __reduce__(self):
        return (Reduce5DictOnly, ('arg',), None, None, iter([('k', 'v')]))


class Reduce6(object):
    """Six items: a state setter (Python 3.8+)."""

    def __reduce__(self):
        return (Reduce6, (), {'s': 6}, None, None, set_state)


class ReduceString(object):
    """__reduce__ returning a string: pickled as a global reference."""

    def __reduce__(self):
        return 'SINGLETON'


SINGLETON = ReduceString()


class ReduceNewobj(object):
    """__reduce__ naming copyreg.__newobj__ explicitly."""

    def __new__(cls, *args):
        self = object.__new__(cls)
        self.args = args
        return self

    def __reduce__(self):
        return (copyreg.__newobj__, (ReduceNewobj, 1, 'two'), None)


class ReduceEx(object):
    """__reduce_ex__ whose result depends on the protocol."""

    def __reduce_ex__(self, protocol):
        return (func, ('protocol', protocol))


class GetNewArgs(object):
    def __new__(cls, a=0, b=0):
        self = object.__new__(cls)
        self.a = a
        self.b = b
        return self

    def __getnewargs__(self):
        return (self.a, self.b)


class GetNewArgsEx(object):
    def __new__(cls, a=0, k=None):
        self = object.__new__(cls)
        self.a = a
        self.k = k
        return self

    def __getnewargs_ex__(self):
        return ((self.a,), {'k': self.k})


class GetNewArgsExNoKw(GetNewArgsEx):
    def __getnewargs_ex__(self):
        return ((self.a,), {})


# Old-style classes on Python 2 (no base class); ordinary classes on Python 3.
class Old:
    def __init__(self):
        self.v = 1
        self.w = 'old'


class OldEmpty:
    pass


class OldInitArgs:
    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __getinitargs__(self):
        return (self.a, self.b)


class OldState:
    def __getstate__(self):
        return [1, 'state']

    def __setstate__(self, state):
        self.state = state


class MyList(list):
    pass


class MyDict(dict):
    pass


class MyInt(int):
    pass


class MyStr(str):
    pass


class MyTuple(tuple):
    pass


class MySet(set):
    pass


class MyOrderedDict(collections.OrderedDict):
    pass


def with_attributes(obj, **attributes):
    """obj, given instance attributes (a dict or list subclass's __dict__)."""
    for k, v in attributes.items():
        setattr(obj, k, v)
    return obj


class Outer(object):
    class Inner(object):
        def __init__(self):
            self.deep = True

    def method(self):
        return 0


class Hashable(object):
    """Hashable by identity, usable as a dict key or set member."""

    def __init__(self, name='h'):
        self.name = name


class Persistent(object):
    """Instances are pickled as persistent ids by the zoo's Pickler."""

    def __init__(self, pid):
        self.pid = pid
