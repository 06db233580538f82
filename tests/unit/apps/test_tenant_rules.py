"""Pure tenant rules: slugs, unified social credit codes (GB 32100), passwords, lockout, secrets and digests."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from appcomply.apps import rules

VECTORS = Path(__file__).parents[3] / ".." / "shared" / "data" / "cn-id-test-vectors"
NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)

# GB 32100-2015: 18 characters from digits and upper-case letters without I, O, Z, S, V. python-stdnum, which
# the rules delegate to, also requires the first 8 (registration authority, entity type, region) to be digits.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SLUG_END = string.ascii_lowercase + string.digits


def _vectors(name: str, column: str) -> list[Any]:
    if not VECTORS.is_dir():
        reason = f"shared test vectors not present at {VECTORS.resolve()} (checkout without /work/shared/data)"
        return [pytest.param("", "", marks=pytest.mark.skip(reason=reason), id="vectors-absent")]
    with (VECTORS / name).open(encoding="utf-8", newline="") as f:
        return [pytest.param(row[column], row["expected"], id=row[column]) for row in csv.DictReader(f)]


# --- slugs ----------------------------------------------------------------------------------------------------

valid_slugs = st.one_of(
    st.sampled_from(SLUG_END),
    st.builds(
        lambda first, middle, last: first + middle + last,
        st.sampled_from(SLUG_END),
        st.text(alphabet=SLUG_END + "-", max_size=38),
        st.sampled_from(SLUG_END),
    ),
).filter(lambda slug: slug not in rules.RESERVED_SLUGS)


@given(valid_slugs)
def test_any_slug_of_lower_case_letters_digits_and_inner_hyphens_up_to_40_is_accepted(slug: str) -> None:
    assert rules.slug_problem(slug) is None


@given(
    st.tuples(
        st.text(max_size=20),
        st.one_of(st.characters(categories=["Lu"]), st.just(" ")),
        st.text(max_size=20),
    ).map("".join)
)
def test_a_slug_with_an_upper_case_letter_or_a_space_is_refused(slug: str) -> None:
    assert rules.slug_problem(slug) is not None


@pytest.mark.parametrize(
    "slug",
    ["", "-demo", "demo-", "de_mo", "démo", "de.mo", "a" * 41, "demo\n", "\ndemo", "de\nmo", "１２３"],
)
def test_malformed_slugs_are_refused(slug: str) -> None:
    assert rules.slug_problem(slug) == "use 1–40 lower-case letters, digits and inner hyphens"


def test_the_longest_and_shortest_slugs_are_accepted() -> None:
    assert rules.slug_problem("a" * 40) is None
    assert rules.slug_problem("7") is None
    assert rules.slug_problem("a--b") is None


@pytest.mark.parametrize("slug", sorted(rules.RESERVED_SLUGS))
def test_reserved_slugs_are_refused_by_name(slug: str) -> None:
    assert rules.slug_problem(slug) == f"'{slug}' is reserved"


def test_the_url_prefixes_of_the_application_are_reserved() -> None:
    assert {"api", "admin", "console", "static", "p", "v1", "healthz", "readyz", "metrics"} <= rules.RESERVED_SLUGS


# --- unified social credit codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "expected"), _vectors("stdnum_cn_uscc_vectors.csv", "number"))
def test_python_stdnum_uscc_vectors_are_judged_as_upstream_expects(number: str, expected: str) -> None:
    problem = rules.uscc_problem(number)
    if expected == "valid":
        assert problem is None
    else:
        assert problem, f"{number!r} should be refused ({expected})"


@pytest.mark.parametrize(("number", "expected"), _vectors("uscc_named_companies.csv", "uscc"))
def test_codes_of_named_companies_and_their_altered_forms_are_judged_correctly(number: str, expected: str) -> None:
    assert (rules.uscc_problem(number) is None) == (expected == "valid")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("12345", "length"),
        ("A1110000600037341L", "format"),
        ("91110000600037341N", "check"),
    ],
)
def test_an_invalid_uscc_says_what_is_wrong(number: str, fragment: str) -> None:
    problem = rules.uscc_problem(number)
    assert problem is not None
    assert fragment in problem.lower()


def test_a_uscc_is_normalised_to_18_upper_case_characters() -> None:
    assert rules.normalise_uscc(" 91 110000-600037341l ") == "91110000600037341L"
    assert rules.uscc_problem(" 91 110000-600037341l ") is None


uscc_bodies = st.tuples(
    st.text(alphabet=string.digits, min_size=8, max_size=8),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(uscc_bodies)
def test_any_body_with_its_computed_check_character_is_a_valid_uscc(body: str) -> None:
    code = body + uscc.calc_check_digit(body)
    assert rules.uscc_problem(code) is None
    assert rules.normalise_uscc(code.lower()) == code


@given(uscc_bodies, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET + "IOZSV"))
def test_changing_any_single_character_of_a_valid_uscc_makes_it_invalid(body: str, index: int, char: str) -> None:
    code = body + uscc.calc_check_digit(body)
    if code[index] == char:
        char = USCC_ALPHABET[(USCC_ALPHABET.index(char) + 1) % len(USCC_ALPHABET)]
    altered = code[:index] + char + code[index + 1 :]
    assert rules.uscc_problem(altered) is not None


# --- passwords, lockout -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "username", "problem"),
    [
        ("short-1A", "bob", "use at least 12 characters"),
        ("x" * 11, "", "use at least 12 characters"),
        ("my-Alice-password-2026", "alice", "the password must not contain the username"),
        ("ALICEALICE-xyz1", "alice", "the password must not contain the username"),
        ("abababababababab", "carol", "use more varied characters"),
        ("abcdabcdabcdabcd", "carol", "use more varied characters"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, username: str, problem: str) -> None:
    assert rules.password_problem(password, username=username) == problem


def test_a_long_varied_password_without_the_username_is_accepted() -> None:
    assert rules.password_problem("correct horse battery staple", username="alice") is None
    assert rules.password_problem("abcdeabcdeab", username="") is None


@given(st.text(max_size=64))
def test_a_generated_password_is_always_acceptable_for_its_username(username: str) -> None:
    password = rules.new_password(username=username)
    assert rules.password_problem(password, username=username) is None
    assert len(password) == rules.GENERATED_PASSWORD_LENGTH


def test_generated_passwords_differ_and_are_url_safe() -> None:
    passwords = {rules.new_password(username="bo") for _ in range(200)}
    assert len(passwords) == 200
    assert set("".join(passwords)) <= set(string.ascii_letters + string.digits + "-_")


@pytest.mark.parametrize(("failures", "locked"), [(0, False), (1, False), (4, False), (5, True), (9, True)])
def test_an_account_locks_from_the_nth_consecutive_failure(failures: int, locked: bool) -> None:
    lockout = dt.timedelta(minutes=15)
    until = rules.lockout_until(failures, now=NOW, max_failures=5, lockout=lockout)
    assert until == (NOW + lockout if locked else None)


# --- secrets -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", [rules.API_KEY_PREFIX, rules.STAFF_TOKEN_PREFIX])
def test_a_new_secret_carries_its_prefix_and_256_random_bits(prefix: str) -> None:
    secret = rules.new_secret(prefix)
    assert secret.startswith(prefix)
    body = secret.removeprefix(prefix)
    assert set(body) <= set(string.ascii_letters + string.digits + "-_")
    assert len(base64.urlsafe_b64decode(body + "=")) == 32


def test_the_prefixes_tell_api_keys_from_staff_tokens() -> None:
    assert (rules.API_KEY_PREFIX, rules.STAFF_TOKEN_PREFIX) == ("ak_", "st_")


def test_new_secrets_do_not_repeat() -> None:
    secrets_ = [rules.new_secret("ak_") for _ in range(2000)]
    assert len(set(secrets_)) == len(secrets_)
    # 256 bits in 43 base64 characters: each of the first 42 carries 6 random bits (the last only 4), so over a
    # couple of thousand draws every one of them takes most of the 64 values. A constant or counter part fails.
    assert all(len({s[i] for s in secrets_}) > 48 for i in range(3, 3 + 42))


def test_secret_digest_is_the_hex_sha256_of_the_secret() -> None:
    assert rules.secret_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    secret = rules.new_secret("ak_")
    assert rules.secret_digest(secret) == hashlib.sha256(secret.encode()).hexdigest()
    assert rules.secret_digest(secret) != rules.secret_digest(secret + "x")
