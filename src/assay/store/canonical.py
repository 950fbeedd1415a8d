"""Pickles in one canonical form, so the same model always has the same bytes.

A pickle records object identity: a string that two attributes share is written once
and referenced after, two equal copies are written twice. Which one a fitted model
holds depends on where its inputs came from (a frame handed over in memory, or read
back from Parquet), so the same training, with the same seed, pickled to different
bytes on different workers, and a rebuilt model could never be checked against the
registered sha256. Rewriting the stream so that every string value is written once
and referenced afterwards removes that difference; it changes no value (strings are
immutable, sharing one is invisible to the model).
"""

from __future__ import annotations

import pickletools
import struct
from typing import Any

_STRINGS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8"})
_GETS = frozenset({"BINGET", "LONG_BINGET"})
_UNSUPPORTED = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "GET"})
"""Explicit memo indices, which protocol 4 and later picklers never write: a stream
that has them is returned as it is."""


def canonical_pickle(data: bytes) -> bytes:
    """``data`` with every repeated string value replaced by a reference to its first copy.

    Frames are dropped (they are optional and only group reads). Anything this does not
    recognise (an older protocol, explicit memo indices) leaves ``data`` unchanged.
    """
    try:
        ops = list(pickletools.genops(data))
    except (ValueError, struct.error):
        return data
    if any(op.name in _UNSUPPORTED for op, _, _ in ops):
        return data
    try:
        return _rewrite(data, ops)
    except KeyError:  # a reference to an index never memoized: not a stream to rewrite
        return data


def _rewrite(data: bytes, ops: list[tuple[pickletools.OpcodeInfo, Any, int | None]]) -> bytes:
    ends = [pos for _, _, pos in ops[1:]] + [len(data)]
    out = bytearray()
    remap: dict[int, int] = {}  # memo index in data -> memo index in the result
    first: dict[str, int] = {}  # string value -> the result's memo index of its first copy
    old = new = 0
    skip_memoize = False
    for index, (op, arg, pos) in enumerate(ops):
        name = op.name
        if name == "FRAME":
            continue
        if name == "MEMOIZE":
            if skip_memoize:  # the string it memoized is a reference to the first copy now
                skip_memoize = False
                old += 1
                continue
            remap[old] = new
            old, new = old + 1, new + 1
            out += data[pos:ends[index]]
            continue
        if name in _STRINGS and isinstance(arg, str):
            memoized = index + 1 < len(ops) and ops[index + 1][0].name == "MEMOIZE"
            if arg in first:
                out += _get(first[arg])
                if memoized:
                    remap[old] = first[arg]
                    skip_memoize = True
                continue
            if memoized:
                first[arg] = new
        if name in _GETS:
            assert isinstance(arg, int)
            out += _get(remap[arg])
            continue
        out += data[pos:ends[index]]
    return bytes(out)


def _get(index: int) -> bytes:
    """The opcode that pushes memo entry ``index``."""
    return b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index)
