# What every pickle a conversion or dump writes at protocol N must be, whatever it
# holds: only opcodes of protocols <= N, at most one PROTO and only as the first
# opcode (N >= 2; none below), and frames that begin and end on opcode boundaries
# without overlapping. Python's own unpickler is lenient about all three, so loading
# alone would not notice; pickletools (the checker of the Python that runs this,
# which must know every opcode of N) does.
#
#   from wellformed import problems
#   problems(data, protocol) -> [] when data (one pickle or several in a row) is well
#   formed, else a list of what is wrong, each with its byte offset.
import io
import pickletools


def _ops(data):
    """(opcode, argument, offset) of the pickle at the start of data, as genops, but
    without decoding text arguments: pickletools refuses a protocol-0 STRING of
    non-ASCII bytes, which Python 2 writes and every unpickler reads."""
    f = io.BytesIO(data)
    while True:
        pos = f.tell()
        code = f.read(1)
        if not code:
            raise ValueError('pickle exhausted before STOP')
        op = pickletools.code2op.get(code.decode('latin-1'))
        if op is None:
            raise ValueError('unknown opcode %r at byte %d' % (code, pos))
        arg = None
        if op.arg is None:
            pass
        elif op.arg.n == pickletools.UP_TO_NEWLINE:
            for _ in range(2 if op.arg.name == 'stringnl_noescape_pair' else 1):
                if not f.readline().endswith(b'\n'):
                    raise ValueError('no newline after %s at byte %d' % (op.name, pos))
        else:
            arg = op.arg.reader(f)
        yield op, arg, pos
        if op.name == 'STOP':
            return


def _one(data, start, protocol, out):
    """Checks the pickle at data[start:]; returns the offset after its STOP."""
    starts = set()
    frames = []  # (end of the frame, offset of FRAME)
    protos = 0
    end = None
    for op, arg, pos in _ops(data[start:]):
        at = start + pos
        starts.add(at)
        if op.proto > protocol:
            out.append('byte %d: %s is a protocol %d opcode in a protocol %d pickle'
                       % (at, op.name, op.proto, protocol))
        if op.name == 'PROTO':
            protos += 1
            if protocol < 2:
                pass  # already reported as newer than the protocol
            elif protos > 1:
                out.append('byte %d: a second PROTO' % at)
            elif pos != 0:
                out.append('byte %d: PROTO is not the first opcode' % at)
            elif arg != protocol:
                out.append('byte %d: PROTO %d in a protocol %d pickle' % (at, arg, protocol))
        elif op.name == 'FRAME':
            if frames and at < frames[-1][0]:
                out.append('byte %d: FRAME inside the frame of byte %d' % (at, frames[-1][1]))
            frames.append((at + 9 + arg, at))
        if op.name == 'STOP':
            end = at + 1
            break
    if end is None:
        out.append('byte %d: no STOP' % start)
        return len(data)
    starts.add(end)
    if protocol >= 2 and protos == 0:
        out.append('byte %d: no PROTO in a protocol %d pickle' % (start, protocol))
    for frame_end, at in frames:
        if frame_end > end:
            out.append('byte %d: the frame ends at byte %d, after the STOP' % (at, frame_end))
        elif frame_end not in starts:
            out.append('byte %d: the frame ends at byte %d, inside an opcode' % (at, frame_end))
    return end


def problems(data, protocol):
    out = []
    start = 0
    while start < len(data) and not out:
        try:
            start = _one(data, start, protocol, out)
        except Exception as e:  # pickletools refuses it outright
            out.append('byte %d: pickletools cannot read it: %s' % (start, e))
            break
    if not data:
        out.append('empty output')
    return out
