#!/usr/bin/env python3
"""pickle++'s JSON (pickle json / from-json) beside CPython's json and pickle, in one run.

The workloads are made here with this CPython (3.11) at run time; nothing is committed:
  records    bench-compare.py's records: 200,000 dicts of ints, floats, short strs,
             a bool and a nested list (its w_records, with its seed)
  floats     a list of 1,000,000 floats (bench-compare.py's w_floats)
  text_dict  a dict of 5,000 long non-ASCII strs (accents, CJK, Hangul, emoji)
Each is pickled at protocol 4 (`P`) and written as JSON twice: J = json.dumps(obj) (the
plain JSON from_json also reads) and L = `pickle json P` (the lossless mapping).

Both directions are timed in-process on both sides, with both heaps warm: CPython runs
with PYTHONMALLOC=malloc and glibc keeping freed memory (MALLOC_TRIM_THRESHOLD_,
MALLOC_MMAP_THRESHOLD_), as pickle++ does; each side runs an operation once to warm up
and reports the median of --repeat runs, in this thread's CPU time (the machine may be
shared; the wall times are in --json). Neither side times freeing its result.
  pickle -> JSON   CPython  s = json.dumps(pickle.loads(P))
                   pickle++ loads + to_json (lossless: `pickle json`; and plain)
  JSON -> pickle   CPython  b = pickle.dumps(json.loads(J), protocol=4), J read as a str
                   pickle++ from_json + dumps at protocol 4, of J and of L
pickle++'s figures come from bench/json_bench.cpp (pickle_json_bench), each with a fresh
Graph per run (the figure compared with CPython, as `pickle bench`'s load_ns) and with
one Graph cleared and reused (the fast path, load_reuse_ns). --rounds alternate the
two sides; a figure is the median over rounds and a ratio the median of the rounds'
ratios. The outputs are checked: plain to_json against json.dumps's text, from_json of
L against P, from_json of J against CPython's pickle.dumps(json.loads(J)).

Then bench/json_parsers.cpp (pickle_json_parsers) compares simdjson's On-Demand parser
(from_json's) with nlohmann-json, SAX and DOM, on the same JSON texts plus a list of
long strs, in MB/s.

    python3 scripts/bench-json.py --build-dir build/release [--repeat 5] [--rounds 3]
    python3 scripts/bench-json.py --quick --markdown   # sizes / 10; markdown tables
"""
import argparse
import gc
import importlib.util
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


def bench_compare():
    """scripts/bench-compare.py as a module (its name has a dash), for its workloads."""
    spec = importlib.util.spec_from_file_location(
        "bench_compare", os.path.join(ROOT, "scripts", "bench-compare.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# Workloads

# Words of non-ASCII text: Latin with accents, CJK, Hangul, Greek, Cyrillic, emoji
# (outside the BMP: a surrogate pair in json.dumps's \u escapes).
LETTERS = ("abcdefghijklmnopqrstuvwxyz" "éèêàâüöäßçñøå" "日本語中文字漢" "한국어" "αβγδ"
           "жзий" "😀🐍🎉✓€—")


def vocabulary(r, n, letters):
    return ["".join(r.choice(letters) for _ in range(r.randint(2, 10))) for _ in range(n)]


def w_text_dict(r, n=5_000):
    """A dict of long non-ASCII strs (200 to 2,000 characters), str keys."""
    words = vocabulary(r, 2000, LETTERS)
    return {f"key_{i:05d}": " ".join(r.choices(words, k=r.randint(35, 350))) for i in range(n)}


def w_long_strs(r, n=10_000):
    """For the parsers only: a list of long strs, mostly ASCII (1 to 3 KB each)."""
    words = vocabulary(r, 2000, "abcdefghijklmnopqrstuvwxyz" * 8 + "ABCDEFG.,;:'" + LETTERS)
    return [" ".join(r.choices(words, k=r.randint(150, 450))) for _ in range(n)]


def workloads(quick):
    bc = bench_compare()
    div = 10 if quick else 1
    return [
        # name, maker, size, also timed (False: a text for the parsers only)
        ("records", bc.w_records, 200_000 // div, True),
        ("floats", bc.w_floats, 1_000_000 // div, True),
        ("text_dict", w_text_dict, 5_000 // div, True),
        ("long_strs", w_long_strs, 10_000 // div, False),
    ]


# ---------------------------------------------------------------------------
# CPython's side: a child process with the warm-heap environment

def time_python(fn, repeat):
    """Median thread-CPU and wall ns of fn() over `repeat` runs after one warm-up run,
    the cyclic GC off (as timeit). fn returns what it made; it is freed untimed."""
    cpu, wall = [], []
    gc.disable()
    try:
        result = fn()
        for _ in range(repeat):
            result = None
            c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
            result = fn()
            w1, c1 = time.perf_counter_ns(), time.thread_time_ns()
            cpu.append(c1 - c0)
            wall.append(w1 - w0)
        return int(statistics.median(cpu)), int(statistics.median(wall)), result
    finally:
        gc.enable()


def cpython_side(args):
    base = os.path.join(args.dir, args.cpython_side)
    with open(base + ".pkl", "rb") as f:
        p = f.read()
    with open(base + ".json", encoding="utf-8") as f:
        j = f.read()  # a str: json.loads then has no bytes to decode (its best case)
    out = {}

    def to_json():  # the loaded object is freed after the clock stops, as pickle++'s graph
        obj = pickle.loads(p)
        return obj, json.dumps(obj)

    def from_json():
        obj = json.loads(j)
        return obj, pickle.dumps(obj, protocol=4)

    out["to_json_cpu_ns"], out["to_json_ns"], (obj, text) = time_python(to_json, args.repeat)
    out["same_text"] = text == j  # json.dumps is deterministic: a sanity check
    out["loads_cpu_ns"], _, _ = time_python(lambda: pickle.loads(p), args.repeat)
    out["dumps_json_cpu_ns"], _, _ = time_python(lambda: json.dumps(obj), args.repeat)
    del obj, text
    out["from_json_cpu_ns"], out["from_json_ns"], (obj, data) = time_python(from_json, args.repeat)
    out["json_loads_cpu_ns"], _, _ = time_python(lambda: json.loads(j), args.repeat)
    out["pickle_dumps_cpu_ns"], _, _ = time_python(lambda: pickle.dumps(obj, protocol=4),
                                                   args.repeat)
    with open(base + ".cpython_from_json.pkl", "wb") as f:
        f.write(data)
    print(json.dumps(out))


# ---------------------------------------------------------------------------
# The run

def run_json(argv, env=None):
    return json.loads(subprocess.run(argv, check=True, stdout=subprocess.PIPE, env=env).stdout)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def prepare(name, maker, size, timed, tmp, cli):
    """Writes NAME.pkl, NAME.json (json.dumps) and NAME.lossless.json (`pickle json`)."""
    obj = maker(random.Random(f"pickle++ {name}"), size)
    base = os.path.join(tmp, name)
    info = {"name": name, "size": size, "timed": timed}
    with open(base + ".json", "w", encoding="utf-8") as f:
        # A parser text only: as the lossless mapping writes text, UTF-8 (not escaped).
        f.write(json.dumps(obj) if timed else json.dumps(obj, ensure_ascii=False))
    if timed:
        data = pickle.dumps(obj, protocol=4)
        with open(base + ".pkl", "wb") as f:
            f.write(data)
        subprocess.run([cli, "json", base + ".pkl", base + ".lossless.json"], check=True)
        info["pickle_bytes"] = len(data)
        info["lossless_bytes"] = os.path.getsize(base + ".lossless.json")
    info["json_bytes"] = os.path.getsize(base + ".json")
    return info


def measure(info, tmp, exe, env, args):
    name = info["name"]
    base = os.path.join(tmp, name)
    out_dir = os.path.join(tmp, name + ".out")
    os.makedirs(out_dir, exist_ok=True)
    rounds = []
    for _ in range(args.rounds):
        cp = run_json([sys.executable, os.path.abspath(__file__), "--cpython-side", name, "--dir",
                       tmp, "--repeat", str(args.repeat)], env)
        pp = run_json([exe, base + ".pkl", base + ".json", base + ".lossless.json", "--repeat",
                       str(args.repeat), "--out", out_dir], env)
        rounds.append((cp, pp))

    def med(f):
        return statistics.median(f(cp, pp) for cp, pp in rounds)

    row = dict(info)
    cp0, pp0 = rounds[0]
    # pickle -> JSON
    py = "to_json_cpu_ns"
    row["py_to_json_ms"] = med(lambda cp, pp: cp[py]) / 1e6
    row["py_loads_ms"] = med(lambda cp, pp: cp["loads_cpu_ns"]) / 1e6
    row["py_json_dumps_ms"] = med(lambda cp, pp: cp["dumps_json_cpu_ns"]) / 1e6
    for kind in ("to_json", "plain"):
        for how, key in (("fresh", "cpu_ns"), ("reuse", "reuse_cpu_ns")):
            row[f"pp_{kind}_{how}_ms"] = med(lambda cp, pp: pp[kind][key]) / 1e6
            row[f"{kind}_{how}_ratio"] = med(lambda cp, pp: cp[py] / max(1, pp[kind][key]))
        row[f"{kind}_wall_ratio"] = med(lambda cp, pp: cp["to_json_ns"] / max(1, pp[kind]["ns"]))
        row[f"pp_{kind}_load_ms"] = med(lambda cp, pp: pp[kind]["reuse_load_cpu_ns"]) / 1e6
        row[f"pp_{kind}_write_ms"] = med(lambda cp, pp: pp[kind]["reuse_write_cpu_ns"]) / 1e6
    # JSON -> pickle: [0] of J (json.dumps), [1] of L (lossless)
    py = "from_json_cpu_ns"
    row["py_from_json_ms"] = med(lambda cp, pp: cp[py]) / 1e6
    row["py_json_loads_ms"] = med(lambda cp, pp: cp["json_loads_cpu_ns"]) / 1e6
    row["py_pickle_dumps_ms"] = med(lambda cp, pp: cp["pickle_dumps_cpu_ns"]) / 1e6
    for i, kind in enumerate(("from_plain", "from_lossless")):
        for how, key in (("fresh", "cpu_ns"), ("reuse", "reuse_cpu_ns")):
            row[f"pp_{kind}_{how}_ms"] = med(lambda cp, pp: pp["from_json"][i][key]) / 1e6
            row[f"{kind}_{how}_ratio"] = med(lambda cp, pp: cp[py] / max(1, pp["from_json"][i][key]))
        row[f"{kind}_wall_ratio"] = med(
            lambda cp, pp: cp["from_json_ns"] / max(1, pp["from_json"][i]["ns"]))
        row[f"pp_{kind}_parse_ms"] = med(lambda cp, pp: pp["from_json"][i]["reuse_parse_cpu_ns"]) / 1e6
        row[f"pp_{kind}_dump_ms"] = med(lambda cp, pp: pp["from_json"][i]["reuse_dump_cpu_ns"]) / 1e6
    row["peak_rss_mib"] = max(pp["peak_rss_kib"] for _, pp in rounds) / 1024

    # What the two sides made.
    p = read(base + ".pkl")
    j = read(base + ".json")
    row["py_same_text"] = all(cp["same_text"] for cp, _ in rounds)
    row["plain_same_as_json_dumps"] = read(os.path.join(out_dir, "plain.json")) == j
    row["lossless_same_as_cli"] = (read(os.path.join(out_dir, "to_json.json")) + b"\n" ==
                                   read(base + ".lossless.json"))
    row["from_lossless_same_as_pickle"] = read(os.path.join(out_dir, "from_json_1.pkl")) == p
    row["from_plain_same_as_cpython"] = (read(os.path.join(out_dir, "from_json_0.pkl")) ==
                                         read(base + ".cpython_from_json.pkl"))
    if not row["from_plain_same_as_cpython"]:
        # Not byte-identical: is it at least the same object?
        row["from_plain_equal_object"] = (
            pickle.loads(read(os.path.join(out_dir, "from_json_0.pkl"))) == json.loads(j))
    row["rounds"] = [{"cpython": cp, "pickle++": pp} for cp, pp in rounds]
    return row


def yes(b):
    return "yes" if b else "NO"


def tables(rows, parsers, md):
    """The tables as lines: aligned text, or markdown with md."""
    out = []

    def table(header, body):
        if md:
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
            out.extend("| " + " | ".join(r) + " |" for r in body)
        else:
            widths = [max(len(x) for x in col) for col in zip(header, *body)]
            for r in [header] + body:
                out.append("  ".join(x.rjust(w) if i else x.ljust(w)
                                     for i, (x, w) in enumerate(zip(r, widths))))
        out.append("")

    ms = lambda x: f"{x:,.1f}"
    rx = lambda x: f"**{x:.2f}×**" if md else f"{x:.2f}x"
    out.append("pickle -> JSON: CPython json.dumps(pickle.loads(P)) against pickle++ loads + "
               "to_json; ms of CPU time, ratio = CPython / pickle++ (fresh graph; reused graph)")
    out.append("")
    table(["workload", "pickle MB", "JSON MB", "CPython ms", "lossless ms", "×", "reused ms", "×",
           "plain ms", "×", "reused ms", "×", "plain = json.dumps"],
          [[r["name"], f"{r['pickle_bytes'] / 1e6:.1f}", f"{r['json_bytes'] / 1e6:.1f}",
            ms(r["py_to_json_ms"]), ms(r["pp_to_json_fresh_ms"]), rx(r["to_json_fresh_ratio"]),
            ms(r["pp_to_json_reuse_ms"]), rx(r["to_json_reuse_ratio"]),
            ms(r["pp_plain_fresh_ms"]), rx(r["plain_fresh_ratio"]),
            ms(r["pp_plain_reuse_ms"]), rx(r["plain_reuse_ratio"]),
            yes(r["plain_same_as_json_dumps"])] for r in rows])
    out.append("JSON -> pickle: CPython pickle.dumps(json.loads(J), protocol=4) against pickle++ "
               "from_json + dumps (protocol 4) of J and of the lossless L")
    out.append("")
    table(["workload", "J MB", "L MB", "CPython ms", "from J ms", "×", "reused ms", "×",
           "from L ms", "×", "reused ms", "×", "J: CPython's bytes", "L: P again"],
          [[r["name"], f"{r['json_bytes'] / 1e6:.1f}", f"{r['lossless_bytes'] / 1e6:.1f}",
            ms(r["py_from_json_ms"]), ms(r["pp_from_plain_fresh_ms"]),
            rx(r["from_plain_fresh_ratio"]), ms(r["pp_from_plain_reuse_ms"]),
            rx(r["from_plain_reuse_ratio"]), ms(r["pp_from_lossless_fresh_ms"]),
            rx(r["from_lossless_fresh_ratio"]), ms(r["pp_from_lossless_reuse_ms"]),
            rx(r["from_lossless_reuse_ratio"]),
            yes(r["from_plain_same_as_cpython"]) + (
                "" if r["from_plain_same_as_cpython"] else
                (" (equal object)" if r.get("from_plain_equal_object") else " (DIFFERENT object)")),
            yes(r["from_lossless_same_as_pickle"])] for r in rows])
    out.append("The phases apart, ms of CPU time (pickle++: the reused-graph runs; CPython's "
               "phases alone run on one object again and again, so its pickle.dumps finds the "
               "UTF-8 of a non-ASCII str made by the run before)")
    out.append("")
    table(["workload", "pickle.loads", "json.dumps", "pp load", "pp to_json", "pp plain",
           "json.loads", "pickle.dumps", "pp from_json J", "pp dumps", "pp from_json L",
           "pp dumps"],
          [[r["name"], ms(r["py_loads_ms"]), ms(r["py_json_dumps_ms"]), ms(r["pp_to_json_load_ms"]),
            ms(r["pp_to_json_write_ms"]), ms(r["pp_plain_write_ms"]), ms(r["py_json_loads_ms"]),
            ms(r["py_pickle_dumps_ms"]), ms(r["pp_from_plain_parse_ms"]),
            ms(r["pp_from_plain_dump_ms"]), ms(r["pp_from_lossless_parse_ms"]),
            ms(r["pp_from_lossless_dump_ms"])] for r in rows])
    if parsers:
        out.append(f"JSON parsers, MB/s of CPU time (simdjson {parsers['simdjson']}, On-Demand "
                   f"code compiled for '{parsers['simdjson_ondemand_kernel']}' as from_json's, "
                   f"stage 1 and strings at run time '{parsers['simdjson_active']}'; "
                   f"nlohmann-json {parsers['nlohmann']})")
        out.append("")
        table(["JSON text", "MB", "simdjson On-Demand", "nlohmann SAX", "nlohmann DOM",
               "simdjson DOM", "On-Demand / SAX", "same values"],
              [[f["name"], f"{f['bytes'] / 1e6:.1f}", f"{f['simdjson_ondemand_mbps']:,.0f}",
                f"{f['nlohmann_sax_mbps']:,.0f}", f"{f['nlohmann_dom_mbps']:,.0f}",
                f"{f['simdjson_dom_mbps']:,.0f}",
                rx(f["simdjson_ondemand_mbps"] / max(1e-9, f["nlohmann_sax_mbps"])),
                yes(f["values_ondemand"] == f["values_sax"] and
                    f["string_bytes_ondemand"] == f["string_bytes_sax"])]
               for f in parsers["files"]])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", action="store_true",
                    help="build pickle_cli, pickle_json_bench and pickle_json_parsers in "
                         "--build-dir first (configured with PICKLE_BUILD_BENCH=ON)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--quick", action="store_true", help="sizes divided by ten")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per figure (default 5)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds alternating CPython and pickle++ (default 3)")
    ap.add_argument("--only", default="", help="comma-separated workload names")
    ap.add_argument("--no-parsers", action="store_true", help="skip pickle_json_parsers")
    ap.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    ap.add_argument("--json", default="", help="also write every figure to this file")
    ap.add_argument("--keep", default="", help="write the workload files here and keep them")
    ap.add_argument("--cpython-side", help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cpython_side:
        return cpython_side(args)

    build = os.path.abspath(args.build_dir)
    if args.build:
        subprocess.run(["cmake", "--build", build, "--target", "pickle_cli", "pickle_json_bench",
                        "pickle_json_parsers"], check=True)
    cli = os.path.join(build, "pickle")
    exe = os.path.join(build, "bench", "pickle_json_bench")
    parsers_exe = os.path.join(build, "bench", "pickle_json_parsers")
    for path in (cli, exe):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench-json: {path} not found: pass --build, or --build-dir of a build "
                     f"with PICKLE_BUILD_BENCH=ON")
    if not args.no_parsers and not os.access(parsers_exe, os.X_OK):
        sys.exit(f"bench-json: {parsers_exe} not found (it needs simdjson's and nlohmann_json's "
                 f"CMake packages): pass --no-parsers")

    # Warm memory on both sides, as bench-typed.py: glibc keeps what is freed, CPython
    # allocates with malloc too.
    env = dict(os.environ, PYTHONMALLOC="malloc", PYTHONHASHSEED="0",
               MALLOC_TRIM_THRESHOLD_=str(1 << 40), MALLOC_MMAP_THRESHOLD_=str(32 << 20))
    only = set(filter(None, args.only.split(",")))
    tmp = args.keep or tempfile.mkdtemp(prefix="pickle-bench-json-")
    os.makedirs(tmp, exist_ok=True)
    rows, infos = [], []
    try:
        for name, maker, size, timed in workloads(args.quick):
            if only and name not in only:
                continue
            info = prepare(name, maker, size, timed, tmp, cli)
            infos.append(info)
            gc.collect()
            if timed:
                rows.append(measure(info, tmp, exe, env, args))
                print(f"# {name}: done", file=sys.stderr, flush=True)
        parsers = None
        if not args.no_parsers:
            texts = []
            for info in infos:
                texts.append(f"{info['name']}={os.path.join(tmp, info['name'] + '.json')}")
                if info["timed"] and info["name"] == "records":
                    texts.append(f"records_lossless={os.path.join(tmp, 'records.lossless.json')}")
            parsers = run_json([parsers_exe, "--repeat", str(args.repeat)] + texts, env)
    finally:
        if not args.keep:
            for dirpath, _, files in os.walk(tmp, topdown=False):
                for f in files:
                    os.unlink(os.path.join(dirpath, f))
                os.rmdir(dirpath)

    print(f"# CPython {platform.python_version()}, PYTHONMALLOC=malloc, glibc keeping freed "
          f"memory on both sides; median of {args.repeat} runs after a warm-up, median of "
          f"{args.rounds} rounds; CPU time" + (" (quick sizes)" if args.quick else ""))
    print("\n".join(tables(rows, parsers, args.markdown)))
    for r in rows:
        print(f"# {r['name']}: wall-time ratios (fresh): lossless {r['to_json_wall_ratio']:.2f}, "
              f"plain {r['plain_wall_ratio']:.2f}, from J {r['from_plain_wall_ratio']:.2f}, "
              f"from L {r['from_lossless_wall_ratio']:.2f}; lossless = `pickle json`: "
              f"{yes(r['lossless_same_as_cli'])}; pickle++ peak {r['peak_rss_mib']:.0f} MiB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "parsers": parsers, "repeat": args.repeat,
                       "rounds": args.rounds, "quick": args.quick}, f, indent=1)


if __name__ == "__main__":
    main()
