"""Writes pickles of one text number each, INT, LONG or FLOAT, and what CPython's C
unpickler makes of them; see tests/README.md (tools.numbers).

    text_numbers.py OUTDIR

Runs under the oracle (python3.13). Each case is `<opcode><line>\\n.`; the lines are
the edges of the three grammars (signs, whitespace, underscores, prefixes and leading
zeros, the I00/I01 bools, an L suffix, inf/nan, overflow and underflow to 0 and to
denormals, NUL bytes, digit-count limits) and random strings over their alphabet
(fixed seed). OUTDIR/expected.json maps each file to repr(pickle.loads(data)) or the
exception pickle.loads raises. `pickle dis` is compared with pickletools by the
caller, through oracle.py.
"""
import json
import os
import pickle
import random
import sys

EDGES = [
    '0', '1', '00', '01', '000', '001', '07', '08', '010', '0_0', '0_1', '-0', '+0', '-1', '+1',
    '--1', '+-1', '- 1', ' 1', '1 ', ' 1 ', '\t1', '1\t', '\x0b1', '\x0c1', '1\r', '\r1',
    ' 0', '0 ', '00 ', ' 01', '+01', '-01', ' -01', '1_000', '1__000', '_1', '1_', '1_0_0',
    '0x10', '0X1f', '0x', '0x_1', '0xg', '0o17', '0o8', '0b101', '0b2', '0B1', '-0x10',
    ' 0x10', '0777777777777777777777777', '0x' + 'f' * 20, '9223372036854775807',
    '9223372036854775808', '-9223372036854775808', '-9223372036854775809',
    '18446744073709551616', '9' * 40, '-' + '9' * 40, '1' * 4300, '1' * 4301,
    '', ' ', '\x00', '\x001', '1\x00', '1\x00x', '12\x00 junk', ' \x00', 'L', '1L', '1 L',
    '1LL', '1l', 'L1', '1L ', '0x10L', '010L', '1.0', '1.', '.5', '.', '5.e3', '1e5',
    '1E5', '1e+5', '1e-5', '1e', '1e+', '1e5.0', '1e1_0', '1_0.5', '1_.5', '1._5', '.e1',
    'inf', '-inf', '+inf', 'Inf', 'INFINITY', '-Infinity', 'infinit', 'infx', 'nan',
    '-nan', 'NaN', 'nan(1)', ' inf', 'inf ', ' nan', '0x1p3', '1e308',
    '1.7976931348623157e308', '1.7976931348623158e308', '1.7976931348623159e308', '1e309',
    '-1e309', '1E400', '9' * 400, '-' + '9' * 400, '9' * 309, '9' * 308 + '.9',
    '0.' + '0' * 400 + '1', '1' + '0' * 400 + 'e-400', '0.' + '0' * 320 + '1e-5',
    '1e-300', '2.2250738585072014e-308', '1e-310', '4.9e-324', '5e-324', '2.5e-324',
    '2.4e-324', '2e-324', '1e-400', '-1e-400', '1e-99999999999999999999',
    '1e99999999999999999999', '0e99999999999999999999', '0' * 400 + '1', '\xa01',
]
ALPHABET = list('0189') + list('xboeE._+- \tLlinfa') + ['\x00', '\r', '0x', 'inf', 'nan', '1e']


def cases():
    rng = random.Random(20250101)
    lines = list(EDGES)
    for _ in range(150):
        lines.append(''.join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6))))
    out = {}
    for op, name in (('I', 'int'), ('L', 'long'), ('F', 'float')):
        seen = set()
        for i, line in enumerate(lines):
            if line in seen:
                continue
            seen.add(line)
            out['%s_%03d' % (name, i)] = op.encode() + line.encode('latin-1') + b'\n.'
    return out


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    expected = {}
    for name, data in sorted(cases().items()):
        path = os.path.join(out, name + '.pkl')
        with open(path, 'wb') as f:
            f.write(data)
        try:
            expected[path] = {'repr': repr(pickle.loads(data))}
        except Exception as e:  # what pickle.loads raises
            expected[path] = {'error': '%s: %s' % (type(e).__name__, str(e)[:200])}
            # Refused only for int_max_str_digits (4300), a limit of CPython's that
            # pickle++ sets apart (Limits::max_int_digits)?
            sys.set_int_max_str_digits(0)
            try:
                pickle.loads(data)
                expected[path]['int_digits_limit'] = True
            except Exception:
                pass
            finally:
                sys.set_int_max_str_digits(4300)
    with open(os.path.join(out, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    return 0


if __name__ == '__main__':
    sys.exit(main())
