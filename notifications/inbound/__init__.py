"""Inbound mail parsing: raw bytes to a plain InboundMessage (no case lookups here)."""

from notifications.inbound.message import InboundAttachment, InboundMessage
from notifications.inbound.parser import DEFAULT_MAX_BYTES, parse_message

__all__ = ["DEFAULT_MAX_BYTES", "InboundAttachment", "InboundMessage", "parse_message"]
