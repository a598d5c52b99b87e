"""journey: the backend migrant resource centres run for Skills Mobility Partnerships."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

__all__ = ["create_app"]


def _configure_logging(app: Flask) -> None:
    for name in ("journey", "notifications"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            logger.addHandler(handler)
        logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    # The development server's access log prints query strings, which carry search terms (names,
    # phone numbers); journey.request logs one line per request without them.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def create_app(config_override: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, then each extension and domain, in order."""
    from journey.config import load_settings

    settings = load_settings()
    if config_override:
        settings.update(config_override)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(settings)
    _configure_logging(app)

    from journey import models  # noqa: F401  (every table registered before the engine is used)
    from journey.core import errors, i18n, requests
    from journey.core.api import Api, docs_assets
    from journey.core.db import db
    from journey.core.ids import IdConverter

    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    i18n.init_app(app)
    requests.init_app(app)

    from flask_wtf.csrf import CSRFProtect

    CSRFProtect(app)

    # One Api per app: flask-smorest keeps the OpenAPI document on it.
    api = Api(app)
    errors.init_app(app)  # after the Api, so our handlers are the ones registered
    app.register_blueprint(docs_assets)

    from journey.accounts.routes import blp as accounts_blp
    from journey.auditlog.routes import blp as audit_blp
    from journey.consent.routes import blp as consent_blp
    from journey.continuum.routes import blp as continuum_blp
    from journey.costs.routes import blp as costs_blp
    from journey.credentials.pages import bp as credential_pages_bp
    from journey.credentials.routes import blp as credentials_blp
    from journey.health import bp as health_bp
    from journey.messaging.routes import blp as messages_blp
    from journey.organisations.routes import blp as organisations_blp
    from journey.participants.routes import blp as participants_blp
    from journey.passports.pages import bp as passport_pages_bp
    from journey.passports.routes import blp as passports_blp
    from journey.programmes.routes import blp as programmes_blp
    from journey.skillcards.pages import bp as skillcard_pages_bp
    from journey.skillcards.routes import blp as skillcards_blp
    from journey.taxonomy.routes import blp as taxonomy_blp
    from journey.web.routes import bp as web_bp

    for blp in (accounts_blp, organisations_blp, programmes_blp, participants_blp, consent_blp,
                continuum_blp, costs_blp, messages_blp, audit_blp, taxonomy_blp, passports_blp,
                credentials_blp, skillcards_blp):
        api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix or ''}")
    app.register_blueprint(health_bp)

    from journey.messaging import bridge

    bridge.init_app(app)
    from journey.skillcards import hooks as skillcard_hooks

    skillcard_hooks.init_app(app)
    app.register_blueprint(web_bp)
    for bp in (passport_pages_bp, credential_pages_bp, skillcard_pages_bp):
        app.register_blueprint(bp)

    from journey.cli import register_commands

    register_commands(app)
    return app
