#!/usr/bin/env python3
"""Side-by-side speed comparison of pickle++ and CPython's C accelerator (_pickle).

In one run it
  1. generates the workloads deterministically (a fixed seed; nothing is committed),
     each pickled by this CPython at protocols 2, 4 and 5;
  2. times pickle.loads and pickle.dumps in this process (median of --repeat runs,
     thread CPU time and wall time, the cyclic GC disabled as timeit does);
  3. runs `pickle bench FILE --repeat K --protocol P` on the same bytes;
  4. checks that pickle++ dumps the same bytes as CPython (`pickle convert`);
  5. measures peak memory (ru_maxrss) of a child process that only loads, each side;
  6. measures memcpy bandwidth (bench/memcpy_bw) to state the blob rate as a
     fraction of it;
  7. prints a table of ratios and writes a bar chart (PNG) and the raw figures (JSON).

It builds nothing unless asked: pass --build to run `cmake --preset release` and build
the two programs it needs, or --build-dir for an existing optimised build.

Run it with a CPython 3.11 that has numpy (for the ndarray workload) and matplotlib
(for the chart); on Debian 12, `bash scripts/install-bench-deps.sh` installs both for
the system python3:

    python3 scripts/bench-compare.py --build            # full sizes (minutes)
    python3 scripts/bench-compare.py --quick            # sizes / 10, for development
"""

import argparse
import gc
import json
import os
import pickle
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:
    import numpy
except ImportError:  # the ndarray workload is then made by hand and CPython not timed
    numpy = None


class Point:
    """The class of the `instances` workload (pickled as __main__.Point)."""


# ---------------------------------------------------------------------------
# Workloads. Sizes are the full ones; --quick divides them by ten.

def word(r, lo, hi):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_"
    return "".join(r.choice(alphabet) for _ in range(r.randint(lo, hi)))


def w_pyperf_mixed(r, n=20_000):
    """pyperformance-like: dicts, tuples and lists of mixed builtins."""
    out = []
    for i in range(n):
        out.append({
            "ints": [r.randrange(100000) - 500 for _ in range(10)],
            "strs": tuple(word(r, 3, 12) for _ in range(5)),
            "float": r.random() * 1e6,
            "pair": (i, word(r, 1, 8)),
            "flag": r.random() < 0.5,
            "nothing": None,
            "nested": {"a": [1, 2.5, "x"], "b": word(r, 4, 16).encode()},
        })
    return out


CITIES = ["Zurich", "Paris", "Lagos", "Lima", "Osaka", "Perth", "Oslo", "Quito"]


def w_records(r, n=200_000):
    """JSON-like records: ints, floats, short strs, a nested list."""
    return [{
        "id": i,
        "name": word(r, 5, 14),
        "city": r.choice(CITIES),
        "score": r.random() * 100,
        "balance": (r.random() - 0.5) * 1e4,
        "visits": r.randrange(1_000_000),
        "active": r.random() < 0.5,
        "tags": [word(r, 3, 8), word(r, 3, 8), r.randrange(100)],
    } for i in range(n)]


def w_short_strs(r, n=1_000_000):
    return [word(r, 4, 20) for _ in range(n)]


def w_mixed_ints(r, n=2_000_000):
    """Ints of 1, 2, 4 and 8 bytes, and 5% big ints of 9 to 40 bytes."""
    out = []
    for _ in range(n):
        pick = r.randrange(100)
        if pick < 30:
            out.append(r.randrange(256))
        elif pick < 50:
            out.append(r.randrange(65536))
        elif pick < 75:
            out.append(r.randrange(1 << 32) - (1 << 31))
        elif pick < 95:
            out.append(r.randrange(1 << 64) - (1 << 63))
        else:
            out.append(r.randrange(1 << (8 * r.randint(9, 40))) - (1 << 70))
    return out


def w_floats(r, n=2_000_000):
    return [(r.random() - 0.5) * 1e9 for _ in range(n)]


def w_blobs(r, size=64 << 20, count=3):
    return [r.randbytes(size) for _ in range(count)]


def w_instances(r, n=100_000):
    """Class instances: NEWOBJ + BUILD with a dict state."""
    out = []
    for _ in range(n):
        p = Point()
        p.x = r.randrange(1000)
        p.y = r.random()
        p.label = word(r, 2, 10)
        out.append(p)
    return out


def w_shared_graph(r, groups=10_000, members=200_000):
    """Shared references and cycles: member -> group -> members -> member, member -> itself."""
    tags = [(word(r, 3, 9), k) for k in range(64)]
    gs = [{"gid": i, "members": []} for i in range(groups)]
    out = []
    for i in range(members):
        g = r.choice(gs)
        m = {"id": i, "group": g}
        m["self"] = m
        m["tag"] = r.choice(tags)
        g["members"].append(m)
        out.append(m)
    return out


def w_ndarray(r, n=8 << 20):
    """A float64 ndarray of 64 MiB (numpy's own reduce), or None without numpy."""
    if numpy is None:
        return None
    return numpy.sin(numpy.arange(n, dtype=numpy.float64)) * 1000


def ndarray_by_hand(n, protocol):
    """The shape numpy writes (_reconstruct + BUILD with the raw data), for when numpy
    is not installed: CPython cannot load it then, so only pickle++ is timed."""
    raw = b"".join(int(i % 251).to_bytes(8, "little") for i in range(1024)) * (n // 1024)

    def glob(module, name):
        return b"c" + module.encode() + b"\n" + name.encode() + b"\n"

    def short(s):  # a short str
        b = s.encode()
        return (b"\x8c" + bytes([len(b)]) if protocol >= 4 else b"X" + len(b).to_bytes(4, "little")) + b

    if protocol >= 3:
        blob = (b"\x8e" + len(raw).to_bytes(8, "little") if protocol >= 4
                else b"B" + len(raw).to_bytes(4, "little")) + raw
        small = b"C\x01b"
    else:  # bytes as CPython 3 writes them below protocol 3
        def encoded(b):
            text = b.decode("latin-1").encode("utf-8")
            return (glob("_codecs", "encode") + b"X" + len(text).to_bytes(4, "little") + text +
                    b"X\x06\x00\x00\x00latin1\x86R")
        blob = encoded(raw)
        small = encoded(b"b")
    dtype = (glob("numpy", "dtype") + short("f8") + b"\x89\x88\x87R" +
             b"(K\x03" + short("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
    body = (glob("numpy.core.multiarray", "_reconstruct") + glob("numpy", "ndarray") +
            b"K\x00\x85" + small + b"\x87R" +
            b"(K\x01J" + (n).to_bytes(4, "little") + b"\x85" + dtype + b"\x89" + blob + b"tb.")
    return b"\x80" + bytes([protocol]) + body


WORKLOADS = [
    ("pyperf_mixed", w_pyperf_mixed),
    ("records", w_records),
    ("short_strs", w_short_strs),
    ("mixed_ints", w_mixed_ints),
    ("floats", w_floats),
    ("blobs", w_blobs),
    ("instances", w_instances),
    ("shared_graph", w_shared_graph),
    ("ndarray", w_ndarray),
]
BLOB_WORKLOADS = {"blobs", "ndarray"}

# Sizes for --quick: each maker's size arguments divided by ten.
QUICK = {
    "pyperf_mixed": dict(n=2_000), "records": dict(n=20_000), "short_strs": dict(n=100_000),
    "mixed_ints": dict(n=200_000), "floats": dict(n=200_000), "blobs": dict(size=8 << 20),
    "instances": dict(n=10_000), "shared_graph": dict(groups=1_000, members=20_000),
    "ndarray": dict(n=1 << 20),
}

# The child that measures CPython's peak memory on load: reads the file, loads it.
PY_CHILD = r"""
import gc, pickle, sys
class Point: pass
data = open(sys.argv[1], 'rb').read()
if sys.argv[2] == 'load':
    obj = pickle.loads(data)
# VmHWM: ru_maxrss would include what the (large) parent had when it started us.
print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])
"""


# ---------------------------------------------------------------------------
# Measuring

def time_python(fn, repeat):
    """Median thread-CPU and wall nanoseconds of fn() over `repeat` runs, GC off."""
    cpu, wall = [], []
    result = None
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            result = None
            c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
            result = fn()
            w1, c1 = time.perf_counter_ns(), time.thread_time_ns()
            cpu.append(c1 - c0)
            wall.append(w1 - w0)
    finally:
        if gc_was:
            gc.enable()
    return int(statistics.median(cpu)), int(statistics.median(wall)), result


def py_peak_rss_kib(argv):
    """Runs the CPython child and returns the peak resident memory it reports, KiB."""
    return int(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)


def run_json(argv):
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def machine_info(build_dir):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    compiler, flags, build_type = "?", "", "?"
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            cache = dict(line.rstrip("\n").split("=", 1) for line in f
                         if "=" in line and not line.startswith(("#", "//")))
        compiler_path = cache.get("CMAKE_CXX_COMPILER:FILEPATH", "c++")
        compiler = subprocess.run([compiler_path, "--version"], capture_output=True,
                                  text=True).stdout.splitlines()[0]
        build_type = cache.get("CMAKE_BUILD_TYPE:STRING", "?")
        flags = (cache.get("CMAKE_CXX_FLAGS:STRING", "") + " " +
                 cache.get(f"CMAKE_CXX_FLAGS_{build_type.upper()}:STRING", "")).strip()
    except (OSError, IndexError, ValueError):
        pass
    return {
        "cpu": cpu, "nproc": os.cpu_count(), "kernel": platform.release(),
        "python": sys.version.split()[0], "python_executable_name": os.path.basename(sys.executable),
        "numpy": numpy.__version__ if numpy is not None else None,
        "compiler": compiler, "build_type": build_type, "cxx_flags": flags,
        "load_average": os.getloadavg()[0],
    }


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", action="store_true",
                    help="configure and build the release preset first (targets pickle_cli, memcpy_bw)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build", "release"),
                    help="an optimised build with bench/ (default: build/release)")
    ap.add_argument("--quick", action="store_true", help="sizes divided by ten")
    ap.add_argument("--repeat", type=int, default=None, help="timed runs per figure (default 5, 3 with --quick)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds alternating CPython and pickle++ (default 3); figures and "
                         "ratios are medians over the rounds")
    ap.add_argument("--protocols", default="2,4,5")
    ap.add_argument("--only", default="", help="comma-separated workload names")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    ap.add_argument("--png", default=os.path.join(ROOT, "docs", "performance.png"),
                    help="where to write the chart ('' for none)")
    ap.add_argument("--json", default="", help="also write every figure to this file")
    ap.add_argument("--keep", default="", help="write the workload pickles to this directory and keep them")
    ap.add_argument("--baseline", default="",
                    help="another optimised build (a directory like --build-dir, e.g. of an earlier "
                         "commit) run in the same rounds: adds its figures and pickle++'s time over "
                         "the baseline's per workload, to compare two versions at the same time")
    ap.add_argument("--markdown", default="",
                    help="also write the tables of docs/performance.md (ratios, blob rates, peak memory) to this file")
    args = ap.parse_args()
    repeat = args.repeat or (3 if args.quick else 5)
    protocols = [int(p) for p in args.protocols.split(",")]
    only = set(filter(None, args.only.split(",")))

    if args.build:
        subprocess.run(["cmake", "--preset", "release", "-B", args.build_dir], cwd=ROOT, check=True)
        subprocess.run(["cmake", "--build", args.build_dir, "-j", str(os.cpu_count() or 2),
                        "--target", "pickle_cli", "memcpy_bw"], cwd=ROOT, check=True)
    cli = os.path.join(args.build_dir, "pickle")
    memcpy_bw = os.path.join(args.build_dir, "bench", "memcpy_bw")
    args.baseline_cli = os.path.join(args.baseline, "pickle") if args.baseline else ""
    for exe in (cli, memcpy_bw) + ((args.baseline_cli,) if args.baseline else ()):
        if not os.access(exe, os.X_OK):
            sys.exit(f"bench-compare: {exe} not found; pass --build or --build-dir")

    info = machine_info(args.build_dir)
    print(f"# {info['cpu']}, {info['nproc']} CPUs, Python {info['python']}, {info['compiler']}, "
          f"{info['build_type']} {info['cxx_flags']}", flush=True)
    if numpy is None:
        print("# numpy is not installed: the ndarray workload is made by hand and only "
              "pickle++ loads it", flush=True)

    bw = run_json([memcpy_bw, "64", "9"])
    print(f"# memcpy of 64 MiB: {bw['warm_bytes_per_s'] / 1e9:.2f} GB/s between touched buffers "
          f"(4 KiB pages {bw['warm_4k_bytes_per_s'] / 1e9:.2f}, huge pages "
          f"{bw['warm_huge_bytes_per_s'] / 1e9:.2f}), {bw['fresh_bytes_per_s'] / 1e9:.2f} GB/s "
          f"into fresh memory", flush=True)

    workdir = args.keep or tempfile.mkdtemp(prefix="pickle-bench-")
    os.makedirs(workdir, exist_ok=True)
    rows = []
    try:
        for name, maker in WORKLOADS:
            if only and name not in only:
                continue
            kwargs = QUICK[name] if args.quick else {}
            obj = maker(random.Random(f"pickle++ {name}"), **kwargs)
            for proto in protocols:
                rows.append(measure(name, obj, proto, kwargs, repeat, cli, workdir, args))
                print_row(rows[-1], bw)
            del obj
            gc.collect()
    finally:
        if not args.keep:
            for f in os.listdir(workdir):
                os.unlink(os.path.join(workdir, f))
            os.rmdir(workdir)

    summary = summarize(rows)
    print_summary(summary)
    if args.baseline:
        print_baseline(rows, args.baseline)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "memcpy": bw, "repeat": repeat, "rounds": args.rounds, "quick": args.quick,
                       "rows": rows, "summary": summary}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(rows, summary, bw))
            if args.baseline:
                f.write("\n" + baseline_markdown(rows))
    if args.png:
        chart(rows, args.png, info, args.quick)


def measure(name, obj, proto, kwargs, repeat, cli, workdir, args):
    row = {"workload": name, "protocol": proto}
    if obj is None:  # ndarray without numpy
        data = ndarray_by_hand(kwargs.get("n", 8 << 20), proto)
    else:
        data = pickle.dumps(obj, protocol=proto)
    path = os.path.join(workdir, f"{name}-p{proto}.pkl")
    with open(path, "wb") as f:
        f.write(data)
    row["bytes"] = len(data)

    # Rounds alternate the two sides, so a change in the machine's load between them
    # (it is shared) moves one round's ratio, not the reported one: each figure is the
    # median over rounds of a median over `repeat` runs, and each ratio the median of
    # the rounds' ratios.
    rounds = []
    for _ in range(args.rounds):
        r = {}
        if obj is not None:
            r["py_load_cpu_ns"], r["py_load_ns"], loaded = time_python(
                lambda: pickle.loads(data), repeat)
            r["py_dump_cpu_ns"], r["py_dump_ns"], _ = time_python(
                lambda: pickle.dumps(loaded, protocol=proto), repeat)
            del loaded
        ours = run_json([cli, "bench", path, "--repeat", str(repeat), "--protocol", str(proto)])
        r.update({"pp_" + k: v for k, v in ours.items()})
        if args.baseline_cli:
            base = run_json([args.baseline_cli, "bench", path, "--repeat", str(repeat), "--protocol", str(proto)])
            r.update({"base_" + k: v for k, v in base.items()})
        rounds.append(r)
    for k, v in rounds[0].items():
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
        row[k] = int(statistics.median(r[k] for r in rounds)) if numeric else v
    if obj is not None:
        for side in ("load", "dump"):
            row[side + "_ratio"] = statistics.median(
                r[f"py_{side}_cpu_ns"] / max(1, r[f"pp_{side}_cpu_ns"]) for r in rounds)
            row[side + "_ratio_wall"] = statistics.median(
                r[f"py_{side}_ns"] / max(1, r[f"pp_{side}_ns"]) for r in rounds)
    if args.baseline_cli:
        for side in ("load", "dump"):
            row[side + "_vs_baseline"] = statistics.median(
                r[f"pp_{side}_cpu_ns"] / max(1, r[f"base_{side}_cpu_ns"]) for r in rounds)
    # Byte identity of what we write, as the design promises.
    out = path + ".out"
    subprocess.run([cli, "convert", "--protocol", str(proto), path, out], check=True)
    with open(out, "rb") as f:
        row["identical"] = f.read() == data
    os.unlink(out)

    if not args.no_memory:
        row["pp_rss_kib"] = run_json([cli, "bench", path, "--repeat", "1", "--no-dump"])["peak_rss_kib"]
        if obj is not None:
            child = [sys.executable, "-c", PY_CHILD, path]
            row["py_rss_kib"] = py_peak_rss_kib(child + ["load"])
            row["py_rss_base_kib"] = py_peak_rss_kib(child + ["read"])
    if not args.keep:
        os.unlink(path)
    return row


def ms(ns):
    return f"{ns / 1e6:9.2f}" if ns is not None else "        -"


HEADER_PRINTED = []


def print_row(r, bw):
    if not HEADER_PRINTED:
        print(f"{'workload':<14}{'p':>2}{'MB':>8} | {'py load':>9}{'pp load':>9}{'ratio':>7} | "
              f"{'py dump':>9}{'pp dump':>9}{'ratio':>7} | {'same':>4} | {'py MiB':>7}{'pp MiB':>7}"
              f" | blob/memcpy", flush=True)
        HEADER_PRINTED.append(True)
    lr = f"{r['load_ratio']:7.2f}" if "load_ratio" in r else "      -"
    dr = f"{r['dump_ratio']:7.2f}" if "dump_ratio" in r else "      -"
    mem = ""
    if "pp_rss_kib" in r:
        py = f"{r['py_rss_kib'] / 1024:7.0f}" if "py_rss_kib" in r else "      -"
        mem = f"{py}{r['pp_rss_kib'] / 1024:7.0f}"
    else:
        mem = " " * 14
    blob = ""
    if r["workload"] in BLOB_WORKLOADS:
        # A fresh graph draws warm blocks from the pool (pickle bench uses one), so both rates are
        # compared with memcpy between touched buffers.
        fresh = r["bytes"] / (r["pp_load_ns"] / 1e9)
        reuse = r["bytes"] / (r["pp_load_reuse_ns"] / 1e9)
        r["blob_fraction_fresh"] = fresh / bw["warm_bytes_per_s"]
        r["blob_fraction_reuse"] = reuse / bw["warm_bytes_per_s"]
        blob = (f"fresh graph {fresh / 1e9:.2f} GB/s = {r['blob_fraction_fresh']:.2f}, reused "
                f"{reuse / 1e9:.2f} GB/s = {r['blob_fraction_reuse']:.2f}")
    print(f"{r['workload']:<14}{r['protocol']:>2}{r['bytes'] / 1e6:8.1f} | "
          f"{ms(r.get('py_load_cpu_ns'))}{ms(r['pp_load_cpu_ns'])}{lr} | "
          f"{ms(r.get('py_dump_cpu_ns'))}{ms(r['pp_dump_cpu_ns'])}{dr} | "
          f"{'yes' if r['identical'] else 'NO':>4} | {mem} | {blob}", flush=True)


def summarize(rows):
    timed = [r for r in rows if "load_ratio" in r]
    if not timed:
        return {}
    s = {}
    for what in ("load", "dump"):
        ratios = [r[what + "_ratio"] for r in timed]
        s[what] = {
            "median": statistics.median(ratios), "min": min(ratios),
            "meets_3x": [f"{r['workload']}/p{r['protocol']}" for r in timed if r[what + "_ratio"] >= 3],
            "below_3x": [f"{r['workload']}/p{r['protocol']}" for r in timed if r[what + "_ratio"] < 3],
            "below_1_5x": [f"{r['workload']}/p{r['protocol']}" for r in timed if r[what + "_ratio"] < 1.5],
        }
    return s


def print_summary(s):
    for what, d in s.items():
        print(f"# {what}: median ratio {d['median']:.2f}, lowest {d['min']:.2f}; "
              f"below 3x: {', '.join(d['below_3x']) or 'none'}; "
              f"below 1.5x: {', '.join(d['below_1_5x']) or 'none'}")


def geomean(xs):
    xs = list(xs)
    return statistics.geometric_mean(xs) if xs else float("nan")


def print_baseline(rows, baseline):
    print(f"# against {baseline}: CPU time of this build over the baseline's (below 1: faster)")
    for r in rows:
        print(f"{r['workload']:<14}{r['protocol']:>2}  load {r['load_vs_baseline']:6.3f}  "
              f"dump {r['dump_vs_baseline']:6.3f}")
    print(f"# geometric mean: load {geomean(r['load_vs_baseline'] for r in rows):.3f}, "
          f"dump {geomean(r['dump_vs_baseline'] for r in rows):.3f}")


def baseline_markdown(rows):
    out = ["| workload | proto | baseline load ms | load ms | **load after/before** "
           "| baseline dump ms | dump ms | **dump after/before** |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(
            f"| {r['workload']} | {r['protocol']} | {r['base_load_cpu_ns'] / 1e6:,.1f} "
            f"| {r['pp_load_cpu_ns'] / 1e6:,.1f} | **{r['load_vs_baseline']:.3f}** "
            f"| {r['base_dump_cpu_ns'] / 1e6:,.1f} | {r['pp_dump_cpu_ns'] / 1e6:,.1f} "
            f"| **{r['dump_vs_baseline']:.3f}** |")
    out += ["", f"Geometric mean, after over before: load "
            f"{geomean(r['load_vs_baseline'] for r in rows):.3f}, dump "
            f"{geomean(r['dump_vs_baseline'] for r in rows):.3f}.", ""]
    return "\n".join(out)


def markdown(rows, summary, bw):
    """The run's tables as docs/performance.md shows them."""
    def f(x, digits=1):
        return "-" if x is None else f"{x:,.{digits}f}"

    out = ["| workload | proto | pickle MB | nodes | CPython load ms | pickle++ load ms | **load ratio** "
           "| CPython dump ms | pickle++ dump ms | **dump ratio** | same bytes |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    for r in rows:
        py_load, py_dump = r.get("py_load_cpu_ns"), r.get("py_dump_cpu_ns")
        out.append(
            f"| {r['workload']} | {r['protocol']} | {r['bytes'] / 1e6:.1f} | {r['pp_objects']:,} "
            f"| {f(py_load and py_load / 1e6)} | {f(r['pp_load_cpu_ns'] / 1e6)} "
            f"| **{f(r.get('load_ratio'), 2)}** | {f(py_dump and py_dump / 1e6)} "
            f"| {f(r['pp_dump_cpu_ns'] / 1e6)} | **{f(r.get('dump_ratio'), 2)}** "
            f"| {'yes' if r['identical'] else 'no'} |")
    for what, d in summary.items():
        out.append("")
        out.append(f"{what}: median ratio {d['median']:.2f}, lowest {d['min']:.2f}; "
                   f"{len(d['meets_3x'])} of {len(d['meets_3x']) + len(d['below_3x'])} at 3x or more; "
                   f"below 3x: {', '.join(d['below_3x']) or 'none'}; "
                   f"below 1.5x: {', '.join(d['below_1_5x']) or 'none'}.")
    blobs = [r for r in rows if "blob_fraction_fresh" in r]
    if blobs:
        out += ["", f"memcpy yardstick: {bw['warm_bytes_per_s'] / 1e9:.1f} GB/s between touched buffers "
                f"({bw['fresh_bytes_per_s'] / 1e9:.2f} GB/s into fresh memory).", "",
                "| workload | proto | fresh graph GB/s | fraction of memcpy | reused graph GB/s "
                "| fraction of memcpy | CPython GB/s |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for r in blobs:
            py = r.get("py_load_ns")
            out.append(
                f"| {r['workload']} | {r['protocol']} | {r['bytes'] / r['pp_load_ns']:.1f} "
                f"| {r['blob_fraction_fresh']:.2f} | {r['bytes'] / r['pp_load_reuse_ns']:.1f} "
                f"| {r['blob_fraction_reuse']:.2f} | {f(py and r['bytes'] / py, 2)} |")
    mem = [r for r in rows if "pp_rss_kib" in r]
    if mem:
        out += ["", "| workload | proto | CPython peak MiB (before loading) | pickle++ peak MiB |",
                "|---|---:|---:|---:|"]
        for r in mem:
            py = (f"{r['py_rss_kib'] / 1024:.0f} ({r['py_rss_base_kib'] / 1024:.0f})"
                  if "py_rss_kib" in r else "-")
            out.append(f"| {r['workload']} | {r['protocol']} | {py} | {r['pp_rss_kib'] / 1024:.0f} |")
    return "\n".join(out) + "\n"


def chart(rows, path, info, quick):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("# matplotlib is not installed: no chart", file=sys.stderr)
        return
    timed = [r for r in rows if "load_ratio" in r]
    labels = [f"{r['workload']}\np{r['protocol']}" for r in timed]
    xs = range(len(timed))
    fig, ax = plt.subplots(figsize=(13, 4.8))
    w = 0.4
    ax.bar([x - w / 2 for x in xs], [r["load_ratio"] for r in timed], w, label="load")
    ax.bar([x + w / 2 for x in xs], [r["dump_ratio"] for r in timed], w, label="dump")
    ax.axhline(3, color="black", linestyle="--", linewidth=1, label="3x goal")
    ax.axhline(1, color="grey", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, fontsize=7, rotation=60)
    ax.set_ylabel("speed-up over CPython _pickle (log)")
    ax.set_title(f"pickle++ vs CPython {info['python']} _pickle, CPU time, median of runs"
                 + (" (quick sizes)" if quick else ""), fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=72)
    print(f"# chart: {os.path.relpath(path, ROOT)} ({os.path.getsize(path) // 1024} KiB)")


if __name__ == "__main__":
    main()
