# Classes and functions the dump-interop fixtures (dump_fixtures.cpp) refer to as
# dump_classes.<name>. Imported by check_fixtures.py under Python 2.7 and every
# Python 3, so only syntax both accept.
import collections  # noqa: F401  (pickles may name collections.OrderedDict)


class Plain(object):
    """Instances rebuilt by NEWOBJ (or copyreg._reconstructor) and a __dict__ state."""


class WithArgs(object):
    """NEWOBJ / NEWOBJ_EX with arguments: __new__ keeps them."""

    def __new__(cls, *args, **kwargs):
        self = object.__new__(cls)
        self.args = args
        self.kwargs = kwargs
        return self


def make(*args):
    """A REDUCE callable."""
    p = Plain()
    p.made = args
    return p


class ListSub(list):
    pass


class DictSub(dict):
    pass


class Slots(object):
    __slots__ = ('x', 'y')


class Old:
    """An old-style class on Python 2 (INST, OBJ); an ordinary one on Python 3."""

    def __init__(self, *args):
        self.args = args


class Hashable(object):
    """Hashable by identity: a set member or dict key."""


class Outer(object):
    class Inner(object):
        pass


class Persistent(object):
    """Written as a persistent id (its first argument) by the fixture writer."""
