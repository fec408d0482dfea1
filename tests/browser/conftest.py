"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

No browser is downloaded: the tests use /usr/bin/chromium (`apt-get install chromium`)
and skip, saying so, where it is missing. Every browser test starts chromium through the
`browser` fixture below; none looks for it elsewhere.

Screenshots go to a temporary folder, so a test run leaves the checkout as it found it.
To refresh the README's pictures in docs/screenshots/ on purpose, run

    SUPPORTDESK_SCREENSHOTS=1 .venv/bin/python -m pytest -m browser

and commit the images that changed.
"""

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Where the README's screenshots live; written only when SUPPORTDESK_SCREENSHOTS=1.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# axe-core from the npm registry (package.json; bin/test runs `npm ci`), not a CDN.
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA; a page passes with no violation of these impacts.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_BLOCKING = {"critical", "serious"}
# A Monday afternoon, so screenshots read the same on every run.
FROZEN_AT = dt.datetime(2026, 11, 23, 14, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need the dev extra (pip install -e .[dev])"
    )
    # Playwright's sync API runs an event loop in this thread; Django must still let
    # the test code and the live server touch the database.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_api.sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield launched
            launched.close()


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(FROZEN_AT, tick=True):
        yield


@pytest.fixture
def new_page(browser, live_server, frozen_clock):
    """`new_page()` opens a fresh browser context (its own cookies) on the live server."""
    contexts = []

    def _new_page(width: int = 1280, height: int = 860):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots with SUPPORTDESK_SCREENSHOTS=1, a session temporary folder otherwise."""
    if os.environ.get("SUPPORTDESK_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(screenshots_dir: Path):
    """Save a screenshot of `page` as <screenshots_dir>/<name>.png (the whole page unless
    `full_page=False`)."""

    def _shot(page, name: str, mask: list | None = None, full_page: bool = True) -> None:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(
            path=str(screenshots_dir / f"{name}.png"),
            full_page=full_page,
            animations="disabled",
            mask=mask or [],
            mask_color="#cfd6e1",
        )

    return _shot


@pytest.fixture
def assert_accessible():
    """`assert_accessible(page)` runs axe-core's WCAG 2.1 A/AA rules on the page as it is
    now and fails on any critical or serious violation, naming the rule and the nodes."""
    if not AXE.exists():
        pytest.skip(f"accessibility checks need axe-core at {AXE}: run `npm ci`")
    source = AXE.read_text(encoding="utf-8")

    def _check(page) -> None:
        # Evaluated through the DevTools protocol, so the page's CSP (no inline or eval'd
        # script) does not block it and the page itself is not changed.
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        blocking = [
            {
                "rule": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "nodes": [node["target"] for node in violation["nodes"][:5]],
            }
            for violation in result["violations"]
            if violation["impact"] in AXE_BLOCKING
        ]
        assert not blocking, f"axe-core on {page.url}:\n{json.dumps(blocking, indent=1)}"

    return _check
