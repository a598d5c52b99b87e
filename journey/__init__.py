"""journey: the backend migrant resource centres run for Skills Mobility Partnerships."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from flask import Flask

from journey.core.domains import Domain, load, permission_table, personal_data

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


def create_app(config_override: dict[str, Any] | None = None,
               domains: Sequence[str | Domain] | None = None) -> Flask:
    """Build the application: settings, then each extension, then every domain in order.

    ``domains`` replaces the list in journey/domains.py (package names or Domain records); tests
    use it to build an app with a domain of their own.
    """
    from journey.config import load_settings

    settings = load_settings()
    if config_override:
        settings.update(config_override)
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(settings)
    _configure_logging(app)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Believe X-Forwarded-For and -Proto from exactly this many proxies: login throttling
        # counts failures per client address, which a client must not be able to choose.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from journey import models  # noqa: F401  (every table registered before the engine is used)
    from journey.core import crypto, errors, i18n, requests
    from journey.core.api import Api, docs_assets
    from journey.core.db import db
    from journey.core.ids import IdConverter
    from journey.domains import DOMAINS

    app.url_map.converters["id"] = IdConverter
    db.init_app(app)
    crypto.init_app(app)
    i18n.init_app(app)
    requests.init_app(app)
    from journey.core import headers

    headers.init_app(app)

    from flask_wtf.csrf import CSRFProtect

    CSRFProtect(app)

    # One Api per app: flask-smorest keeps the OpenAPI document on it.
    api = Api(app)
    errors.init_app(app)  # after the Api, so our handlers are the ones registered
    app.register_blueprint(docs_assets)

    from journey.health import bp as health_bp

    app.register_blueprint(health_bp)

    _install_domains(app, api, load(DOMAINS if domains is None else domains))
    return app


def _install_domains(app: Flask, api: Any, domains: Sequence[Domain]) -> None:
    """Walk the domains in order and register what each declares, on this app only."""
    from journey.core import timeline
    from notifications import hooks as notification_hooks
    from notifications import templates

    app.extensions["journey_domains"] = tuple(domains)
    app.extensions["journey_policy"] = permission_table(domains)
    app.extensions["journey_personal_data"] = MappingProxyType(personal_data(domains))
    app.extensions["journey_nav_links"] = tuple(sorted(
        (link for d in domains for link in d.nav_links), key=lambda link: link.order))
    app.extensions["journey_record_sections"] = tuple(
        provider for d in domains for provider in d.record_sections)
    registry = timeline.init_app(app)
    hooks = notification_hooks.init_app(app)
    catalog = templates.init_app(app)
    # APIs first, in list order (the OpenAPI document follows it), then everything else.
    for d in domains:
        for blp in d.api_blueprints:
            api.register_blueprint(blp, url_prefix=f"/api/v1{blp.url_prefix or ''}")
    for d in domains:
        for bp in d.page_blueprints:
            app.register_blueprint(bp)
        for command in d.commands:
            app.cli.add_command(command)
        for kind in d.timeline_kinds:
            registry.add_kind(kind.name, kind.title, d.name)
        registry.providers.extend(d.timeline_providers)
        registry.handlers.extend(d.timeline_handlers)
        for job in d.jobs:
            hooks.add_job(job.name, job.func, job.seconds)
        for keyword in d.keywords:
            hooks.keywords.register(keyword.action, keyword.words, keyword.handler,
                                    takes_text=keyword.takes_text)
        for template in d.templates:
            catalog.add(template)
    for d in domains:
        if d.init_app is not None:
            d.init_app(app)
