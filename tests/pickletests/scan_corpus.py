"""`pickle scan` against a labelled corpus of malicious and benign files made at test time.

    python3 -m pickletests.scan_corpus --cli build/dev/pickle [--keep DIR] [--filter SUBSTR]
                                       [--list] [--inventory] [--verify-payloads]

The corpus is written in a temporary folder (or DIR with --keep) and never committed.
Every malicious payload only creates a marker file inside that folder (`touch MARKER`
through a shell, a subprocess or libc, `open(MARKER, 'w')` through builtins, pip's
`--log MARKER`), except three that try to reach 127.0.0.1 port 9 (nothing listens
there) and shutil.rmtree, which removes an empty folder that --verify-payloads made
there. The driver itself imports no numpy or torch and never unpickles a corpus file.

Malicious cases (malicious/NAME.*), one technique each, hand-assembled from opcodes
or edited from real numpy / joblib / torch files; for each, `pickle scan --json FILE`
must exit 1 with a file verdict other than "safe", and every callable the case expects
(the dotted name after Python 2->3 fix_imports: os.system pickles as `posix.system`)
must be the "callable" of some finding. Families:
  direct      posix.system by GLOBAL+REDUCE (protocols 0 and 2), by STACK_GLOBAL with
              its names in every string opcode (SHORT_BINUNICODE, BINUNICODE,
              BINUNICODE8, UNICODE and STRING with escapes, BINSTRING,
              SHORT_BINSTRING), INST, OBJ; subprocess.Popen by NEWOBJ and NEWOBJ_EX;
              builtins eval/exec/__import__/open/compile/getattr; __builtin__.eval;
  advisory    names missing from published deny-lists: pip, asyncio, subprocess.run,
              pty, timeit, cProfile, profile, bdb, pdb, code, runpy, importlib,
              operator, functools.partial, shutil, webbrowser, ctypes, marshal,
              ssl, socket, urllib, numpy's runstring, torch.hub, _posixsubprocess,
              setattr, sys.modules;
  memo        the callable or its names through PUT/GET, BINPUT/BINGET,
              LONG_BINPUT/LONG_BINGET, MEMOIZE, DUP, a PUT after a POP;
  ext         EXT1/EXT2/EXT4 codes (harmful where the victim registered
              copyreg.add_extension('posix', 'system', N)): verdict only;
  build       a BUILD that installs `__setstate__` in an instance dict, then a BUILD
              that calls it (also through builtins.setattr);
  literal     INT/LONG/FLOAT lines as int() and float() read them (underscores,
              spaces, a sign, leading zeros, an L suffix), some read by only one of
              C `_pickle` and pickle._Unpickler (joblib's), each followed by a payload;
  broken      nullifAI-style streams that fail after the payload ran (a bad opcode,
              truncation, a bad argument): the payload's callable is still reported;
              a payload in the 2nd / 5th pickle of a file;
  nested      pickle.loads / _pickle.loads of a malicious pickle (its posix.system is
              reported too), numpy.load, joblib.load, torch.load, pandas.read_pickle of
              an io.BytesIO, dill.loads;
  container   gzip / bz2 / xz / zlib, a gzip corrupt after the payload, zips (one
              member, torch layout, odd member name, CVE-2025-1944 local name,
              CVE-2025-1945 flag bits, bad CRC, duplicate names, zip in a zip), Sleepy
              Pickle in a real torch checkpoint, a legacy torch file whose magic-number
              pickle is the payload, a legacy torch tar, object .npy / .npz, joblib with
              the payload after an array's raw data and in an object array's pickle.
Where a case is a container member, the finding names it (`member`: ["x.bin"], one
entry per nesting level); the findings in a plain pickle have no member (but for
what a nested loader's bytes hold: the scanner may name that level as it likes).

Benign cases (benign/SOURCE/...) must come out safe with no findings, from one folder
run (`pickle scan --json benign/`, exit 0): CPython's own data types pickled by every
interpreter found (2.7, 3.6-3.13, pyenv) at every protocol it has, and, from Debian's
/usr/bin/python3, numpy arrays / scalars / dtypes (protocols 2-5, .npy, .npz), pandas
frames and series (pickle.dumps, to_pickle plain, gz, bz2, xz, zip), scikit-learn fitted
models (pickle, joblib.dump plain and compress=3), joblib dicts of arrays (plain, zlib,
gzip, bz2, xz), torch state_dicts / optimizer / checkpoint / tensors (zip and legacy).

Whole runs: `pickle scan benign/` exits 0, `pickle scan mixed/` exits 1; --jobs 1 and
--jobs 2 print the same JSON but for the order of files; text output is one line per
finding (`PATH[MEMBER]...:OFFSET: VERDICT: CALLABLE (OPNAME): WHY`) then `scanned N
file...`; --sarif is SARIF 2.1.0 with one result per finding. Every JSON report has the
documented shape and file verdicts that follow from the findings (unsafe > error >
unknown > safe: a file that could not be read to its end has an error finding) and
summary counts that match. Options: usage errors exit 2 (unknown
option, no PATH, --jobs 0, --json with --sarif), a missing path exits 1; a
`__main__.MyClass` pickle is "unknown" without --allow and safe with --allow or a
--policy file {"allow": [...]}; a numpy array pickle is safe by default and not with
--strict, builtin data is safe with --strict.

--list prints the cases (after making the corpus) and stops; --inventory prints every
global the benign corpus names, with the files naming it, read with pickletools.genops
(through compression, zips, .npy headers, joblib's raw array data, legacy torch files);
--verify-payloads loads each malicious case with the loader it targets (pickle,
pickle._Unpickler, torch.load, numpy.load, joblib.load, pandas.read_pickle) in a child
process and checks its marker appears; without --cli only the corpus is made (and
verified / listed / inventoried). --parallel N runs N scans at once (default 2). A
missing interpreter or library is SKIPPED with a line; none at all fails; a writer that
fails is a failure.
"""
import argparse
import bz2
import collections
import concurrent.futures
import gzip
import io
import json
import lzma
import marshal
import os
import pickle  # to dump benign data: the driver never loads a corpus file
import pickletools
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import warnings
import zipfile
import zlib

from pickletests.pythons import SYSTEM_PYTHON, clean_env, find_interpreters, importable

CPYTHON_LABELS = ('2.7', '3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13')
LIBRARIES = ('numpy', 'pandas', 'sklearn', 'joblib', 'torch')
VERDICTS = ('safe', 'unsafe', 'unknown', 'error')
SCAN_TIMEOUT = 300


# ------------------------------------------------------------------ opcode assembly
MARK, STOP, POP, POP_MARK, DUP = b'(', b'.', b'0', b'1', b'2'
REDUCE, BUILD, TUPLE, EMPTY_TUPLE, EMPTY_DICT = b'R', b'b', b't', b')', b'}'
EMPTY_LIST, APPENDS, SETITEM, NONE, NEWTRUE = b']', b'e', b's', b'N', b'\x88'
NEWOBJ, NEWOBJ_EX, STACK_GLOBAL, MEMOIZE = b'\x81', b'\x92', b'\x93', b'\x94'


def proto(n):
    return b'\x80' + bytes([n])


def glob(module, name):
    """GLOBAL: `c` module newline name newline."""
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


def sbu(s):
    """SHORT_BINUNICODE (protocol 4)."""
    b = s.encode('utf-8')
    return b'\x8c' + bytes([len(b)]) + b


def bu(s):
    """BINUNICODE (protocol 1)."""
    b = s.encode('utf-8')
    return b'X' + struct.pack('<I', len(b)) + b


def bu8(s):
    """BINUNICODE8 (protocol 4)."""
    b = s.encode('utf-8')
    return b'\x8d' + struct.pack('<Q', len(b)) + b


def uni(raw):
    """UNICODE: raw-unicode-escape text up to a newline (raw: bytes as written)."""
    return b'V' + raw + b'\n'


def st(s):
    """STRING: a quoted Python 2 str literal (escapes decoded by the loader)."""
    return b"S'" + s.encode('ascii').replace(b'\\', b'\\\\').replace(b"'", b"\\'") + b"'\n"


def st_raw(raw):
    return b"S'" + raw + b"'\n"


def bst(s):
    """BINSTRING (protocol 1)."""
    b = s.encode('latin-1')
    return b'T' + struct.pack('<i', len(b)) + b


def sbst(s):
    """SHORT_BINSTRING (protocol 1)."""
    b = s.encode('latin-1')
    return b'U' + bytes([len(b)]) + b


def bbytes(b):
    """SHORT_BINBYTES or BINBYTES (protocol 3)."""
    if len(b) < 256:
        return b'C' + bytes([len(b)]) + b
    return b'B' + struct.pack('<I', len(b)) + b


def binint(i):
    return b'J' + struct.pack('<i', i)


def binput(i):
    return b'q' + bytes([i])


def binget(i):
    return b'h' + bytes([i])


def sg(module, name, text=sbu):
    """STACK_GLOBAL with its two names pushed by `text`."""
    return text(module) + text(name) + STACK_GLOBAL


def tup(*items):
    return MARK + b''.join(items) + TUPLE


def lst(*items):
    return EMPTY_LIST + MARK + b''.join(items) + APPENDS


def dct(*pairs):
    out = EMPTY_DICT
    for k, v in pairs:
        out += k + v + SETITEM
    return out


def call(fn, *args):
    """fn(*args) by REDUCE."""
    return fn + tup(*args) + REDUCE


def pkl(protocol, body):
    """A whole pickle: PROTO (from protocol 2), body, STOP."""
    return (proto(protocol) if protocol >= 2 else b'') + body + STOP


SYSTEM = glob('posix', 'system')  # os.system as CPython pickles it on Linux


# ----------------------------------------------------------------------- the cases
class Verify(object):
    """How --verify-payloads proves a case fires: the loader (see LOADER) run on the
    file under `python` ('self': this interpreter; 'system': SYSTEM_PYTHON, which has
    the libraries), after `setup` code, with `env` added and `stdin` fed; `check` is
    'marker' (the marker file appears), 'gone' (the folder MARKER.d is removed) or
    'refused' (a connection to 127.0.0.1:9 was refused)."""

    def __init__(self, loader, python='self', arg=None, setup='', env=None, check='marker',
                 stdin=b'', needs=()):
        self.loader, self.python, self.arg, self.setup = loader, python, arg, setup
        self.env, self.check, self.stdin = env or {}, check, stdin
        self.needs = needs or {'torch': ('torch',), 'numpy': ('numpy',),
                               'npz': ('numpy',), 'joblib': ('joblib',),
                               'pandas': ('pandas',), 'zip-torch': ('torch',)}.get(loader, ())


class Case(object):
    """A malicious file: `data` written as malicious/NAME+ext; `expect`: callables some
    finding must name; `past_failure`: the stream fails after the payload (the payload
    must still be reported); `member`: the container path of the payload's finding."""

    def __init__(self, name, family, data, what, expect=(), ext='.pkl', past_failure=False,
                 member=None, verify=None, note=''):
        self.name, self.family, self.data, self.what = name, family, data, what
        self.expect, self.ext, self.past_failure = list(expect), ext, past_failure
        self.member, self.verify, self.note = member, verify, note
        self.path = None


class Corpus(object):
    def __init__(self, work):
        self.work = work
        for sub in ('malicious', 'benign', 'mixed', 'options', 'markers', 'run', 'gen',
                    'gen/base', 'support'):
            os.makedirs(os.path.join(work, sub), exist_ok=True)

    def marker(self, name):
        return os.path.join(self.work, 'markers', name)

    def cmd(self, name):
        """The shell command a payload runs: create the case's marker file."""
        return 'touch ' + shlex.quote(self.marker(name))

    def src(self, name):
        """Python source a payload runs: create the case's marker file."""
        return "open(%r, 'w').close()" % self.marker(name)

    def system_p2(self, name):
        """The plain payload: a protocol 2 pickle of posix.system(cmd)."""
        return pkl(2, call(SYSTEM, bu(self.cmd(name))))


def direct_cases(c):
    cases = []

    def add(name, data, what, expect=('posix.system',), **kw):
        kw.setdefault('verify', Verify('pickle'))
        cases.append(Case(name, 'direct', data, what, expect, **kw))

    n = 'global_reduce_p0'
    add(n, pkl(0, call(SYSTEM, st(c.cmd(n)))), 'GLOBAL posix system + REDUCE, protocol 0')
    n = 'global_reduce_p2'
    add(n, c.system_p2(n), 'GLOBAL posix system + REDUCE, protocol 2')
    for n, text, what in (
            ('stack_global_short_binunicode', sbu, 'SHORT_BINUNICODE'),
            ('stack_global_binunicode', bu, 'BINUNICODE'),
            ('stack_global_binunicode8', bu8, 'BINUNICODE8'),
            ('stack_global_binstring', bst, 'Python 2 BINSTRING'),
            ('stack_global_short_binstring', sbst, 'Python 2 SHORT_BINSTRING')):
        add(n, pkl(4, call(sg('posix', 'system', text), sbu(c.cmd(n)))),
            'STACK_GLOBAL posix system, the names pushed by %s, protocol 4' % what)
    n = 'stack_global_unicode_escape'
    add(n, pkl(4, call(uni(b'po\\u0073ix') + uni(b'sys\\u0074em') + STACK_GLOBAL,
                       sbu(c.cmd(n)))),
        'STACK_GLOBAL, names by UNICODE with raw-unicode-escape escapes (po\\u0073ix)')
    n = 'stack_global_string_escape'
    add(n, pkl(4, call(st_raw(b'po\\x73ix') + st_raw(b'sys\\x74\\x65m') + STACK_GLOBAL,
                       sbu(c.cmd(n)))),
        "STACK_GLOBAL, names by Python 2 STRING with escapes (S'po\\x73ix')")
    n = 'inst_p0'
    add(n, pkl(0, MARK + st(c.cmd(n)) + b'iposix\nsystem\n'), 'INST posix system, protocol 0')
    n = 'obj_p1'
    add(n, pkl(1, MARK + SYSTEM + bu(c.cmd(n)) + b'o'), 'OBJ with posix.system, protocol 1')
    argv = lst(sbu('touch'), sbu(c.marker('newobj_popen')))
    n = 'newobj_popen'
    add(n, pkl(4, sg('subprocess', 'Popen') + tup(argv) + NEWOBJ + MEMOIZE + POP +
               call(sg('subprocess', 'Popen.__init__'), binget(0), argv)),
        'NEWOBJ subprocess.Popen (its __new__), then Popen.__init__ on it runs the command',
        expect=('subprocess.Popen',))
    argv = lst(sbu('touch'), sbu(c.marker('newobj_ex_popen')))
    n = 'newobj_ex_popen'
    add(n, pkl(4, sg('subprocess', 'Popen') + tup(argv) + dct((sbu('bufsize'), binint(-1))) +
               NEWOBJ_EX + MEMOIZE + POP +
               call(sg('subprocess', 'Popen.__init__'), binget(0), argv)),
        'NEWOBJ_EX subprocess.Popen with kwargs, then Popen.__init__ runs the command',
        expect=('subprocess.Popen',))
    for fn in ('eval', 'exec'):
        n = 'builtins_' + fn
        add(n, pkl(2, call(glob('builtins', fn), bu(c.src(n)))),
            'builtins.%s of source that opens the marker' % fn, expect=('builtins.' + fn,))
    n = 'builtins_import'
    add(n, pkl(2, call(glob('builtins', '__import__'), bu('os'))),
        'builtins.__import__("os") alone', expect=('builtins.__import__',), verify=None,
        note='imports a module (its import-time code runs); creates no file by itself')
    n = 'builtins_open'
    add(n, pkl(2, call(glob('builtins', 'open'), bu(c.marker(n)), bu('w'))),
        'builtins.open(MARKER, "w")', expect=('builtins.open',))
    n = 'builtins_compile'
    add(n, pkl(2, call(glob('builtins', 'exec'),
                       call(glob('builtins', 'compile'), bu(c.src(n)), bu('<p>'), bu('exec')))),
        'builtins.exec(builtins.compile(source))', expect=('builtins.compile',))
    n = 'getattr_import_chain'
    getattr_ = glob('builtins', 'getattr')
    add(n, pkl(2, call(call(getattr_, call(glob('builtins', '__import__'), bu('os')),
                            bu('system')), bu(c.cmd(n)))),
        'getattr(__import__("os"), "system")(cmd): getattr on a non-global',
        expect=('builtins.getattr', 'builtins.__import__'))
    n = 'builtin_eval_p0'
    add(n, pkl(0, call(glob('__builtin__', 'eval'), st(c.src(n)))),
        'Python 2 name __builtin__.eval at protocol 0 (fix_imports: builtins.eval)',
        expect=('builtins.eval',))
    return cases


def advisory_cases(c):
    """Callables missing from published deny-lists, one per advisory-style technique."""
    cases = []
    getattr_ = glob('builtins', 'getattr')
    os_module = glob('posixpath', 'os')   # posixpath.os: the os module as a global

    def add(name, body, what, expect, protocol=2, **kw):
        kw.setdefault('verify', Verify('pickle'))
        cases.append(Case(name, 'advisory', pkl(protocol, body), what, expect, **kw))

    def pip_argv(name):
        return lst(bu('--log'), bu(c.marker(name)), bu('--isolated'),
                   bu('--disable-pip-version-check'), bu('list'))

    n = 'pip_main'
    add(n, call(glob('pip', 'main'), pip_argv(n)),
        'pip.main(["--log", MARKER, "list"]) (pip install from an index would run '
        'setup.py)', ('pip.main',))
    n = 'pip_internal_main'
    add(n, call(glob('pip._internal.cli.main', 'main'), pip_argv(n)),
        'pip._internal.cli.main.main([...])', ('pip._internal.cli.main.main',))
    n = 'asyncio_create_subprocess_shell'
    add(n, call(glob('asyncio', 'run'),
                call(glob('asyncio.subprocess', 'create_subprocess_shell'), bu(c.cmd(n)))),
        'asyncio.run(asyncio.subprocess.create_subprocess_shell(cmd))',
        ('asyncio.subprocess.create_subprocess_shell',))
    n = 'subprocess_run'
    add(n, call(glob('subprocess', 'run'), lst(bu('touch'), bu(c.marker(n)))),
        'subprocess.run(["touch", MARKER])', ('subprocess.run',))
    n = 'subprocess_getoutput'
    add(n, call(glob('subprocess', 'getoutput'), bu(c.cmd(n))), 'subprocess.getoutput(cmd)',
        ('subprocess.getoutput',))
    n = 'pty_spawn'
    add(n, call(glob('pty', 'spawn'), lst(bu('touch'), bu(c.marker(n)))),
        'pty.spawn(["touch", MARKER])', ('pty.spawn',))
    n = 'timeit_timeit'
    add(n, call(glob('timeit', 'timeit'), bu('pass'), bu(c.src(n))),
        'timeit.timeit("pass", setup=source)', ('timeit.timeit',))
    n = 'cprofile_run'
    add(n, call(glob('cProfile', 'run'), bu(c.src(n))), 'cProfile.run(source)',
        ('cProfile.run',))
    for n, module, cls, method, kw in (
            ('profile_profile_run', 'profile', 'Profile', 'run', {}),
            ('bdb_bdb_run', 'bdb', 'Bdb', 'run', {}),
            ('pdb_pdb_run', 'pdb', 'Pdb', 'run', {'stdin': b'c\nc\n'}),
            ('code_interactive_runsource', 'code', 'InteractiveInterpreter', 'runsource', {})):
        add(n, call(sg(module, cls + '.' + method), call(sg(module, cls)), sbu(c.src(n))),
            '%s.%s.%s(%s.%s(), source) (an unbound method by a dotted STACK_GLOBAL)'
            % (module, cls, method, module, cls), ('%s.%s.%s' % (module, cls, method),),
            protocol=4, verify=Verify('pickle', **kw),
            note='the debugger stops at its prompt: verified with "c" on stdin'
            if module == 'pdb' else '')
    n = 'runpy_run_code'
    add(n, call(glob('runpy', '_run_code'), bu(c.src(n)), EMPTY_DICT),
        'runpy._run_code(source, {})', ('runpy._run_code',))
    n = 'importlib_import_module'
    add(n, call(call(getattr_, call(glob('importlib', 'import_module'), bu('os')),
                     bu('system')), bu(c.cmd(n))),
        'getattr(importlib.import_module("os"), "system")(cmd)', ('importlib.import_module',))
    n = 'operator_attrgetter'
    add(n, call(call(call(glob('operator', 'attrgetter'), bu('system')), os_module),
                bu(c.cmd(n))),
        'operator.attrgetter("system")(posixpath.os)(cmd)', ('operator.attrgetter',))
    n = 'operator_methodcaller'
    add(n, call(call(glob('operator', 'methodcaller'), bu('system'), bu(c.cmd(n))), os_module),
        'operator.methodcaller("system", cmd)(posixpath.os)', ('operator.methodcaller',))
    n = 'functools_partial'
    add(n, call(call(glob('functools', 'partial'), SYSTEM, bu(c.cmd(n)))),
        'functools.partial(posix.system, cmd)()', ('functools.partial', 'posix.system'))
    n = 'shutil_rmtree'
    add(n, call(glob('shutil', 'rmtree'), bu(c.marker(n) + '.d')),
        'shutil.rmtree(DIR)', ('shutil.rmtree',), verify=Verify('pickle', check='gone'),
        note='removes the empty folder MARKER.d that --verify-payloads makes')
    n = 'webbrowser_open'
    add(n, call(glob('webbrowser', 'open'), bu(c.marker(n))), 'webbrowser.open(url)',
        ('webbrowser.open',), verify=Verify('pickle', env={'BROWSER': 'touch'}),
        note='runs the browser the victim has; verified with BROWSER=touch')
    n = 'ctypes_cdll'
    add(n, call(call(getattr_, call(glob('ctypes', 'CDLL'), NONE), bu('system')),
                bbytes(c.cmd(n).encode())),
        'getattr(ctypes.CDLL(None), "system")(b"cmd"): libc system()', ('ctypes.CDLL',),
        protocol=3)
    n = 'types_functiontype_marshal'
    code = marshal.dumps(compile(c.src(n), '<payload>', 'exec'))
    add(n, call(call(glob('types', 'FunctionType'), call(glob('marshal', 'loads'), bbytes(code)),
                     EMPTY_DICT)),
        'types.FunctionType(marshal.loads(code), {})() (code marshalled by this Python)',
        ('types.FunctionType', 'marshal.loads'), protocol=3)
    refused = Verify('pickle', check='refused')
    network_note = 'connects to 127.0.0.1 port 9: verified by the refused connection'
    n = 'ssl_get_server_certificate'
    add(n, call(glob('ssl', 'get_server_certificate'), tup(bu('127.0.0.1'), binint(9))),
        'ssl.get_server_certificate(("127.0.0.1", 9))', ('ssl.get_server_certificate',),
        verify=refused, note=network_note)
    n = 'socket_create_connection'
    add(n, call(glob('socket', 'create_connection'), tup(bu('127.0.0.1'), binint(9))),
        'socket.create_connection(("127.0.0.1", 9))', ('socket.create_connection',),
        verify=refused, note=network_note)
    n = 'urllib_urlopen'
    add(n, call(glob('urllib.request', 'urlopen'), bu('http://127.0.0.1:9/')),
        'urllib.request.urlopen("http://127.0.0.1:9/")', ('urllib.request.urlopen',),
        verify=refused, note=network_note)
    n = 'numpy_runstring'
    add(n, call(glob('numpy.testing._private.utils', 'runstring'), bu(c.src(n)), EMPTY_DICT),
        'numpy.testing._private.utils.runstring(source, {})',
        ('numpy.testing._private.utils.runstring',),
        verify=Verify('pickle', python='system', needs=('numpy',)))
    n = 'torch_hub_load'
    hub = os.path.join(c.work, 'support', 'hub')
    add(n, call(glob('functools', 'partial'), glob('torch.hub', 'load')) +
        tup(glob('torch.hub', 'load'), tup(bu(hub), bu('entry')),
            dct((bu('source'), bu('local'))), NONE) + BUILD + EMPTY_TUPLE + REDUCE,
        'functools.partial(torch.hub.load) given (dir, "entry", source="local") by BUILD, '
        'called: runs the repository\'s hubconf.py', ('torch.hub.load',),
        verify=Verify('pickle', python='system', needs=('torch',)),
        note='source="github" would download the code; verified on support/hub/hubconf.py')
    n = 'posixsubprocess_fork_exec'
    add(n, call(glob('_posixsubprocess', 'fork_exec'), lst(bbytes(b'touch')),
                lst(bbytes(b'/usr/bin/touch')), NEWTRUE, tup(), NONE, NONE),
        '_posixsubprocess.fork_exec(...)', ('_posixsubprocess.fork_exec',), protocol=3,
        verify=None, note='its argument list changes with every CPython: name only')
    n = 'builtins_setattr'
    add(n, call(glob('argparse', 'Namespace')) + binput(0) + POP +
        call(glob('builtins', 'setattr'), binget(0), bu('__setstate__'), SYSTEM) + POP +
        binget(0) + bu(c.cmd(n)) + BUILD,
        'setattr(Namespace(), "__setstate__", posix.system), then BUILD calls it',
        ('builtins.setattr',))
    n = 'sys_modules_getattr'
    modules = call(getattr_, glob('posixpath', 'sys'), bu('modules'))
    os_mod = call(call(getattr_, modules, bu('get')), bu('os'))
    add(n, call(call(getattr_, os_mod, bu('system')), bu(c.cmd(n))),
        'getattr(getattr(sys, "modules").get("os"), "system")(cmd), sys as posixpath.sys',
        ('builtins.getattr',))
    return cases


def memo_cases(c):
    cases = []

    def add(name, protocol, body, what, expect=('posix.system',)):
        cases.append(Case(name, 'memo', pkl(protocol, body), what, expect,
                          verify=Verify('pickle')))

    n = 'memo_put_pop_get_p0'
    add(n, 0, SYSTEM + b'p0\n' + POP + b'g0\n' + tup(st(c.cmd(n))) + REDUCE,
        'PUT the global, POP it, GET it back (protocol 0)')
    n = 'memo_binput_binget'
    add(n, 2, SYSTEM + binput(5) + POP + binget(5) + tup(bu(c.cmd(n))) + REDUCE,
        'BINPUT the global, POP, BINGET')
    n = 'memo_long_binput_binget'
    add(n, 2, SYSTEM + b'r' + struct.pack('<I', 300) + POP + b'j' + struct.pack('<I', 300) +
        tup(bu(c.cmd(n))) + REDUCE, 'LONG_BINPUT 300, POP, LONG_BINGET 300')
    n = 'memo_dup'
    add(n, 2, SYSTEM + DUP + tup(bu(c.cmd(n))) + REDUCE + POP + tup(bu(c.cmd(n))) + REDUCE,
        'DUP the global; call the copy, POP the result, call the original')
    n = 'memo_memoize'
    add(n, 4, sg('posix', 'system') + MEMOIZE + POP + binget(0) + tup(sbu(c.cmd(n))) + REDUCE,
        'MEMOIZE the STACK_GLOBAL result, POP, BINGET 0 (protocol 4)')
    n = 'memo_put_after_pop'
    add(n, 2, SYSTEM + bu('junk') + POP + binput(1) + POP + binget(1) + tup(bu(c.cmd(n))) +
        REDUCE, 'push the global and a str, POP the str, BINPUT (the global), POP, BINGET')
    n = 'memo_names_memoize'
    add(n, 4, sbu('posix') + MEMOIZE + sbu('system') + MEMOIZE + POP + POP + binget(0) +
        binget(1) + STACK_GLOBAL + tup(sbu(c.cmd(n))) + REDUCE,
        'the names memoized (MEMOIZE), POPped, fetched again for STACK_GLOBAL')
    n = 'memo_names_binput'
    add(n, 4, sbu('system') + binput(7) + sbu('posix') + binput(3) + POP + POP + binget(3) +
        binget(7) + STACK_GLOBAL + tup(sbu(c.cmd(n))) + REDUCE,
        'the names BINPUT out of order, POPped, fetched again for STACK_GLOBAL')
    n = 'memo_pop_mark'
    add(n, 2, MARK + SYSTEM + binput(0) + bu('x') + POP_MARK + binget(0) + tup(bu(c.cmd(n))) +
        REDUCE, 'the global memoized inside a MARK that POP_MARK drops')
    return cases


def ext_cases(c):
    cases = []
    for n, op, code in (('ext1', b'\x82' + bytes([0x41]), 0x41),
                        ('ext2', b'\x83' + struct.pack('<H', 0x1234), 0x1234),
                        ('ext4', b'\x84' + struct.pack('<i', 0x12345678), 0x12345678)):
        setup = 'import copyreg; copyreg.add_extension("posix", "system", %d)' % code
        cases.append(Case(
            'ext_' + n, 'ext', pkl(2, op + tup(bu(c.cmd('ext_' + n))) + REDUCE),
            '%s code %#x called with a command' % (n.upper(), code), (),
            verify=Verify('pickle', setup=setup),
            note="harmful only where the victim ran copyreg.add_extension('posix', "
                 "'system', %#x): verified so; the scanner cannot name it" % code))
    return cases


def build_cases(c):
    cases = []
    for n, module, cls in (('build_setstate_namespace', 'argparse', 'Namespace'),
                           ('build_setstate_simplenamespace', 'types', 'SimpleNamespace')):
        body = call(glob(module, cls)) + dct((bu('__setstate__'), SYSTEM)) + BUILD + \
            bu(c.cmd(n)) + BUILD
        cases.append(Case(n, 'build', pkl(2, body),
                          'an instance of %s.%s whose first BUILD puts posix.system in its '
                          '__dict__ as __setstate__; the second BUILD calls it'
                          % (module, cls), ('posix.system',),
                          verify=Verify('pickle')))
    return cases


def literal_cases(c):
    """Odd INT/LONG/FLOAT lines that a loader accepts, each followed by a payload."""
    c_and_pure, c_only, pure_only = 'C _pickle and pickle._Unpickler', 'C _pickle only', \
        'pickle._Unpickler only (C _pickle raises ValueError first)'
    table = (
        ('literal_int_underscore', b'I1_0\n', c_and_pure, Verify('pickle')),
        ('literal_int_spaces', b'I 12 \n', c_and_pure, Verify('pickle')),
        ('literal_int_plus', b'I+5\n', c_and_pure, Verify('pickle')),
        ('literal_int_01_true', b'I01\n', c_and_pure, Verify('pickle')),
        ('literal_int_octal', b'I007\n', c_only, Verify('pickle')),
        ('literal_long_suffix', b'L123L\n', c_and_pure, Verify('pickle')),
        ('literal_long_underscore', b'L1_000L\n', c_and_pure, Verify('pickle')),
        ('literal_float_underscore', b'F1_0.5\n', pure_only,
         Verify('joblib', python='system')),
        ('literal_float_spaces', b'F 1.5 \n', pure_only, Verify('pickle-pure')),
    )
    cases = []
    for n, line, readers, verify in table:
        cases.append(Case(n, 'literal', pkl(0, line + POP + call(SYSTEM, st(c.cmd(n)))),
                          '%r (read by %s), POP, then posix.system' % (line, readers),
                          ('posix.system',), verify=verify,
                          note='joblib.load reads pickles with pickle._Unpickler'
                          if verify.loader == 'joblib' else ''))
    return cases


def broken_cases(c):
    cases = []

    def body(n):
        return proto(2) + call(SYSTEM, bu(c.cmd(n)))

    n = 'nullifai_invalid_opcode'
    cases.append(Case(n, 'broken', body(n) + b'\xff', 'payload, then the invalid opcode 0xff',
                      ('posix.system',), past_failure=True, verify=Verify('pickle')))
    n = 'nullifai_truncated'
    cases.append(Case(n, 'broken', body(n), 'payload, then the end of input before STOP',
                      ('posix.system',), past_failure=True, verify=Verify('pickle')))
    n = 'nullifai_bad_argument'
    cases.append(Case(n, 'broken', body(n) + POP + b'X\xff\xff\xff\x7fabc',
                      'payload, POP, then a BINUNICODE whose length passes the end',
                      ('posix.system',), past_failure=True, verify=Verify('pickle')))
    framed = dct((sbu('weights'), binint(3))) + STOP
    benign = proto(4) + b'\x95' + struct.pack('<Q', len(framed)) + framed
    n = 'second_pickle'
    cases.append(Case(n, 'broken', benign + c.system_p2(n),
                      'a benign protocol 4 pickle, then a malicious one (read by a second '
                      'pickle.load)', ('posix.system',), verify=Verify('pickle')))
    n = 'fifth_pickle'
    several = benign + pkl(0, b'(lp0\nI1\naI2\na') + pkl(5, NONE) + \
        pkl(2, lst(bu('a'), bu('b')))
    cases.append(Case(n, 'broken', several + pkl(0, call(SYSTEM, st(c.cmd(n)))),
                      'four benign pickles (protocols 4, 0, 5, 2), then a protocol 0 payload',
                      ('posix.system',), verify=Verify('pickle')))
    return cases


def nested_cases(c):
    cases = []

    def add(name, fn, inner_arg, what, expect, verify=None, note=''):
        cases.append(Case(name, 'nested', pkl(3, call(fn, *inner_arg)), what, expect,
                          verify=verify, note=note))

    n = 'nested_pickle_loads'
    add(n, glob('pickle', 'loads'), [bbytes(c.system_p2(n))],
        'pickle.loads(bytes of a posix.system pickle)', ('pickle.loads', 'posix.system'),
        Verify('pickle'))
    n = 'nested__pickle_loads'
    add(n, glob('_pickle', 'loads'), [bbytes(c.system_p2(n))],
        '_pickle.loads(bytes of a posix.system pickle)', ('_pickle.loads',), Verify('pickle'))
    bytesio = glob('io', 'BytesIO')
    for n, fn, extra, lib in (
            ('nested_numpy_load', glob('numpy', 'load'), [NONE, NEWTRUE], 'numpy'),
            ('nested_joblib_load', glob('joblib', 'load'), [], 'joblib'),
            ('nested_torch_load', glob('torch', 'load'), [], 'torch'),
            ('nested_pandas_read_pickle', glob('pandas', 'read_pickle'), [], 'pandas')):
        name = fn.decode().strip().replace('\n', '.')[1:]
        add(n, fn, [call(bytesio, bbytes(c.system_p2(n)))] + extra,
            '%s(io.BytesIO(bytes of a posix.system pickle)%s)'
            % (name, ', None, True' if extra else ''), (name,),
            Verify('pickle', python='system', needs=(lib,)))
    n = 'nested_dill_loads'
    add(n, glob('dill', 'loads'), [bbytes(c.system_p2(n))], 'dill.loads(bytes)',
        ('dill.loads',), None, 'dill is not installed here: name only')
    return cases


# ---------------------------------------------------------------- container helpers
def zip_of(members, compression=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # duplicate names
        with zipfile.ZipFile(out, 'w', compression) as z:
            for name, data in members:
                z.writestr(name, data)
    return bytearray(out.getvalue())


def torch_zip(data_pkl, prefix='archive'):
    """A zip laid out as torch.save writes it, data.pkl first."""
    return zip_of([(prefix + '/data.pkl', data_pkl), (prefix + '/version', b'3\n'),
                   (prefix + '/data/0', b'\x00' * 16)])


def central_entries(data):
    """Offsets of the central directory entries of a zip, in order."""
    end = data.rfind(b'PK\x05\x06')
    count, size, start = struct.unpack_from('<HII', data, end + 10)
    found, at = [], start
    for _ in range(count):
        found.append(at)
        n, m, k = struct.unpack_from('<HHH', data, at + 28)
        at += 46 + n + m + k
    return found


def set_flag(data, index, bit, local=True, central=False):
    """Sets a general purpose flag bit of the index-th member, in its local header
    and/or its central directory entry."""
    cd = central_entries(data)[index]
    if central:
        struct.pack_into('<H', data, cd + 8, struct.unpack_from('<H', data, cd + 8)[0] | 1 << bit)
    if local:
        lh = struct.unpack_from('<I', data, cd + 42)[0]
        struct.pack_into('<H', data, lh + 6, struct.unpack_from('<H', data, lh + 6)[0] | 1 << bit)
    return data


def npy_object(pickle_bytes):
    """An .npy file of an object array: its header, then the pickle numpy reads."""
    header = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
    header += ' ' * (63 - (10 + len(header)) % 64) + '\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode() + pickle_bytes


def tar_of(members):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode='w', format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


def container_cases(c):
    cases = []

    def add(name, data, what, ext, verify, expect=('posix.system',), **kw):
        cases.append(Case(name, 'container', bytes(data), what, expect, ext=ext, verify=verify,
                          **kw))

    joblib_ = Verify('joblib', python='system')
    torch_ = Verify('torch', python='system')
    for n, pack, ext in (('gzip_pickle', gzip.compress, '.pkl.gz'),
                         ('bz2_pickle', bz2.compress, '.pkl.bz2'),
                         ('xz_pickle', lzma.compress, '.pkl.xz'),
                         ('zlib_pickle', zlib.compress, '.pkl.z')):
        add(n, pack(c.system_p2(n)), 'the payload pickle, %s-compressed' % n.split('_')[0], ext,
            joblib_, note='joblib.load opens each of these by its magic bytes')
    n = 'gzip_corrupt_tail'
    packed = gzip.compress(c.system_p2(n) + b'\x00' * 262144)
    add(n, packed[:-40] + b'\xff' * 40,
        'gzip of the payload and 256 KiB of zeros after its STOP, the last 40 bytes of '
        'the stream (deflate end and trailer) overwritten', '.pkl.gz', joblib_,
        past_failure=True)
    n = 'zip_single_member'
    add(n, zip_of([('x.bin', c.system_p2(n))]), 'a zip of one member named x.bin', '.zip',
        Verify('pandas', python='system', arg='zip'), member=['x.bin'],
        note='pandas.read_pickle(compression="zip") reads the only member')
    n = 'torch_zip_payload'
    add(n, torch_zip(c.system_p2(n)), 'a torch-layout zip whose archive/data.pkl is the '
        'payload', '.pt', torch_, member=['archive/data.pkl'])
    n = 'zip_odd_member_name'
    add(n, zip_of([('README.txt', b'weights below\n'), ('model/weights', c.system_p2(n))]),
        'a zip whose pickle member is named model/weights', '.zip',
        Verify('zip-member', arg='model/weights'), member=['model/weights'],
        note='a loader that does pickle.loads(zip.read("model/weights"))')
    n = 'zip_local_name_differs'
    data = torch_zip(c.system_p2(n))
    lh = struct.unpack_from('<I', data, central_entries(data)[0] + 42)[0]
    assert data[lh + 30:lh + 46] == b'archive/data.pkl'
    data[lh + 30:lh + 46] = b'archive/data.txt'
    add(n, data, 'CVE-2025-1944: data.pkl\'s local header names it archive/data.txt, the '
        'central directory archive/data.pkl (Python\'s zipfile refuses; torch loads it)',
        '.pt', torch_)
    n = 'zip_encryption_flag'
    add(n, set_flag(torch_zip(c.system_p2(n)), 0, 0),
        'CVE-2025-1945: the encryption flag bit set in data.pkl\'s local header (torch reads '
        'the central directory and loads it)', '.pt', torch_)
    n = 'zip_strong_encryption_flag'
    add(n, set_flag(torch_zip(c.system_p2(n)), 0, 6),
        'CVE-2025-1945: flag bit 6 (strong encryption) set in data.pkl\'s local header: '
        'Python\'s zipfile raises NotImplementedError, torch loads it', '.pt', torch_)
    n = 'zip_bad_crc'
    data = torch_zip(c.system_p2(n))
    cd = central_entries(data)[0]
    lh = struct.unpack_from('<I', data, cd + 42)[0]
    crc = struct.unpack_from('<I', data, cd + 16)[0] ^ 0x5A5A5A5A
    struct.pack_into('<I', data, cd + 16, crc)   # central directory entry
    struct.pack_into('<I', data, lh + 14, crc)   # local header
    add(n, data, 'a torch-layout zip whose data.pkl has a wrong CRC-32 (torch loads it)',
        '.pt', torch_)
    n = 'zip_duplicate_names'
    add(n, zip_of([('archive/data.pkl', c.system_p2(n)),
                   ('archive/data.pkl', pickle.dumps({'ok': 1}, 2)),
                   ('archive/version', b'3\n')]),
        'two archive/data.pkl members: the payload first (torch 1.13 reads it in this order), '
        'a benign one second (Python\'s zipfile reads that)', '.pt', torch_)
    n = 'zip_in_zip'
    add(n, zip_of([('model.pt', bytes(torch_zip(c.system_p2(n))))]),
        'a zip holding model.pt, a torch-layout zip with the payload', '.zip',
        Verify('zip-torch', python='system', arg='model.pt'),
        member=['model.pt', 'archive/data.pkl'],
        note='a loader that opens the inner checkpoint with torch.load')
    n = 'torch_legacy_tar'
    storages = pickle.dumps(0, 2) + pickle.dumps([], 2)
    add(n, tar_of([('sys_info', pickle.dumps({'protocol_version': 1001}, 2)),
                   ('storages', storages), ('tensors', pickle.dumps(0, 2)),
                   ('pickle', c.system_p2(n))]),
        'a tar checkpoint of torch before 0.4 (storages, tensors, pickle), the pickle member '
        'the payload', '.pt', torch_, member=['pickle'])
    n = 'npy_object_payload'
    add(n, npy_object(c.system_p2(n)), 'an object-dtype .npy whose pickled data is the '
        'payload', '.npy', Verify('numpy', python='system'))
    n = 'npz_object_payload'
    add(n, zip_of([('arr_0.npy', npy_object(c.system_p2(n))),
                   ('arr_1.npy', npy_object(pickle.dumps(None, 2)))]),
        'an .npz whose arr_0.npy is such an object array', '.npz',
        Verify('npz', python='system'))
    return cases


def library_cases(c, made):
    """Malicious cases edited from files a library wrote (gen/base/): `made` says which
    libraries the writers could import."""
    cases = []
    base = os.path.join(c.work, 'gen', 'base')
    torch_ = Verify('torch', python='system')
    if 'torch' in made:
        n = 'torch_sleepy_pickle'
        with zipfile.ZipFile(os.path.join(base, 'sleepy.pt')) as z:
            members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
        prefix = next(name for name, _ in members if name.endswith('/data.pkl'))
        out = []
        for name, data in members:
            if name == prefix:
                assert data[:2] == proto(2)
                data = proto(2) + call(SYSTEM, bu(c.cmd(n))) + POP + data[2:]
            out.append((name, data))
        cases.append(Case(n, 'container', bytes(zip_of(out)),
                          'Sleepy Pickle: a real torch.save state_dict whose data.pkl runs '
                          'the payload, POPs its result, then goes on as torch wrote it '
                          '(still loads as the state_dict)', ('posix.system',), ext='.pt',
                          verify=torch_, member=[prefix]))
        n = 'torch_legacy_magic'
        with open(os.path.join(base, 'legacy.pt'), 'rb') as f:
            data = f.read()
        magic = b'\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.'
        assert data.startswith(magic)
        cases.append(Case(n, 'container', c.system_p2(n) + data[len(magic):],
                          'a legacy torch.save file (_use_new_zipfile_serialization=False) '
                          'whose first (magic number) pickle is the payload',
                          ('posix.system',), ext='.pt', verify=torch_))
    if 'joblib' in made:
        n = 'joblib_after_array_data'
        with open(os.path.join(base, 'joblib-array.joblib'), 'rb') as f:
            data = f.read()
        with open(os.path.join(base, 'joblib-array.raw'), 'rb') as f:
            raw = f.read()
        at = data.index(raw) + len(raw)
        cases.append(Case(n, 'container',
                          data[:at] + sg('posix', 'system') + tup(sbu(c.cmd(n))) + REDUCE +
                          POP + data[at:],
                          'joblib.dump of a dict holding an array, the payload inserted '
                          'after the array\'s raw bytes (after the wrapper\'s BUILD, padding '
                          'byte and padding), where the pickle goes on', ('posix.system',),
                          ext='.joblib', verify=Verify('joblib', python='system')))
        n = 'joblib_object_array'
        with open(os.path.join(base, 'joblib-object.joblib'), 'rb') as f:
            data = f.read()
        cases.append(Case(n, 'container', data,
                          'joblib.dump of an object array whose element pickles as '
                          'posix.system(cmd): joblib writes it as a pickle inside the pickle',
                          ('posix.system',), ext='.joblib',
                          verify=Verify('joblib', python='system')))
    return cases


CASE_FAMILIES = (direct_cases, advisory_cases, memo_cases, ext_cases, build_cases,
                 literal_cases, broken_cases, nested_cases, container_cases)


# ------------------------------------------------------------------ benign writers
# Runs under every CPython (2.7 and 3.6+, so Python 2 syntax): `OUTDIR MANIFEST` writes
# NAME-pN.pkl for each object and protocol, and a JSON manifest of what it wrote and
# what this version cannot make or pickle.
STDLIB_WRITER = r'''
import collections, datetime, decimal, fractions, json, os, pickle, re, sys, time, uuid
import array
PY2 = sys.version_info[0] == 2
OUT, MANIFEST = sys.argv[1], sys.argv[2]


def shared():
    inner = [1, 2]
    d = {'k': inner}
    return [inner, inner, d, d, (inner, d)]


def recursive_list():
    l = [1]
    l.append(l)
    return l


def recursive_dict():
    d = {'a': 1}
    d['self'] = d
    return d


def recursive_tuple():
    l = []
    t = (l, 'x')
    l.append(t)
    return t


def datetimes():
    values = [datetime.datetime(2024, 2, 29, 23, 59, 58, 123456)]
    if not PY2:
        values.append(datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc))
        values.append(datetime.datetime(2001, 1, 1, 12, tzinfo=datetime.timezone(
            datetime.timedelta(hours=5, minutes=30), 'IST')))
    return values


def timezones():
    return [datetime.timezone.utc, datetime.timezone(datetime.timedelta(hours=-3)),
            datetime.timezone(datetime.timedelta(hours=5, minutes=30), 'IST')]


def pathlib_(cls):
    import pathlib
    path = 'C:\\Users\\x\\file.txt' if cls == 'PureWindowsPath' else '/tmp/a/b.txt'
    return getattr(pathlib, cls)(path)


def ip(kind):
    import ipaddress
    return [getattr(ipaddress, 'IPv4' + kind)({'Address': '192.0.2.1', 'Network': '192.0.2.0/24',
                                               'Interface': '192.0.2.1/24'}[kind]),
            getattr(ipaddress, 'IPv6' + kind)({'Address': '2001:db8::1', 'Network': '2001:db8::/32',
                                               'Interface': '2001:db8::1/64'}[kind])]


def arrays():
    out = []
    for code, values in (('b', [-1, 2]), ('B', [0, 255]), ('h', [-300]), ('i', [1, -2, 3]),
                         ('l', [2 ** 31]), ('f', [1.5]), ('d', [0.25, -1e300]),
                         ('q', [-2 ** 62]), ('Q', [2 ** 63]), ('u', u'hi')):
        try:
            out.append(array.array(code, values))
        except (ValueError, TypeError):
            pass
    return out


def http_status():
    import http
    return http.HTTPStatus.OK


def signal_enum():
    import signal
    return signal.Signals.SIGINT


def simple_namespace():
    import types
    return types.SimpleNamespace(a=1, b='x', c=[None])


OBJECTS = [
    ('none_bool', lambda: [None, True, False]),
    ('ints', lambda: [0, 1, -1, 127, 128, 255, 256, -256, 65535, 65536, 2 ** 31 - 1, -2 ** 31,
                      2 ** 31, 2 ** 63, -2 ** 63 - 1, 2 ** 64, 10 ** 100, -(10 ** 100), 2 ** 2000]),
    ('floats', lambda: [0.0, -0.0, 1.5, -2.25, 1e308, 5e-324, float('inf'), float('-inf'),
                        float('nan')]),
    ('complex', lambda: [1 + 2j, complex(0, -1.5)]),
    ('text', lambda: [u'', u'ascii', u'caf\xe9', u'\u65e5\u672c\u8a9e', u'\U0001f600',
                      u'line\nbreak \\ "q" \'s\'', u'\x00\x7f\x80\uffff']),
    ('bytes', lambda: [b'', b'\x00\x01\xff', b'abc' * 100]),
    ('bytearray', lambda: [bytearray(b'xyz\x00'), bytearray()]),
    ('py2_str', lambda: ['plain', 'caf\xc3\xa9', '\x00\xff'] if PY2 else None),
    ('py2_unicode', lambda: [unicode('abc'), u'caf\xe9'] if PY2 else None),
    ('tuples', lambda: [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), ((),)]),
    ('lists', lambda: [[], [1, [2, [3, []]]], [None] * 1500]),
    ('dicts', lambda: [{}, {'a': 1, 2: 'b', (1, 2): None, None: 1.5},
                       dict((i, i) for i in range(1500))]),
    ('sets', lambda: [set(), set([1, 2, 3]), frozenset(), frozenset(['a', 'b']),
                      set([frozenset([1])])]),
    ('nested_shared', shared),
    ('recursive_list', recursive_list),
    ('recursive_dict', recursive_dict),
    ('recursive_tuple', recursive_tuple),
    ('ordered_dict', lambda: collections.OrderedDict([('b', 1), ('a', [2])])),
    ('defaultdict', lambda: collections.defaultdict(list, {'a': [1]})),
    ('deque', lambda: [collections.deque([1, 2, 3]), collections.deque([1], maxlen=5)]),
    ('counter', lambda: collections.Counter('abracadabra')),
    ('date', lambda: datetime.date(2024, 2, 29)),
    ('datetime', datetimes),
    ('time', lambda: [datetime.time(12, 30, 15, 500), datetime.time(0, 0)]),
    ('timedelta', lambda: datetime.timedelta(days=-1, seconds=5, microseconds=7)),
    ('timezone', timezones),
    ('decimal', lambda: [decimal.Decimal('3.14'), decimal.Decimal('-Infinity'),
                         decimal.Decimal('NaN'), decimal.Decimal('1E+100')]),
    ('fraction', lambda: fractions.Fraction(3, 7)),
    ('uuid', lambda: uuid.UUID('12345678-1234-5678-1234-567812345678')),
    ('regex', lambda: [re.compile(r'a+b', re.I | re.M), re.compile(b'\\d+'),
                       re.compile(u'\\w+', re.UNICODE | re.X)]),
    ('pure_posix_path', lambda: pathlib_('PurePosixPath')),
    ('posix_path', lambda: pathlib_('PosixPath')),
    ('pure_windows_path', lambda: pathlib_('PureWindowsPath')),
    ('ip_address', lambda: ip('Address')),
    ('ip_network', lambda: ip('Network')),
    ('ip_interface', lambda: ip('Interface')),
    ('array', arrays),
    ('struct_time', lambda: time.gmtime(0)),
    ('simple_namespace', simple_namespace),
    ('slice', lambda: [slice(1, 10, 2), slice(None)]),
    ('range', lambda: [xrange(0, 10, 3)] if PY2 else [range(0, 10, 3), range(5)]),
    ('enum_re_flag', lambda: [re.IGNORECASE, re.I | re.M]),
    ('enum_http_status', http_status),
    ('enum_signal', signal_enum),
    ('ellipsis', lambda: Ellipsis),
    ('notimplemented', lambda: NotImplemented),
]

written, skipped = [], []
for name, make in OBJECTS:
    try:
        obj = make()
    except Exception as e:
        skipped.append({'name': name, 'why': 'cannot make: %s: %s' % (type(e).__name__, e)})
        continue
    if obj is None:
        continue
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        try:
            data = pickle.dumps(obj, protocol)
        except Exception as e:
            skipped.append({'name': '%s-p%d' % (name, protocol),
                            'why': 'cannot pickle: %s: %s' % (type(e).__name__, e)})
            continue
        fname = '%s-p%d.pkl' % (name, protocol)
        with open(os.path.join(OUT, fname), 'wb') as f:
            f.write(data)
        written.append({'file': fname, 'what': '%s at protocol %d' % (name, protocol)})
with open(MANIFEST, 'w') as f:
    json.dump({'written': written, 'skipped': skipped}, f)
'''

# Runs under SYSTEM_PYTHON: `KIND WORK` writes WORK/benign/KIND/* and the bases of the
# malicious library cases in WORK/gen/base/, and WORK/gen/manifest-KIND.json.
LIBRARY_WRITER = r'''
import io, json, os, pickle, sys, warnings
warnings.simplefilter('ignore')
KIND, WORK = sys.argv[1], sys.argv[2]
OUT = os.path.join(WORK, 'benign', KIND)
BASE = os.path.join(WORK, 'gen', 'base')
os.makedirs(OUT, exist_ok=True)
written = []


def path(name):
    return os.path.join(OUT, name)


def note(name, what):
    written.append({'file': name, 'what': what})


def dumps(name, obj, protocols=(2, 4)):
    for p in protocols:
        fname = '%s-p%d.pkl' % (name, p)
        with open(path(fname), 'wb') as f:
            f.write(pickle.dumps(obj, p))
        note(fname, '%s, pickle.dumps protocol %d' % (name, p))


if KIND == 'numpy':
    import numpy as np
    arrays = {
        'bool': np.array([[True, False], [False, True]]),
        'int8': np.arange(-3, 3, dtype='i1'), 'uint8': np.arange(6, dtype='u1'),
        'int16': np.arange(6, dtype='i2'), 'uint16': np.arange(6, dtype='u2'),
        'int32': np.arange(6, dtype='i4').reshape(2, 3), 'uint32': np.arange(6, dtype='u4'),
        'int64': np.arange(6, dtype='i8'), 'uint64': np.arange(6, dtype='u8'),
        'float16': np.linspace(0, 1, 5, dtype='f2'), 'float32': np.ones((2, 2), dtype='f4'),
        'float64': np.array([0.5, np.nan, np.inf, -0.0]), 'longdouble': np.ones(2, dtype='g'),
        'complex64': np.array([1 + 2j], dtype='c8'), 'complex128': np.array([1j, 2], dtype='c16'),
        'datetime64': np.array(['2024-01-01', 'NaT'], dtype='M8[ns]'),
        'timedelta64': np.array([1, 2], dtype='m8[s]'),
        'bytes_S3': np.array([b'ab', b'cde'], dtype='S3'),
        'str_U5': np.array(['caf\u00e9', 'x'], dtype='U5'),
        'void_V4': np.frombuffer(b'abcdefgh', dtype='V4').copy(),
        'structured': np.zeros(2, dtype=[('x', '<i4'), ('y', '<f8', (2,)), ('tag', 'S2')]),
        'big_endian': np.arange(4, dtype='>f8'),
        'fortran': np.asfortranarray(np.arange(6, dtype='<i4').reshape(2, 3)),
        'zero_d': np.array(3.5), 'empty': np.zeros((0, 3), dtype='f4'),
    }
    for name, a in arrays.items():
        dumps('array-' + name, a, (2, 3, 4, 5))
    scalars = {'float64': np.float64(1.5), 'float32': np.float32(-2), 'int64': np.int64(-3),
               'uint8': np.uint8(7), 'bool': np.bool_(True), 'complex128': np.complex128(1 + 2j),
               'datetime64': np.datetime64('2020-01-01T00:00'),
               'timedelta64': np.timedelta64(5, 's'), 'str': np.str_('x'),
               'bytes': np.bytes_(b'y')}
    for name, s in scalars.items():
        dumps('scalar-' + name, s)
    dtypes = {'f4': np.dtype('f4'), 'big_i8': np.dtype('>i8'), 'M8ns': np.dtype('M8[ns]'),
              'U5': np.dtype('U5'), 'structured': arrays['structured'].dtype}
    for name, d in dtypes.items():
        dumps('dtype-' + name, d)
    for name in ('float32', 'int64', 'structured', 'str_U5', 'fortran', 'datetime64'):
        np.save(path('%s.npy' % name), arrays[name])
        note('%s.npy' % name, 'np.save of %s' % name)
    some = dict((k, arrays[k]) for k in ('bool', 'float64', 'int32', 'bytes_S3'))
    np.savez(path('arrays.npz'), **some)
    note('arrays.npz', 'np.savez')
    np.savez_compressed(path('arrays-compressed.npz'), **some)
    note('arrays-compressed.npz', 'np.savez_compressed')

elif KIND == 'pandas':
    import numpy as np
    import pandas as pd
    objs = {
        'frame_range_index': pd.DataFrame({'i': [1, 2, 3], 'f': [0.5, 1.5, np.nan],
                                           's': ['a', 'b', 'c']}),
        'frame_int64_index': pd.DataFrame({'x': [1.0, 2.0]},
                                          index=pd.Index([10, 20], dtype='int64')),
        'frame_datetime_naive': pd.DataFrame({'v': [1, 2, 3]},
                                             index=pd.date_range('2024-01-01', periods=3)),
        'frame_datetime_utc': pd.DataFrame({'v': [1, 2]},
                                           index=pd.date_range('2024-01-01', periods=2, tz='UTC')),
        'frame_datetime_paris': pd.DataFrame({'v': [1, 2]}, index=pd.date_range(
            '2024-01-01', periods=2, tz='Europe/Paris')),
        'frame_categorical': pd.DataFrame({'c': pd.Categorical(['a', 'b', 'a'])}),
        'frame_multiindex': pd.DataFrame({'v': [1, 2, 3, 4]}, index=pd.MultiIndex.from_product(
            [['a', 'b'], [1, 2]], names=['k1', 'k2'])),
        'series_period': pd.Series(pd.period_range('2024-01', periods=3, freq='M')),
        'series_timedelta': pd.Series(pd.to_timedelta([1, 2], unit='s')),
        'series_str': pd.Series(['x', 'y'], name='s'),
        'series_float': pd.Series([0.25, -1.0]),
        'scalars': [pd.Timestamp('2024-01-01', tz='UTC'), pd.Period('2024-01', 'M'),
                    pd.Timedelta('1 day')],
    }
    for name, obj in objs.items():
        dumps(name, obj, (2, 4, 5))
        if hasattr(obj, 'to_pickle'):
            obj.to_pickle(path(name + '.to_pickle.pkl'))
            note(name + '.to_pickle.pkl', name + ', to_pickle')
    for compression, ext in (('gzip', 'gz'), ('bz2', 'bz2'), ('xz', 'xz'), ('zip', 'zip')):
        for name in ('frame_range_index', 'frame_datetime_utc'):
            fname = '%s.to_pickle.%s' % (name, ext)
            objs[name].to_pickle(path(fname), compression=compression)
            note(fname, '%s, to_pickle compression=%s' % (name, compression))

elif KIND == 'sklearn':
    import numpy as np
    import joblib
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    r = X @ np.array([1.0, -2.0, 0.5, 0.0])
    models = {
        'logistic_regression': LogisticRegression().fit(X, y),
        'linear_regression': LinearRegression().fit(X, r),
        'ridge': Ridge().fit(X, r),
        'decision_tree': DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y),
        'random_forest': RandomForestClassifier(n_estimators=3, max_depth=3,
                                                random_state=0).fit(X, y),
        'gradient_boosting': GradientBoostingClassifier(n_estimators=3, random_state=0).fit(X, y),
        'kmeans': KMeans(n_clusters=2, n_init=2, random_state=0).fit(X),
        'standard_scaler': StandardScaler().fit(X),
        'minmax_scaler': MinMaxScaler().fit(X),
        'one_hot_encoder': OneHotEncoder().fit(rng.randint(0, 3, size=(20, 2))),
        'pca': PCA(n_components=2).fit(X),
        'svc': SVC().fit(X, y),
        'kneighbors': KNeighborsClassifier(n_neighbors=3).fit(X, y),
        'pipeline': Pipeline([('scale', StandardScaler()),
                              ('clf', LogisticRegression())]).fit(X, y),
        'mlp': MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0).fit(X, y),
    }
    for name, m in models.items():
        dumps(name, m, (4,))
        joblib.dump(m, path(name + '.joblib'))
        note(name + '.joblib', name + ', joblib.dump')
        joblib.dump(m, path(name + '-compress3.joblib'), compress=3)
        note(name + '-compress3.joblib', name + ', joblib.dump compress=3')

elif KIND == 'joblib':
    import numpy as np
    import joblib
    obj = {'w': np.arange(12, dtype='f4').reshape(3, 4), 'b': np.zeros(4),
           'idx': np.arange(5, dtype='i8'), 'mask': np.array([True, False]),
           'meta': {'epoch': 3, 'name': 'model', 'lr': 0.01}}
    joblib.dump(obj, path('arrays.joblib'))
    note('arrays.joblib', 'joblib.dump of a dict of arrays')
    for c in ('zlib', 'gzip', 'bz2', 'xz'):
        joblib.dump(obj, path('arrays-%s.joblib' % c), compress=(c, 3))
        note('arrays-%s.joblib' % c, 'joblib.dump compress=(%s, 3)' % c)
    raw = np.arange(16, dtype='<i8') * 0x0101010101
    joblib.dump({'a': raw, 'n': 3}, os.path.join(BASE, 'joblib-array.joblib'))
    with open(os.path.join(BASE, 'joblib-array.raw'), 'wb') as f:
        f.write(raw.tobytes())

    class Evil(object):
        def __reduce__(self):
            return (os.system, (sys.argv[3],))
    o = np.empty(2, dtype=object)
    o[0], o[1] = 'fine', Evil()
    joblib.dump({'objects': o}, os.path.join(BASE, 'joblib-object.joblib'))

elif KIND == 'torch':
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(),
                                torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.randn(5, 4)).sum().backward()
    opt.step()
    sd = model.state_dict()
    tensors = {'f32': torch.randn(2, 3), 'f64': torch.zeros(2, dtype=torch.float64),
               'f16': torch.ones(3, dtype=torch.float16),
               'bf16': torch.ones(2, dtype=torch.bfloat16),
               'i8': torch.arange(4, dtype=torch.int8), 'i16': torch.arange(4, dtype=torch.int16),
               'i32': torch.arange(4, dtype=torch.int32), 'i64': torch.arange(4),
               'u8': torch.arange(4, dtype=torch.uint8), 'bool': torch.tensor([True, False]),
               'c64': torch.ones(2, dtype=torch.complex64), 'scalar': torch.tensor(3.5)}
    objs = {'state_dict': sd, 'adam': opt.state_dict(), 'tensors': tensors,
            'checkpoint': {'model': sd, 'optimizer': opt.state_dict(), 'epoch': 3}}
    for name, obj in objs.items():
        torch.save(obj, path(name + '.pt'))
        note(name + '.pt', name + ', torch.save (zip)')
        torch.save(obj, path(name + '-legacy.pt'), _use_new_zipfile_serialization=False)
        note(name + '-legacy.pt', name + ', torch.save (legacy)')
    torch.save(sd, os.path.join(BASE, 'sleepy.pt'))
    torch.save(sd, os.path.join(BASE, 'legacy.pt'), _use_new_zipfile_serialization=False)

with open(os.path.join(WORK, 'gen', 'manifest-%s.json' % KIND), 'w') as f:
    json.dump({'written': written}, f)
'''

HUBCONF = '''open(%r, 'w').close()

dependencies = []


def entry():
    return 0
'''


def run_writer(args, timeout=900):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(),
                       timeout=timeout)
    return r.returncode, r.stderr.decode('utf-8', 'replace')


class Benign(object):
    """A benign file: path relative to WORK/benign, what it holds, who wrote it."""

    def __init__(self, rel, what, source):
        self.rel, self.what, self.source = rel, what, source


def make_benign(c, interpreters, system_libs, report):
    """Runs the writers (several at once), returns (benign files, libraries made)."""
    gen = os.path.join(c.work, 'gen')
    script = os.path.join(gen, 'stdlib_writer.py')
    with open(script, 'w') as f:
        f.write(STDLIB_WRITER)
    lib_script = os.path.join(gen, 'library_writer.py')
    with open(lib_script, 'w') as f:
        f.write(LIBRARY_WRITER)
    jobs = {}
    for label, (path, version) in sorted(interpreters.items()):
        if label == 'system':
            continue
        out = os.path.join(c.work, 'benign', 'py' + label)
        os.makedirs(out, exist_ok=True)
        jobs['py' + label] = [path, script, out, os.path.join(gen, 'manifest-py%s.json' % label)]
    for lib in system_libs:
        jobs[lib] = [SYSTEM_PYTHON, lib_script, lib, c.work, c.cmd('joblib_object_array')]
    made, files = set(), []
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        futures = dict((pool.submit(run_writer, args), key) for key, args in jobs.items())
        for future in concurrent.futures.as_completed(futures):
            key = futures[future]
            rc, err = future.result()
            if rc != 0:
                report.fail('writer %s failed (exit %d): %s' % (key, rc, err[-1500:]))
                continue
            made.add(key)
    for key in sorted(made):
        with open(os.path.join(gen, 'manifest-%s.json' % key)) as f:
            manifest = json.load(f)
        for entry in manifest['written']:
            files.append(Benign(os.path.join(key, entry['file']), entry['what'], key))
        for entry in manifest.get('skipped', []):
            report.note('NOTE: %s cannot write %s (%s)' % (key, entry['name'], entry['why']))
        report.note('benign/%s: %d files' % (key, len(manifest['written'])))
    return files, made


# ---------------------------------------------------------------------- inventory
class Global(object):
    __slots__ = ('module', 'name')

    def __init__(self, module, name):
        self.module, self.name = module, name


class Obj(object):
    __slots__ = ('cls', 'args', 'state')

    def __init__(self, cls, args=None):
        self.cls, self.args, self.state = cls, args, None


MARKOBJ = object()
LEGACY_TORCH_MAGIC = 0x1950a86a20f9469cfc6c


def fixed_name(module, name, protocol):
    """(module, name) as CPython 3's find_class reads it (fix_imports below protocol 3)."""
    if protocol < 3:
        import _compat_pickle
        if (module, name) in _compat_pickle.NAME_MAPPING:
            return _compat_pickle.NAME_MAPPING[(module, name)]
        if module in _compat_pickle.IMPORT_MAPPING:
            return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


def np_itemsize(dtype):
    """The item size of a pickled numpy.dtype (args ('f8', False, True), state tuple)."""
    if not isinstance(dtype, Obj) or not dtype.args:
        raise ValueError('no dtype')
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    if len(state) > 5 and isinstance(state[5], int) and state[5] > 0:
        return state[5]
    return int(re.sub(r'\D', '', dtype.args[0]) or 0)


def walk_pickle(data, start, seen):
    """Walks the pickle at data[start:] with pickletools.genops, adding each global it
    names to `seen` ({(module, name, as written): count}); skips the raw array data
    joblib writes after a NumpyArrayWrapper's BUILD (and walks the pickle it writes
    for an object array). Returns (end offset, value of the pickle or None)."""
    f = io.BytesIO(data)
    f.seek(start)
    stack, memo, protocol = [], {}, 0

    def pop_mark():
        items = []
        while stack and stack[-1] is not MARKOBJ:
            items.append(stack.pop())
        if stack:
            stack.pop()
        return items[::-1]

    def note(module, name):
        fixed = fixed_name(module, name, protocol)
        key = (fixed[0], fixed[1], '' if fixed == (module, name) else '%s.%s' % (module, name))
        seen[key] = seen.get(key, 0) + 1
        return Global(*fixed)

    def top():
        return stack[-1] if stack else None

    for op, arg, pos in pickletools.genops(f):
        name = op.name
        if name == 'PROTO':
            protocol = arg
        elif name in ('FRAME',):
            pass
        elif name == 'STOP':
            return f.tell(), top()
        elif name == 'MARK':
            stack.append(MARKOBJ)
        elif name in ('GLOBAL', 'INST'):
            module, qual = arg.split(' ', 1)
            g = note(module, qual)
            if name == 'INST':
                stack.append(Obj(g, tuple(pop_mark())))
            else:
                stack.append(g)
        elif name == 'STACK_GLOBAL':
            qual, module = stack.pop() if stack else None, stack.pop() if stack else None
            if isinstance(module, str) and isinstance(qual, str):
                stack.append(note(module, qual))
            else:
                seen[('?', 'STACK_GLOBAL of a non-str', '')] = 1
                stack.append(None)
        elif name in ('EXT1', 'EXT2', 'EXT4'):
            seen[('?', 'extension code %d' % arg, '')] = 1
            stack.append(None)
        elif name in ('PUT', 'BINPUT', 'LONG_BINPUT'):
            memo[arg] = top()
        elif name == 'MEMOIZE':
            memo[len(memo)] = top()
        elif name in ('GET', 'BINGET', 'LONG_BINGET'):
            stack.append(memo.get(arg))
        elif name == 'POP':
            if stack:
                stack.pop()
        elif name == 'POP_MARK':
            pop_mark()
        elif name == 'DUP':
            stack.append(top())
        elif name == 'EMPTY_TUPLE':
            stack.append(())
        elif name in ('TUPLE1', 'TUPLE2', 'TUPLE3'):
            n = int(name[-1])
            items = stack[-n:]
            del stack[-n:]
            stack.append(tuple(items))
        elif name == 'TUPLE':
            stack.append(tuple(pop_mark()))
        elif name in ('EMPTY_LIST', 'LIST'):
            stack.append(pop_mark() if name == 'LIST' else [])
        elif name in ('APPEND', 'APPENDS'):
            items = [stack.pop()] if name == 'APPEND' else pop_mark()
            if isinstance(top(), list):
                top().extend(items)
        elif name in ('EMPTY_DICT', 'DICT'):
            items = pop_mark() if name == 'DICT' else []
            stack.append(dict_of(items))
        elif name in ('SETITEM', 'SETITEMS'):
            items = stack[-2:] if name == 'SETITEM' else pop_mark()
            if name == 'SETITEM':
                del stack[-2:]
            if isinstance(top(), dict):
                top().update(dict_of(items))
        elif name in ('REDUCE', 'NEWOBJ'):
            args = stack.pop()
            stack.append(Obj(stack.pop(), args))
        elif name == 'NEWOBJ_EX':
            stack.pop()
            args = stack.pop()
            stack.append(Obj(stack.pop(), args))
        elif name == 'OBJ':
            items = pop_mark()
            stack.append(Obj(items[0] if items else None, tuple(items[1:])))
        elif name == 'BUILD':
            state = stack.pop()
            obj = top()
            if isinstance(obj, Obj):
                obj.state = state
                cls = obj.cls
                if isinstance(cls, Global) and cls.name == 'NumpyArrayWrapper' and \
                        cls.module.startswith('joblib') and isinstance(state, dict):
                    stack[-1] = None
                    f.seek(skip_joblib_array(data, f.tell(), state, seen))
        elif op.arg is not None and name not in ('PERSID',) and op.stack_after and \
                not op.stack_before:
            stack.append(arg)  # a literal
        else:  # anything else: its stack effect, values unknown
            before = list(op.stack_before)
            if pickletools.markobject in before:
                pop_mark()  # the stackslice and the mark
                before = before[:before.index(pickletools.markobject)]
            for _ in before:
                if stack:
                    stack.pop()
            stack.extend([None] * len(op.stack_after))
    return f.tell(), None


def dict_of(items):
    out = {}
    for i in range(0, len(items) - 1, 2):
        try:
            out[items[i]] = items[i + 1]
        except TypeError:
            pass
    return out


def skip_joblib_array(data, at, state, seen):
    """Where the pickle goes on after joblib's array data at `at`."""
    dtype = state.get('dtype')
    args = dtype.args if isinstance(dtype, Obj) else None
    if args and isinstance(args[0], str) and args[0].startswith('O'):
        end, _ = walk_pickle(data, at, seen)  # an object array: a pickle in the pickle
        return end
    count = 1
    for d in state.get('shape') or ():
        count *= d
    skip = count * np_itemsize(dtype)
    if state.get('numpy_array_alignment_bytes') is not None:
        skip += 1 + data[at]
    return at + skip


def unpack(data):
    """data without its compression layers (by magic bytes), or None when none."""
    if data[:2] == b'\x1f\x8b':
        return gzip.decompress(data)
    if data[:3] == b'BZh':
        return bz2.decompress(data)
    if data[:6] == b'\xfd7zXZ\x00':
        return lzma.decompress(data)
    if data[:1] == b'\x78':
        try:
            return zlib.decompress(data)
        except zlib.error:
            return None
    return None


def pickles_in(data, name=''):
    """Yields (label, bytes, start offsets or None) for the pickles a file holds, as best
    this driver knows: compressed streams, zip members (data.pkl and the like, .npy
    members), .npy object arrays, legacy torch files (their five pickles), raw pickles
    (one after another to the end)."""
    inner = unpack(data)
    if inner is not None:
        for found in pickles_in(inner, name + '|decompressed'):
            yield found
        return
    if data[:4] == b'PK\x03\x04':
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                member = z.read(info.filename)
                if info.filename.endswith('.pkl') or member[:6] == b'\x93NUMPY' or \
                        unpack(member) is not None or member[:4] == b'PK\x03\x04' or \
                        (member[:1] == b'\x80' and member.endswith(b'.')):
                    for found in pickles_in(member, name + '[%s]' % info.filename):
                        yield found
        return
    if data[:6] == b'\x93NUMPY':
        major = data[6]
        hlen = struct.unpack_from('<H' if major == 1 else '<I', data, 8)[0]
        start = (10 if major == 1 else 12) + hlen
        header = data[start - hlen:start].decode('latin-1')
        if "'O'" in header or "'|O'" in header:
            yield name, data, [start]
        return
    yield name, data, None


def inventory_file(path, seen_total, files_naming, errors):
    with open(path, 'rb') as f:
        data = f.read()
    seen = {}
    try:
        for label, blob, starts in pickles_in(data):
            if starts is not None:
                for s in starts:
                    walk_pickle(blob, s, seen)
                continue
            at, count, limit = 0, 0, None
            while at < len(blob) and (limit is None or count < limit):
                at, value = walk_pickle(blob, at, seen)
                count += 1
                if count == 1 and value == LEGACY_TORCH_MAGIC:
                    limit = 5  # then raw storage data
    except Exception as e:
        errors.append('%s: %s: %s' % (path, type(e).__name__, e))
    for key, n in seen.items():
        seen_total[key] = seen_total.get(key, 0) + n
        files_naming[key] = files_naming.get(key, 0) + 1


def read_py2_stringnl(f):
    """pickletools' STRING argument reader, but for a Python 2 str that is no ASCII
    (pickletools decodes it as ASCII and stops): latin-1."""
    import codecs
    data = f.readline()
    if not data.endswith(b'\n'):
        raise ValueError('no newline found when trying to read stringnl')
    data = data[:-1]
    if len(data) >= 2 and data[:1] == data[-1:] and data[:1] in b'\'"':
        data = data[1:-1]
    return codecs.escape_decode(data)[0].decode('latin-1')


def print_inventory(c, benign):
    seen, files, errors = {}, {}, []
    reader = pickletools.stringnl.reader
    pickletools.stringnl.reader = read_py2_stringnl
    try:
        for b in benign:
            inventory_file(os.path.join(c.work, 'benign', b.rel), seen, files, errors)
    finally:
        pickletools.stringnl.reader = reader
    print('INVENTORY: the globals the benign corpus names (%d files; module.qualname after '
          'fix_imports, files naming it, occurrences, [as written when fix_imports renamed it])'
          % len(benign))
    for key in sorted(seen):
        module, name, written = key
        print('  %-60s %5d files %6d times%s' % ('%s.%s' % (module, name), files[key], seen[key],
                                                   '  [as %s]' % written if written else ''))
    for e in errors:
        print('  INVENTORY WALK STOPPED: ' + e)


# ---------------------------------------------------------------- --verify-payloads
LOADER = r'''
import io, os, sys, warnings
warnings.simplefilter('ignore')
kind, path, arg = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None
exec(os.environ.get('SCAN_CORPUS_SETUP', ''))
if kind in ('pickle', 'pickle-pure'):
    import pickle
    with open(path, 'rb') as f:
        while True:
            u = pickle.Unpickler(f) if kind == 'pickle' else pickle._Unpickler(f)
            try:
                u.load()
            except EOFError:
                break
elif kind == 'torch':
    import torch
    torch.load(path)
elif kind in ('numpy', 'npz'):
    import numpy
    r = numpy.load(path, allow_pickle=True)
    if kind == 'npz':
        for k in r.files:
            r[k]
elif kind == 'joblib':
    import joblib
    joblib.load(path)
elif kind == 'pandas':
    import pandas
    pandas.read_pickle(path, compression=arg or 'infer')
elif kind == 'zip-member':
    import pickle, zipfile
    pickle.loads(zipfile.ZipFile(path).read(arg))
elif kind == 'zip-torch':
    import torch, zipfile
    torch.load(io.BytesIO(zipfile.ZipFile(path).read(arg)))
'''


def verify_one(c, case, have, loader_path):
    """(ok, detail) for one case under its loader."""
    v = case.verify
    python = sys.executable if v.python == 'self' else SYSTEM_PYTHON
    missing = [m for m in v.needs if m not in have.get(v.python, ())]
    if missing:
        return None, '%s cannot import %s' % (python, ', '.join(missing))
    marker = c.marker(case.name)
    for p in (marker, marker + '.d'):
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)
    if v.check == 'gone':
        os.makedirs(marker + '.d')
    env = clean_env()
    env.update(v.env)
    env['SCAN_CORPUS_SETUP'] = v.setup
    run_dir = os.path.join(c.work, 'run', case.name)
    os.makedirs(run_dir, exist_ok=True)
    argv = [python, loader_path, v.loader, case.path] + ([v.arg] if v.arg else [])
    try:
        r = subprocess.run(argv, input=v.stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           cwd=run_dir, env=env, timeout=180)
        err = r.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired:
        err = 'timed out'
    deadline = time.time() + 5
    while True:
        if v.check == 'marker':
            ok = os.path.exists(marker)
        elif v.check == 'gone':
            ok = not os.path.exists(marker + '.d')
        else:
            ok = 'Connection refused' in err or 'ConnectionRefusedError' in err
        if ok or time.time() > deadline or v.check == 'refused':
            break
        time.sleep(0.1)
    last = [line for line in err.strip().splitlines() if line.strip()]
    return ok, last[-1][:200] if last else ''


def verify_payloads(c, cases, report):
    loader_path = os.path.join(c.work, 'gen', 'loader.py')
    with open(loader_path, 'w') as f:
        f.write(LOADER)
    have = {'self': set(), 'system': set()}
    for lib in ('numpy', 'torch', 'joblib', 'pandas'):
        if os.access(SYSTEM_PYTHON, os.X_OK) and importable(SYSTEM_PYTHON, lib):
            have['system'].add(lib)
    todo = [case for case in cases if case.verify]
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = dict((pool.submit(verify_one, c, case, have, loader_path), case)
                       for case in todo)
        for future in concurrent.futures.as_completed(futures):
            results[futures[future].name] = future.result()
    for case in cases:
        v = case.verify
        if not v:
            print('VERIFY  n/a      %-34s %s' % (case.name, case.note))
            continue
        ok, detail = results[case.name]
        how = '%s%s%s' % (v.loader, '' if v.python == 'self' else ' (system python3)',
                          ', %s' % v.check if v.check != 'marker' else '')
        if ok is None:
            print('VERIFY  SKIPPED  %-34s %s: %s' % (case.name, how, detail))
        elif ok:
            print('VERIFY  fired    %-34s %s%s' % (case.name, how,
                                                   ' (then: %s)' % detail if detail else ''))
        else:
            print('VERIFY  FAILED   %-34s %s: %s' % (case.name, how, detail))
            report.fail('--verify-payloads: %s did not fire under %s: %s'
                        % (case.name, how, detail))


# ------------------------------------------------------------------ scanner checks
class Report(object):
    def __init__(self):
        self.count = 0
        self.failures = []

    def check(self, ok, what):
        self.count += 1
        if not ok:
            self.failures.append(what)
        return ok

    def fail(self, what):
        self.check(False, what)

    def note(self, line):
        print(line)


def scan(cli, args, cwd=None):
    try:
        r = subprocess.run([cli, 'scan'] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=SCAN_TIMEOUT, cwd=cwd)
    except subprocess.TimeoutExpired:
        return -1, '', 'timed out after %d s' % SCAN_TIMEOUT
    return r.returncode, r.stdout.decode('utf-8', 'replace'), r.stderr.decode('utf-8', 'replace')


def report_problems(doc):
    """What is wrong with the shape of a --json report ([] when nothing)."""
    problems = []
    if not isinstance(doc, dict) or not isinstance(doc.get('files'), list) or \
            not isinstance(doc.get('summary'), dict):
        return ['not {"files": [...], "summary": {...}}']
    counts = dict((v, 0) for v in VERDICTS)
    for f in doc['files']:
        if not isinstance(f, dict) or not isinstance(f.get('path'), str) or \
                f.get('verdict') not in VERDICTS or not isinstance(f.get('findings'), list):
            problems.append('a file entry is not {path, verdict, findings}: %r' % (f,))
            continue
        counts[f['verdict']] += 1
        kinds = set()
        for g in f['findings']:
            if not isinstance(g, dict) or not isinstance(g.get('member'), list) or \
                    not all(isinstance(m, str) for m in g['member']) or \
                    not isinstance(g.get('offset'), int) or isinstance(g.get('offset'), bool) or \
                    g['offset'] < 0 or \
                    not (g.get('opcode') is None or isinstance(g['opcode'], str)) or \
                    g.get('verdict') not in ('unsafe', 'unknown', 'error') or \
                    not (g.get('callable') is None or isinstance(g['callable'], str)) or \
                    not isinstance(g.get('why'), str):
                problems.append('%s: a finding is not {member, offset, opcode, verdict, '
                                'callable, why}: %r' % (f['path'], g))
                continue
            kinds.add(g['verdict'])
        expected = 'unsafe' if 'unsafe' in kinds else 'error' if 'error' in kinds else \
            'unknown' if 'unknown' in kinds else 'safe'
        if f['verdict'] != expected:
            problems.append('%s: verdict %r, but its findings (%s) make it %r'
                            % (f['path'], f['verdict'], ', '.join(sorted(kinds)) or 'none',
                               expected))
    summary = doc['summary']
    want = dict(counts, files=len(doc['files']))
    if any(summary.get(k) != v for k, v in want.items()):
        problems.append('summary %r, the files say %r' % (summary, want))
    return problems


def scan_json(report, cli, args, what):
    """(exit status, parsed report or None) of `pickle scan --json ARGS`."""
    rc, out, err = scan(cli, ['--json'] + args)
    try:
        doc = json.loads(out)
    except ValueError:
        report.fail('%s: exit %d, standard output is no JSON: %r (stderr %r)'
                    % (what, rc, out[:300], err[:300]))
        return rc, None
    for p in report_problems(doc):
        report.fail('%s: %s' % (what, p))
    return rc, doc


def findings_summary(f):
    return '; '.join('%s%s %s %s' % (g.get('member') or '', g.get('offset'), g.get('verdict'),
                                     g.get('callable') or g.get('why'))
                     for g in f.get('findings', [])[:8])


def check_malicious(report, cli, cases, jobs):
    def one(case):
        return case, scan_json(report, cli, [case.path], 'malicious ' + case.name)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, cases))
    for case, (rc, doc) in results:
        what = 'malicious %s (%s)' % (case.name, case.what)
        report.check(rc == 1, '%s: exit %d, expected 1' % (what, rc))
        if doc is None:
            continue
        if not report.check(len(doc.get('files', [])) == 1,
                            '%s: %d file entries' % (what, len(doc.get('files', [])))):
            continue
        f = doc['files'][0]
        report.check(f.get('verdict') != 'safe', '%s: verdict safe' % what)
        callables = set(g.get('callable') for g in f.get('findings', []))
        for name in case.expect:
            report.check(name in callables, '%s: no finding names %s%s (findings: %s)'
                         % (what, name, ' (it runs before the stream fails)'
                            if case.past_failure else '', findings_summary(f)))
        if case.member is not None and case.expect:
            members = [g.get('member') for g in f.get('findings', [])
                       if g.get('callable') == case.expect[0]]
            report.check(case.member in members, '%s: the %s finding is in %r, expected %r'
                         % (what, case.expect[0], members, case.member))
        if case.member is None and case.family not in ('container', 'nested'):
            report.check(all(g.get('member') == [] for g in f.get('findings', [])),
                         '%s: a plain pickle has findings with members: %s'
                         % (what, findings_summary(f)))


def by_path(doc, cwd):
    out = {}
    for f in doc.get('files', []):
        if isinstance(f, dict) and isinstance(f.get('path'), str):
            out[os.path.normpath(os.path.join(cwd, f['path']))] = f
    return out


def check_benign(report, cli, c, benign):
    folder = os.path.join(c.work, 'benign')
    rc, doc = scan_json(report, cli, [folder], 'benign folder')
    report.check(rc == 0, 'pickle scan --json benign/: exit %d, expected 0' % rc)
    if doc is None:
        return
    files = by_path(doc, os.getcwd())
    bad = 0
    for b in benign:
        path = os.path.normpath(os.path.join(folder, b.rel))
        f = files.get(path)
        if not report.check(f is not None, 'benign %s (%s): not in the report' % (b.rel, b.what)):
            continue
        ok = f.get('verdict') == 'safe' and not f.get('findings')
        if not ok:
            bad += 1
        report.check(ok, 'benign %s (%s): verdict %s: %s'
                     % (b.rel, b.what, f.get('verdict'), findings_summary(f)))
    on_disk = sum(len(names) for _, _, names in os.walk(folder))
    report.check(doc['summary'].get('files') == on_disk,
                 'benign folder: summary counts %r files, %d on disk'
                 % (doc['summary'].get('files'), on_disk))
    print('benign: %d files, %d not safe' % (len(benign), bad))
    rc, out, err = scan(cli, [folder])
    report.check(rc == 0, 'pickle scan benign/ (text): exit %d, expected 0: %s'
                 % (rc, (out + err)[-500:]))


FINDING_LINE = re.compile(r'^(?P<where>.+?):(?P<offset>\d+): (?P<verdict>unsafe|unknown|error): '
                          r'(?P<rest>.+)$')


def check_text(report, cli, folder, doc, what):
    """Text output: one line per finding of the JSON report `doc` of the same run."""
    rc, out, err = scan(cli, [folder])
    lines = [line for line in out.splitlines() if line.strip()]
    report.check(rc == (0 if doc['summary'].get('files') == doc['summary'].get('safe') else 1),
                 '%s text: exit %d' % (what, rc))
    if not report.check(lines and lines[-1].startswith('scanned %d file' % len(doc['files'])),
                        '%s text: last line %r, expected "scanned %d file..."'
                        % (what, lines[-1] if lines else None, len(doc['files']))):
        return
    body = lines[:-1]
    findings = [(f['path'], g) for f in doc['files'] for g in f['findings']]
    report.check(len(body) == len(findings), '%s text: %d lines before the summary, %d findings'
                 % (what, len(body), len(findings)))
    parsed = collections.Counter()
    for line in body:
        m = FINDING_LINE.match(line)
        if report.check(m is not None, '%s text: %r is not PATH[MEMBER]:OFFSET: VERDICT: ...'
                        % (what, line)):
            parsed[(m.group('where'), int(m.group('offset')), m.group('verdict'))] += 1
    wanted = collections.Counter()
    for path, g in findings:
        where = path + ''.join('[%s]' % m for m in g['member'])
        wanted[(where, g['offset'], g['verdict'])] += 1
        if g.get('callable') and g['verdict'] != 'error':
            start = '%s:%d: %s: %s' % (where, g['offset'], g['verdict'], g['callable'])
            report.check(any(line.startswith(start) for line in body),
                         '%s text: no line starts %r' % (what, start))
    missing = wanted - parsed
    report.check(not missing, '%s text: no lines for %s' % (what, list(missing)[:5]))


def check_sarif(report, cli, folder, doc, what):
    rc, out, err = scan(cli, ['--sarif', folder])
    try:
        sarif = json.loads(out)
    except ValueError:
        report.fail('%s --sarif: exit %d, no JSON: %r %r' % (what, rc, out[:200], err[:200]))
        return
    ok = report.check(isinstance(sarif, dict) and sarif.get('version') == '2.1.0' and
                      isinstance(sarif.get('runs'), list) and sarif['runs'],
                      '%s --sarif: version %r, runs %r' % (what, sarif.get('version')
                                                           if isinstance(sarif, dict) else None,
                                                           str(sarif)[:100]))
    if not ok:
        return
    run = sarif['runs'][0]
    driver = run.get('tool', {}).get('driver', {}) if isinstance(run, dict) else {}
    report.check(driver.get('name') == 'pickle scan',
                 '%s --sarif: runs[0].tool.driver.name %r' % (what, driver.get('name')))
    results = run.get('results') if isinstance(run, dict) else None
    if not report.check(isinstance(results, list), '%s --sarif: no results list' % what):
        return
    count = sum(len(f['findings']) for f in doc['files'])
    report.check(len(results) == count, '%s --sarif: %d results, %d findings'
                 % (what, len(results), count))
    for r in results:
        try:
            good = isinstance(r['ruleId'], str) and isinstance(r['level'], str) and \
                isinstance(r['message']['text'], str) and \
                isinstance(r['locations'][0]['physicalLocation']['artifactLocation']['uri'], str)
        except (KeyError, IndexError, TypeError):
            good = False
        if not report.check(good, '%s --sarif: a result lacks ruleId, level, message.text or '
                            'locations[0].physicalLocation.artifactLocation.uri: %r'
                            % (what, r)):
            break


def sorted_doc(doc):
    return dict(doc, files=sorted(doc['files'], key=lambda f: f.get('path', '')))


def check_folders(report, cli, c, cases, benign):
    """The mixed folder: exit 1, --jobs 1 = --jobs 2, text and SARIF against JSON."""
    mixed = os.path.join(c.work, 'mixed')
    for b in benign[::max(1, len(benign) // 40)]:
        dst = os.path.join(mixed, 'benign-' + b.rel.replace(os.sep, '-'))
        shutil.copyfile(os.path.join(c.work, 'benign', b.rel), dst)
    for case in cases[::max(1, len(cases) // 25)]:
        shutil.copyfile(case.path, os.path.join(mixed, os.path.basename(case.path)))
    os.makedirs(os.path.join(mixed, 'sub', 'deeper'), exist_ok=True)
    if cases:
        shutil.copyfile(cases[-1].path,
                        os.path.join(mixed, 'sub', 'deeper', 'again' + cases[-1].ext))
    docs = []
    for jobs in ('1', '2'):
        rc, doc = scan_json(report, cli, ['--jobs', jobs, mixed], 'mixed --jobs ' + jobs)
        report.check(rc == 1, 'pickle scan --json --jobs %s mixed/: exit %d, expected 1'
                     % (jobs, rc))
        docs.append(doc)
    if None in docs:
        return
    report.check(sorted_doc(docs[0]) == sorted_doc(docs[1]),
                 'mixed: --jobs 1 and --jobs 2 differ (sorted by path)')
    rc, out, err = scan(cli, [mixed])
    report.check(rc == 1, 'pickle scan mixed/ (text): exit %d, expected 1' % rc)
    check_text(report, cli, mixed, docs[0], 'mixed')
    check_sarif(report, cli, mixed, docs[0], 'mixed')
    malicious = os.path.join(c.work, 'malicious')
    rc, doc = scan_json(report, cli, [malicious], 'malicious folder')
    report.check(rc == 1, 'pickle scan --json malicious/: exit %d' % rc)
    if doc is not None:
        report.check(all(f['verdict'] != 'safe' for f in doc['files']),
                     'malicious folder: safe files: %s'
                     % [f['path'] for f in doc['files'] if f['verdict'] == 'safe'])
        check_text(report, cli, malicious, doc, 'malicious')
        check_sarif(report, cli, malicious, doc, 'malicious')


# A numpy array pickled by numpy 1.24 (np.arange(3, dtype='<i8'), protocol 2).
NUMPY_ARRAY_P2 = (
    b'\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x00cnumpy\nndarray\nq\x01K\x00\x85q\x02'
    b'c_codecs\nencode\nq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q\x06Rq\x07'
    b'\x87q\x08Rq\t(K\x01K\x03\x85q\ncnumpy\ndtype\nq\x0bX\x02\x00\x00\x00i8q\x0c\x89\x88\x87q'
    b'\rRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x10b\x89'
    b'h\x03X\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02'
    b'\x00\x00\x00\x00\x00\x00\x00q\x11h\x05\x86q\x12Rq\x13tq\x14b.')


def check_options(report, cli, c):
    """Usage errors, a missing path, --allow, --policy, --strict."""
    d = os.path.join(c.work, 'options')
    plain = os.path.join(d, 'plain.pkl')
    with open(plain, 'wb') as f:
        f.write(pickle.dumps([1, 2], 2))
    for args, what in ((['--bogus-option', plain], 'an unknown option'), ([], 'no PATH'),
                       (['--jobs', '0', plain], '--jobs 0'),
                       (['--json', '--sarif', plain], '--json with --sarif')):
        rc, out, err = scan(cli, args)
        report.check(rc == 2, 'usage: pickle scan %s (%s): exit %d, expected 2 (%r)'
                     % (' '.join(args), what, rc, err[:200]))
    rc, out, err = scan(cli, [os.path.join(d, 'no-such-file.pkl')])
    report.check(rc == 1, 'pickle scan MISSING: exit %d, expected 1' % rc)

    for protocol, body in ((2, glob('__main__', 'MyClass')), (4, sg('__main__', 'MyClass'))):
        path = os.path.join(d, 'main_class-p%d.pkl' % protocol)
        with open(path, 'wb') as f:
            f.write(pkl(protocol, body + EMPTY_TUPLE + NEWOBJ + dct((bu('x'), binint(1))) +
                        BUILD))
        what = 'a __main__.MyClass instance (protocol %d)' % protocol
        rc, doc = scan_json(report, cli, [path], what)
        report.check(rc == 1, '%s: exit %d without --allow, expected 1' % (what, rc))
        if doc and doc['files']:
            f = doc['files'][0]
            report.check(f['verdict'] == 'unknown', '%s: verdict %r, expected unknown (%s)'
                         % (what, f['verdict'], findings_summary(f)))
            report.check(any(g.get('callable') == '__main__.MyClass' for g in f['findings']),
                         '%s: no finding names __main__.MyClass: %s' % (what, findings_summary(f)))
        for args, how in ((['--allow', '__main__.MyClass'], '--allow __main__.MyClass'),
                          (['--policy', os.path.join(d, 'policy.json')], '--policy FILE')):
            with open(os.path.join(d, 'policy.json'), 'w') as pf:
                json.dump({'allow': ['__main__.MyClass']}, pf)
            rc, doc = scan_json(report, cli, args + [path], '%s with %s' % (what, how))
            report.check(rc == 0, '%s with %s: exit %d, expected 0' % (what, how, rc))
            if doc and doc['files']:
                report.check(doc['files'][0]['verdict'] == 'safe',
                             '%s with %s: verdict %r' % (what, how, doc['files'][0]['verdict']))
        rc, doc = scan_json(report, cli, ['--allow', '__main__.Other', path],
                            '%s with --allow __main__.Other' % what)
        report.check(rc == 1, '%s with --allow __main__.Other: exit %d, expected 1' % (what, rc))

    arr = os.path.join(d, 'numpy-array.pkl')
    with open(arr, 'wb') as f:
        f.write(NUMPY_ARRAY_P2)
    rc, doc = scan_json(report, cli, [arr], 'a numpy array pickle')
    report.check(rc == 0, 'a numpy array pickle: exit %d by default, expected 0' % rc)
    rc, doc = scan_json(report, cli, ['--strict', arr], 'a numpy array pickle --strict')
    report.check(rc == 1, 'a numpy array pickle: exit %d with --strict, expected 1' % rc)
    if doc and doc['files']:
        report.check(doc['files'][0]['verdict'] != 'safe',
                     'a numpy array pickle with --strict: verdict safe')
    data = {'list': [1, 2, [3]], 'set': {1, 2}, 'str': 'caf\u00e9', 'int': -5, 'big': 2 ** 70,
            'tuple': (1.5, None, True), 'frozen': frozenset([3])}
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        path = os.path.join(d, 'builtin-data-p%d.pkl' % protocol)
        with open(path, 'wb') as f:
            f.write(pickle.dumps(data, protocol))
        rc, doc = scan_json(report, cli, ['--strict', path],
                            'builtin data protocol %d --strict' % protocol)
        report.check(rc == 0, 'builtin data (protocol %d) with --strict: exit %d, expected 0: %s'
                     % (protocol, rc, findings_summary(doc['files'][0])
                        if doc and doc['files'] else ''))


def scan_available(cli):
    """(True, '') when `pickle scan` exists, else (False, why)."""
    try:
        r = subprocess.run([cli, 'scan', '--help'], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except OSError as e:
        return False, str(e)
    if r.returncode != 0:
        return False, 'pickle scan --help: exit %d: %s' % (
            r.returncode, r.stderr.decode('utf-8', 'replace').strip()[:300])
    return True, ''


# ------------------------------------------------------------------------- main
def build(c, args, report):
    """Makes the corpus: (malicious cases, benign files)."""
    labels = CPYTHON_LABELS + ('system',)
    found = find_interpreters(labels)
    for label in CPYTHON_LABELS:
        if label in found:
            path, version = found[label]
            print('FOUND:   python%s = %s (%s)' % (label, path, '.'.join(map(str, version))))
        else:
            print('SKIPPED: python%s not found: no benign/py%s files' % (label, label))
    libs = []
    if 'system' in found:
        for lib in LIBRARIES:
            version = importable(SYSTEM_PYTHON, lib)
            if version:
                print('FOUND:   %s %s under %s' % (lib, version, SYSTEM_PYTHON))
                libs.append(lib)
            else:
                print('SKIPPED: %s: %s cannot import it (apt-get install python3-%s): its '
                      'files are not made' % (lib, SYSTEM_PYTHON, lib))
    else:
        print('SKIPPED: %s not found: no numpy, pandas, scikit-learn, joblib or torch files'
              % SYSTEM_PYTHON)
    if not [label for label in CPYTHON_LABELS if label in found] and not libs:
        report.fail('no interpreter found at all: no benign corpus')
    hub = os.path.join(c.work, 'support', 'hub')
    os.makedirs(hub, exist_ok=True)
    with open(os.path.join(hub, 'hubconf.py'), 'w') as f:
        f.write(HUBCONF % c.marker('torch_hub_load'))
    benign, made = make_benign(c, found, libs, report)
    cases = []
    for family in CASE_FAMILIES:
        cases.extend(family(c))
    cases.extend(library_cases(c, made))
    for lib, names in (('torch', 'torch_sleepy_pickle, torch_legacy_magic'),
                       ('joblib', 'joblib_after_array_data, joblib_object_array')):
        if lib not in made:
            print('SKIPPED: malicious %s: no %s files' % (names, lib))
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), 'duplicate case names'
    if args.filter:
        cases = [case for case in cases if args.filter in case.name]
        benign = [b for b in benign if args.filter in b.rel]
        keep = set(os.path.join(c.work, 'benign', b.rel) for b in benign)
        for root, _, files in os.walk(os.path.join(c.work, 'benign')):
            for name in files:
                if os.path.join(root, name) not in keep:
                    os.remove(os.path.join(root, name))
    for case in cases:
        case.path = os.path.join(c.work, 'malicious', case.name + case.ext)
        with open(case.path, 'wb') as f:
            f.write(case.data)
    families = collections.Counter(case.family for case in cases)
    print('malicious: %d cases (%s); benign: %d files'
          % (len(cases), ', '.join('%s %d' % kv for kv in sorted(families.items())), len(benign)))
    return cases, benign


def list_cases(cases, benign):
    for case in cases:
        print('malicious  %-34s %-10s expect %-60s %s%s' % (
            case.name, case.family, ', '.join(case.expect) or '(not safe)', case.what,
            ' [decoded past a failure]' if case.past_failure else ''))
    for b in benign:
        print('benign     %-50s %s' % (b.rel, b.what))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cli', help='the pickle tool (without it, only the corpus is made)')
    ap.add_argument('--keep', metavar='DIR', help='make the corpus in DIR (new) and keep it')
    ap.add_argument('--filter', metavar='SUBSTR',
                    help='only the malicious cases and benign files whose name holds SUBSTR '
                         '(the folder and option checks run on what is left)')
    ap.add_argument('--list', action='store_true', help='list the cases and stop')
    ap.add_argument('--inventory', action='store_true',
                    help='print the globals the benign corpus names')
    ap.add_argument('--verify-payloads', action='store_true',
                    help='load each malicious case with its real loader; check it fires')
    ap.add_argument('--parallel', type=int, default=2, metavar='N',
                    help='scanner runs at once (default 2)')
    args = ap.parse_args()
    if args.keep:
        os.makedirs(args.keep)
        work = os.path.abspath(args.keep)
    else:
        work = tempfile.mkdtemp(prefix='scan_corpus-')
    report = Report()
    started = time.time()
    try:
        c = Corpus(work)
        cases, benign = build(c, args, report)
        print('corpus made in %.1f s in %s' % (time.time() - started, work))
        if args.list:
            list_cases(cases, benign)
        elif args.cli:
            ok, why = scan_available(args.cli)
            if report.check(ok, '`pickle scan` is not available in %s: %s' % (args.cli, why)):
                check_malicious(report, args.cli, cases, args.parallel)
                check_benign(report, args.cli, c, benign)
                check_folders(report, args.cli, c, cases, benign)
                check_options(report, args.cli, c)
        else:
            print('no --cli: the corpus is made, nothing is scanned')
        if args.verify_payloads and not args.list:
            verify_payloads(c, cases, report)
        if args.inventory:
            print_inventory(c, benign)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for f in report.failures:
        print('FAIL ' + f)
    print('%d checks, %d failures (%.0f s)' % (report.count, len(report.failures),
                                                time.time() - started))
    return 1 if report.failures else 0


if __name__ == '__main__':
    sys.exit(main())
