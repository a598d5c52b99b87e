"""The privacy pages in a real Chromium: from a participant's record to their privacy page, the
Export button downloads the archive; the register of processing; both pass axe-core."""

from __future__ import annotations

import json
import time
import zipfile

import sqlalchemy as sa

from journey.organisations.models import Office
from journey.participants.models import Participant
from tests.web.axe import assert_accessible
from tests.web.test_browser import (  # noqa: F401 (the module's fixtures and its skip mark)
    browser,
    live,
    log_in,
    page,
    pytestmark,
)


def _wait_for_file(folder, name: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (folder / name).exists():
            return folder / name
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded: {sorted(p.name for p in folder.iterdir())}")


def _response_headers(browser, page, after: int, path: str) -> dict[str, str]:  # noqa: F811
    browser.pump(0.5)  # the events Chromium sent while the file was written
    for e in browser.events[after:]:
        # A GET form with no fields submits to ".../export?".
        if (e["method"] == "Network.responseReceived" and e.get("sessionId") == page.session
                and e["params"]["response"]["url"].split("?")[0].endswith(path)):
            return {k.lower(): v for k, v in e["params"]["response"]["headers"].items()}
    raise AssertionError(f"no response for {path}")


def test_a_supervisor_exports_a_participant_from_their_record(browser, page, live,  # noqa: F811
                                                              tmp_path):
    (p,) = live.scalars(sa.select(Participant).join(Office, Office.id == Participant.office_id)
                        .where(Office.code == "KTM").order_by(Participant.id).limit(1))
    log_in(page, live, "supervisor")
    page.goto(live.url(f"/participants/{p.id}"))
    mark = page.mark()
    page.click(f'a[href="/participants/{p.id}/privacy"]')
    page.wait_for_load(mark)
    assert page.js("location.pathname") == f"/participants/{p.id}/privacy"
    assert page.js("document.querySelector('h1').textContent") == "Privacy"
    assert page.js("document.querySelectorAll('table tbody tr').length") >= 18
    assert_accessible(page)

    browser.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path),
                 browserContextId=page.context, eventsEnabled=True)
    mark = page.mark()
    page.click("main form button[type=submit]")
    archive = _wait_for_file(tmp_path, f"journey-export-{p.reference}.zip")
    headers = _response_headers(browser, page, mark, f"/participants/{p.id}/privacy/export")
    assert headers["content-type"] == "application/zip"
    assert headers["content-disposition"] == f'attachment; filename="{archive.name}"'
    assert headers["cache-control"] == "no-store"
    with zipfile.ZipFile(archive) as zf:
        data = json.loads(zf.read("data.json"))
        summary = zf.read("summary.html").decode()
    assert data["participant"] == {"id": p.id, "reference": p.reference}
    assert p.reference in summary
    # The page stays where it was: a download does not navigate away.
    assert page.js("location.pathname") == f"/participants/{p.id}/privacy"


def test_the_register_of_processing_page(page, live):  # noqa: F811
    log_in(page, live, "supervisor")
    page.goto(live.url("/privacy/register"))
    assert page.js("document.querySelector('h1').textContent") == "Register of processing"
    assert page.js("document.querySelectorAll('section.card').length") == 5
    assert_accessible(page)
