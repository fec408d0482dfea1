"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for tests and
the outbox benchmark. It can be stopped and started again on the same port, as a mail
server that goes down and comes back."""

import email
import email.policy
import logging
import socket
import threading
import uuid
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# aiosmtpd logs every SMTP command at INFO; a test only cares about what arrived.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    queue_id: str

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


class _Handler:
    def __init__(self, sink: "SmtpSink") -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address.lower() in self.sink.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        queue_id = uuid.uuid4().hex[:12].upper()
        with self.sink.lock:
            self.sink.delivered.append(
                Delivered(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, queue_id)
            )
        # As Postfix answers: the queue id names the message in the server's log.
        return f"250 2.0.0 Ok: queued as {queue_id}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.delivered: list[Delivered] = []
        self.refused: set[str] = set()
        self.received = 0
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> "SmtpSink":
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [item.message for item in self.delivered]


class _CountingHandler(_Handler):
    """For the benchmark: answers as the test sink does and keeps nothing but a count."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.sink.received += 1
        return f"250 2.0.0 Ok: queued as {uuid.uuid4().hex[:12].upper()}"


def main() -> None:
    """`python -m tests.mailserver PORT`: the sink in its own process (as a real MTA
    would be), answering like Postfix and keeping nothing, until it is terminated."""
    import signal
    import sys

    sink = SmtpSink(int(sys.argv[1]))
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # the server's thread inherits it
    controller = Controller(_CountingHandler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    signal.sigwait(stop)
    controller.stop()


if __name__ == "__main__":
    main()
