"""A cursor is read back as it was given: a made-up one is bad input (400 in the API's error
body), never a server error, on every cursor-paged list."""

from base64 import b64encode

import pytest

from tests.api.conftest import error_of
from tests.cases.helpers import file_case

pytestmark = pytest.mark.django_db


def _cursor(query: str | bytes) -> str:
    raw = query.encode() if isinstance(query, str) else query
    return b64encode(raw).decode("ascii")


MADE_UP_CURSORS = [
    "not-a-cursor",
    "é",
    _cursor("p=not-a-date"),
    _cursor("p=2026-13-45 25:61:00+00:00"),
    _cursor("p=2026-03-02 15:00:00"),  # no time zone
    _cursor("p=9999-12-31 23:59:59-23:59"),  # past the last representable instant
    _cursor("p=0001-01-01 00:00:00+23:59"),  # before the first
    _cursor("p=2026-03-02\x0015:00:00+00:00"),
    _cursor("p=' OR 1=1 --"),
    _cursor("o=-1"),
    _cursor("o=1e9"),
    _cursor("r=maybe"),
    _cursor("r=1&p=x&o=2"),
    _cursor(b"\xff\xfe\x00binary"),
]


@pytest.mark.parametrize("cursor", MADE_UP_CURSORS)
@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/cases/{reference}/comments/"])
def test_a_made_up_cursor_is_refused_as_bad_input(cast, api, cursor, path):
    case = file_case(cast)
    client = api(cast.contact_a)
    response = client.get(path.format(reference=case.reference), {"cursor": cursor})
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"] == {
        "cursor": ["Use the cursor from a `next` or `previous` link as it is."]
    }


def test_the_cursors_the_api_gives_still_work(cast, api):
    filed = [file_case(cast).reference for _ in range(3)]
    client = api(cast.contact_a)
    page = client.get("/api/v1/cases/", {"page_size": 2}).json()
    following = client.get(page["next"])
    assert following.status_code == 200
    back = client.get(following.json()["previous"])
    assert back.status_code == 200
    seen = [c["reference"] for c in page["results"] + following.json()["results"]]
    assert sorted(seen) == sorted(filed)
