# Under one CPython: loads original pickles and the ones `pickle convert` made of them,
# and checks that each converted pickle loads into the object this Python reads from
# the original (pyiso.iso: structure and identity).
#
#   python compare_converted.py JOB.json
#
# JOB.json: {"pairs": [{"orig": PATH, "conv": PATH, "label": TEXT, "pickles": N,
#                       "pid": BOOL, "protocols": [FROM, TO]}, ...]}
# Persistent ids load as ('PID', id). Protocol 0 writes an id as a line of text, which
# Python 2 reads as a str whatever the id was: across protocol 0, Python 2 compares
# ids by equality ('abc' == u'abc'), as the original and the conversion cannot agree
# on the type.
# Under Python 3 each pair is loaded with encoding "ASCII", "latin1" and "bytes" (the
# Python 2 str of the original); an encoding the original itself cannot be read with
# is left out for that pair. Runs under Python 2.7 and every Python 3. Exit status 0
# when every pair matched, 1 otherwise.
from __future__ import print_function

import io
import json
import pickle
import sys

sys.dont_write_bytecode = True
from pyiso import iso  # noqa: E402

PY2 = sys.version_info[0] == 2
ENCODINGS = [None] if PY2 else ['ASCII', 'latin1', 'bytes']


def text_pid(p):
    return unicode(p) if isinstance(p, str) else p  # noqa: F821


def load_all(data, count, pid, encoding, pid_as_text=False):
    """The `count` pickles of data, read by one Unpickler (one memo, as written)."""
    f = io.BytesIO(data)
    if PY2:
        u = pickle.Unpickler(f)
        if pid:
            u.persistent_load = (lambda p: ('PID', text_pid(p))) if pid_as_text else \
                (lambda p: ('PID', p))
    else:
        class Unpickler(pickle.Unpickler):
            def persistent_load(self, p):
                return ('PID', p)
        u = (Unpickler if pid else pickle.Unpickler)(f, encoding=encoding)
    values = [u.load() for _ in range(count)]
    rest = f.read()
    if rest:
        raise ValueError('%d bytes after the last pickle' % len(rest))
    return values


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    failures = 0
    checked = 0
    unreadable = []
    for pair in job['pairs']:
        pid_as_text = PY2 and 0 in pair.get('protocols', ())
        with open(pair['orig'], 'rb') as f:
            orig = f.read()
        with open(pair['conv'], 'rb') as f:
            conv = f.read()
        # A pair may name the encodings to read each side with (Python 3): a
        # conversion written for Python 3 readers is read with the default one.
        conv_encoding = pair.get('conv_encoding')
        for encoding in [pair['orig_encoding']] if 'orig_encoding' in pair else ENCODINGS:
            where = pair['label'] + ('' if encoding is None else ' encoding=' + encoding)
            try:
                want = load_all(orig, pair['pickles'], pair['pid'], encoding, pid_as_text)
            except Exception as e:
                unreadable.append('%s: %s: %s' % (where, type(e).__name__, str(e)[:100]))
                continue
            checked += 1
            try:
                got = load_all(conv, pair['pickles'], pair['pid'], conv_encoding or encoding,
                               pid_as_text)
            except Exception as e:
                failures += 1
                print('FAIL %s: the original loads, the converted pickle does not: %s: %s'
                      % (where, type(e).__name__, e))
                continue
            why = iso(want, got)
            if why:
                failures += 1
                print('FAIL %s: %s' % (where, why))
    if unreadable:
        # One line per case and reason (the same for every protocol and pickler).
        seen = {}
        for u in unreadable:
            key = (u.split('.', 1)[0], u.split(': ', 1)[1])
            seen.setdefault(key, []).append(u.split(':', 1)[0])
        for (case, why), where in sorted(seen.items()):
            print('not compared (this Python cannot read the original either): %s, %d loads: %s'
                  % (case, len(where), why))
    print('Python %d.%d.%d: %d loads compared, %d failed, %d not readable in the original'
          % (sys.version_info[:3] + (checked, failures, len(unreadable))))
    return 1 if failures or not checked else 0


if __name__ == '__main__':
    sys.exit(main())
