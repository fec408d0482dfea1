"""Fetching new mail from the support mailbox over IMAP (imaplib).

Messages are read with BODY.PEEK (reading does not mark them) and flagged \\Seen, or
moved to INBOUND_IMAP_ARCHIVE_FOLDER, only after the desk has stored them: a crash
between the two fetches the message again next time, and the store ignores a
Message-ID it already has. A message larger than INBOUND_MAX_BYTES is not downloaded:
its headers are, so it is recorded and staff can fetch it from the mailbox.
"""

import imaplib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class FetchedMessage:
    uid: bytes
    raw: bytes
    size: int
    complete: bool  # False: only the headers were fetched (the message is too large)


class MailboxError(Exception):
    pass


def _check(response: tuple, what: str) -> list:
    status, data = response
    if status != "OK":
        raise MailboxError(f"IMAP {what} failed: {status} {data!r}")
    return data


class ImapMailbox:
    """One polling session: connect, log in, select the folder; leave with `close()`."""

    def __init__(self, connect: Callable[..., imaplib.IMAP4] | None = None) -> None:
        if connect is None:
            connect = imaplib.IMAP4_SSL if settings.INBOUND_IMAP_SSL else imaplib.IMAP4
        self.connection = connect(
            settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT, timeout=60
        )
        _check(
            self.connection.login(settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD),
            "login",
        )
        _check(self.connection.select(_quoted(settings.INBOUND_IMAP_FOLDER)), "select")
        self.archive = settings.INBOUND_IMAP_ARCHIVE_FOLDER
        self._deleted = False

    def _uid(self, command: str, *args: str | bytes | None) -> tuple[str, list]:
        # imaplib sends bytes as they are and skips None (no charset); typeshed types the
        # arguments of IMAP4.uid as str only.
        return self.connection.uid(command, *args)  # type: ignore[arg-type]

    def new_messages(self, limit: int) -> Iterator[FetchedMessage]:
        data = _check(self._uid("SEARCH", None, "UNSEEN"), "search")
        uids = (data[0] or b"").split()[:limit]
        for uid in uids:
            size = self._size(uid)
            complete = size <= settings.INBOUND_MAX_BYTES
            part = "BODY.PEEK[]" if complete else "BODY.PEEK[HEADER]"
            data = _check(self._uid("FETCH", uid, f"({part})"), "fetch")
            raw = b"".join(item[1] for item in data if isinstance(item, tuple))
            yield FetchedMessage(uid=uid, raw=raw, size=size or len(raw), complete=complete)

    def _size(self, uid: bytes) -> int:
        data = _check(self._uid("FETCH", uid, "(RFC822.SIZE)"), "fetch size")
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            match = _SIZE.search(line or b"")
            if match:
                return int(match.group(1))
        return 0

    def mark_processed(self, uid: bytes) -> None:
        if self.archive:
            _check(self._uid("COPY", uid, _quoted(self.archive)), "copy")
            _check(self._uid("STORE", uid, "+FLAGS", r"(\Deleted)"), "store")
            self._deleted = True
        _check(self._uid("STORE", uid, "+FLAGS", r"(\Seen)"), "store")

    def close(self) -> None:
        try:
            if self._deleted:
                self.connection.expunge()
            self.connection.close()
            self.connection.logout()
        except (imaplib.IMAP4.error, OSError):
            logger.warning("inbound mail: closing the IMAP session failed", exc_info=True)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_imap(
    handle: Callable[[FetchedMessage], None],
    *,
    limit: int = 200,
    connect: Callable[..., imaplib.IMAP4] | None = None,
) -> int:
    """Hand each new message of the mailbox to `handle` (which stores it), then mark it
    processed. Returns how many were handled; a message `handle` fails on stays unseen."""
    mailbox = ImapMailbox(connect)
    handled = 0
    try:
        for message in mailbox.new_messages(limit):
            try:
                handle(message)
            except Exception:
                logger.exception(
                    "inbound mail: IMAP message uid %s could not be stored; it stays unread",
                    message.uid.decode(errors="replace"),
                )
                continue
            mailbox.mark_processed(message.uid)
            handled += 1
    finally:
        mailbox.close()
    return handled
