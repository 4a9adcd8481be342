"""What `pickle dis` and `pickle optimize` must print and write, computed with
CPython's own pickletools. Runs under python3.13 (the oracle); see tests/README.md.

    oracle.py JOB.json RESULT.json

JOB.json: {"opcodes_def": path to include/pickle/opcodes.def,
           "files": [paths], "variants": {name: [command-line options]},
           "optimize_dir": directory for the expected `optimize` outputs, or null}

For each file, RESULT.json holds, per variant, the text `pickle dis OPTIONS FILE`
must print and, when pickletools fails, where: the absolute offset of the failing
opcode and its name (null when the input ends where an opcode should start), the
way our error line names them. A file holds one pickle or several; each is
disassembled as `python -m pickletools` does for that pickle alone (offsets from its
first byte), one after the other, stopping at the first failure; --memo shares one
memo between them, as `python -m pickletools --memo` does between files.

--annotate: the annotations are our one-line docs (the last column of opcodes.def),
put in place of CPython's docstrings before pickletools runs, so that the whole line,
layout included, can be compared exactly.

`optimize`: pickletools.optimize of each pickle, concatenated, written to
optimize_dir/<index>.bin; null when a pickle cannot be optimized: pickletools fails,
or a GET reads a memo key that no earlier PUT of the same pickle stored (pickletools
then fails, or writes a broken pickle, and `pickle optimize` refuses it). Where
pickletools fails only because it decodes an argument to show it (a STRING, GLOBAL,
INST or PERSID argument that is not ASCII, a text int of more than 4300 digits),
`pickle optimize` goes on, so the oracle reads those arguments leniently: what
optimize writes does not depend on them.
"""
import codecs
import contextlib
import io
import json
import os
import re
import sys

import pickletools

_original_genops = pickletools._genops
_state = {}


def _recording_genops(pickle):
    """pickletools.genops that remembers the last opcode it yielded, and whether an
    exception comes from reading the stream or from dis()'s own checks."""
    gen = _original_genops(pickle, yield_end_pos=True)
    _state.update(pos=None, end=0, name=None, reading=False)
    while True:
        _state['reading'] = True
        try:
            opcode, arg, pos, end = next(gen)
        except StopIteration:
            _state['reading'] = False
            return
        _state['reading'] = False
        _state.update(pos=pos, end=end, name=opcode.name)
        yield opcode, arg, pos


pickletools.genops = _recording_genops


def load_docs(path):
    docs = {}
    pattern = re.compile(r'^PICKLE_OPCODE\(\s*\w+\s*,[^,]+,\s*"(\w+)".*"([^"]*)"\)\s*$')
    with open(path) as f:
        for line in f:
            m = pattern.match(line)
            if m:
                docs[m.group(1)] = m.group(2)
    if len(docs) != len(pickletools.opcodes):
        raise SystemExit('oracle: found %d opcode docs in %s, expected %d'
                         % (len(docs), path, len(pickletools.opcodes)))
    return docs


def opcode_label(data, offset):
    """How our error line names the opcode at `offset` (None at the end of input)."""
    if offset >= len(data):
        return None
    code = data[offset:offset + 1].decode('latin-1')
    op = pickletools.code2op.get(code)
    return op.name if op else '0x%02x' % data[offset]


def split(data):
    """(start, end) of each pickle of `data`, as pickletools reads them; the last one
    runs to the end of the data when reading it fails."""
    pieces = []
    pos = 0
    while True:
        f = io.BytesIO(data[pos:])
        try:
            for _ in _original_genops(f):
                pass
        except Exception:
            pieces.append((pos, len(data)))
            return pieces
        end = pos + f.tell()
        pieces.append((pos, end))
        pos = end
        if pos >= len(data):
            return pieces


def parse_options(options):
    memo, indentlevel, annotate = False, 4, 0
    i = 0
    while i < len(options):
        o = options[i]
        if o in ('--memo', '-m'):
            memo = True
        elif o in ('--annotate', '-a'):
            annotate = 30
        elif o in ('--indentlevel', '-l'):
            i += 1
            indentlevel = int(options[i])
        else:
            raise SystemExit('oracle: unknown option %s' % o)
        i += 1
    return memo, indentlevel, annotate


def dis_file(data, pieces, options):
    shared_memo, indentlevel, annotate = parse_options(options)
    memo = {} if shared_memo else None
    out = io.StringIO()
    for start, end in pieces:
        piece = data[start:end]
        try:
            pickletools.dis(io.BytesIO(piece), out, memo, indentlevel, annotate)
        except Exception as e:
            if _state['reading']:
                offset = _state['end']
                name = opcode_label(piece, offset)
            else:
                offset = _state['pos']
                name = _state['name']
            return {'text': out.getvalue(), 'failed': True, 'offset': start + offset,
                    'opcode': name, 'error': '%s: %s' % (type(e).__name__, e)}
    return {'text': out.getvalue(), 'failed': False}


def _lenient_stringnl(f, decode=True, stripquotes=True):
    """pickletools.read_stringnl without its final ASCII decoding (nor, when they are
    malformed, the escapes)."""
    data = f.readline()
    if not data.endswith(b'\n'):
        raise ValueError('no newline found when trying to read stringnl')
    data = data[:-1]
    if stripquotes:
        for q in (b'"', b"'"):
            if data.startswith(q):
                if not data.endswith(q):
                    raise ValueError('string quote %r not found at both ends' % q)
                data = data[1:-1]
                break
        else:
            raise ValueError('no string quotes around %r' % data)
    if decode:
        try:
            data = codecs.escape_decode(data)[0]
        except ValueError:
            pass  # optimize copies the argument as it is
    return data


def _lenient_decimal(reader):
    def read(f):
        start = f.tell()
        try:
            return reader(f)
        except ValueError:
            f.seek(start)
            return f.readline()  # not a memo index: optimize only copies it
    return read


@contextlib.contextmanager
def lenient_arguments():
    saved = (pickletools.read_stringnl, pickletools.stringnl.reader,
             pickletools.decimalnl_short.reader, pickletools.decimalnl_long.reader)
    pickletools.read_stringnl = _lenient_stringnl
    pickletools.stringnl.reader = _lenient_stringnl
    pickletools.decimalnl_short.reader = _lenient_decimal(saved[2])
    pickletools.decimalnl_long.reader = _lenient_decimal(saved[3])
    try:
        yield
    finally:
        (pickletools.read_stringnl, pickletools.stringnl.reader,
         pickletools.decimalnl_short.reader, pickletools.decimalnl_long.reader) = saved


def optimize_piece(piece):
    with lenient_arguments():
        return _optimize_piece(piece)


def _optimize_piece(piece):
    stored = set()
    try:
        for opcode, arg, pos in _original_genops(piece):
            if 'PUT' in opcode.name:
                stored.add(arg)
            elif opcode.name == 'MEMOIZE':
                stored.add(len(stored))
            elif 'GET' in opcode.name and arg not in stored:
                return None
        return pickletools.optimize(piece)
    except Exception:
        return None


def optimize_file(data, pieces):
    out = b''
    for start, end in pieces:
        result = optimize_piece(data[start:end])
        if result is None:
            return None
        out += result
    return out


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    docs = load_docs(job['opcodes_def'])
    results = []
    for index, path in enumerate(job['files']):
        with open(path, 'rb') as f:
            data = f.read()
        pieces = split(data)
        entry = {'file': path, 'pickles': len(pieces), 'starts': [a for a, _ in pieces],
                 'dis': {}}
        for name, options in sorted(job['variants'].items()):
            saved = {op: op.doc for op in pickletools.opcodes}
            if '--annotate' in options or '-a' in options:
                for op in pickletools.opcodes:
                    op.doc = docs[op.name]
            try:
                entry['dis'][name] = dis_file(data, pieces, options)
            finally:
                for op, doc in saved.items():
                    op.doc = doc
        if job.get('optimize_dir'):
            optimized = optimize_file(data, pieces)
            if optimized is None:
                entry['optimize'] = None
            else:
                target = os.path.join(job['optimize_dir'], '%d.bin' % index)
                with open(target, 'wb') as f:
                    f.write(optimized)
                entry['optimize'] = target
        results.append(entry)
    with open(sys.argv[2], 'w') as f:
        json.dump(results, f)
    return 0


if __name__ == '__main__':
    sys.exit(main())
