"""`pickle json` against the published JSON Schema (docs/json.schema.json).

Every document `pickle json` writes must validate against the schema: the documents of
a set of pickles made at test time by CPython (every kind of the object model: ints of
every size, floats with NaN and infinities, str with lone surrogates, bytes, tuples,
sets, dicts with keys of every kind, shared references, cycles, class instances of
every build kind, OrderedDict, persistent ids) at every protocol, and of pickles of
numpy arrays, a pandas DataFrame and a scikit-learn model when Debian's python3 has
those libraries. JSON the schema must refuse (a form with an unknown key, a float name
that is not one, a `$str` piece that is not a surrogate, a key starting with `$` in a
plain object) checks that the schema is not vacuous.

The schema is read with the `jsonschema` module (Debian's python3-jsonschema, draft
2020-12) under the Python given by --python (default /usr/bin/python3); without it
the test is skipped (exit 77) with a message.

Usage: python3 -m pickletests.json_schema --cli PATH/TO/pickle [--python PYTHON]
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, '..', '..', 'docs', 'json.schema.json')

# Runs under the Python that has jsonschema: writes the pickles, runs `pickle json`,
# validates every line. Prints one line per failure, then "checked N".
CHECKER = r'''
import collections, datetime, decimal, fractions, io, json, os, pickle, subprocess, sys, uuid
import jsonschema

if hasattr(sys, 'set_int_max_str_digits'):
    sys.set_int_max_str_digits(0)  # protocol 0 writes 10**5000 in decimal
cli, schema_path, work = sys.argv[1:4]
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

class Plain:
    def __init__(self):
        self.x = 1
        self.items = [1, 2]

class Slots:
    __slots__ = ('a', 'b')
    def __init__(self):
        self.a = 1
        self.b = 'b'

class WithNew(int):
    def __getnewargs_ex__(self):
        return (int(self),), {}

class Persist(pickle.Pickler):
    def persistent_id(self, obj):
        return ('storage', obj.n) if isinstance(obj, Ref) else None

class Ref:
    def __init__(self, n):
        self.n = n

cycle = []
cycle.append(cycle)
shared = ['shared']
d = {}
d['self'] = d
cases = {
    'scalars': [None, True, False, 0, -1, 2**63, -2**100, 10**5000, 1.5, -0.0, 1e300,
                float('nan'), float('inf'), float('-inf'), 1 + 2j],
    'text': ['', 'ascii', 'caf\u00e9', '\U0001f600', 'a\ud800b', '\udcff', 'x' * 1000],
    'bytes': [b'', b'\x00\xff', bytearray(b'ab'), b'x' * 300],
    'containers': [(), (1,), [1, [2, [3]]], {1, 2}, frozenset({3}), {'a': 1, '$b': 2},
                   {1: 'x', (1, 2): 'y', None: 'z', 1.5: 'w'}, collections.OrderedDict(a=1)],
    'shared': [shared, shared, cycle, d, (cycle,)],
    'objects': [Plain(), Slots(), WithNew(5), datetime.datetime(2026, 12, 8, 1, 2, 3),
                decimal.Decimal('1.25'), fractions.Fraction(1, 3),
                uuid.UUID(int=7), collections.Counter('aab'), collections.deque([1])],
}
def more():
    try:
        import numpy
        yield 'numpy', [numpy.arange(6).reshape(2, 3), numpy.array(['a', None], dtype=object),
                        numpy.float32(1.5)]
    except ImportError:
        print('SKIPPED numpy: not importable')
    try:
        import pandas
        yield 'pandas', pandas.DataFrame({'a': [1, 2], 'b': ['x', 'y']})
    except ImportError:
        print('SKIPPED pandas: not importable')
    try:
        from sklearn.linear_model import LinearRegression
        yield 'sklearn', LinearRegression().fit([[0], [1], [2]], [0, 1, 2])
    except ImportError:
        print('SKIPPED sklearn: not importable')
cases.update(more())

checked = 0
failures = 0
def check(name, data):
    global checked, failures
    path = os.path.join(work, name + '.pkl')
    with open(path, 'wb') as f:
        f.write(data)
    r = subprocess.run([cli, 'json', path], capture_output=True)
    if r.returncode != 0:
        print('FAIL %s: pickle json exit %d: %s' % (name, r.returncode, r.stderr.decode()))
        failures += 1
        return
    for line in r.stdout.decode('utf-8').splitlines():
        errors = sorted(validator.iter_errors(json.loads(line)), key=lambda e: list(e.path))
        if errors:
            print('FAIL %s: %s at %s' % (name, errors[0].message[:300], list(errors[0].path)))
            failures += 1
        checked += 1

for name, value in cases.items():
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        try:
            data = pickle.dumps(value, protocol)
        except TypeError:  # __slots__ without __getstate__ below protocol 2
            data = pickle.dumps(value[:1] if isinstance(value, list) else None, protocol)
        check('%s-p%d' % (name, protocol), data)
buf = io.BytesIO()
Persist(buf, 2).dump([Ref(1), Ref(2)])
check('persistent-p2', buf.getvalue())
buf = io.BytesIO()
Persist(buf, 0).dump([Ref(1)])
check('persistent-p0', buf.getvalue())
if pickle.HIGHEST_PROTOCOL >= 5:
    check('buffer-p5', pickle.dumps(pickle.PickleBuffer(b'abc'), 5))

# JSON the schema must refuse.
for bad in ['{"$list": [], "bogus": 1}', '{"$float": "nope"}', '{"$str": ["a", 65]}',
            '{"a": 1, "$b": 2}', '{"$dict": [[1, 2, 3]]}', '{"$object": 1, "how": "call"}',
            '{"$ref": -1}', '{"$bytes": "abc"}']:
    if validator.is_valid(json.loads(bad)):
        print('FAIL the schema accepts %s' % bad)
        failures += 1
    checked += 1
print('checked %d' % checked)
sys.exit(1 if failures else 0)
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cli', required=True)
    ap.add_argument('--python', default='/usr/bin/python3')
    args = ap.parse_args()
    if not os.path.exists(args.python):
        print('SKIPPED: %s not found' % args.python)
        return 77
    probe = subprocess.run([args.python, '-c', 'import jsonschema'], capture_output=True)
    if probe.returncode != 0:
        print('SKIPPED: %s cannot import jsonschema (apt-get install python3-jsonschema)'
              % args.python)
        return 77
    with tempfile.TemporaryDirectory(prefix='pickle-json-schema-') as work:
        script = os.path.join(work, 'check_schema.py')
        with open(script, 'w') as f:
            f.write(CHECKER)
        env = dict(os.environ, PYTHONHASHSEED='0')
        env.pop('PYTHONPATH', None)
        r = subprocess.run([args.python, script, os.path.abspath(args.cli),
                            os.path.abspath(SCHEMA), work], env=env)
        return r.returncode


if __name__ == '__main__':
    sys.exit(main())
