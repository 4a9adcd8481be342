#!/usr/bin/env python3
"""Writes examples/record.pkl (and record.repr, the repr CPython prints for it).

The pickle is committed; this script is how it was made. Run it with CPython 3.13:

    python3.13 examples/make_example.py      # with pyenv: "$(pyenv root)"/versions/3.13.*/bin/python3.13

It writes protocol 4, the default of CPython 3.8-3.13. Every value is chosen so that
the bytes and the repr do not depend on PYTHONHASHSEED (the set holds small ints,
whose iteration order is fixed).
"""
import os
import pickle
import sys

record = {
    "id": 1042,
    "name": "Ada Lovelace",
    "city": "Zürich",
    "active": True,
    "manager": None,
    "score": 97.25,
    "balance": -12.5,
    "tags": ["admin", "math", "engines"],
    "location": (47.3769, 8.5417),
    "avatar": b"\x89PNG\r\n\x1a\n",
    "groups": {3, 7, 12},
    "settings": {"theme": "dark", "retries": 3, "quota": 2**70, "beta": False},
}

here = os.path.dirname(os.path.abspath(__file__))
data = pickle.dumps(record, protocol=4)
with open(os.path.join(here, "record.pkl"), "wb") as f:
    f.write(data)
with open(os.path.join(here, "record.repr"), "w", encoding="utf-8", newline="\n") as f:
    f.write(repr(pickle.loads(data)) + "\n")
print("wrote record.pkl (%d bytes) with Python %s" % (len(data), sys.version.split()[0]))
