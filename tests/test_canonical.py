"""Canonical bytes (RFC 8785 / JCS) and the value encodings of ``ledger.canonical``.

Known answers come from RFC 8785 itself: §3.2.3 (property sorting by UTF-16 code
units) and §3.2.2.2 (string serialisation).
"""

from __future__ import annotations

import decimal
import hashlib
import json
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.canonical import (
    MAX_SAFE_INTEGER,
    canonical,
    check_hex,
    check_time,
    format_time,
    parse_time,
    sha256,
    unhex,
)
from ledger.errors import CanonicalError, ValidationError

# --------------------------------------------------------------------------------------
# RFC 8785 known answers


def test_rfc8785_sorting_example_orders_keys_by_utf16_code_units():
    # RFC 8785 §3.2.3. A code-point sort would put U+1F600 (emoji) after U+FB33;
    # in UTF-16 the emoji is the surrogate pair D83D DE00, and D83D < FB33.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return",'
        '"1":"One",'
        '"\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis",'
        '"\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face",'
        '"\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    ).encode()
    assert canonical(value) == expected


def test_key_order_is_not_python_code_point_order():
    # U+FF61 sorts before U+1F600 by code point but after it by UTF-16 code unit.
    value = {"\uff61": 1, "\U0001f600": 2}
    assert canonical(value) == '{"\U0001f600":2,"\uff61":1}'.encode()
    assert sorted(value) == ["\uff61", "\U0001f600"]  # the order canonical() must NOT use


def test_rfc8785_string_serialisation_example():
    # RFC 8785 §3.2.2.2: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"
    value = '\u20ac$\x0f\nA\'B"\\\\"/'
    assert canonical(value) == r'''"€$\u000f\nA'B\"\\\\\"/"'''.encode()


def _expected_escape(code: int) -> str:
    short = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
    return short.get(code, f"\\u{code:04x}")


@pytest.mark.parametrize("code", range(0x20))
def test_each_control_character_escape(code):
    assert canonical(chr(code)) == f'"{_expected_escape(code)}"'.encode()


def test_control_escapes_are_lowercase_hex():
    assert canonical("\x1f\x0b\x1a") == b'"\\u001f\\u000b\\u001a"'


@pytest.mark.parametrize(
    "text",
    ["/", "\x7f", "\u0080", "\u00e9", "\u2028", "\u2029", "\U0001f600", "<script>", "'"],
)
def test_no_other_character_is_escaped(text):
    assert canonical(text) == b'"' + text.encode("utf-8") + b'"'


def test_quote_and_backslash_are_escaped():
    assert canonical('a"b\\c') == b'"a\\"b\\\\c"'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, b"0"),
        (1, b"1"),
        (-1, b"-1"),
        (10**15, b"1000000000000000"),
        (MAX_SAFE_INTEGER, b"9007199254740991"),
        (-MAX_SAFE_INTEGER, b"-9007199254740991"),
        (True, b"true"),
        (False, b"false"),
        (None, b"null"),
        ("", b'""'),
        ([], b"[]"),
        ({}, b"{}"),
        ((1, "a", None), b'[1,"a",null]'),
        ({"b": [1, {"d": 2, "c": 3}], "a": True}, b'{"a":true,"b":[1,{"c":3,"d":2}]}'),
    ],
)
def test_known_encodings(value, expected):
    assert canonical(value) == expected


def test_max_safe_integer_constant():
    assert MAX_SAFE_INTEGER == 2**53 - 1


def test_equal_values_give_equal_bytes_whatever_the_insertion_order():
    a = {"z": 1, "a": {"y": [1, 2], "b": "x"}}
    b = {"a": {"b": "x", "y": [1, 2]}, "z": 1}
    assert canonical(a) == canonical(b)
    assert canonical(a) == b'{"a":{"b":"x","y":[1,2]},"z":1}'


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.text(st.characters(exclude_categories=("Cs",))),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(st.characters(exclude_categories=("Cs",))), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_canonical_bytes_are_json_of_the_same_value_and_stable(value):
    out = canonical(value)
    assert json.loads(out) == value
    # Re-canonicalising the decoded value reproduces the same bytes.
    assert canonical(json.loads(out)) == out
    # Compact separators, minimal escaping: the same as Python's json with no ASCII
    # escaping, keeping the (canonical) key order that json.loads preserved.
    again = json.dumps(json.loads(out), ensure_ascii=False, separators=(",", ":"))
    assert out == again.encode("utf-8")


@given(st.dictionaries(st.text(st.characters(exclude_categories=("Cs",))), st.integers(0, 9)))
def test_keys_come_out_in_utf16_code_unit_order(value):
    keys = list(json.loads(canonical(value)))
    assert keys == sorted(value, key=lambda k: k.encode("utf-16-be"))


def test_sha256_helper():
    assert sha256(b"abc") == hashlib.sha256(b"abc").digest()
    assert len(sha256(b"")) == 32


# --------------------------------------------------------------------------------------
# Refusals, each with CanonicalError and the path of the offending value


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (1.0, "$"),
        (0.5, "$"),
        (-0.0, "$"),
        (float("nan"), "$"),
        (float("inf"), "$"),
        ([1, 2.5], "$[1]"),
        ({"a": 1.5}, "$.a"),
        ({"a": [1, {"b": 1.0}]}, "$.a[1].b"),
        ((0, (1, 2.0)), "$[1][1]"),
    ],
)
def test_floats_are_refused_with_their_path(value, path):
    with pytest.raises(CanonicalError) as info:
        canonical(value)
    assert str(info.value).startswith(f"{path}:")
    assert "float" in str(info.value)


@pytest.mark.parametrize("number", [2**53, -(2**53), 2**64, -(2**63), 10**30])
def test_integers_outside_the_safe_range_are_refused(number):
    with pytest.raises(CanonicalError) as info:
        canonical({"n": [number]})
    assert str(info.value).startswith("$.n[0]:")
    assert str(number) in str(info.value)


@pytest.mark.parametrize("number", [2**53 - 1, -(2**53 - 1)])
def test_integers_at_the_safe_bound_are_accepted(number):
    assert canonical({"n": number}) == f'{{"n":{number}}}'.encode()


def test_naive_datetime_is_refused():
    with pytest.raises(CanonicalError) as info:
        canonical({"at": datetime(2026, 1, 31, 12, 0, 0)})
    assert str(info.value).startswith("$.at:")
    assert "naive" in str(info.value)


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: the datetime is effectively naive."""

    def utcoffset(self, dt):
        return None


def test_datetime_with_unknown_offset_is_refused():
    with pytest.raises(CanonicalError):
        canonical(datetime(2026, 1, 31, tzinfo=_NoOffset()))


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ({1: "x"}, "$"),
        ({"a": {None: 1}}, "$.a"),
        ({"a": [{(1, 2): 1}]}, "$.a[0]"),
        ({b"k": 1}, "$"),
        ({True: 1}, "$"),
    ],
)
def test_non_string_keys_are_refused(value, path):
    with pytest.raises(CanonicalError) as info:
        canonical(value)
    assert str(info.value).startswith(f"{path}:")
    assert "key" in str(info.value)


@pytest.mark.parametrize(
    "value",
    [
        {1, 2},
        frozenset(),
        object(),
        decimal.Decimal("1"),
        complex(1, 2),
        date(2026, 1, 31),
        timedelta(seconds=1),
        type,
    ],
    ids=lambda v: type(v).__name__,
)
def test_other_types_are_refused(value):
    with pytest.raises(CanonicalError) as info:
        canonical({"x": [value]})
    assert str(info.value).startswith("$.x[0]:")
    assert type(value).__name__ in str(info.value)


# --------------------------------------------------------------------------------------
# bytes and datetimes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"", b'""'),
        (b"\x00", b'"00"'),
        (b"\xab\xcd\xef\x01", b'"abcdef01"'),
        (bytearray(b"\xff\x10"), b'"ff10"'),
        (memoryview(b"\xde\xad"), b'"dead"'),
        ({"h": b"\xaa" * 32}, b'{"h":"' + b"aa" * 32 + b'"}'),
    ],
)
def test_bytes_encode_as_lowercase_hex(value, expected):
    assert canonical(value) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC), "2026-01-31T12:00:00.000000Z"),
        (datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC), "2026-01-31T12:00:00.123456Z"),
        (
            datetime(2026, 1, 31, 12, 0, 0, tzinfo=timezone(timedelta(hours=1))),
            "2026-01-31T11:00:00.000000Z",
        ),
        (
            datetime(2026, 1, 31, 22, 0, 0, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
            "2026-02-01T03:30:00.000000Z",
        ),
        (
            datetime(2026, 3, 1, 0, 30, 0, 7, tzinfo=timezone(timedelta(hours=14))),
            "2026-02-28T10:30:00.000007Z",
        ),
    ],
)
def test_aware_datetimes_encode_as_utc_z(moment, expected):
    assert format_time(moment) == expected
    assert canonical({"t": moment}) == f'{{"t":"{expected}"}}'.encode()


def test_format_time_refuses_naive_with_the_given_path():
    with pytest.raises(CanonicalError) as info:
        format_time(datetime(2026, 1, 1), "block.time")
    assert str(info.value).startswith("block.time:")


@given(
    st.datetimes(
        min_value=datetime(1000, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=45))]),
    )
)
def test_format_then_parse_is_the_same_instant(moment):
    text = format_time(moment)
    assert parse_time(text) == moment
    assert check_time(text) == text


# --------------------------------------------------------------------------------------
# parse_time / check_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)),
        ("2026-01-31T12:00:00.5Z", datetime(2026, 1, 31, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-01-31T12:00:00.000001Z", datetime(2026, 1, 31, 12, 0, 0, 1, tzinfo=UTC)),
        ("2024-02-29T23:59:59Z", datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_utc_z(text, expected):
    got = parse_time(text)
    assert got == expected
    assert got.utcoffset() == timedelta(0)
    assert check_time(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-31T12:00:00+01:00",
        "2026-01-31T12:00:00+00:00",
        "2026-01-31T12:00:00-05:00",
        "2026-01-31T12:00:00",
        "2026-01-31T12:00:00z",
        "2026-01-31 12:00:00Z",
        "2026-01-31T12:00Z",
        "2026-01-31",
        "2026-1-31T12:00:00Z",
        "2026-01-31T12:00:00.Z",
        "2026-01-31T12:00:00.1234567890Z",
        # Beyond microseconds: refused, not truncated (no two spellings of one instant
        # that parse equal while their bytes differ in dropped digits).
        "2026-01-31T12:00:00.1234567Z",
        "2026-01-31T12:00:00.123456789Z",
        " 2026-01-31T12:00:00Z",
        "2026-01-31T12:00:00Z ",
        "garbage",
        "",
        "2026-02-30T00:00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-01-32T00:00:00Z",
        "2026-01-31T24:00:00Z",
        "2026-01-31T12:60:00Z",
        "2016-12-31T23:59:60Z",
    ],
)
def test_parse_time_rejects(text):
    with pytest.raises(ValidationError):
        parse_time(text)
    with pytest.raises(ValidationError):
        check_time(text)


@pytest.mark.parametrize("value", [None, 0, 1769860800, b"2026-01-31T12:00:00Z", datetime.now(UTC)])
def test_parse_time_rejects_non_strings(value):
    with pytest.raises(ValidationError):
        parse_time(value)


def test_time_errors_name_the_field():
    with pytest.raises(ValidationError) as info:
        check_time("2026-01-31T12:00:00+01:00", "tx.created_at")
    assert str(info.value).startswith("tx.created_at:")
    with pytest.raises(ValidationError) as info:
        check_time("2026-02-30T00:00:00Z", "block.time")
    assert str(info.value).startswith("block.time:")


@pytest.mark.parametrize("text", ["2026-01-31T12:00:00.123456Z\n", "2026-01-31T12:00:00.5Z\n"])
def test_check_time_rejects_a_trailing_newline(text):
    with pytest.raises(ValidationError):
        check_time(text)


@pytest.mark.parametrize(
    "text",
    [
        "\u0662\u0660\u0662\u0666-01-31T12:00:00Z",  # Arabic-Indic digits for the year
        "2026-01-31T12:00:00.\uff11\uff12Z",  # full-width digits in the fraction
    ],
)
def test_parse_time_rejects_non_ascii_digits(text):
    with pytest.raises(ValidationError):
        parse_time(text)


def test_format_time_of_a_year_below_1000_is_parseable():
    text = format_time(datetime(999, 1, 1, tzinfo=UTC))
    assert parse_time(text) == datetime(999, 1, 1, tzinfo=UTC)


def test_datetime_outside_the_utc_range_is_a_canonical_error():
    with pytest.raises(CanonicalError):
        canonical(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))


@pytest.mark.parametrize("value", ["\ud800", {"\udcff": 1}], ids=["value", "key"])
def test_lone_surrogate_is_a_canonical_error(value):
    with pytest.raises(CanonicalError):
        canonical(value)


# --------------------------------------------------------------------------------------
# check_hex / unhex


@pytest.mark.parametrize(
    ("text", "nbytes"),
    [("", None), ("00", None), ("0123456789abcdef", None), ("ab" * 32, 32), ("", 0)],
)
def test_check_hex_accepts_lowercase_hex(text, nbytes):
    assert check_hex(text, "f", nbytes) == text
    assert unhex(text, "f", nbytes) == bytes.fromhex(text)


@pytest.mark.parametrize(
    ("text", "nbytes"),
    [
        ("AB", None),
        ("aB", None),
        ("ABCDEF0123456789" * 4, 32),
        ("abc", None),
        ("a", None),
        ("zz", None),
        ("0x00", None),
        ("ab cd", None),
        ("ab" * 31, 32),
        ("ab" * 33, 32),
        ("", 1),
        (b"ab", None),
        (None, None),
        (171, None),
    ],
)
def test_check_hex_rejects(text, nbytes):
    with pytest.raises(ValidationError) as info:
        check_hex(text, "tx.hash", nbytes)
    assert str(info.value).startswith("tx.hash:")
    with pytest.raises(ValidationError):
        unhex(text, "tx.hash", nbytes)


def test_check_hex_wrong_length_message_gives_both_lengths():
    with pytest.raises(ValidationError) as info:
        check_hex("ab" * 31, "h", 32)
    assert "32" in str(info.value)
    assert "31" in str(info.value)


@pytest.mark.parametrize(("text", "nbytes"), [("abc\n", None), ("a" * 63 + "\n", 32)])
def test_check_hex_rejects_a_trailing_newline(text, nbytes):
    with pytest.raises(ValidationError):
        check_hex(text, "f", nbytes)


# ---- the fast path (plain json.dumps) agrees with rfc8785 byte for byte ---------------

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # no lone surrogates
    max_size=12,
)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | _text,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_text, inner, max_size=5),
    max_leaves=25,
)


@given(_json_values)
def test_canonical_equals_rfc8785_on_random_json(value: object) -> None:
    import rfc8785

    assert canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"\ue000": 1, "\U0001f600": 2},  # code-point order differs from UTF-16 order here
        {"\uffff": 1, "\U00010000": 2, "a": 3},
        {"a": '\u2028\u2029\x7f\x00\x1f"\\/'},
        {"é": [1, -(2**53) + 1, True, None, "ü€𝄞"]},
    ],
)
def test_canonical_equals_rfc8785_at_the_edges(value: object) -> None:
    import rfc8785

    assert canonical(value) == rfc8785.dumps(value)
