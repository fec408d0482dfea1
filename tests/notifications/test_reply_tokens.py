import re

import pytest
from pytest_django.fixtures import Settings

from notifications.reply_tokens import (
    looks_like_reply_token,
    make_reply_token,
    read_reply_token,
    reply_address,
    support_email_address,
    token_from_address,
)


@pytest.mark.parametrize("case_id", [1, 42, 99_999, 10**9, 2**63])
def test_token_round_trips_the_case_id(case_id: int) -> None:
    assert read_reply_token(make_reply_token(case_id)) == case_id


def test_token_is_short_lower_case_and_valid_in_a_local_part() -> None:
    token = make_reply_token(123_456)
    assert re.fullmatch(r"[0-9a-z]+\.[a-z2-7]+", token)
    assert len(token) <= 30
    assert looks_like_reply_token(token)


def test_token_survives_an_mta_that_changes_case() -> None:
    token = make_reply_token(77)
    assert read_reply_token(token.upper()) == 77
    assert read_reply_token(f"  {token}  ") == 77


def test_another_case_id_under_the_same_signature_is_rejected() -> None:
    token = make_reply_token(41)
    _value, signature = token.split(".")
    assert read_reply_token(f"{make_reply_token(42).split('.')[0]}.{signature}") is None


def test_a_changed_signature_character_is_rejected() -> None:
    token = make_reply_token(41)
    last = "a" if token[-1] != "a" else "b"
    assert read_reply_token(token[:-1] + last) is None


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "abc", "1.", ".abcdefghijklmnop", "x" * 200, "1.abcdefghijklmno1", "1:abcdefgh"],
)
def test_garbage_is_rejected(garbage: str) -> None:
    assert read_reply_token(garbage) is None


def test_non_string_is_rejected() -> None:
    assert read_reply_token(None) is None  # type: ignore[arg-type]


def test_token_signed_with_another_secret_is_rejected(settings: Settings) -> None:
    token = make_reply_token(5)
    settings.SECRET_KEY = "a-completely-different-secret-key-for-this-test-0123456789"
    settings.SECRET_KEY_FALLBACKS = []
    assert read_reply_token(token) is None


def test_token_still_reads_after_the_secret_key_is_rotated(settings: Settings) -> None:
    token = make_reply_token(5)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key-after-rotation-0123456789abcdefghijklmnop"
    assert read_reply_token(token) == 5


@pytest.mark.parametrize("case_id", [0, -3])
def test_only_positive_case_ids_get_tokens(case_id: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        make_reply_token(case_id)


def test_reply_address_puts_the_token_in_the_plus_part() -> None:
    address = reply_address(42, "SupportDesk <help@desk.example.com>")
    local, domain = address.split("@")
    assert domain == "desk.example.com"
    assert local.startswith("help+")
    assert len(local) <= 64
    assert read_reply_token(token_from_address(address) or "") == 42


def test_reply_address_uses_the_configured_support_address(settings: Settings) -> None:
    settings.SUPPORT_EMAIL_ADDRESS = "cases@support.example.org"
    assert support_email_address() == "cases@support.example.org"
    assert reply_address(7).endswith("@support.example.org")
    assert reply_address(7).startswith("cases+")


def test_support_address_falls_back_to_default_from_email(settings: Settings) -> None:
    settings.SUPPORT_EMAIL_ADDRESS = ""
    settings.DEFAULT_FROM_EMAIL = "SupportDesk <desk@fallback.example>"
    assert support_email_address() == "desk@fallback.example"
    assert reply_address(7).startswith("desk+")


def test_reply_address_rejects_a_support_address_without_domain() -> None:
    with pytest.raises(ValueError, match="not an e-mail address"):
        reply_address(7, "support")


def test_token_from_address_accepts_display_names_and_any_case() -> None:
    token = make_reply_token(9)
    assert token_from_address(f'"Support" <Help+{token.upper()}@Desk.Example.com>') == token


@pytest.mark.parametrize(
    "address",
    [
        "help@desk.example.com",
        "lists+spice-devel@lfdr.de",
        "help+@desk.example.com",
        "not an address",
        "",
    ],
)
def test_token_from_address_ignores_addresses_without_a_token(address: str) -> None:
    assert token_from_address(address) is None


def test_token_from_address_can_insist_on_the_support_mailbox() -> None:
    address = reply_address(9, "help@desk.example.com")
    assert token_from_address(address, "Help@Desk.Example.com") is not None
    assert token_from_address(address, "other@desk.example.com") is None
    assert token_from_address(address, "help@elsewhere.example.com") is None


def test_support_address_with_its_own_detail_keeps_it() -> None:
    address = reply_address(9, "help+eu@desk.example.com")
    assert address.startswith("help+eu+")
    assert token_from_address(address, "help+eu@desk.example.com") == make_reply_token(9)
