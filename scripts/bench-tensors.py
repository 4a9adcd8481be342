#!/usr/bin/env python3
"""`pickle safetensors` against memcpy bandwidth, and `pickle tensors` on a big checkpoint.

In one run it
  1. writes, with Debian's /usr/bin/python3 and its torch (exit 77 without it), into a
     temporary directory (removed at the end; the files are big, nothing is kept):
       medium.pt  a torch.save state_dict of ~300 MiB, 57 tensors: two float32
                  4096x4096 matrices, six layers of bfloat16 and float16 weights,
                  float32 norms, int64 buffers (one of them 0-d), torch.manual_seed(0);
       big.pt     ~2 GiB of float32 zeros: four 512 MiB weights (--big-blocks N: N
                  weights of 2 GiB / N), each with a bias and a 0-d int64 step
                  (skipped with --no-big);
     and fsyncs both, so that their writeback does not run under the timings;
  2. reads each file once (the page cache is warm from then on) and times
     `pickle safetensors medium.pt OUT` with OUT in the temporary directory (the same
     file system as the checkpoint) and in /dev/shm when it exists: wall time
     (time.perf_counter around the child) of --repeat runs after one warm-up, OUT
     removed before each; the bytes moved are the tensors' bytes, read back from OUT's
     header (its data_offsets), and OUT is checked once against torch.load, tensor by
     tensor (--no-verify skips it);
  3. runs bench/memcpy_bw with the tensors' size in MiB, in the same run, and states
     the safetensors rate as a fraction of memcpy's warm and fresh rates; `cp` of the
     checkpoint to the same place is timed beside it for scale;
  4. times `pickle tensors big.pt` with the page cache warm (median of --repeat) and
     once cold (after POSIX_FADV_DONTNEED on big.pt), with its peak resident memory
     (GNU time's %M, one extra run) beside the file's size, and its time beside that
     of reading the file from the page cache and of `pickle tensors medium.pt`; after
     the cold run, the pages of big.pt in the page cache (mincore) are the bytes it
     read, read-ahead included;
  5. prints a markdown table with the figures and the exact commands, and writes every
     figure as JSON (--json PATH).

The machine may be shared: the load average is printed first; run it twice.

    python3 scripts/bench-tensors.py --build          # builds the release preset first
    python3 scripts/bench-tensors.py --build-dir build/release [--repeat 5] [--no-big] [--json OUT]
"""
import argparse
import ctypes
import json
import os
import platform
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MiB = 1 << 20
SKIP = 77  # what ctest and automake take as "skipped"


# ---------------------------------------------------------------------------
# The torch side, run under --python (Debian's python3 with torch 1.13).

def medium_state_dict(torch):
    torch.manual_seed(0)
    sd = {'embed.weight': torch.randn(4096, 4096)}                      # float32, 64 MiB
    for i in range(6):
        p = f'layers.{i}.'
        for w in ('q', 'k', 'v', 'o'):
            sd[p + f'attn.{w}.weight'] = torch.randn(2048, 1024).to(torch.bfloat16)  # 4 MiB
        sd[p + 'attn_norm.weight'] = torch.rand(2048) + 0.5            # float32
        sd[p + 'mlp.up.weight'] = torch.randn(3072, 1024).to(torch.float16)   # 6 MiB
        sd[p + 'mlp.down.weight'] = torch.randn(1024, 3072).to(torch.float16)  # 6 MiB
        sd[p + 'mlp_norm.weight'] = torch.rand(2048) + 0.5
        sd[p + 'position_ids'] = torch.arange(8192, dtype=torch.int64)
    sd['norm.num_batches_tracked'] = torch.tensor(7, dtype=torch.int64)   # a 0-d tensor
    sd['lm_head.weight'] = torch.randn(4096, 4096)                      # float32, 64 MiB
    return sd


def big_state_dict(torch, blocks):
    sd = {}
    for i in range(blocks):
        sd[f'blocks.{i}.weight'] = torch.zeros(65536 // blocks, 8192)   # float32, 2 GiB / blocks
        sd[f'blocks.{i}.bias'] = torch.zeros(8192)
        sd[f'blocks.{i}.step'] = torch.tensor(i, dtype=torch.int64)
    return sd


def torch_side_make(args):
    import torch
    out = {}
    kinds = [('medium', medium_state_dict)]
    if not args.no_big:
        kinds.append(('big', lambda torch: big_state_dict(torch, args.big_blocks)))
    for name, make in kinds:
        sd = make(torch)
        path = os.path.join(args.out, name + '.pt')
        torch.save(sd, path)
        out[name] = {'path': path, 'tensors': len(sd),
                     'tensor_bytes': sum(t.numel() * t.element_size() for t in sd.values()),
                     'file_bytes': os.path.getsize(path)}
        del sd
    print(json.dumps({'torch': torch.__version__, 'files': out}))


def torch_side_verify(args):
    """OUT (safetensors) against torch.load(CKPT), byte for byte; prints the first difference."""
    import torch
    sd = torch.load(args.verify[0], map_location='cpu')
    header, data_start = read_safetensors_header(args.verify[1])
    dtypes = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
              torch.int64: 'I64', torch.int32: 'I32', torch.uint8: 'U8', torch.bool: 'BOOL'}
    bad = []
    if set(sd) != set(k for k in header if k != '__metadata__'):
        bad.append(f'names differ: {sorted(set(sd) ^ set(header))[:5]}')
    with open(args.verify[1], 'rb') as f:
        for name, t in sd.items():
            h = header.get(name)
            if h is None:
                continue
            begin, end = h['data_offsets']
            f.seek(data_start + begin)
            got = f.read(end - begin)
            want = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
            if h['dtype'] != dtypes.get(t.dtype) or h['shape'] != list(t.shape) or got != want:
                bad.append(f"{name}: {h['dtype']} {h['shape']} against {t.dtype} {list(t.shape)}"
                           f"{'' if got == want else ', data differ'}")
    print(json.dumps({'ok': not bad, 'tensors': len(sd), 'problems': bad[:10]}))


# ---------------------------------------------------------------------------
# Helpers.

def read_safetensors_header(path):
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        return json.loads(f.read(n)), 8 + n


def tensor_bytes_of_safetensors(path):
    header, data_start = read_safetensors_header(path)
    ends = [v['data_offsets'][1] for k, v in header.items() if k != '__metadata__']
    data = max(ends, default=0)
    if data_start + data != os.path.getsize(path):
        sys.exit(f'bench-tensors: {path}: header says {data_start} + {data} bytes, '
                 f'the file has {os.path.getsize(path)}')
    return data, len(ends)


GNU_TIME = '/usr/bin/time' if os.access('/usr/bin/time', os.X_OK) else None


def run_child(argv, rss=False, stdout=subprocess.DEVNULL):
    """Runs argv; returns wall seconds (time.perf_counter around it), the child's CPU
    times and page faults (os.wait4), and with rss=True its peak resident memory.

    The peak comes from GNU time's %M where /usr/bin/time exists: wait4's ru_maxrss of a
    child forked from this Python counts the Python's own pages (about 25 MiB), which
    would hide a small child. Without GNU time, wait4's figure is given and marked."""
    wrapped = argv
    if rss and GNU_TIME:
        fd, rss_file = tempfile.mkstemp(prefix='pickle-bench-tensors-time-')
        os.close(fd)
        wrapped = [GNU_TIME, '-f', '%M %R %F', '-o', rss_file] + argv
    t0 = time.perf_counter()
    p = subprocess.Popen(wrapped, stdout=stdout, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f'bench-tensors: {shlex.join(argv)} exited with {p.returncode}: '
                 f'{err.decode(errors="replace").strip()}')
    out = {'wall_s': wall, 'user_s': ru.ru_utime, 'sys_s': ru.ru_stime,
           'minflt': ru.ru_minflt, 'majflt': ru.ru_majflt}
    if rss and GNU_TIME:
        with open(rss_file) as f:
            maxrss, minflt, majflt = (int(x) for x in f.read().split()[-3:])
        os.unlink(rss_file)
        out.update(maxrss_kib=maxrss, minflt=minflt, majflt=majflt, rss_from='GNU time %M')
    elif rss:
        out.update(maxrss_kib=ru.ru_maxrss, rss_from='wait4, with the forking Python\'s pages')
    return out


def summarize(runs):
    """Median of every figure over the runs, plus the fastest wall time."""
    out = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != 'rss_from'}
    out['min_wall_s'] = min(r['wall_s'] for r in runs)
    out['runs_wall_s'] = [round(r['wall_s'], 4) for r in runs]
    return out


def read_through(path):
    """Reads path once (warms the page cache); returns the seconds it took."""
    buf = bytearray(8 * MiB)
    view = memoryview(buf)
    t0 = time.perf_counter()
    with open(path, 'rb', buffering=0) as f:
        while f.readinto(view):
            pass
    return time.perf_counter() - t0


def drop_from_page_cache(path):
    """fsync and POSIX_FADV_DONTNEED; returns the bytes of path still cached."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    return cached_bytes(path)


def cached_bytes(path):
    """The bytes of path in the page cache (mincore over a mapping of it), or None."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
        size = os.path.getsize(path)
        page = os.sysconf('SC_PAGE_SIZE')
        pages = (size + page - 1) // page
        fd = os.open(path, os.O_RDONLY)
        try:
            addr = libc.mmap(None, size, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
        finally:
            os.close(fd)
        if addr in (None, ctypes.c_void_p(-1).value):
            return None
        try:
            vec = (ctypes.c_ubyte * pages)()
            if libc.mincore(addr, size, vec) != 0:
                return None
            return sum(v & 1 for v in vec) * page
        finally:
            libc.munmap(addr, size)
    except (OSError, AttributeError):
        return None


def machine_info(build_dir):
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    build_type = flags = '?'
    try:
        with open(os.path.join(build_dir, 'CMakeCache.txt')) as f:
            cache = dict(l.rstrip('\n').split('=', 1) for l in f
                         if '=' in l and not l.startswith(('#', '//')))
        build_type = cache.get('CMAKE_BUILD_TYPE:STRING', '?')
        flags = (cache.get('CMAKE_CXX_FLAGS:STRING', '') + ' ' +
                 cache.get(f'CMAKE_CXX_FLAGS_{build_type.upper()}:STRING', '')).strip()
    except (OSError, ValueError):
        pass
    git = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=ROOT,
                         capture_output=True, text=True).stdout.strip() or '?'
    return {'cpu': cpu, 'nproc': os.cpu_count(), 'kernel': platform.release(), 'git': git,
            'build_type': build_type, 'cxx_flags': flags, 'load_average': os.getloadavg()}


def gbs(bytes_per_s):
    return f'{bytes_per_s / 1e9:.2f} GB/s'


def ms(s):
    return f'{s * 1e3:.1f} ms' if s < 10 else f'{s:.2f} s'


def mib(n):
    return f'{n / MiB:.1f} MiB'


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', action='store_true',
                    help='configure and build the release preset first (targets pickle_cli, memcpy_bw)')
    ap.add_argument('--build-dir', default=os.path.join(ROOT, 'build', 'release'),
                    help='an optimised build with bench/ (default: build/release)')
    ap.add_argument('--python', default='/usr/bin/python3',
                    help='the Python with torch that writes the checkpoints (default: /usr/bin/python3)')
    ap.add_argument('--repeat', type=int, default=5, help='timed runs per figure (default 5)')
    ap.add_argument('--no-big', action='store_true', help='skip the ~2 GiB checkpoint and `pickle tensors` on it')
    ap.add_argument('--big-blocks', type=int, default=4,
                    help='big.pt holds this many float32 weights of 2 GiB / N each, with a bias '
                         'and a 0-d step each (default 4: 512 MiB weights; 256 is 8 MiB ones, '
                         'as a checkpoint of many layers has)')
    ap.add_argument('--no-verify', action='store_true', help='do not check OUT against torch.load')
    ap.add_argument('--tmp', default=None, help='where to make the temporary directory (default: $TMPDIR or /tmp)')
    ap.add_argument('--json', help='write every figure here')
    ap.add_argument('--torch-side', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--verify', nargs=2, help=argparse.SUPPRESS)
    ap.add_argument('--out', help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.big_blocks < 1 or 65536 % args.big_blocks:
        ap.error('--big-blocks must divide 65536 (1, 2, 4, ..., 256, ...)')
    if args.torch_side:
        return torch_side_verify(args) if args.verify else torch_side_make(args)

    if args.build:
        subprocess.run(['cmake', '--preset', 'release', '-B', args.build_dir], cwd=ROOT, check=True)
        subprocess.run(['cmake', '--build', args.build_dir, '-j', str(os.cpu_count() or 2),
                        '--target', 'pickle_cli', 'memcpy_bw'], cwd=ROOT, check=True)
    cli = os.path.join(args.build_dir, 'pickle')
    memcpy_bw = os.path.join(args.build_dir, 'bench', 'memcpy_bw')
    for exe in (cli, memcpy_bw):
        if not os.access(exe, os.X_OK):
            sys.exit(f'bench-tensors: {exe} not found; pass --build or --build-dir of a release build')
    probe = subprocess.run([args.python, '-c', 'import torch; print(torch.__version__)'],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print(f'bench-tensors: skipped: {args.python} cannot import torch '
              f'(on Debian 12: apt-get install python3-torch)', file=sys.stderr)
        sys.exit(SKIP)

    info = machine_info(args.build_dir)
    print(f"# tree {info['git']}, {info['cpu']}, {info['nproc']} CPUs, kernel {info['kernel']}, "
          f"{info['build_type']} {info['cxx_flags']}, torch {probe.stdout.strip()} "
          f"({args.python}); load average {' '.join(f'{x:.2f}' for x in info['load_average'])}",
          flush=True)

    tmp = tempfile.mkdtemp(prefix='pickle-bench-tensors-', dir=args.tmp)
    shm = None
    if os.path.isdir('/dev/shm') and os.access('/dev/shm', os.W_OK):
        shm = tempfile.mkdtemp(prefix='pickle-bench-tensors-', dir='/dev/shm')
    try:
        result = bench(args, cli, memcpy_bw, tmp, shm, info)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if shm:
            shutil.rmtree(shm, ignore_errors=True)
    report(result, args)


def bench(args, cli, memcpy_bw, tmp, shm, info):
    t0 = time.perf_counter()
    made = json.loads(subprocess.run(
        [args.python, os.path.abspath(__file__), '--torch-side', '--out', tmp] +
        (['--no-big'] if args.no_big else ['--big-blocks', str(args.big_blocks)]),
        check=True, stdout=subprocess.PIPE).stdout)
    files = made['files']
    wrote = ', '.join(f"{k}.pt ({mib(v['file_bytes'])}, {v['tensors']} tensors)" for k, v in files.items())
    print(f'# wrote {wrote} in {time.perf_counter() - t0:.1f} s to {tmp}', flush=True)
    # Written back now, so that no writeback of them runs under the timed runs.
    for v in files.values():
        fd = os.open(v['path'], os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
    result = {'machine': info, 'torch': made['torch'], 'repeat': args.repeat, 'files': files}

    medium = files['medium']['path']
    read_through(medium)
    result['read_medium_s'] = read_through(medium)

    # 2. safetensors, OUT beside the checkpoint and in /dev/shm.
    places = [('same file system', tmp)] + ([('/dev/shm', shm)] if shm else [])
    rows = []
    for where, d in places:
        out = os.path.join(d, 'medium.safetensors')
        argv = [cli, 'safetensors', medium, out]
        runs = []
        for i in range(args.repeat + 1):
            if os.path.exists(out):
                os.unlink(out)
            r = run_child(argv)
            if i:
                runs.append(r)
        os.unlink(out)
        peak = run_child(argv, rss=True)
        moved, count = tensor_bytes_of_safetensors(out)
        if count != files['medium']['tensors'] or moved != files['medium']['tensor_bytes']:
            sys.exit(f'bench-tensors: {out} has {count} tensors of {moved} bytes; torch saved '
                     f"{files['medium']['tensors']} of {files['medium']['tensor_bytes']}")
        row = {'where': where, 'command': shlex.join(argv), 'tensor_bytes': moved,
               'out_bytes': os.path.getsize(out), **summarize(runs),
               'maxrss_kib': peak['maxrss_kib'], 'rss_from': peak['rss_from']}
        row['bytes_per_s'] = moved / row['wall_s']
        if not args.no_verify and 'verified' not in result:
            v = json.loads(subprocess.run(
                [args.python, os.path.abspath(__file__), '--torch-side', '--verify', medium, out],
                check=True, stdout=subprocess.PIPE).stdout)
            result['verified'] = v
            if not v['ok']:
                print(f"# OUT differs from torch.load: {v['problems']}", flush=True)
        # For scale: the kernel copying the same file to the same place.
        cp_out = os.path.join(d, 'medium.cp')
        cp_runs = []
        for i in range(args.repeat + 1):
            if os.path.exists(cp_out):
                os.unlink(cp_out)
            r = run_child(['cp', medium, cp_out])
            if i:
                cp_runs.append(r)
        os.unlink(cp_out)
        cp_peak = run_child(['cp', medium, cp_out], rss=True)
        os.unlink(cp_out)
        os.unlink(out)
        row['cp'] = summarize(cp_runs)
        row['cp']['maxrss_kib'] = cp_peak['maxrss_kib']
        row['cp']['command'] = shlex.join(['cp', medium, cp_out])
        row['cp']['bytes_per_s'] = files['medium']['file_bytes'] / row['cp']['wall_s']
        rows.append(row)
        print(f"# safetensors to {where}: {ms(row['wall_s'])} median ({gbs(row['bytes_per_s'])}), "
              f"runs {row['runs_wall_s']}", flush=True)
    result['safetensors'] = rows

    # 3. memcpy of about as many bytes, in the same run.
    size_mib = max(1, round(files['medium']['tensor_bytes'] / MiB))
    bw_argv = [memcpy_bw, str(size_mib)]
    bw = json.loads(subprocess.run(bw_argv, check=True, capture_output=True, text=True).stdout)
    bw['command'] = shlex.join(bw_argv)
    result['memcpy'] = bw
    for row in rows:
        row['of_memcpy_warm'] = row['bytes_per_s'] / bw['warm_bytes_per_s']
        row['of_memcpy_fresh'] = row['bytes_per_s'] / bw['fresh_bytes_per_s']

    # 4. tensors on the big checkpoint.
    if not args.no_big:
        big = files['big']['path']
        argv = [cli, 'tensors', big]
        cached_before = drop_from_page_cache(big)
        cold = run_child(argv, rss=True)
        cold['cached_before_bytes'] = cached_before
        cold['cached_after_bytes'] = cached_bytes(big)
        read_through(big)
        read_big_s = read_through(big)
        runs = [run_child(argv) for _ in range(args.repeat + 1)][1:]
        peak = run_child(argv, rss=True)
        medium_argv = [cli, 'tensors', medium]
        medium_runs = [run_child(medium_argv) for _ in range(args.repeat + 1)][1:]
        with open(os.path.join(tmp, 'tensors.txt'), 'w') as f:
            subprocess.run(argv, check=True, stdout=f)
        with open(os.path.join(tmp, 'tensors.txt')) as f:
            listed = sum(1 for _ in f)
        result['tensors'] = {'command': shlex.join(argv), 'file_bytes': files['big']['file_bytes'],
                             'tensor_bytes': files['big']['tensor_bytes'], 'listed': listed,
                             'expected': files['big']['tensors'], 'read_file_warm_s': read_big_s,
                             'warm': {**summarize(runs), 'maxrss_kib': peak['maxrss_kib'],
                                      'rss_from': peak['rss_from']},
                             'cold': cold,
                             'medium': {'command': shlex.join(medium_argv), 'file_bytes':
                                        files['medium']['file_bytes'], **summarize(medium_runs)}}
        t = result['tensors']
        print(f"# tensors on big.pt: {ms(t['warm']['wall_s'])} warm, {ms(cold['wall_s'])} cold, "
              f"peak RSS {t['warm']['maxrss_kib']} KiB", flush=True)
    return result


def report(r, args):
    print()
    print(f"Median of {r['repeat']} runs after one warm-up, wall time, page cache warm; "
          f"medium.pt: {r['files']['medium']['tensors']} tensors, "
          f"{mib(r['files']['medium']['tensor_bytes'])} of tensor data "
          f"({mib(r['files']['medium']['file_bytes'])} file).")
    if 'verified' in r:
        v = r['verified']
        print(f"OUT checked against torch.load: {'identical' if v['ok'] else 'DIFFERENT: ' + '; '.join(v['problems'])} "
              f"({v['tensors']} tensors).")
    bw = r['memcpy']
    print()
    print('| what | time | user | sys | rate | of memcpy warm | of memcpy fresh | peak RSS | minor faults |')
    print('|---|---|---|---|---|---|---|---|---|')
    for row in r['safetensors']:
        print(f"| `pickle safetensors`, OUT on {row['where']} | {ms(row['wall_s'])} "
              f"(min {ms(row['min_wall_s'])}) | {ms(row['user_s'])} | {ms(row['sys_s'])} | "
              f"{gbs(row['bytes_per_s'])} | {row['of_memcpy_warm']:.0%} | "
              f"{row['of_memcpy_fresh']:.0%} | {mib(row['maxrss_kib'] * 1024)} | {row['minflt']:.0f} |")
        c = row['cp']
        print(f"| `cp` of the checkpoint, to {row['where']} | {ms(c['wall_s'])} | {ms(c['user_s'])} | "
              f"{ms(c['sys_s'])} | {gbs(c['bytes_per_s'])} | {c['bytes_per_s'] / bw['warm_bytes_per_s']:.0%} | "
              f"{c['bytes_per_s'] / bw['fresh_bytes_per_s']:.0%} | {mib(c['maxrss_kib'] * 1024)} | {c['minflt']:.0f} |")
    print(f"| memcpy of {mib(bw['bytes'])}, warm (4 KiB pages {gbs(bw['warm_4k_bytes_per_s'])}, "
          f"huge {gbs(bw['warm_huge_bytes_per_s'])}) | | | | {gbs(bw['warm_bytes_per_s'])} | 100% | | | |")
    print(f"| memcpy into fresh memory | | | | {gbs(bw['fresh_bytes_per_s'])} | | 100% | | |")
    if 'tensors' in r:
        t = r['tensors']
        w, c = t['warm'], t['cold']
        print()
        print(f"big.pt: {mib(t['file_bytes'])} file, {t['expected']} tensors "
              f"({mib(t['tensor_bytes'])}); `pickle tensors` listed {t['listed']}.")
        print()
        print('| `pickle tensors big.pt` | time | user | sys | peak RSS | RSS / file | time / reading the file | file bytes read |')
        print('|---|---|---|---|---|---|---|---|')
        print(f"| page cache warm | {ms(w['wall_s'])} (min {ms(w['min_wall_s'])}) | {ms(w['user_s'])} | "
              f"{ms(w['sys_s'])} | {mib(w['maxrss_kib'] * 1024)} | "
              f"{w['maxrss_kib'] * 1024 / t['file_bytes']:.2%} | "
              f"{w['wall_s'] / t['read_file_warm_s']:.2%} of {ms(t['read_file_warm_s'])} | |")
        read = c['cached_after_bytes']
        dropped = c['cached_before_bytes']
        read_text = ('?' if read is None else
                     f"{read / 1024:.0f} KiB ({read / t['file_bytes']:.3%}, read-ahead included)"
                     if dropped == 0 else f"? (the cache kept {mib(dropped)} after DONTNEED; after: {mib(read)})")
        print(f"| cold (after fsync + DONTNEED) | {ms(c['wall_s'])} | {ms(c['user_s'])} | {ms(c['sys_s'])} | "
              f"{mib(c['maxrss_kib'] * 1024)} | {c['maxrss_kib'] * 1024 / t['file_bytes']:.2%} | | "
              f"{read_text}; {c['majflt']} major faults |")
        m = t['medium']
        print(f"| for scale: `pickle tensors medium.pt` ({mib(m['file_bytes'])}), warm | {ms(m['wall_s'])} "
              f"(min {ms(m['min_wall_s'])}) | {ms(m['user_s'])} | {ms(m['sys_s'])} | | | | |")
    print()
    print(f"Peak RSS from {r['safetensors'][0]['rss_from']}, one extra run each; the mapped input "
          f"counts in it (file pages, not allocated memory).")
    print()
    print('Commands:')
    print(f"- `{' '.join(shlex.quote(a) for a in [sys.executable] + sys.argv)}`")
    for row in r['safetensors']:
        print(f"- `{row['command']}`  (and `{row['cp']['command']}`)")
    print(f"- `{bw['command']}`")
    if 'tensors' in r:
        print(f"- `{r['tensors']['command']}`, `{r['tensors']['medium']['command']}`")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(r, f, indent=1)


if __name__ == '__main__':
    main()
