"""The email objects of the outbox: a row becomes a Django EmailMessage for the delivery
backend, and a Django EmailMessage handed to the outbox backend becomes a row's (sealed)
context."""

import base64
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives

from notifications.events import UNKNOWN_SENDER_REPLY
from notifications.models import Notification
from notifications.rendering import render_email

# Headers the desk sets on every message it builds itself; they keep vacation
# responders from answering (RFC 3834, and Exchange's own header), so no loop starts.
_AUTOMATED_HEADERS = {"X-Auto-Response-Suppress": "All"}


def build_message(notification: Notification) -> EmailMessage:
    """The email a row stands for, ready for the delivery backend. This opens the row's
    sealed payload: call it to send, never to show (see `notifications.redaction`)."""
    payload = notification.payload.open()
    context = payload.get("context", {})
    if not notification.template:
        message = message_from_dict(context["message"])
        message.extra_headers.setdefault("Message-ID", notification.message_id)
        return message
    rendered = render_email(notification.template, context)
    headers = {
        "Message-ID": notification.message_id,
        "Auto-Submitted": (
            "auto-replied" if notification.event == UNKNOWN_SENDER_REPLY else "auto-generated"
        ),
        **_AUTOMATED_HEADERS,
    }
    if notification.references:
        references = notification.references.split()
        headers["References"] = " ".join(references)
        headers["In-Reply-To"] = references[-1]
    case_reference = context.get("reference")
    if case_reference:
        headers["X-SupportDesk-Case"] = str(case_reference)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        reply_to=[payload["reply_to"]] if payload.get("reply_to") else None,
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    _attach(message, payload.get("attachments", []))
    return message


def attachment_data(filename: str, content: bytes, mimetype: str) -> dict[str, str]:
    """A file as the outbox stores it (JSON): Django's own mail and templated messages
    keep their attachments the same way."""
    return {
        "filename": filename,
        "content": base64.b64encode(content).decode("ascii"),
        "mimetype": mimetype or "application/octet-stream",
    }


def _attach(message: EmailMessage, attachments: list[dict]) -> None:
    for attachment in attachments:
        message.attach(
            attachment["filename"],
            base64.b64decode(attachment["content"]),
            attachment["mimetype"],
        )


def message_to_dict(message: EmailMessage) -> dict:
    """A Django message as JSON, attachments included, to wait in the outbox."""
    attachments = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            filename = attachment.get_filename() or "attachment"
            decoded = attachment.get_payload(decode=True)
            content = decoded if isinstance(decoded, bytes) else b""
            mimetype = attachment.get_content_type()
        else:
            filename, content, mimetype = attachment
            if isinstance(content, str):
                content = content.encode("utf-8")
        attachments.append(attachment_data(filename, content, mimetype))
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "content_subtype": message.content_subtype,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": {str(k): str(v) for k, v in message.extra_headers.items()},
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
        "attachments": attachments,
    }


def message_from_dict(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=dict(data["headers"]),
    )
    message.content_subtype = data.get("content_subtype", "plain")
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    _attach(message, data["attachments"])
    return message
