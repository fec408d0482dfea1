"""Inbound mail as our MTA hands it over: with the Authentication-Results header it adds
(tests trust the authserv-id `MTA`, set for every test in tests/conftest.py)."""

import re

MTA = "mx.supportdesk.test"
_FROM = re.compile(rb"^From:.*?@([A-Za-z0-9.-]+)", re.MULTILINE | re.IGNORECASE)


def from_our_mta(raw: bytes, result: str = "dmarc=pass", authserv_id: str = MTA) -> bytes:
    """`raw` with the header our MTA adds on top: by default a DMARC pass for its From
    domain (the domain of the first From line)."""
    match = _FROM.search(raw)
    domain = match.group(1).decode() if match else "invalid"
    header = f"Authentication-Results: {authserv_id}; {result} header.from={domain}\n"
    return header.encode() + raw
