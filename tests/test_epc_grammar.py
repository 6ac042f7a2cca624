"""The one GS1 validator (``contracts.traceability.gs1`` and ``gs1_link``): the Tag Data
Standard's own example URIs, the grammar's refusals with their reasons, Digital Link check
digits, and properties over URIs generated from the grammar."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.base import Rejection
from contracts.traceability.gs1 import (
    CS82,
    epc_escape,
    epc_fault,
    epc_to_digital_link,
    gs1_check_digit,
)
from contracts.traceability.gs1_link import digital_link_to_epc, link_fault
from contracts.traceability.ids import check_location, check_product_id
from nodes.exports.epc_uri import epc_uri_to_digital_link

# TDS 2.x examples (sections 6 and 7) and the GS1 element strings they correspond to.
TDS_EXAMPLES = [
    ("urn:epc:id:sgtin:0614141.812345.6789", "https://id.gs1.org/01/80614141123458/21/6789"),
    ("urn:epc:id:sgtin:0614141.112345.400", "https://id.gs1.org/01/10614141123459/21/400"),
    ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
    ("urn:epc:id:sgln:0614141.12345.400", "https://id.gs1.org/414/0614141123452/254/400"),
    ("urn:epc:id:sgln:0614141.12345.0", "https://id.gs1.org/414/0614141123452"),
    ("urn:epc:id:grai:0614141.12345.400", "https://id.gs1.org/8003/00614141123452400"),
    ("urn:epc:id:giai:0614141.12345400", "https://id.gs1.org/8004/061414112345400"),
    ("urn:epc:class:lgtin:4012345.012345.998877", "https://id.gs1.org/01/04012345123456/10/998877"),
    ("urn:epc:id:pgln:0614141.00777", "https://id.gs1.org/417/0614141007776"),
]
SGTIN = "urn:epc:id:sgtin:<company prefix>.<indicator and item reference>.<serial>"


@pytest.mark.parametrize(("uri", "link"), TDS_EXAMPLES)
def test_tds_examples_are_valid_and_map_to_their_element_strings(uri: str, link: str) -> None:
    assert epc_fault(uri) is None
    assert epc_to_digital_link(uri) == link
    assert epc_uri_to_digital_link(uri) == link  # the exporter reads ids as the ledger does
    assert link_fault(link) is None
    assert digital_link_to_epc(link, 7) == uri


@pytest.mark.parametrize(
    ("uri", "fault"),
    [
        ("urn:epc:id:sgtin:bogus", f"expected {SGTIN}, with 3 parts separated by '.'"),
        ("urn:epc:id:sgtin:123", f"expected {SGTIN}, with 3 parts separated by '.'"),
        (
            "urn:epc:class:lgtin:abc.def.ghi",
            "the company prefix must be digits, got 'abc' (urn:epc:class:lgtin:<company "
            "prefix>.<indicator and item reference>.<lot>)",
        ),
        (
            "urn:epc:id:sgtin:0614141.11234.400",
            "the company prefix + indicator and item reference must have 13 digits together, "
            "got 12",
        ),
        (
            "urn:epc:id:sscc:0614141.123456789",
            "the company prefix + extension digit and serial reference must have 17 digits "
            "together, got 16",
        ),
        ("urn:epc:id:sgtin:06141.1123456789.4", "the company prefix must be 6 to 12 digits, got 5"),
        (
            "urn:epc:id:sgtin:0614141061414.1.4",
            "the company prefix must be 6 to 12 digits, got 13",
        ),
        ("urn:epc:id:sgtin:0614141.112345." + "9" * 21, "the serial must be 1 to 20 characters"),
        ("urn:epc:id:grai:0614141.12345." + "A" * 17, "the serial must be 1 to 16 characters"),
        ("urn:epc:id:sgtin:0614141.112345.", "the serial must be 1 to 20 characters, got 0"),
        ("urn:epc:id:sgtin:0614141.112345.a b", "the serial 'a b' must be made of letters"),
        ("urn:epc:id:sgtin:0614141.112345.a/b", "the serial 'a/b' must be made of letters"),
        ("urn:epc:id:sgtin:0614141.112345.%41", "the serial '%41' must be made of letters"),
        (
            "urn:epc:id:giai:0614141." + "1" * 24,
            "the company prefix and the individual asset reference must have at most 30 "
            "characters together, got 31",
        ),
        ("urn:epc:id:sgln:0614141.12345", "expected urn:epc:id:sgln:"),
        ("urn:epc:id:sgtn:0614141.112345.400", "'sgtn' is not an EPC id scheme (known: cpi,"),
        (
            "urn:epc:class:sgtin:0614141.112345.4",
            "'sgtin' is not an EPC class scheme (known: lgtin)",
        ),
    ],
)
def test_the_grammar_refuses_with_the_part_at_fault(uri: str, fault: str) -> None:
    found = epc_fault(uri)
    assert found is not None and found.startswith(fault), found
    assert epc_to_digital_link(uri) is None
    assert epc_uri_to_digital_link(uri) is None


def test_escapes_count_as_one_character_and_only_table_a1_escapes_pass() -> None:
    serial = "%2F" * 20  # twenty '/' characters
    assert epc_fault(f"urn:epc:id:sgtin:0614141.112345.{serial}") is None
    assert epc_fault(f"urn:epc:id:sgtin:0614141.112345.{serial}1") is not None
    link = epc_to_digital_link("urn:epc:id:sgtin:0614141.112345.a%2Fb!")
    assert link == "https://id.gs1.org/01/10614141123459/21/a%2Fb%21"


@pytest.mark.parametrize(
    ("link", "fault"),
    [
        (
            "https://id.gs1.org/01/09506000134353/21/D1",
            "the check digit of GTIN 09506000134353 is 3, but its digits give 2; check the number",
        ),
        (
            "https://id.gs1.org/414/9520123456789",
            "the check digit of GLN 9520123456789 is 9, but its digits give 8; check the number",
        ),
        (
            "https://id.gs1.org/00/106141412345678907",
            "the check digit of SSCC 106141412345678907 is 7, but its digits give 8; check the "
            "number",
        ),
        ("https://id.gs1.org/01/0950600013435/21/D1", "the check digit of GTIN 0950600013435 is"),
        ("https://id.gs1.org/01/123456789/21/D1", "a GTIN (AI 01) starts with 8 or 12 or 13 or 14"),
        ("https://id.gs1.org/99/12345", "AI 99 is not a GS1 primary key"),
        ("https://id.gs1.org/01/09506000134352/99/x", "AI 99 may not follow here in a GTIN link"),
        ("https://id.gs1.org/01/09506000134352/21/a/10/b", "AI 10 may not follow here"),
        ("https://id.gs1.org/01/09506000134352/21/" + "x" * 21, "the serial (AI 21) must be 1"),
        ("https://id.gs1.org/00/1061414123456789", "a SSCC (AI 00) starts with 18 digits"),
    ],
)
def test_digital_links_with_a_wrong_key_are_refused(link: str, fault: str) -> None:
    found = link_fault(link)
    assert found is not None and found.startswith(fault), found
    assert digital_link_to_epc(link, 7) is None


def test_right_check_digits_pass() -> None:
    for link in (
        "https://id.gs1.org/01/09506000134352/21/D1",
        "https://id.gs1.org/01/09506000134352/10/L%2F1",
        "https://id.gs1.org/01/9506000134352",  # a GTIN-13, as Digital Link allows
        "https://id.gs1.org/414/9520123456788/254/7",
        "https://id.gs1.org/00/106141412345678908",
    ):
        assert link_fault(link) is None, link


def test_the_contract_refuses_the_three_mistakes_with_their_reasons() -> None:
    for bogus in (
        "urn:epc:id:sgtin:bogus",
        "urn:epc:id:sgtin:123",
        "urn:epc:class:lgtin:abc.def.ghi",
        "https://id.gs1.org/01/09506000134353/10/L1",
    ):
        with pytest.raises(Rejection) as info:
            check_product_id("traceability.commission.ids[0]", bogus)
        assert info.value.reason.startswith(
            f"traceability.commission.ids[0]: {bogus!r} is not a product id: {epc_fault(bogus)}"
            if bogus.startswith("urn:")
            else f"traceability.commission.ids[0]: {bogus!r} is not a product id: the check "
            "digit of GTIN 09506000134353 is 3, but its digits give 2; check the number"
        ), info.value.reason


def test_locations_follow_the_grammar_too() -> None:
    check_location("x", "urn:epc:id:sgln:0614141.12345.400")
    check_location("x", "https://id.gs1.org/414/9520123456788/254/7")
    for bad, why in (
        ("urn:epc:id:sgln:0614141.1234.400", "must have 12 digits together, got 11"),
        ("https://id.gs1.org/414/9520123456789", "the check digit of GLN 9520123456789 is 9"),
        ("urn:epc:id:sgtin:0614141.112345.400", "is not a location; use an SGLN URI"),
    ):
        with pytest.raises(Rejection) as info:
            check_location("x", bad)
        assert why in info.value.reason


# ---- properties over URIs generated from the grammar -------------------------------------

_CS82 = sorted(CS82)


def _digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


def _alnum(least: int, most: int) -> st.SearchStrategy[str]:
    """An alphanumeric EPC component: characters of set 82 as the URI escapes them."""
    return st.text(st.sampled_from(_CS82), min_size=least, max_size=most).map(epc_escape)


@st.composite
def valid_epc(draw: st.DrawFn) -> tuple[str, int]:
    """A valid URI of one of the core schemes and the length of its company prefix."""
    scheme = draw(st.sampled_from(["sgtin", "lgtin", "sscc", "sgln", "grai", "giai"]))
    n = draw(st.integers(6, 12))
    prefix = draw(_digits(n))
    if scheme in ("sgtin", "lgtin"):
        kind = "class" if scheme == "lgtin" else "id"
        uri = f"urn:epc:{kind}:{scheme}:{prefix}.{draw(_digits(13 - n))}.{draw(_alnum(1, 20))}"
    elif scheme == "sscc":
        uri = f"urn:epc:id:sscc:{prefix}.{draw(_digits(17 - n))}"
    elif scheme == "sgln":
        extension = draw(st.one_of(st.just("0"), _alnum(1, 20)))
        uri = f"urn:epc:id:sgln:{prefix}.{draw(_digits(12 - n))}.{extension}"
    elif scheme == "grai":
        uri = f"urn:epc:id:grai:{prefix}.{draw(_digits(12 - n))}.{draw(_alnum(1, 16))}"
    else:
        uri = f"urn:epc:id:giai:{prefix}.{draw(_alnum(1, 30 - n))}"
    return uri, n


@given(valid_epc())
def test_generated_uris_are_accepted_and_map_to_digital_link_and_back(
    case: tuple[str, int],
) -> None:
    uri, n = case
    assert epc_fault(uri) is None
    link = epc_to_digital_link(uri)
    assert link is not None and link_fault(link) is None, link
    assert digital_link_to_epc(link, n) == uri
    if "sgln" not in uri:
        check_product_id("ids[0]", uri)
        check_product_id("ids[0]", link)


@given(valid_epc(), st.sampled_from(["drop", "add"]))
def test_one_digit_more_or_less_in_a_reference_is_refused(case: tuple[str, int], how: str) -> None:
    uri, _ = case
    if ":giai:" in uri:
        return  # a GIAI's reference is alphanumeric: its limit is a total, tested above
    *fields, body = uri.split(":", 4)
    head = ":".join(fields)
    parts = body.split(".", 2)
    ref = parts[1]
    if how == "drop" and not ref:
        return
    parts[1] = ref[1:] if how == "drop" else ref + "7"
    mutated = f"{head}:{'.'.join(parts)}"
    fault = epc_fault(mutated)
    assert fault is not None and "digits" in fault, (mutated, fault)
    assert epc_to_digital_link(mutated) is None


@given(valid_epc(), st.integers(1, 9))
def test_a_wrong_check_digit_in_the_link_is_refused(case: tuple[str, int], shift: int) -> None:
    uri, n = case
    link = epc_to_digital_link(uri)
    assert link is not None
    ai, key, *rest = link.removeprefix("https://id.gs1.org/").split("/")
    width = {"01": 14, "00": 18, "414": 13, "8003": 14}.get(ai)
    if width is None:
        return  # a GIAI has no check digit
    wrong = str((int(key[width - 1]) + shift) % 10)
    assert gs1_check_digit(key[: width - 1]) != wrong
    mutated = "/".join(["https://id.gs1.org", ai, key[: width - 1] + wrong + key[width:], *rest])
    fault = link_fault(mutated)
    assert fault is not None and "check digit" in fault, (mutated, fault)
    assert digital_link_to_epc(mutated, n) is None
