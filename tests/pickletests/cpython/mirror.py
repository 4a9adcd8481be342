"""The expected `pickle show` line for each pickle of a zoo directory.

Run under CPython 3.13, the repr oracle (any Python 3.6+ works, with that version's
Unicode tables and _compat_pickle):

    python3.13 mirror.py --dir GENDIR --out expected.json [--variant KEY:ENCODING:ERRORS ...]

It loads every pickle listed in GENDIR/manifest.json with a subclass of the
pure-Python unpickler that never imports anything named in the stream. Globals
become `Global` names; everything built from them becomes a `Recorder` that
remembers how it was built (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ), its BUILD states
and its APPEND(S)/SETITEM(S) items, and whose repr is the show format of DESIGN.md.
Only the well-known reconstructions are loaded as native values: builtins set,
frozenset, bytearray, bytes and complex, _codecs.encode, collections.OrderedDict;
copyreg._reconstructor(cls, builtins.object, None), copyreg.__newobj__(cls, *args)
and copyreg.__newobj_ex__(cls, args, kwargs) become the object NEWOBJ(_EX) would
build; builtins.getattr(module.Outer, 'inner') becomes the global
module.Outer.inner. When a native call fails on its arguments, the REDUCE stays a
Recorder. Sets and frozensets are
insertion-ordered stand-ins so they print in stream order.

For data made only of builtin types the line is also compared with plain
repr(pickle.loads(data)), a check of the mirror itself.

Each pickle of a file starts with an empty memo, as with repeated pickle.load(f) and
as `pickle show` does by default. Files written by one Pickler with several dump()
calls (manifest "stream": true) are also loaded with one memo for the whole file, as
CPython's Unpickler.load() called repeatedly does and `pickle show --shared-memo`
must (the result's "shared" outcomes).
"""
import argparse
import codecs
import io
import json
import os
import pickle
import pickletools
import sys

try:
    import _compat_pickle
except ImportError:  # pragma: no cover - every CPython 3 has it
    _compat_pickle = None

# ids of the stand-ins whose repr is being computed, for recursion marks.
_printing = set()


def _guarded(obj, recursive_text, body):
    key = id(obj)
    if key in _printing:
        return recursive_text
    _printing.add(key)
    try:
        return body()
    finally:
        _printing.discard(key)


def _name(s):
    """A name as show prints it: unchanged where printable, the rest escaped as
    repr(str) escapes it, without quotes (so a name never breaks the line)."""
    return ''.join(c if c.isprintable() else repr(c)[1:-1] for c in s)


class Global(object):
    """A global by name; never imported. Equal to a global of the same name."""
    __slots__ = ('module', 'name')

    def __init__(self, module, name):
        self.module = module
        self.name = name

    def __repr__(self):
        return '%s.%s' % (_name(self.module), _name(self.name))

    def __eq__(self, other):
        return (isinstance(other, Global) and self.module == other.module
                and self.name == other.name)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((Global, self.module, self.name))


class PersistentRef(object):
    def __init__(self, pid):
        self.pid = pid

    def __repr__(self):
        return 'persistent_id(%r)' % (self.pid,)


class Recorder(object):
    """An object the engine does not know: callable, arguments, and what followed."""

    def __init__(self, callable_, args, how, kwargs=None):
        self.callable = callable_
        self.args = args
        self.how = how  # reduce, newobj, newobj_ex, inst, obj
        self.kwargs = kwargs
        self.states = []
        self.list_items = []
        self.dict_items = []

    def __repr__(self):
        return _guarded(self, '...', self._repr)

    def _repr(self):
        parts = [repr(a) for a in self.args]
        if self.kwargs:
            for k, v in self.kwargs.items():
                parts.append('%s=%r' % (_name(k) if isinstance(k, str) else repr(k), v))
        text = '%r(%s)' % (self.callable, ', '.join(parts))
        for state in self.states:
            text += '.__setstate__(%r)' % (state,)
        if self.list_items:
            text += '.extend(%r)' % (self.list_items,)
        if self.dict_items:
            text += '.update({%s})' % ', '.join(
                '%r: %r' % kv for kv in self.dict_items)
        return text


def _states_repr(container):
    """BUILD states of a native container, as `pickle show` prints them."""
    return ''.join('.__setstate__(%r)' % (s,)
                   for s in container.__dict__.get('_build_states', ()))


class OrderedSet(object):
    """A set that keeps stream order; repr like CPython's set."""
    name = 'set'
    __hash__ = None

    def __init__(self, items=()):
        self._items = {}
        for item in items:
            self.add(item)

    def add(self, item):
        self._items.setdefault(item, None)

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __eq__(self, other):
        return (isinstance(other, OrderedSet)
                and frozenset(self._items) == frozenset(other._items))

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return _guarded(self, self.name + '(...)', self._repr)

    def _repr(self):
        if not self._items:
            return self.name + '()' + _states_repr(self)
        body = '{%s}' % ', '.join(repr(x) for x in self._items)
        text = body if self.name == 'set' else '%s(%s)' % (self.name, body)
        return text + _states_repr(self)


class OrderedFrozenSet(OrderedSet):
    name = 'frozenset'

    def __hash__(self):
        return hash(frozenset(self._items))


class OrderedDictStandIn(dict):
    """collections.OrderedDict, printed as CPython 3.13 prints it."""

    def __repr__(self):
        def body():
            text = 'OrderedDict(%r)' % (dict(self),) if self else 'OrderedDict()'
            return text + _states_repr(self)
        return _guarded(self, '...', body)


OPCODE_NAMES = dict((op.code.encode('latin-1')[0], op.name) for op in pickletools.opcodes)
_OBJECT = Global('builtins', 'object')


def _reconstructor(cls, base, state):
    if isinstance(cls, Global) and base == _OBJECT and state is None:
        return Recorder(cls, (), 'newobj')
    raise TypeError('not the plain-object form')


def _getattr(outer, name):
    # getattr(module.Outer, 'inner') is how protocols < 4 name a nested qualified
    # name; it stands for the global module.Outer.inner.
    if isinstance(outer, Global) and type(name) is str and name:
        return Global(outer.module, outer.name + '.' + name)
    raise TypeError('not a nested name')


def _newobj(cls, *args):
    if isinstance(cls, Global):
        return Recorder(cls, args, 'newobj')
    raise TypeError('not a class')


def _newobj_ex(cls, args, kwargs):
    if isinstance(cls, Global) and type(args) is tuple and type(kwargs) is dict:
        return Recorder(cls, args, 'newobj_ex', kwargs)
    raise TypeError('not a class')


# REDUCE of these names builds a native value; if the call fails, a Recorder.
NATIVE = {
    ('builtins', 'set'): OrderedSet,
    ('builtins', 'frozenset'): OrderedFrozenSet,
    ('builtins', 'bytearray'): bytearray,
    ('builtins', 'bytes'): bytes,
    ('builtins', 'complex'): complex,
    ('_codecs', 'encode'): codecs.encode,
    ('collections', 'OrderedDict'): OrderedDictStandIn,
    ('copyreg', '_reconstructor'): _reconstructor,
    ('copyreg', '__newobj__'): _newobj,
    ('copyreg', '__newobj_ex__'): _newobj_ex,
    ('builtins', 'getattr'): _getattr,
}


class MirrorError(Exception):
    pass


def _op(code):
    """Marks a Mirror method as the handler of opcode `code`."""
    def mark(handler):
        handler.opcode = code
        return handler
    return mark


class Mirror(pickle._Unpickler):
    dispatch = dict(pickle._Unpickler.dispatch)

    def load(self):
        """pickle._Unpickler.load, noting where each opcode starts (for errors)."""
        unframer = pickle._Unframer(self._file_read, self._file_readline)
        self._unframer = unframer
        self.read = unframer.read
        if hasattr(unframer, 'readinto'):
            self.readinto = unframer.readinto
        self.readline = unframer.readline
        self.metastack = []
        self.stack = []
        self.append = self.stack.append
        self.proto = 0
        while True:
            frame = unframer.current_frame
            left = len(frame.getbuffer()) - frame.tell() if frame else 0
            self.op_offset = self._file.tell() - left
            self.op_name = None
            key = self.read(1)
            if not key:
                raise EOFError('the input ends where an opcode should start')
            self.op_name = OPCODE_NAMES.get(key[0], 'byte 0x%02x' % key[0])
            try:
                self.dispatch[key[0]](self)
            except pickle._Stop as stop:
                return stop.value

    def find_class(self, module, name):
        if self.proto < 3 and self.fix_imports and _compat_pickle is not None:
            renamed = _compat_pickle.NAME_MAPPING.get((module, name))
            if renamed is not None:
                module, name = renamed
            else:
                module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        return Global(module, name)

    def persistent_load(self, pid):
        return PersistentRef(pid)

    def _decode_string(self, value):
        # A viewer shows a Python 2 str that does not decode as bytes (DESIGN.md).
        if self.encoding == 'bytes':
            return value
        try:
            return value.decode(self.encoding, self.errors)
        except UnicodeDecodeError:
            return value

    @_op(pickle.REDUCE)
    def _reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        result = None
        if isinstance(func, Global):
            native = NATIVE.get((func.module, func.name))
            if native is not None:
                try:
                    result = native(*args)
                except Exception:
                    result = None
        if result is None:
            result = Recorder(func, tuple(args), 'reduce')
        self.stack[-1] = result

    @_op(pickle.NEWOBJ)
    def _newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(Recorder(cls, tuple(args), 'newobj'))

    @_op(pickle.NEWOBJ_EX)
    def _newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(Recorder(cls, tuple(args), 'newobj_ex', kwargs))

    @_op(pickle.INST)
    def _inst(self):
        module = self.readline()[:-1].decode('ascii')
        name = self.readline()[:-1].decode('ascii')
        cls = self.find_class(module, name)
        args = self.pop_mark()
        self.append(Recorder(cls, tuple(args), 'inst'))

    @_op(pickle.OBJ)
    def _obj(self):
        args = self.pop_mark()
        cls = args.pop(0)
        self.append(Recorder(cls, tuple(args), 'obj'))

    @_op(pickle.BUILD)
    def _build(self):
        state = self.stack.pop()
        target = self.stack[-1]
        if isinstance(target, Recorder):
            target.states.append(state)
        elif state is None:
            pass  # changes nothing, whatever the target (CPython sets no attribute)
        elif isinstance(target, (OrderedDictStandIn, OrderedSet)):
            # An OrderedDict with attributes (torch's state_dict and its _metadata):
            # pickle++ keeps the state and shows it as .__setstate__(state).
            target.__dict__.setdefault('_build_states', []).append(state)
        else:
            raise MirrorError('BUILD on %s' % type(target).__name__)

    def _add_list_items(self, target, items):
        if isinstance(target, Recorder):
            target.list_items.extend(items)
        elif isinstance(target, list):
            target.extend(items)
        else:
            raise MirrorError('APPEND to %s' % type(target).__name__)

    @_op(pickle.APPEND)
    def _append(self):
        value = self.stack.pop()
        self._add_list_items(self.stack[-1], [value])

    @_op(pickle.APPENDS)
    def _appends(self):
        items = self.pop_mark()
        self._add_list_items(self.stack[-1], items)

    def _add_dict_items(self, target, items):
        pairs = [(items[i], items[i + 1]) for i in range(0, len(items), 2)]
        if isinstance(target, Recorder):
            target.dict_items.extend(pairs)
        elif isinstance(target, dict):
            for k, v in pairs:
                target[k] = v
        else:
            raise MirrorError('SETITEM on %s' % type(target).__name__)

    @_op(pickle.SETITEM)
    def _setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._add_dict_items(self.stack[-1], [key, value])

    @_op(pickle.SETITEMS)
    def _setitems(self):
        items = self.pop_mark()
        self._add_dict_items(self.stack[-1], items)

    if hasattr(pickle, 'EMPTY_SET'):
        @_op(pickle.EMPTY_SET)
        def _empty_set(self):
            self.append(OrderedSet())

        @_op(pickle.ADDITEMS)
        def _additems(self):
            items = self.pop_mark()
            target = self.stack[-1]
            if not isinstance(target, OrderedSet) or isinstance(target, OrderedFrozenSet):
                raise MirrorError('ADDITEMS to %s' % type(target).__name__)
            for item in items:
                target.add(item)

        @_op(pickle.FROZENSET)
        def _frozenset(self):
            items = self.pop_mark()
            self.append(OrderedFrozenSet(items))



for _handler in list(vars(Mirror).values()):
    if hasattr(_handler, 'opcode'):
        Mirror.dispatch[_handler.opcode[0]] = _handler


BUILTIN_TYPES = (type(None), bool, int, float, complex, str, bytes, bytearray, tuple,
                 list, dict, OrderedSet, OrderedFrozenSet, OrderedDictStandIn)


def builtin_only(value):
    """True if the graph holds only builtin types and the stand-ins for sets and
    OrderedDict (so CPython's own loads() builds an object of the same shape)."""
    seen = set()
    todo = [value]
    while todo:
        v = todo.pop()
        if type(v) not in BUILTIN_TYPES:
            return False
        if id(v) in seen:
            continue
        seen.add(id(v))
        if isinstance(v, (tuple, list, OrderedSet)):
            todo.extend(v)
        elif isinstance(v, dict):
            todo.extend(v.keys())
            todo.extend(v.values())
    return True


def in_hash_order(value):
    """A copy of the mirror's value whose sets list their members in the order a real
    set built in stream order iterates them, so that its repr is comparable with
    CPython's."""
    done = {}

    def convert(v):
        if id(v) in done:
            return done[id(v)]
        t = type(v)
        if t is list:
            out = done[id(v)] = []
            out.extend(convert(x) for x in v)
        elif t in (dict, OrderedDictStandIn):
            out = done[id(v)] = t()
            for k, x in v.items():
                out[convert(k)] = convert(x)
        elif t is tuple:
            out = tuple(convert(x) for x in v)
        elif t in (OrderedSet, OrderedFrozenSet):
            members = [convert(x) for x in v]
            order = list(set(members))  # equal stand-ins hash as real frozensets do
            out = t(order)
        else:
            out = v
        done[id(v)] = out
        return out
    return convert(value)


def opcode_set(data):
    """The names of the opcodes of every pickle in `data`."""
    names = set()
    pos = 0
    while pos < len(data):
        try:
            ops = list(pickletools.genops(data[pos:]))
        except Exception:
            break
        names.update(op.name for op, _, _ in ops)
        pos += ops[-1][2] + 1
    return names


def load_stream(data, encoding, errors, shared_memo=False):
    """Loads every pickle of `data`, each with an empty memo (as repeated
    pickle.load(f) does), or with `shared_memo` one memo for them all (as CPython's
    Unpickler.load() called repeatedly on one Unpickler).

    Returns {'lines': [...], 'error': None or {offset, opcode, message}} and the
    values loaded.
    """
    f = io.BytesIO(data)
    unpickler = Mirror(f, encoding=encoding, errors=errors)
    unpickler._file = f
    lines, values, error = [], [], None
    while True:
        if not shared_memo:
            unpickler.memo = {}
        try:
            value = unpickler.load()
        except Exception as e:
            error = {'offset': unpickler.op_offset, 'opcode': unpickler.op_name,
                     'message': '%s: %s' % (type(e).__name__, e)}
            break
        values.append(value)
        lines.append(repr(value))
        if f.tell() >= len(data):
            break
    return {'lines': lines, 'error': error}, values


def same_repr(real, mine, value):
    """Whether CPython's repr `real` is the mirror's line `mine` for `value`."""
    if mine != real and real.startswith('OrderedDict(['):  # before 3.12
        return True
    return real == mine or real == repr(in_hash_order(value))


def sanity_stream(data, fresh, fresh_values, shared, shared_values):
    """Checks the mirror's two ways of loading a file of several pickles made of
    builtin types against CPython: repeated pickle.load(f), and repeated load() of
    one Unpickler."""
    f = io.BytesIO(data)
    real_fresh, fresh_failed = [], False
    while f.tell() < len(data):
        try:
            real_fresh.append(repr(pickle.load(f)))
        except Exception:
            fresh_failed = True
            break
    f = io.BytesIO(data)
    unpickler = pickle.Unpickler(f)
    real_shared = []
    while f.tell() < len(data):
        real_shared.append(repr(unpickler.load()))
    if (fresh_failed != (fresh['error'] is not None)
            or len(real_fresh) != len(fresh['lines'])
            or not all(same_repr(r, m, v) for r, m, v in
                       zip(real_fresh, fresh['lines'], fresh_values))):
        return 'MISMATCH: repeated pickle.load(f) gives %r%s' % (
            real_fresh, ' and fails' if fresh_failed else '')
    if (len(real_shared) != len(shared['lines'])
            or not all(same_repr(r, m, v) for r, m, v in
                       zip(real_shared, shared['lines'], shared_values))):
        return 'MISMATCH: repeated Unpickler.load() gives %r' % (real_shared,)
    return 'ok'


def per_file(args, variants):
    with open(os.path.join(args.dir, 'manifest.json')) as f:
        manifest = json.load(f)
    results = {}
    problems = 0
    for entry in manifest['entries']:
        with open(os.path.join(args.dir, entry['file']), 'rb') as f:
            data = f.read()
        ops = opcode_set(data)
        py2str = bool(ops & set(['STRING', 'BINSTRING', 'SHORT_BINSTRING']))
        stream = entry.get('stream', False)
        result = {'py2str': py2str, 'stream': stream, 'variants': {}, 'sanity': 'n/a'}
        if stream:
            result['shared'] = {}
        for key, encoding, errors in variants:
            if key != 'default' and not py2str:
                continue
            wanted = entry.get('pickles', 1)
            outcome, values = load_stream(data, encoding, errors)
            result['variants'][key] = outcome
            if stream:
                # What one Pickler wrote loads with one memo; with a fresh memo per
                # pickle, a reference back may fail (CPython fails too): either
                # outcome is what `pickle show` must print, so it is not checked here.
                fresh, fresh_values = outcome, values
                outcome, values = load_stream(data, encoding, errors, shared_memo=True)
                result['shared'][key] = outcome
                if key == 'default' and outcome['error'] is None and \
                        all(builtin_only(v) for v in values + fresh_values):
                    result['sanity'] = sanity_stream(data, fresh, fresh_values, outcome,
                                                     values)
                    if result['sanity'].startswith('MISMATCH'):
                        problems += 1
            if entry['expect'] == 'error':
                if outcome['error'] is None:
                    problems += 1
                    outcome['mirror_error'] = 'expected an error, loaded every pickle'
                continue
            if outcome['error'] is not None or len(outcome['lines']) != wanted:
                problems += 1
                outcome['mirror_error'] = 'expected %d pickle(s), loaded %d; error %r' % (
                    wanted, len(outcome['lines']), outcome['error'])
                continue
            if key == 'default' and wanted == 1 and builtin_only(values[0]):
                try:
                    real = repr(pickle.loads(data, encoding=encoding, errors=errors))
                except Exception as e:
                    result['sanity'] = 'skipped (%s)' % type(e).__name__
                else:
                    if same_repr(real, outcome['lines'][0], values[0]):
                        result['sanity'] = 'ok'
                    else:
                        problems += 1
                        result['sanity'] = 'MISMATCH: repr(pickle.loads()) is ' + real
        results[entry['file']] = result
    return results, problems


def streams(args, variants):
    with open(args.streams) as f:
        spec = json.load(f)
    options = dict((key, (encoding, errors)) for key, encoding, errors in variants)
    results = {}
    for stream in spec:
        parts = []
        for name in stream['files']:
            with open(os.path.join(args.dir, name), 'rb') as f:
                parts.append(f.read())
        data = b''.join(parts)
        encoding, errors = options[stream['variant']]
        results[stream['name']], _ = load_stream(data, encoding, errors,
                                                 stream.get('shared_memo', False))
    return results, 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dir', required=True, help='directory written by zoo_gen.py')
    ap.add_argument('--out', required=True, help='JSON file to write')
    ap.add_argument('--variant', action='append', default=[],
                    help='KEY:ENCODING:ERRORS, applied to pickles holding Python 2 str')
    ap.add_argument('--streams', help='JSON list of {name, variant, files, shared_memo}: '
                    'expect the output for these files concatenated (with one memo for '
                    'them all if shared_memo), instead of each listed file')
    args = ap.parse_args()
    sys.setrecursionlimit(20000)

    variants = [('default', 'ASCII', 'strict')]
    for spec in args.variant:
        key, encoding, errors = spec.split(':')
        variants.append((key, encoding, errors))
    results, problems = (streams if args.streams else per_file)(args, variants)
    with open(args.out, 'w') as f:
        json.dump({'oracle': sys.version.split()[0], 'variants': variants,
                   'results': results}, f, indent=1, ensure_ascii=True)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
