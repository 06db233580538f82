"""Benchmark the identity validators against the bare library calls they wrap, measured in the same run.

- normalise_mobile vs phonenumbers.parse + is_valid_number;
- validate_id_number vs stdnum.cn.ric.validate;
- validate_uscc vs stdnum.cn.uscc.validate.

Inputs are the shared test vectors (valid and invalid alike), repeated to about --calls calls per figure.

    .venv/bin/python -m bench.identity
    .venv/bin/python -m bench.identity --calls 300000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import phonenumbers
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from appcomply.identity import rules
from appcomply.kernel.errors import DomainError

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TODAY = dt.date(2026, 11, 29)


def _column(name: str, column: str) -> list[str]:
    with (DATA / "cn-id-test-vectors" / name).open(encoding="utf-8", newline="") as f:
        return [row[column] for row in csv.DictReader(f)]


def phone_inputs() -> list[str]:
    territory = ET.parse(DATA / "cn-phone-prefixes" / "PhoneNumberMetadata_CN.xml").getroot()  # noqa: S314
    examples = [el.text or "" for el in territory.iter("exampleNumber")]
    # The shapes users type, around the metadata's own examples.
    return [*examples, "13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "8613912345678", "+852 9123 4567"]


def _rate(fn: Callable[[str], object], inputs: list[str], calls: int) -> float:
    batch = inputs * max(1, calls // len(inputs))
    started = time.perf_counter()
    for value in batch:
        try:  # noqa: SIM105 - suppress() would add its own cost to every timed call
            fn(value)
        except (DomainError, ValidationError, phonenumbers.NumberParseException):
            pass
    return len(batch) / (time.perf_counter() - started)


def _bare_phone(raw: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(raw, "CN"))


def _ours_id(raw: str) -> object:
    return rules.validate_id_number(raw, today=TODAY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000, help="calls per figure")
    args = parser.parse_args()
    ids = _column("stdnum_cn_ric_vectors.csv", "number") + _column("id_validator_is_valid_vectors.csv", "number")
    cases = [
        ("normalise_mobile", rules.normalise_mobile, "phonenumbers.parse+is_valid_number", _bare_phone, phone_inputs()),
        ("validate_id_number", _ours_id, "stdnum.cn.ric.validate", ric.validate, ids),
        ("validate_uscc", rules.validate_uscc, "stdnum.cn.uscc.validate", uscc.validate,
         _column("stdnum_cn_uscc_vectors.csv", "number")),
    ]  # fmt: skip
    for name, ours, ref_name, reference, inputs in cases:
        for fn in (ours, reference):  # warm caches (metadata, regexes, numdb) outside the timing
            _rate(fn, inputs, len(inputs))
        ours_rate = _rate(ours, inputs, args.calls)
        ref_rate = _rate(reference, inputs, args.calls)
        verdict = "ok" if ours_rate >= ref_rate else "SLOWER than the bare library"
        print(
            f"{name:<19} {ours_rate:>10,.0f} calls/s   {ref_name:<35} {ref_rate:>10,.0f} calls/s   "
            f"ratio {ours_rate / ref_rate:5.2f}x  {verdict}   ({len(inputs)} vectors)"
        )


if __name__ == "__main__":
    main()
