"""Calendar invitations (.ics, RFC 5545) for live troubleshooting sessions."""

import datetime as dt
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from cases.models import TroubleshootingSession
from notifications.outbox import mail_domain


def session_invitation(session: TroubleshootingSession, attendees: list[tuple[str, str]]) -> bytes:
    """A REQUEST invitation both sides can add to their calendars; the UID is stable, so
    a later update of the same session replaces the entry instead of adding one."""
    case = session.case
    starts = session.starts_at
    if starts is None:
        raise ValueError("Only a booked session (one with a start) has an invitation.")
    ends = starts + dt.timedelta(minutes=session.duration_minutes)
    calendar = Calendar()
    calendar.add("prodid", "-//SupportDesk//Live troubleshooting//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"session-{session.id}@{mail_domain()}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", f"{case.reference} live troubleshooting session")
    description = f"Case {case.reference}: {case.summary}"
    if session.note:
        description += f"\n\n{session.note}"
    if session.meeting_url:
        description += f"\n\nJoin: {session.meeting_url}"
        event.add("location", session.meeting_url)
        event.add("url", session.meeting_url)
    event.add("description", description)
    organizer_address = settings.SUPPORT_EMAIL_ADDRESS or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    organizer = vCalAddress(f"mailto:{organizer_address}")
    organizer.params["cn"] = vText("SupportDesk")
    event["organizer"] = organizer
    for name, email in attendees:
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(name or email)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=False)
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
