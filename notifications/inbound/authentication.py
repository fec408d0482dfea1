"""Is an inbound message really from the address in its From header?

The desk never trusts From by itself: anyone can write any address there. A message is
*authenticated* when the domain of its one From address is vouched for by one of:

- the receiving MTA's `Authentication-Results` header (RFC 8601), read only from headers
  whose authserv-id is one of ours (`INBOUND_AUTHSERV_IDS`): a DMARC pass for the From
  domain, or a DKIM pass whose signing domain is aligned with it;
- when `INBOUND_VERIFY_DKIM` is on, the desk's own check of the message's DKIM signatures
  (dkimpy), with keys looked up through `INBOUND_DNS_TXT_LOOKUP`, again only a signature
  whose domain is aligned with the From domain.

SPF alone does not authenticate: it vouches for the envelope sender, which the reader never
sees. A message with several From addresses, or a Sender that differs from its From, is
ambiguous and never authenticated. Our MTA must remove `Authentication-Results` headers that
arrive carrying our own authserv-id (RFC 8601 section 5; OpenDKIM, OpenDMARC and rspamd do).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

import authres
import dkim
from django.conf import settings
from django.utils.module_loading import import_string

from notifications.inbound.message import InboundMessage
from notifications.models import InboundEmail

logger = logging.getLogger(__name__)


Verdict = InboundEmail.Authentication


@dataclass(frozen=True)
class SenderAuthentication:
    """What the desk concluded about the sender, and why, in a sentence for staff."""

    verdict: Verdict
    reason: str
    # Several From addresses, or a Sender other than From: no single person to act as.
    ambiguous: bool = False

    @property
    def authenticated(self) -> bool:
        return self.verdict == Verdict.PASS


def _aligned(signing_domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or the From domain is a subdomain of the signer
    (never the other way round, and never a bare top-level domain)."""
    signing_domain = signing_domain.strip().strip(".").lower()
    from_domain = from_domain.strip().strip(".").lower()
    if not signing_domain or "." not in signing_domain:
        return False
    return from_domain == signing_domain or from_domain.endswith("." + signing_domain)


def _property(result: authres.core.AuthenticationResult, kind: str, name: str) -> str:
    for prop in result.properties:
        if prop.type.lower() == kind and prop.name.lower() == name:
            return str(prop.value or "").lstrip("@")
    return ""


def _trusted_results(values: list[str]) -> list[authres.core.AuthenticationResult]:
    """Results of the Authentication-Results headers our own MTA added."""
    ours = {server_id.lower() for server_id in settings.INBOUND_AUTHSERV_IDS}
    results = []
    for value in values:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except Exception as error:  # authres raises its own SyntaxError and others on junk
            logger.info("unreadable Authentication-Results header: %s", type(error).__name__)
            continue
        if str(header.authserv_id).lower() in ours:
            results.extend(header.results)
    return results


def _from_mta(values: list[str], from_domain: str) -> SenderAuthentication | None:
    results = _trusted_results(values)
    if not results:
        return None
    for result in results:
        method, outcome = result.method.lower(), str(result.result).lower()
        if method == "dmarc" and outcome == "pass":
            header_from = _property(result, "header", "from")
            if not header_from or header_from.lower() == from_domain:
                return SenderAuthentication(Verdict.PASS, f"DMARC pass for {from_domain}.")
        if method == "dkim" and outcome == "pass":
            signer = _property(result, "header", "d") or _property(result, "header", "i")
            signer = signer.rpartition("@")[2]
            if _aligned(signer, from_domain):
                return SenderAuthentication(
                    Verdict.PASS, f"DKIM pass for {signer}, aligned with {from_domain}."
                )
    dmarc = [r for r in results if r.method.lower() == "dmarc"]
    if dmarc and str(dmarc[0].result).lower() in {"fail", "permerror"}:
        return SenderAuthentication(
            Verdict.FAIL, f"DMARC {str(dmarc[0].result).lower()} for {from_domain}."
        )
    return None


def dns_txt(name: bytes | str, timeout: int = 5) -> bytes | None:
    """A TXT record through the system's resolver (dnspython), as dkimpy asks for it."""
    from dkim.dnsplug import get_txt_dnspython

    return get_txt_dnspython(name, timeout=timeout)


def _dns_lookup() -> Callable[..., bytes | None]:
    return import_string(settings.INBOUND_DNS_TXT_LOOKUP)


def _verify_dkim(raw: bytes, from_domain: str) -> SenderAuthentication | None:
    try:
        message = dkim.DKIM(raw)
        count = sum(1 for name, _ in message.headers if name.lower() == b"dkim-signature")
    except Exception:
        return None
    lookup = _dns_lookup()
    for index in range(min(count, 5)):
        try:
            valid = message.verify(idx=index, dnsfunc=lookup)
        except Exception as error:  # malformed signature, key or DNS failure: not a pass
            logger.info("DKIM signature %d not verified: %s", index, type(error).__name__)
            continue
        signer = (message.domain or b"").decode("ascii", "replace")
        if valid and _aligned(signer, from_domain):
            return SenderAuthentication(
                Verdict.PASS, f"DKIM signature of {signer} verified by the desk."
            )
    if count:
        return SenderAuthentication(
            Verdict.FAIL, f"No valid DKIM signature aligned with {from_domain}."
        )
    return None


def authenticate_sender(parsed: InboundMessage, raw: bytes | None) -> SenderAuthentication:
    """The verdict on the sender of a parsed message (`raw` for the desk's own DKIM check)."""
    if len(parsed.from_addresses) != 1:
        return SenderAuthentication(
            Verdict.FAIL,
            f"{len(parsed.from_addresses)} addresses in From: the sender is ambiguous.",
            ambiguous=True,
        )
    if parsed.sender_header and parsed.sender_header != parsed.from_addresses[0]:
        return SenderAuthentication(
            Verdict.FAIL, "The Sender header names another address than From.", ambiguous=True
        )
    from_domain = parsed.sender_email.rpartition("@")[2].lower()
    verdict = _from_mta(parsed.authentication_results, from_domain)
    if verdict is not None and verdict.authenticated:
        return verdict
    if settings.INBOUND_VERIFY_DKIM and raw is not None:
        own = _verify_dkim(raw, from_domain)
        if own is not None and (own.authenticated or verdict is None):
            return own
    if verdict is not None:
        return verdict
    return SenderAuthentication(Verdict.NONE, "No trusted authentication result for the sender.")
