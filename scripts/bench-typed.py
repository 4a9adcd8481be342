#!/usr/bin/env python3
"""Typed dump and load (pickle/typed.hpp) beside CPython's pickle, in one run.

The two workloads of docs/typed.md, made the same way on both sides:
  records  200,000 PICKLE_DICT records {id, name, score, tags, balance}
  series   a std::map<std::string, std::vector<double>> of 1,000 keys x 1,000 floats
CPython times pickle.dumps (protocol 4) and pickle.loads of the equivalent Python
objects; bench/typed_bench.cpp times the typed dump and load and a dump of the same
values from a prebuilt Graph. Both sides run each operation once to warm up and report
the median of --repeat runs, with memory warm: glibc keeps freed memory on both sides
(MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_), CPython allocates with it
(PYTHONMALLOC=malloc), the cyclic GC off as timeit does. The bytes of both sides are compared (they must be identical).

    python3 scripts/bench-typed.py --build          # builds the release preset first
    python3 scripts/bench-typed.py --build-dir build/release [--quick] [--json OUT]
"""
import argparse
import gc
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_records(n):
    out = []
    for i in range(n):
        out.append({'id': i, 'name': 'user_' + str(i), 'score': (i % 1000) * 0.5,
                    'tags': ['tag' + str(i % 7), 'group' + str(i % 11)],
                    'balance': None if i % 3 == 0 else i * 0.25 - 1000})
    return out


def make_series(keys, floats):
    return {'series_' + str(k): [(k * floats + j) * 0.001 for j in range(floats)]
            for k in sorted(range(keys), key=lambda k: 'series_' + str(k))}


def median_seconds(repeat, f):
    f()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cpython_side(args):
    gc.disable()
    sizes = {'records': (make_records, (args.records,)),
             'series': (make_series, (args.keys, args.floats))}
    result = {}
    for name, (make, a) in sizes.items():
        obj = make(*a)
        data = pickle.dumps(obj, protocol=4)
        result[name] = {
            'dumps_s': median_seconds(args.repeat, lambda: pickle.dumps(obj, protocol=4)),
            'loads_s': median_seconds(args.repeat, lambda: pickle.loads(data)),
        }
        with open(os.path.join(args.out, name + '.cpython.pkl'), 'wb') as f:
            f.write(data)
    print(json.dumps(result))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', action='store_true', help='configure and build the release preset')
    ap.add_argument('--build-dir', default=os.path.join(ROOT, 'build', 'release'))
    ap.add_argument('--quick', action='store_true', help='sizes / 10')
    ap.add_argument('--repeat', type=int, default=7)
    ap.add_argument('--json', help='write the figures here')
    ap.add_argument('--cpython-side', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--records', type=int, default=200_000, help=argparse.SUPPRESS)
    ap.add_argument('--keys', type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument('--floats', type=int, default=1000, help=argparse.SUPPRESS)
    ap.add_argument('--out', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cpython_side:
        return cpython_side(args)
    if args.quick:
        args.records //= 10
        args.keys //= 10
    if args.build:
        subprocess.run(['cmake', '--preset', 'release'], cwd=ROOT, check=True)
        subprocess.run(['cmake', '--build', os.path.join(ROOT, 'build', 'release'), '--target',
                        'pickle_typed_bench'], check=True)
    exe = os.path.join(args.build_dir, 'bench', 'pickle_typed_bench')
    if not os.path.exists(exe):
        sys.exit(f'{exe} is not built: pass --build, or --build-dir of a release build')
    sizes = ['--records', str(args.records), '--keys', str(args.keys), '--floats',
             str(args.floats), '--repeat', str(args.repeat)]
    with tempfile.TemporaryDirectory() as tmp:
        # Warm memory on both sides: glibc keeps what is freed (no trimming of the heap's
        # top, and blocks up to 32 MiB from the heap rather than mmap), and CPython
        # allocates with malloc too (PYTHONMALLOC=malloc), as docs/performance.md measures.
        env = dict(os.environ, PYTHONMALLOC='malloc', PYTHONHASHSEED='0',
                   MALLOC_TRIM_THRESHOLD_=str(1 << 40), MALLOC_MMAP_THRESHOLD_=str(32 << 20))
        cp = json.loads(subprocess.run(
            [sys.executable, os.path.abspath(__file__), '--cpython-side', '--out', tmp] + sizes,
            env=env, check=True, stdout=subprocess.PIPE).stdout)
        pp = json.loads(subprocess.run([exe, '--out', tmp] + sizes, check=True, env=env,
                                       stdout=subprocess.PIPE).stdout)
        for name in pp:
            with open(os.path.join(tmp, name + '.pkl'), 'rb') as a, \
                    open(os.path.join(tmp, name + '.cpython.pkl'), 'rb') as b:
                if a.read() != b.read():
                    sys.exit(f'{name}: the typed dump differs from CPython\'s bytes')
    print(f'# CPython {platform.python_version()} ({sys.executable}), PYTHONMALLOC=malloc, glibc '
          f'keeping freed memory on both sides; '
          f'median of {args.repeat}, after one warm-up run; bytes identical on both sides')
    print('| workload | CPython dumps | typed dump | × | typed dump (pool) | × | graph dump | '
          'CPython loads | typed load | × | typed load (pool) | × |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|')
    ms = lambda s: f'{s * 1e3:.1f} ms'
    for name, p in pp.items():
        c = cp[name]
        print(f"| {name} ({p['bytes'] / 1e6:.1f} MB) | {ms(c['dumps_s'])} | {ms(p['typed_dump_s'])} | "
              f"{c['dumps_s'] / p['typed_dump_s']:.1f} | {ms(p['typed_dump_pool_s'])} | "
              f"{c['dumps_s'] / p['typed_dump_pool_s']:.1f} | {ms(p['graph_dump_s'])} | "
              f"{ms(c['loads_s'])} | {ms(p['typed_load_s'])} | {c['loads_s'] / p['typed_load_s']:.1f} | "
              f"{ms(p['typed_load_pool_s'])} | {c['loads_s'] / p['typed_load_pool_s']:.1f} |")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'cpython': cp, 'pickle++': pp}, f, indent=1)


if __name__ == '__main__':
    main()
