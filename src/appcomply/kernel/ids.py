"""Identifiers: UUIDv7 (RFC 9562) generated in Python, so rows sort by creation and no database default is needed."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_seq = 0


def new_id() -> uuid.UUID:
    """A UUIDv7; monotonic within a process (a 12-bit counter breaks ties inside one millisecond)."""
    global _last_ms, _seq
    with _lock:
        # The clock rule (T1) is about business time; id generation needs wall-clock milliseconds by
        # definition of UUIDv7, so it reads the clock here, inside kernel/.
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _seq += 1
            if _seq > 0xFFF:
                ms += 1
                _seq = 0
        else:
            _seq = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _last_ms = ms
        seq = _seq
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= seq << 64
    value |= 0b10 << 62
    value |= rand_b
    return uuid.UUID(int=value)
