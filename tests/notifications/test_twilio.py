"""The Twilio sender through the real SDK against a fake Twilio on loopback, webhook signatures, and the
console sender."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import MultiDict

from notifications.channels import SmsMessage
from notifications.sms import ConsoleSmsSender, TwilioSmsSender, validate_twilio_signature
from tests.fakes import twilio as twilio_fakes
from tests.fakes.twilio import FakeTwilio

# Registered here by name; a conftest can do the same to share it.
fake_twilio = twilio_fakes.fake_twilio

NUMBER = "+9779812345678"
BODY = "Namaste Sita, your visa appointment is on 3 June at 10:00."
SERVICE_SID = "MG" + "a" * 32
PUBLIC_BASE = "https://journey.example.org"


def make_sender(fake: FakeTwilio, **overrides) -> TwilioSmsSender:
    options = {
        "messaging_service_sid": SERVICE_SID,
        "status_callback_base": PUBLIC_BASE,
        "api_base": fake.base_url,
        "timeout": 5,
    }
    options.update(overrides)
    return TwilioSmsSender(options.pop("account_sid", fake.account_sid),
                           options.pop("auth_token", fake.auth_token), **options)


def send(fake: FakeTwilio, message_id: int = 42, to: str = NUMBER, **overrides):
    sender = make_sender(fake, **overrides)
    try:
        return sender.send(SmsMessage(to=to, body=BODY, message_id=message_id))
    finally:
        sender.close()


# -- sending through the SDK ---------------------------------------------------------------------------


def test_sdk_posts_the_message_to_the_fake_with_service_and_status_callback(fake_twilio):
    result = send(fake_twilio, message_id=42)

    [request] = fake_twilio.received
    assert request.authorised and request.answered == 201
    assert request.account_sid == fake_twilio.account_sid
    assert request.headers["User-Agent"].startswith("twilio-python/")
    assert request.form["To"] == NUMBER
    assert request.form["Body"] == BODY
    assert request.form["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in request.form
    assert request.form["StatusCallback"] == f"{PUBLIC_BASE}/webhooks/twilio/status?mid=42"
    [stored] = fake_twilio.sent
    assert result.ok and result.provider_id == stored["sid"] and result.provider_id.startswith("SM")
    assert result.status == "accepted"  # a Messaging Service picks the sender later
    assert not result.retryable and result.error_code is None


def test_sdk_sends_from_a_number_when_no_service_is_configured(fake_twilio):
    result = send(fake_twilio, messaging_service_sid=None, from_number="+15005550006",
                  status_callback_base=PUBLIC_BASE + "/")

    [request] = fake_twilio.received
    assert request.form["From"] == "+15005550006"
    assert "MessagingServiceSid" not in request.form
    assert request.form["StatusCallback"] == f"{PUBLIC_BASE}/webhooks/twilio/status?mid=42"
    assert result.ok and result.status == "queued"


def test_a_sender_needs_a_service_or_a_number():
    with pytest.raises(ValueError, match="messaging_service_sid or a from_number"):
        TwilioSmsSender("AC1", "token", status_callback_base=PUBLIC_BASE)


def test_wrong_auth_token_is_refused_by_basic_auth_and_not_retried(fake_twilio):
    result = send(fake_twilio, auth_token="not-the-token")

    [request] = fake_twilio.received
    assert not request.authorised and request.answered == 401
    assert not result.ok and result.error_code == "20003" and not result.retryable
    assert fake_twilio.sent == []


# -- what a refusal or an outage means -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "opted_out", "invalid_number"),
    [(21610, True, False), (21211, False, True), (21614, False, True)],
)
def test_recipient_refusals_are_final(fake_twilio, code, opted_out, invalid_number):
    fake_twilio.refuse(NUMBER, code)

    result = send(fake_twilio)

    assert fake_twilio.received[0].answered == 400
    assert not result.ok and result.error_code == str(code)
    assert (result.opted_out, result.invalid_number, result.retryable) == (opted_out, invalid_number, False)
    assert result.error_message and NUMBER not in result.error_message
    assert "9812345678" not in result.error_message


def test_other_client_errors_are_not_retried(fake_twilio):
    fake_twilio.fail(status=400)

    result = send(fake_twilio)

    assert not result.ok and not result.retryable
    assert not (result.opted_out or result.invalid_number)


@pytest.mark.parametrize(("status", "code"), [(500, "20500"), (429, "20429"), (503, "20503")])
def test_server_errors_and_rate_limits_are_retryable_then_succeed(fake_twilio, status, code):
    fake_twilio.fail(status=status, times=2)
    sender = make_sender(fake_twilio)
    message = SmsMessage(to=NUMBER, body=BODY, message_id=7)
    try:
        first, second, third = (sender.send(message) for _ in range(3))
    finally:
        sender.close()

    assert [r.answered for r in fake_twilio.received] == [status, status, 201]
    for failed in (first, second):
        assert not failed.ok and failed.retryable and failed.error_code == code
        assert not failed.opted_out
    assert third.ok and third.provider_id == fake_twilio.sent[0]["sid"]


def test_connection_refused_is_retryable():
    with socket.socket() as probe:  # a port that nothing listens on once the socket closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sender = TwilioSmsSender("AC" + "1" * 32, "token", messaging_service_sid=SERVICE_SID,
                             status_callback_base=PUBLIC_BASE, api_base=f"http://127.0.0.1:{port}")
    try:
        result = sender.send(SmsMessage(to=NUMBER, body=BODY, message_id=1))
    finally:
        sender.close()

    assert not result.ok and result.retryable and result.error_code == "connection-error"


def test_a_read_timeout_is_not_retried(fake_twilio):
    """Twilio may have taken the message before the answer timed out: retrying could send it
    twice, so the outcome is left unknown rather than retried."""
    fake_twilio.delay(5)

    result = send(fake_twilio, timeout=0.2)

    assert not result.ok and not result.retryable and result.error_code == "timeout"


def test_sender_logs_ids_and_codes_but_never_the_number_or_body(fake_twilio, caplog):
    caplog.set_level(logging.DEBUG)  # the SDK's and urllib3's request logs too
    fake_twilio.refuse("+9779800000000", 21211)

    ok = send(fake_twilio, message_id=501)
    refused = send(fake_twilio, message_id=502, to="+9779800000000")

    assert ok.ok and not refused.ok
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "id=501" in text and ok.provider_id in text
    assert "id=502" in text and "code=21211" in text
    for secret in (NUMBER, "9812345678", "9800000000", "Sita", "visa appointment"):
        assert secret not in text


# -- signed webhooks -----------------------------------------------------------------------------------


@dataclass
class Hook:
    path: str
    form: MultiDict
    signature: str | None


class WebhookReceiver:
    """A stand-in for our webhook endpoint: records each POST and answers 204."""

    def __init__(self) -> None:
        self.hooks: list[Hook] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
                receiver.hooks.append(
                    Hook(self.path, MultiDict(parse_qsl(raw, keep_blank_values=True)),
                         self.headers.get("X-Twilio-Signature"))
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hooks = WebhookReceiver()
    hooks.thread.start()
    yield hooks
    hooks.server.shutdown()
    hooks.server.server_close()


def _delivered_message(fake: FakeTwilio, message_id: int) -> str:
    result = send(fake, message_id=message_id)
    assert result.ok
    return result.provider_id


def test_signed_status_callback_validates_and_tampering_does_not(fake_twilio, receiver):
    sid = _delivered_message(fake_twilio, 42)
    url = f"{receiver.base_url}/webhooks/twilio/status?mid=42"

    assert fake_twilio.send_status_callback(url, sid, "delivered") == 204

    [hook] = receiver.hooks
    assert hook.path == "/webhooks/twilio/status?mid=42"
    assert hook.form["MessageSid"] == sid and hook.form["MessageStatus"] == "delivered"
    assert hook.form["To"] == NUMBER and hook.form["AccountSid"] == fake_twilio.account_sid
    token = fake_twilio.auth_token
    assert validate_twilio_signature(token, url, hook.form, hook.signature)

    tampered = hook.form.copy()
    tampered["MessageStatus"] = "failed"
    assert not validate_twilio_signature(token, url, tampered, hook.signature)
    assert not validate_twilio_signature(token, url.replace("mid=42", "mid=43"), hook.form, hook.signature)
    assert not validate_twilio_signature(token, url.replace("127.0.0.1", "localhost"), hook.form,
                                         hook.signature)
    assert not validate_twilio_signature("another-token", url, hook.form, hook.signature)
    assert not validate_twilio_signature(token, url, hook.form, None)
    assert not validate_twilio_signature(token, url, hook.form, "")


def test_signature_is_over_the_public_url_when_behind_a_proxy(fake_twilio, receiver):
    sid = _delivered_message(fake_twilio, 9)
    local = f"{receiver.base_url}/webhooks/twilio/status?mid=9"
    public = f"{PUBLIC_BASE}/webhooks/twilio/status?mid=9"

    fake_twilio.send_status_callback(local, sid, "sent", signed_url=public)

    [hook] = receiver.hooks
    assert validate_twilio_signature(fake_twilio.auth_token, public, hook.form, hook.signature)
    assert not validate_twilio_signature(fake_twilio.auth_token, local, hook.form, hook.signature)


def test_status_callbacks_can_arrive_out_of_order_with_the_error_code_on_the_final_one(fake_twilio, receiver):
    sid = _delivered_message(fake_twilio, 5)
    url = f"{receiver.base_url}/webhooks/twilio/status?mid=5"

    answers = fake_twilio.send_status_callbacks(url, sid, ("queued", "sent", "undelivered"),
                                                error_code=30003, out_of_order=True)

    assert answers == [204, 204, 204]
    assert [h.form["MessageStatus"] for h in receiver.hooks] == ["undelivered", "sent", "queued"]
    assert [h.form.get("ErrorCode") for h in receiver.hooks] == ["30003", None, None]
    assert all(validate_twilio_signature(fake_twilio.auth_token, url, h.form, h.signature)
               for h in receiver.hooks)


def test_inbound_reply_is_signed(fake_twilio, receiver):
    url = f"{receiver.base_url}/webhooks/twilio/inbound"

    assert fake_twilio.send_inbound(url, NUMBER, "STOP") == 204

    [hook] = receiver.hooks
    assert hook.form["From"] == NUMBER and hook.form["Body"] == "STOP"
    assert hook.form["MessageSid"].startswith("SM")
    assert validate_twilio_signature(fake_twilio.auth_token, url, hook.form, hook.signature)


def test_fake_only_calls_loopback(fake_twilio):
    sid = _delivered_message(fake_twilio, 1)

    with pytest.raises(ValueError, match="127.0.0.1"):
        fake_twilio.send_status_callback("https://example.org/webhooks/twilio/status?mid=1", sid, "sent")


# -- console backend -----------------------------------------------------------------------------------


def test_console_sender_writes_the_message_to_its_file_and_logs_only_ids(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="notifications.sms")
    outbox = tmp_path / "instance" / "outbox-sms.log"
    sender = ConsoleSmsSender(outbox)

    first = sender.send(SmsMessage(to=NUMBER, body=BODY, message_id=11))
    second = sender.send(SmsMessage(to=NUMBER, body="नमस्ते", message_id=12))

    assert (first.ok, first.provider_id, second.provider_id) == (True, "console-1", "console-2")
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert [(line["message_id"], line["to"], line["body"]) for line in lines] == [
        (11, NUMBER, BODY), (12, NUMBER, "नमस्ते")]
    assert (lines[0]["encoding"], lines[1]["encoding"]) == ("GSM-7", "UCS-2")
    logged = [record.getMessage() for record in caplog.records]
    assert any("message id=11 segments=1" in message for message in logged)
    assert any("message id=12" in message for message in logged)
    text = "\n".join(logged)
    assert NUMBER not in text and "9812345678" not in text and "Sita" not in text and "नमस्ते" not in text
