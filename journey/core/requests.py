"""Per-request plumbing: request ids, one log line per request, one commit per request."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request
from sqlalchemy.exc import IntegrityError

from journey.core.errors import ProblemError, problem_response
from journey.core.i18n import _

logger = logging.getLogger("journey.request")
_RID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        g.start = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _RID_RE.match(incoming) else uuid.uuid4().hex
        if request.path.startswith("/api/") and request.method in _BODY_METHODS:
            limit = app.config["MAX_CONTENT_LENGTH"]
            if request.content_length is not None and request.content_length > limit:
                raise ProblemError(_("The body is larger than %(limit)s bytes.", limit=limit), status=413,
                                   code="payload-too-large")
            has_body = (request.content_length or 0) > 0 or request.headers.get(
                "Transfer-Encoding", "").lower() == "chunked"
            if has_body and request.mimetype != "application/json":
                raise ProblemError(_("Send the body as application/json."), status=415,
                                   code="unsupported-media-type")

    @app.after_request
    def _finish(response):
        sess = g.get("_journey_session")
        if sess is not None and response.status_code < 400:
            try:
                sess.commit()
            except IntegrityError:
                sess.rollback()
                logger.warning("commit conflict request_id=%s", g.get("request_id"))
                response = problem_response(409, title=_("Conflict"), code="conflict",
                                            detail=_("The change conflicts with another record."))
        response.headers["X-Request-ID"] = g.get("request_id", "")
        rule = request.url_rule.rule if request.url_rule else "<unmatched>"
        duration = (time.perf_counter() - g.get("start", time.perf_counter())) * 1000
        # Only the route template: paths and query strings can carry search terms and names.
        logger.info("request_id=%s method=%s route=%s status=%s duration_ms=%.1f",
                    g.get("request_id"), request.method, rule, response.status_code, duration)
        return response
