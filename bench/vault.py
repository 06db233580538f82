"""Benchmark the vault: seal, open and blind_index per second for phone numbers and ID numbers.

Each figure is printed beside a reference measured in the same run:
- seal: `vault.seal` vs a bare `AESGCM.encrypt` with a fresh `os.urandom` nonce (no AAD framing, no base64);
- open: `vault.open_sealed` vs a bare `AESGCM.decrypt` of the same bytes;
- blind_index: `vault.blind_index` vs a bare `hmac.new(key, value, sha256).hexdigest()`.

    .venv/bin/python -m bench.vault                 # 200,000 values of each kind, best of 3 passes
    .venv/bin/python -m bench.vault --count 50000
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import random
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appcomply.vault import Keyring, PiKind, blind_index, generate_key_line, open_sealed, parse_index_key, seal

CONTEXT = "0195f3c4-7a1e-7c3b-9d2e-5f6a7b8c9d0e"  # an app id, as callers pass it


def phones(count: int, rng: random.Random) -> list[str]:
    return [f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" for _ in range(count)]


def id_numbers(count: int, rng: random.Random) -> list[str]:
    # Shape only (6-digit area, 8-digit birth date, 3-digit sequence, check character); checksums do not matter.
    return [
        f"{rng.randrange(110000, 660000)}{rng.randrange(1950, 2010)}{rng.randrange(1, 13):02d}"
        f"{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}{rng.choice('0123456789X')}"
        for _ in range(count)
    ]


def rate(op: Callable[[str], object], values: list[str], repeat: int = 3) -> float:
    """Best of `repeat` passes: other processes on a shared machine only ever make a pass slower."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for value in values:
            op(value)
        best = min(best, time.perf_counter() - started)
    return len(values) / best


def bench_kind(label: str, kind: PiKind, values: list[str], keyring: Keyring, index_key: bytes) -> None:
    aes = AESGCM(os.urandom(32))
    raw_nonce = os.urandom(12)
    sealed = {value: seal(keyring, value, kind=kind, context=CONTEXT) for value in values}
    raw = {value: aes.encrypt(raw_nonce, value.encode(), None) for value in values}
    figures = {
        "seal": (
            rate(lambda v: seal(keyring, v, kind=kind, context=CONTEXT), values),
            rate(lambda v: aes.encrypt(os.urandom(12), v.encode(), None), values),
        ),
        "open": (
            rate(lambda v: open_sealed(keyring, sealed[v], kind=kind, context=CONTEXT), values),
            rate(lambda v: aes.decrypt(raw_nonce, raw[v], None), values),
        ),
        "blind_index": (
            rate(lambda v: blind_index(index_key, v, kind=kind, context=CONTEXT), values),
            rate(lambda v: hmac.new(index_key, v.encode(), hashlib.sha256).hexdigest(), values),
        ),
    }
    example = sealed[values[0]]
    print(f"{label} ({len(values[0])} chars, sealed token {len(example)} chars, e.g. {example[:24]}…)")
    for name, (ours, bare) in figures.items():
        print(f"  {name:<11} {ours:>10,.0f}/s   bare {bare:>10,.0f}/s   ratio {ours / bare:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200_000, help="values of each kind")
    args = parser.parse_args()
    rng = random.Random(20260501)
    keyring = Keyring.parse(f"{generate_key_line('k2')},{generate_key_line('k1')}")
    index_key = parse_index_key(generate_key_line("idx").partition(":")[2])
    bench_kind("phone numbers", PiKind.PHONE, phones(args.count, rng), keyring, index_key)
    bench_kind("ID numbers", PiKind.ID_NUMBER, id_numbers(args.count, rng), keyring, index_key)


if __name__ == "__main__":
    main()
