"""Writes malformed pickles for the `pickle dis` tests; see tests/README.md.

    malformed.py OUTDIR

Runs under the oracle (python3.13). Four kinds, one file each:

- hand-made inputs for every check pickletools.dis makes (a missing MARK, a MARK
  popped as an item, memo keys stored twice or never, the markobject stored, items
  left at STOP, popping from an empty stack), for every argument pickletools reads
  differently from the Unpickler (ASCII-only STRING/GLOBAL/INST/PERSID, base 10
  ints, 4300-digit ints), and for what only the Unpickler refuses (frames, an
  unsupported protocol, negative memo indices, an unquoted STRING);
- every prefix of a few pickles, protocols 0, 2, 4 and 5 (truncation at every byte);
- random edits of those pickles (fixed seed, so runs are repeatable);
- well-formed pickles of literals whose repr is easy to get wrong: every byte value
  beside each mix of quotes, as bytes, bytearray, str and Python 2 str.
"""
import collections
import os
import pickle
import random
import struct
import sys


def handmade():
    big = b'\x01' * 2000
    frame = b'\x95' + struct.pack('<Q', 16)
    return {
        # pickletools' static checks
        'no_mark': b'N1.',
        'no_mark_list': b'Nl.',
        'mark_popped_as_item': b'(\x85t.',
        'mark_duplicated': b'(2t.',
        'pop_of_mark': b'(0N.',
        'pop_mark_nested': b'((NN1t.',
        'memo_key_twice': b'Np0\np0\n.',
        'memo_get_never': b'g0\n.',
        'memo_binget_never': b'K\x01h\x05.',
        'memo_stores_mark': b'(p0\n.',
        'memo_store_empty': b'p0\n.',
        'memoize_twice_key': b'\x80\x04Nq\x01\x94\x94.',
        'pop_empty': b'Na.',
        'left_on_stack': b'NN.',
        'marks_left_on_stack': b'(((((NNNttt.',
        'stop_on_empty': b'.',
        'obj_without_class': b'(o.',
        'inst_without_mark': b'iabc\ndef\n.',
        'put_bool_keys': b'Np01\n0g1\n0N.',
        'memoize_as': b'\x80\x04N\x94\x94h\x00h\x01\x86\x94.',
        # arguments pickletools reads differently
        'string_not_ascii_escape': b"S'\\xff'\n.",
        'string_not_ascii_raw': b"S'\xc3\xa9'\n.",
        'string_one_quote': b"S'\n.",
        'global_utf8': b'c\xc3\xa9\nx\n.',
        'global_escape': b'cmod\\x41\nname\n.',
        'inst_escape': b'(imod\nna\\x42me\n.',
        'persid_escape': b'P\\x41\n.',
        'persid_bad_escape': b'P\\x4\n.',
        'persid_trailing_backslash': b'Pab\\\n.',
        'int_hex': b'I0x10\n.',
        'int_leading_zero': b'I010\n.',
        'int_5000_digits': b'I' + b'7' * 5000 + b'\n.',
        'int_4300_digits': b'I' + b'7' * 4300 + b'\n.',
        'long_5000_digits': b'L' + b'7' * 5000 + b'L\n.',
        'long4_5000_digits': b'\x8b' + struct.pack('<i', len(big)) + big + b'.',
        'long1_big_ok': b'\x8a\xff' + b'\x7f' * 255 + b'.',
        'int_underscore': b'I1_000\n.',
        'int_spaces': b'I 12 \n.',
        'float_forms': b'F1e16\nF-inf\nFnan\n\x87.',
        'unicode_escapes': b'V\\u00e9\\ud800x\\U0001f600\n.',
        'binstring_latin1': b'U\x03\xe9\x00\xad.',
        'bytearray': b'\x80\x05\x96\x02\x00\x00\x00\x00\x00\x00\x00ab.',
        'ext_codes': b'\x80\x02\x82\x01\x83\x00\x01\x84\x00\x00\x01\x00\x87.',
        # only the Unpickler's reader refuses these
        'frame_too_long': b'\x80\x04' + frame + b'N.',
        'frame_line_crosses': b'\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00I12\n.',
        'frame_nested': b'\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00'
                        b'\x00\x00\x00\x00\x00\x00N.',
        'protocol_6': b'\x80\x06N.',
        'negative_put': b'Np-1\n.',
        'ext_zero': b'\x82\x00.',
        'global_empty_name': b'cmod\n\n.',
        # reading errors both see
        'empty': b'',
        'unknown_opcode': b'N\xff.',
        'no_stop': b'N',
        'truncated_argument': b'NK',
        'truncated_length': b'X\x05\x00\x00\x00ab.',
        'string_no_newline': b"S'abc'",
        'binstring_negative': b'T\xff\xff\xff\xff.',
        'long4_negative': b'\x8b\xff\xff\xff\xff.',
        'unicode_bad_utf8': b'\x8c\x02\xff\xfe.',
        'two_pickles_second_bad': b'N.K',
        'two_pickles': b'N.K\x01.',
        'trailing_newline': b'N.\n',
    }


def literals():
    """Lists of bytes-like literals: each byte value followed by each mix of quotes,
    and the whole range with and without a double quote. pickletools prints each one
    with repr() (a Python 2 str decoded as latin-1)."""
    every = bytes(range(256))
    items = [bytes([b]) + mix for mix in (b'', b"'", b'"', b'\'"', b'"\'', b"\\'")
             for b in range(256)]
    items += [every, every.replace(b'"', b''), every.replace(b"'", b'')]
    texts = [x.decode('latin-1') for x in items]
    texts += ['\ud800\'', '\udfff"', '\u2028\x85\xa0', '\U0001f600\'', '\U000e0001']
    py2 = b''.join((b'U' + bytes([len(x)]) if len(x) < 256 else
                    b'T' + struct.pack('<i', len(x))) + x for x in items)
    return {
        'literal_bytes': pickle.dumps(items, 3),
        'literal_bytearray': pickle.dumps([bytearray(x) for x in items], 5),
        'literal_str': pickle.dumps(texts, 4),
        'literal_py2_str': b'\x80\x02(' + py2 + b'l.',
    }


class Plain(object):
    pass


def samples():
    """A few pickles that use many opcodes, at every protocol."""
    shared = [1, 'two']
    value = [None, True, -1, 300, 2 ** 40, 2 ** 70, 1.5, 'é€', b'\x00b', bytearray(b'ba'),
             (), (1,), (1, 2, 3), {'k': shared}, {1, 2}, frozenset({3}), shared,
             collections.OrderedDict(a=1)]
    out = {}
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        out['sample_p%d' % protocol] = pickle.dumps(value, protocol)
    out['sample_p0_py'] = pickle._dumps(value, 0)
    out['sample_p4_big'] = pickle.dumps([b'x' * 70000, shared, shared], 4)
    return out


def main():
    out = sys.argv[1]
    if not os.path.isdir(out):
        os.makedirs(out)
    cases = handmade()
    cases.update(literals())
    rng = random.Random(20240607)
    interesting = b'\x00\x01\x7f\x80\xff(.\n\x95\x94\'\\L0q'
    for name, data in samples().items():
        if name in ('sample_p0', 'sample_p2', 'sample_p4', 'sample_p5'):
            for n in range(len(data)):
                cases['%s_cut%04d' % (name, n)] = data[:n]
        for k in range(60):
            m = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(m))
                kind = rng.randrange(4)
                if kind == 0:
                    m[at] = rng.randrange(256)
                elif kind == 1:
                    m[at] = interesting[rng.randrange(len(interesting))]
                elif kind == 2:
                    del m[at:at + rng.randint(1, 4)]
                else:
                    m.insert(at, interesting[rng.randrange(len(interesting))])
                if not m:
                    m = bytearray(b'.')
            cases['%s_edit%02d' % (name, k)] = bytes(m)
    for name, data in sorted(cases.items()):
        with open(os.path.join(out, name + '.pkl'), 'wb') as f:
            f.write(data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
