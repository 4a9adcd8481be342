"""The Python side of the pickle++ tests (see tests/README.md).

The modules of this package run under the build's Python 3 (3.6 or later). ctest
starts each driver as `python3 -m pickletests.<driver>` with the tests/ directory on
PYTHONPATH:

    interop         `pickle show` against every CPython's object zoo (interop.*)
    dump_interop    what pickle++ writes, loaded by every CPython (dump_interop.*)
    tools           `pickle dis` and `pickle optimize` against pickletools (tools.*)
    torch_files     real torch.save files (interop.torch)
    cli, cli_containers, cli_hostile, bench_json
                    the command-line tool on inputs made at test time (cli.*, bench.*)
    tensor_files    pickle tensors / safetensors on numpy and torch files (cli.tensor_files)

with two helpers: pythons (the CPython interpreters on this machine) and wellformed
(a pickle's opcodes against its protocol).

cpython/ is no package: it holds the scripts that each CPython under test runs, 2.7
and 3.6-3.13, by their path (script()). They use only syntax Python 2.7 accepts and
import one another as top-level modules from that folder, which Python puts first
on sys.path for a script: the pickles name the classes `zoo_classes.<name>` and
`dump_classes.<name>`, so those must be top-level modules wherever they are loaded.
"""
import os

CPYTHON_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cpython')
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def script(name):
    """The path of cpython/NAME, for a child interpreter to run."""
    return os.path.join(CPYTHON_DIR, name)


def first_difference(a, b):
    """The index of the first item where two sequences differ (the shorter's length
    when one is a prefix of the other)."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n
