"""A fake of the Twilio REST API for Messages: a real HTTP server on 127.0.0.1 that the official SDK talks to.

It answers ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` like Twilio does (form-encoded
request, HTTP basic auth with the account SID and auth token, 201 with the message JSON), can be told
to refuse a number or to fail N times, records every request, and sends signed status callbacks and
inbound messages to a webhook, in any order.

    with FakeTwilio() as fake:
        sender = TwilioSmsSender(fake.account_sid, fake.auth_token, ..., api_base=fake.base_url)

or the ``fake_twilio`` fixture (import it into a conftest to use it elsewhere).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from notifications import segments

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "f" * 32
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"
# The number the fake picks from a Messaging Service's sender pool.
POOL_NUMBER = "+15005550006"

_MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")

# What Twilio says for the errors the fake can be told to return (https://www.twilio.com/docs/api/errors).
ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "An internal server error has occurred",
    21211: "The 'To' number {to} is not a valid phone number.",
    21602: "Message body is required.",
    21603: "The 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number {to} is not a valid mobile number",
}
_STATUS_OF_CODE = {20429: 429, 20500: 500, 20404: 404, 20003: 401}
_CODE_OF_STATUS = {429: 20429, 500: 20500, 503: 20503, 502: 20502}


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the fake API received, and what it answered."""

    method: str
    path: str
    form: dict[str, str]  # the first value of each form field
    headers: dict[str, str]
    authorised: bool
    answered: int  # the HTTP status the fake replied with
    at: float = 0.0  # time.time() when it arrived (before any delay or latency)

    @property
    def account_sid(self) -> str | None:
        match = _MESSAGES_PATH.match(self.path)
        return match["account"] if match else None


@dataclass
class _Failure:
    status: int
    times: int
    to: str | None


class FakeTwilio:
    """The fake API server; start it with ``with`` (or ``start()``/``stop()``)."""

    def __init__(self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._received: list[ReceivedRequest] = []
        self._messages: dict[str, dict[str, Any]] = {}
        self._refusals: dict[str, int] = {}
        self._failures: list[_Failure] = []
        self._delays: list[float] = []
        self._list_failures: list[int] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Seconds every answer is held (a provider's latency), on top of any delay() given.
        self.latency = 0.0
        # Called with each message the fake accepts, before it answers (see on_create).
        self._on_create: Callable[[dict[str, Any]], None] | None = None
        self._arrived = threading.Condition(self._lock)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        self._stopping.clear()
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll keeps stop() (and so every test's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-twilio", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes any delayed answer, so stopping never waits for it
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTwilio is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What to pass as ``api_base``: every Twilio host is rewritten to this."""
        return f"http://127.0.0.1:{self.port}"

    # -- what it has seen --------------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedRequest]:
        """Every request, in arrival order (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The messages it accepted, as the JSON it answered with (a copy)."""
        with self._lock:
            return [dict(m) for m in self._messages.values()]

    def message(self, sid: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._messages[sid])

    # -- behaviour ---------------------------------------------------------------------------------

    def refuse(self, to: str, code: int = 21610) -> None:
        """Answer every message to ``to`` with a 400 and ``code``.

        21610: the recipient sent STOP; 21211: not a valid number; 21614: not a mobile number.
        """
        with self._lock:
            self._refusals[to] = code

    def fail(self, status: int = 500, times: int = 1, *, to: str | None = None) -> None:
        """Answer the next ``times`` messages (to ``to``, or any) with HTTP ``status``, then succeed again."""
        with self._lock:
            self._failures.append(_Failure(status, times, to))

    def delay(self, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` answers for ``seconds`` (or until the fake stops), to provoke timeouts."""
        with self._lock:
            self._delays.extend([seconds] * times)

    def on_create(self, hook: Callable[[dict[str, Any]], None] | None) -> None:
        """Call ``hook(message)`` for each message accepted, before answering the request: a status
        callback it sends reaches the app before the sender hears that Twilio accepted it."""
        self._on_create = hook

    def wait_for_requests(self, n: int, timeout: float = 30) -> bool:
        """Block until at least ``n`` requests have arrived; False if ``timeout`` passed first."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self._received) >= n, timeout)

    def reset(self) -> None:
        with self._lock:
            self._received.clear()
            self._messages.clear()
            self._refusals.clear()
            self._failures.clear()
            self._delays.clear()
            self._list_failures.clear()

    def mark_sent(self, sid: str, at: datetime | None = None, status: str = "sent") -> None:
        """Twilio handed the message to the carrier at ``at`` (default now): it gets a date_sent,
        and so appears in a list filtered by DateSent."""
        with self._lock:
            self._messages[sid]["status"] = status
            self._messages[sid]["date_sent"] = format_datetime((at or datetime.now(UTC)).astimezone(UTC))

    def fail_list(self, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` Messages list requests with HTTP ``status``."""
        with self._lock:
            self._list_failures.extend([status] * times)

    # -- the Messages list (see the end of the module) --------------------------------------------------

    def _answer_list(self, path: str, headers: Mapping[str, str]) -> tuple[int, dict]:
        parts = urlsplit(path)
        query = {name: values[0] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        match = _MESSAGES_PATH.match(parts.path)
        authorised = bool(match) and self._authorised(headers.get("Authorization"), match["account"])
        status, payload = self._decide_list(match, authorised, query, parts.path)
        with self._lock:
            self._received.append(ReceivedRequest("GET", path, query, dict(headers), authorised, status))
        return status, payload

    def _decide_list(self, match: re.Match | None, authorised: bool, query: dict[str, str],
                     path: str) -> tuple[int, dict]:
        if match is None:
            return 404, _error(20404, 404)
        if not authorised:
            return 401, _error(20003, 401)
        with self._lock:
            failure = self._list_failures.pop(0) if self._list_failures else None
            messages = [dict(m) for m in self._messages.values()]
        if failure is not None:
            return failure, _error(_CODE_OF_STATUS.get(failure, failure), failure)
        after = _list_bound(query["DateSent>"], upper=False) if "DateSent>" in query else None
        before = _list_bound(query["DateSent<"], upper=True) if "DateSent<" in query else None
        if ("DateSent>" in query and after is None) or ("DateSent<" in query and before is None):
            return 400, {"code": 20001, "message": "Invalid DateSent", "more_info": "", "status": 400}
        try:
            size = int(query.get("PageSize", 50))
            number = int(query.get("Page", 0))
        except ValueError:
            return 400, {"code": 20001, "message": "Invalid paging", "more_info": "", "status": 400}
        size = max(1, min(size, _LIST_MAX_PAGE_SIZE))

        def wanted(m: dict[str, Any]) -> bool:
            if "To" in query and m["to"] != query["To"]:
                return False
            if "From" in query and m["from"] != query["From"]:
                return False
            sent = _sent_time(m)
            if (after or before) and sent is None:
                return False
            return (after is None or sent >= after) and (before is None or sent <= before)

        found = sorted((m for m in messages if wanted(m)),
                       key=lambda m: (_sent_time(m) or datetime.max.replace(tzinfo=UTC), m["sid"]),
                       reverse=True)
        start = number * size
        token = query.get("PageToken")
        if token:  # "PA" + the sid the previous page ended with
            sids = [m["sid"] for m in found]
            start = sids.index(token[2:]) + 1 if token[2:] in sids else len(found)
        page = found[start:start + size]
        filters = {k: query[k] for k in ("To", "From", "DateSent>", "DateSent<") if k in query}

        def uri(page_number: int, page_token: str | None = None) -> str:
            params = {**filters, "PageSize": size, "Page": page_number}
            if page_token:
                params["PageToken"] = page_token
            return f"{path}?{urlencode(params)}"

        more = start + size < len(found)
        return 200, {
            "messages": page,
            "uri": uri(number, token),
            "first_page_uri": uri(0),
            "next_page_uri": uri(number + 1, "PA" + page[-1]["sid"]) if more and page else None,
            "previous_page_uri": uri(number - 1) if number > 0 else None,
            "page": number,
            "page_size": size,
            "start": start,
            "end": start + max(len(page) - 1, 0),
        }

    # -- webhooks it sends -------------------------------------------------------------------------

    def sign(self, url: str, params: Mapping[str, str]) -> str:
        """X-Twilio-Signature for a POST of ``params`` to ``url``, as Twilio computes it."""
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def status_callback_params(self, sid: str, status: str, error_code: int | None = None) -> dict[str, str]:
        """The form Twilio posts to a message's StatusCallback when its status becomes ``status``."""
        message = self.message(sid)
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message["from"] or POOL_NUMBER,
            "To": message["to"],
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if message["messaging_service_sid"]:
            params["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return params

    def send_status_callback(
        self, url: str, sid: str, status: str, *, error_code: int | None = None, signed_url: str | None = None
    ) -> int:
        """POST one signed status callback to ``url``; returns the HTTP status the webhook answered.

        ``signed_url`` is the public URL to sign when the webhook sits behind a proxy (default: ``url``).
        """
        params = self.status_callback_params(sid, status, error_code)
        with self._lock:
            self._messages[sid]["status"] = status
            if error_code is not None:
                self._messages[sid]["error_code"] = error_code
        return self.post_signed(url, params, signed_url=signed_url)

    def send_status_callbacks(
        self,
        url: str,
        sid: str,
        statuses: Sequence[str] = ("queued", "sent", "delivered"),
        *,
        error_code: int | None = None,
        out_of_order: bool = False,
        signed_url: str | None = None,
    ) -> list[int]:
        """Send one callback per status, in the order given or reversed; ``error_code`` goes on the last
        status when it is "undelivered" or "failed" (as Twilio does)."""
        final = statuses[-1] if statuses else None
        order = list(reversed(statuses)) if out_of_order else list(statuses)
        answers = []
        for status in order:
            code = error_code if status == final and status in ("undelivered", "failed") else None
            answer = self.send_status_callback(url, sid, status, error_code=code, signed_url=signed_url)
            answers.append(answer)
        return answers

    def inbound_params(self, from_: str, body: str, *, to: str = POOL_NUMBER,
                       messaging_service_sid: str | None = None) -> dict[str, str]:
        """The form Twilio posts to a number's (or Messaging Service's) incoming-message webhook."""
        sid = "SM" + uuid.uuid4().hex
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "From": from_,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": str(max(1, segments.count(body).segments)),
        }
        if messaging_service_sid:
            params["MessagingServiceSid"] = messaging_service_sid
        return params

    def send_inbound(self, url: str, from_: str, body: str, *, to: str = POOL_NUMBER,
                     messaging_service_sid: str | None = None, signed_url: str | None = None) -> int:
        """POST a signed incoming message (a reply such as "STOP") to ``url``; returns the HTTP status."""
        params = self.inbound_params(from_, body, to=to, messaging_service_sid=messaging_service_sid)
        return self.post_signed(url, params, signed_url=signed_url)

    def post_signed(self, url: str, params: Mapping[str, str], *, signed_url: str | None = None) -> int:
        """POST ``params`` form-encoded to ``url`` (127.0.0.1 only) with X-Twilio-Signature."""
        target = urlsplit(url)
        if target.scheme != "http" or target.hostname != "127.0.0.1":
            raise ValueError("the fake only calls webhooks on http://127.0.0.1")
        request = urllib.request.Request(  # noqa: S310 -- scheme and host checked above
            url,
            data=urlencode(params).encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "User-Agent": "TwilioProxy/1.1",
                "X-Twilio-Signature": self.sign(signed_url or url, params),
            },
        )
        # No proxies: the webhook is on loopback and an environment proxy must not see it.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:  # noqa: S310 -- scheme and host checked above
                return response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code

    # -- the API -----------------------------------------------------------------------------------

    def _authorised(self, header: str | None, account: str) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.account_sid == account and password == self.auth_token

    def _answer(self, method: str, path: str, headers: Mapping[str, str], raw: str) -> tuple[int, dict]:
        if method == "GET":  # the Messages list (reconciliation); see _answer_list
            return self._answer_list(path, headers)
        arrived = time.time()
        fields = parse_qs(raw, keep_blank_values=True)
        form = {name: values[0] for name, values in fields.items()}
        match = _MESSAGES_PATH.match(path)
        authorised = bool(match) and self._authorised(headers.get("Authorization"), match["account"])
        status, payload, delay = self._decide(method, match, authorised, form)
        with self._lock:
            self._received.append(ReceivedRequest(method, path, form, dict(headers), authorised, status,
                                                  arrived))
            self._arrived.notify_all()
        if delay:
            self._stopping.wait(delay)
        return status, payload

    def _decide(self, method: str, match: re.Match | None, authorised: bool,
                form: dict[str, str]) -> tuple[int, dict, float]:
        if method != "POST" or match is None:
            return 404, _error(20404, 404), 0
        if not authorised:
            return 401, _error(20003, 401), 0
        to = form.get("To", "")
        with self._lock:
            delay = self._delays.pop(0) if self._delays else self.latency
            for failure in self._failures:
                if failure.times > 0 and failure.to in (None, to):
                    failure.times -= 1
                    code = _CODE_OF_STATUS.get(failure.status, failure.status)
                    return failure.status, _error(code, failure.status), delay
            refusal = self._refusals.get(to)
        if not to:
            return 400, _error(21604, 400), delay
        if not form.get("Body"):
            return 400, _error(21602, 400), delay
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return 400, _error(21603, 400), delay
        if refusal is not None:
            return 400, _error(refusal, 400, to=to), delay
        return 201, self._create(form), delay

    def _create(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC))
        service = form.get("MessagingServiceSid")
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}"
        message = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            # Through a Messaging Service without From, Twilio picks the sender later: "accepted", no from.
            "from": form.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(max(1, segments.count(form["Body"]).segments)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not form.get("From") else "queued",
            "subresource_uris": {"media": f"{uri}/Messages/{sid}/Media.json"},
            "to": form["To"],
            "uri": f"{uri}/Messages/{sid}.json",
        }
        with self._lock:
            self._messages[sid] = message
        if self._on_create is not None:
            self._on_create(dict(message))
        return dict(message)


def _error(code: int, status: int, *, to: str = "") -> dict[str, Any]:
    """Twilio's (legacy, non-RFC-9457) error body, which the SDK turns into TwilioRestException."""
    return {
        "code": code,
        "message": ERROR_MESSAGES.get(code, "Error").format(to=to),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": _STATUS_OF_CODE.get(code, status),
    }


class _Server(ThreadingHTTPServer):
    # Several workers, each with dozens of calls in flight, connect at once: the default backlog
    # of 5 would refuse some of them.
    request_queue_size = 256


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        status, payload = self.fake._answer(self.command, self.path, dict(self.headers.items()), raw)
        body = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to answer

    do_POST = do_GET = _handle  # http.server dispatches on these names

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log would print paths to the test output for no benefit."""


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A running FakeTwilio, stopped after the test."""
    with FakeTwilio() as fake:
        yield fake


# -- the Messages list: GET /2010-04-01/Accounts/{AccountSid}/Messages.json -----------------------------
# As Twilio answers it: filtered by To, From, DateSent> (on or after) and DateSent< (on or before),
# each a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM:SSZ, as the SDK sends); a message not yet sent
# (no date_sent) matches no DateSent filter. Newest first, paged by PageSize with Page and PageToken,
# and the paging fields (uri, first_page_uri, next_page_uri, previous_page_uri, page, page_size,
# start, end) the SDK follows.

_LIST_MAX_PAGE_SIZE = 1000


def _list_bound(value: str, *, upper: bool) -> datetime | None:
    try:
        if len(value) == 10:  # a whole day: from its start, or up to its end
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return day.replace(hour=23, minute=59, second=59) if upper else day
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def _sent_time(message: dict[str, Any]) -> datetime | None:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(message["date_sent"]) if message.get("date_sent") else None
