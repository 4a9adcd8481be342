"""`pickle show` on input made at test time (issue 5).

show_billion_laughs: lists of a thousand references to lists of a thousand
    references, six deep (12 KB, 10^18 values as a tree). The pickle is well formed:
    `show` must print it cut at its budget and ended with `...`, say on standard error
    where and why, exit 0, and keep a small peak RSS; with --max-output 1000, cut at
    1000 bytes.
DeepShow: ten million nested lists. `show` must print them (exit 0), with no
    recursion anywhere.

Usage: python3 -m pickletests.cli_hostile --cli PATH/TO/pickle CASE
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile

# Peak RSS allowed for `show` on the billion laughs: the tool's budget lets it print
# about 2^20 values (a few MiB) before it cuts the printout. Generous, for sanitizer
# builds.
BILLION_LAUGHS_MAX_RSS = 256 << 20

DEEP = 10_000_000


def billion_laughs():
    data = bytearray(b"\x80\x02]q\x00K\x01a")  # L0 = [1]
    for level in range(1, 7):
        data += b"]q" + bytes([level]) + b"("
        data += (b"h" + bytes([level - 1])) * 1000
        data += b"e"
    return bytes(data + b".")


def deep_lists():
    return b"\x80\x02" + b"]" * (DEEP + 1) + b"a" * DEEP + b"."


def run(cli, data, out, options=()):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "input.pkl")
        with open(path, "wb") as f:
            f.write(data)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        proc = subprocess.run([cli, "show", *options, path], stdout=out,
                              stderr=subprocess.PIPE)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # ru_maxrss is in KiB on Linux; the children's figure is the largest child's.
        return proc, path, max(before, after) * 1024


def show_billion_laughs(cli):
    ok = True
    for options, size, why in (((), None, "it prints more than "),
                               (("--max-output", "1000"), 1000,
                                "the output reached --max-output 1000")):
        proc, path, rss = run(cli, billion_laughs(), subprocess.PIPE, options)
        out, err = proc.stdout, proc.stderr.decode("utf-8", "replace")
        print(f"show {' '.join(options)}: exit {proc.returncode}, {len(out)} bytes of output, "
              f"peak RSS {rss / (1 << 20):.1f} MiB (bound {BILLION_LAUGHS_MAX_RSS >> 20} MiB)"
              f"\nstderr: {err.strip()}")
        if proc.returncode != 0:
            print("FAIL: expected exit status 0 (the pickle is well formed)")
            ok = False
        kept = len(out) - len(b"...\n")
        if not out.startswith(b"[[[[[[[1], [1], ") or not out.endswith(b"...\n") \
                or out.count(b"\n") != 1 or (size is not None and kept != size):
            print(f"FAIL: expected one line cut at {size or 'the budget'} and ended with "
                  f"'...': {out[:40]!r} ... {out[-40:]!r}")
            ok = False
        expected = (f"pickle: {path}: the printout of the pickle at byte 0 is cut after "
                    f"{kept} bytes and ends with '...': {why}")
        if not err.startswith(expected) or err.count("\n") != 1:
            print("FAIL: expected one line saying where and why:\n  " + expected + "...")
            ok = False
        if rss > BILLION_LAUGHS_MAX_RSS:
            print("FAIL: peak RSS above the bound")
            ok = False
    return ok


def deep_show(cli):
    with tempfile.TemporaryFile() as out:
        proc, _, rss = run(cli, deep_lists(), out)
        out.seek(0, os.SEEK_END)
        size = out.tell()
        out.seek(0)
        head = out.read(16)
        out.seek(size - 16)
        tail = out.read(16)
    err = proc.stderr.decode("utf-8", "replace")
    print(f"exit {proc.returncode}, {size} bytes of output, peak RSS "
          f"{rss / (1 << 20):.1f} MiB\nstderr: {err.strip()}")
    ok = proc.returncode == 0 and size == 2 * (DEEP + 1) + 1
    ok = ok and head == b"[" * 16 and tail == b"]" * 15 + b"\n"
    if not ok:
        print(f"FAIL: expected exit 0 and {2 * (DEEP + 1) + 1} bytes '[[[[...]]]]\\n'; "
              f"got head {head!r}, tail {tail!r}")
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("case", choices=["show_billion_laughs", "DeepShow"])
    args = parser.parse_args()
    cases = {"show_billion_laughs": show_billion_laughs, "DeepShow": deep_show}
    return 0 if cases[args.case](args.cli) else 1


if __name__ == "__main__":
    sys.exit(main())
