"""Runs `pickle bench FILE --repeat 3` and checks that it prints one JSON object with
the documented keys and sensible values (no timing is asserted).

    python3 -m pickletests.bench_json PATH/TO/pickle FILE
"""
import json
import subprocess
import sys

cli, path = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    size = len(f.read())

out = subprocess.run([cli, "bench", path, "--repeat", "3"], check=True,
                     capture_output=True, text=True).stdout
doc = json.loads(out)
for key in ("load_ns", "load_reuse_ns", "dump_ns", "bytes", "objects", "protocol",
            "dump_bytes", "pickles", "repeat", "load_cpu_ns", "load_reuse_cpu_ns", "dump_cpu_ns", "peak_rss_kib"):
    assert key in doc, f"missing key {key!r} in {out}"
    assert isinstance(doc[key], int), f"{key} is not an integer in {out}"
assert doc["bytes"] == size, doc
assert doc["repeat"] == 3 and doc["pickles"] == 1, doc
assert doc["objects"] > 0 and doc["load_ns"] > 0 and doc["dump_ns"] > 0, doc
# record.pkl was written by CPython at protocol 4 and dumps back to the same bytes.
assert doc["protocol"] == 4 and doc["dump_bytes"] == size, doc

out = subprocess.run([cli, "bench", path, "--repeat", "2", "--protocol", "2"], check=True,
                     capture_output=True, text=True).stdout
assert json.loads(out)["protocol"] == 2, out

out = subprocess.run([cli, "bench", path, "--no-dump"], check=True, capture_output=True,
                     text=True).stdout
doc = json.loads(out)
assert "load_ns" in doc and "dump_ns" not in doc, out
print("ok:", out.strip())
