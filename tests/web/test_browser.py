"""The pages in a real headless Chromium, against the app served over HTTP on loopback.

The app has its own freshly migrated database with the demo data (not the per-test transaction:
a real server thread commits). Chromium is driven over the DevTools protocol on a pipe
(tests/web/cdp.py) and can reach nothing but 127.0.0.1.
"""

from __future__ import annotations

import base64
import re
import struct
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from journey import create_app
from journey.core.db import db
from journey.demo.load import DEMO_PASSWORD, load_demo
from journey.organisations.models import Office
from journey.participants.models import Participant
from journey.skillcards.models import SkillCard
from tests.web.axe import assert_accessible
from tests.web.cdp import APP_HOST, CHROMIUM, Browser, chromium_available

pytestmark = pytest.mark.skipif(
    not chromium_available(),
    reason=f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)",
)

_LOCAL_SCHEMES = {"data", "blob", "about"}


class LiveApp:
    def __init__(self, app, port: int) -> None:
        self.app = app
        self.port = port

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def scalars(self, stmt) -> list:
        with self.app.app_context(), db.job_session() as sess:
            return list(sess.scalars(stmt))


@pytest.fixture(scope="module")
def live(fresh_database_url, tmp_path_factory) -> Iterator[LiveApp]:
    """The app with demo data, served by a real HTTP server on 127.0.0.1 (a free port)."""
    url = fresh_database_url(at_head=True)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JOURNEY_ENV", "testing")
        env.setenv("JOURNEY_INSTANCE_PATH", str(tmp_path_factory.mktemp("live-instance")))
        app = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False})
    with app.app_context():
        load_demo(echo=lambda _line: None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    try:
        yield LiveApp(app, server.server_port)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["journey_db"].engine.dispose()


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Browser]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    b = Browser(profile, profile.parent / "chromium.log")
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def page(browser):
    p = browser.new_page()
    yield p
    p.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def log_in(page, live: LiveApp, username: str) -> None:
    page.goto(live.url("/"))
    assert page.js("location.pathname") == "/login", "anonymous visitors are sent to log in"
    page.type_into("#username", username)
    page.type_into("#password", DEMO_PASSWORD)
    mark = page.mark()
    page.click("form.stack button[type=submit]")
    page.wait_for_load(mark)


def office_references(live: LiveApp, code: str) -> set[str]:
    return set(live.scalars(sa.select(Participant.reference).join(
        Office, Office.id == Participant.office_id).where(Office.code == code)))


def test_login_page_renders(page, live):
    page.goto(live.url("/login"))
    assert page.js("document.title") == "Log in · journey"
    assert page.js("document.querySelector('h1').textContent") == "Log in"
    # Chromium applies autofocus a moment after the load event.
    assert page.wait_for("document.activeElement.id === 'username'", timeout=5)
    assert page.js("document.querySelector('input[name=csrf_token]').value.length") > 20
    # The local stylesheet loaded and applies.
    assert page.js("getComputedStyle(document.querySelector('header.site')).backgroundColor") \
        == "rgb(11, 79, 108)"
    assert_accessible(page)


def test_caseworker_logs_in_and_sees_their_participants(page, live, tmp_path):
    log_in(page, live, "caseworker")
    assert page.js("location.pathname") in ("/participants", "/work")
    page.goto(live.url("/participants"))
    assert page.js("document.querySelector('h1').textContent") == "Participants"
    kathmandu = office_references(live, "KTM")
    lisbon = office_references(live, "LIS")
    assert kathmandu and lisbon
    summary = page.js("document.querySelector('#summary').textContent.replace(/\\s+/g, ' ').trim()")
    assert summary.startswith(f"{len(kathmandu)} participants, showing 1–25"), summary
    shown = set(page.js("[...document.querySelectorAll('table.list tbody td.ref')]"
                        ".map(td => td.textContent)"))
    assert len(shown) == 25 and shown <= kathmandu
    assert not lisbon & set(page.js("document.body.innerText").split())
    assert page.js("document.querySelectorAll('table.list thead th[scope=col]').length") == 6
    assert_accessible(page)

    shot = page.screenshot(tmp_path / "participants.png")
    assert png_size(shot) == (1280, 900)


def test_search_paging_and_record_in_the_browser(page, live):
    log_in(page, live, "caseworker")
    page.goto(live.url("/participants"))
    mark = page.mark()
    page.click(".pager a[rel=next]")
    page.wait_for_load(mark)
    assert page.js("location.search") == "?page=2"
    assert page.js("document.querySelector('.pager [aria-current=page]').textContent") == "2"

    page.type_into("#q", "thapa")
    mark = page.mark()
    page.click(".filters button[type=submit]")
    page.wait_for_load(mark)
    names = page.js("[...document.querySelectorAll('table.list tbody th a')].map(a => a.textContent)")
    assert names and all(n.startswith("Thapa, ") for n in names)

    mark = page.mark()
    page.click("table.list tbody th a")
    page.wait_for_load(mark)
    assert page.js("location.pathname").startswith("/participants/")
    consent = page.js("[...document.querySelectorAll('table.consent tbody tr')]"
                      ".map(r => [r.cells[0].textContent, r.cells[1].textContent])")
    # The demo grants case management, updates and monitoring to everyone.
    assert dict(consent)["Case management"].strip().endswith("Given")
    assert len(consent) == 5
    assert_accessible(page)


def test_logout_from_the_header(page, live):
    log_in(page, live, "caseworker")
    mark = page.mark()
    page.click("header.site .account button")
    page.wait_for_load(mark)
    assert page.js("location.pathname") == "/login"
    assert "You have logged out." in page.js("document.body.innerText")
    page.goto(live.url("/"))
    assert page.js("location.pathname") == "/login"


def test_list_fits_a_phone_screen(browser, live, tmp_path):
    phone = browser.new_page(390, 844, mobile=True)
    try:
        log_in(phone, live, "caseworker")
        assert phone.js("innerWidth") == 390
        # The table may scroll inside its frame; the page itself must not scroll sideways.
        assert phone.js("document.documentElement.scrollWidth") <= 390
        shot = phone.screenshot(tmp_path / "participants-phone.png")
        assert png_size(shot) == (390, 844)
    finally:
        phone.close()


def _assert_docs_load_only_from(page, live, host: str) -> None:
    def elsewhere() -> list[str]:
        urls = page.requested_urls(mark)
        return [u for u in urls
                if urlsplit(u).scheme not in _LOCAL_SCHEMES and urlsplit(u).hostname != host]

    # Anything the page's Content-Security-Policy blocks, recorded from the first script on.
    page._call("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', e =>"
        " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"))
    mark = page.mark()
    page.goto(live.url("/api/v1/docs", host=host))
    page.wait_network_idle(mark)
    assert elsewhere() == []  # before waiting for a render that a blocked CDN would prevent
    title = page.wait_for("document.querySelector('.swagger-ui .info .title')?.textContent")
    assert title.startswith("journey")
    assert page.wait_for("document.querySelectorAll('.opblock').length") > 5
    page.wait_network_idle(mark)  # anything the rendered page fetches (badges, images) too
    assert elsewhere() == []
    # The log saw the page's own files, so an empty log cannot pass for a clean one.
    urls = page.requested_urls(mark)
    assert any(u.endswith("/api/v1/docs/assets/swagger-ui-bundle.js") for u in urls)
    assert any(u.endswith("/api/v1/openapi.json") for u in urls)
    page.click(".opblock .opblock-summary-control")  # an operation opened: its schemas drawn
    assert page.wait_for("document.querySelectorAll('.opblock.is-open').length")
    assert page.js("window.__csp") == [], "Swagger UI needs something the page's CSP forbids"
    # Swagger UI's own widget has violations of its own (its colour badges' contrast, a servers
    # <select> without a label, controls that nest buttons) that we cannot fix without forking it;
    # the page around it (language, title, landmarks) is ours and is checked.
    assert_accessible(page, exclude=("#swagger-ui-container",))


def test_docs_page_renders_swagger_ui_without_leaving_loopback(page, live):
    _assert_docs_load_only_from(page, live, "127.0.0.1")


def test_docs_page_under_a_real_host_name_loads_nothing_from_elsewhere(page, live):
    # Swagger UI skips some outside calls (its online validator badge) only on localhost and
    # 127.0.0.1, so check the page as a deployed site is seen: APP_HOST resolves to 127.0.0.1
    # inside this browser only.
    _assert_docs_load_only_from(page, live, APP_HOST)


def test_skill_card_prints_on_one_a4_page_and_its_qr_leads_to_the_public_check(browser, page, live):
    """The demo's returnee: the printable card fits one A4 sheet; the public check needs no login."""
    (card,) = live.scalars(sa.select(SkillCard))
    log_in(page, live, "caseworker")
    page.goto(live.url(f"/participants/{card.participant_id}/skill-card"))
    text = page.js("document.body.innerText")
    assert card.number in text
    assert page.js("document.querySelector('svg.qr') !== null")
    pdf = base64.b64decode(page._call("Page.printToPDF", paperWidth=8.27, paperHeight=11.69,
                                      preferCSSPageSize=True)["data"])
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "the card must print on one page"

    anonymous = browser.new_page()  # its own context: no session cookie
    try:
        anonymous.goto(live.url(f"/cards/{card.public_id}"))
        assert anonymous.js("location.pathname") == f"/cards/{card.public_id}"  # no login asked
        assert card.number in anonymous.js("document.body.innerText")
    finally:
        anonymous.close()
