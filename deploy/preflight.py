"""Check the environment before a production start (`make serve`, `make worker`, `make scheduler`):
the settings load, DATABASE_URL is named and answers. Prints what is wrong in one line and exits 2,
instead of a traceback from the middle of start-up.

    JOURNEY_ENV=production python deploy/preflight.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def problems(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """What stops a start (errors) and what only limits it (warnings)."""
    import sqlalchemy as sa

    from journey.config import ConfigError, load_settings

    try:
        settings = load_settings(env)
    except ConfigError as exc:
        return [str(exc)], []
    errors, warnings = [], []
    if settings["ENV_NAME"] == "production" and not env.get("DATABASE_URL"):
        errors.append("DATABASE_URL must be set in production, e.g. "
                      "postgresql+psycopg://journey@127.0.0.1:5432/journey")
        return errors, warnings
    url = sa.engine.make_url(settings["DATABASE_URL"])
    args = {"connect_timeout": 5} if url.get_backend_name() == "postgresql" else {}
    engine = sa.create_engine(url, connect_args=args)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        errors.append(f"the database at {url.render_as_string(hide_password=True)} does not "
                      f"answer: {reason}")
    finally:
        engine.dispose()
    if settings["ENV_NAME"] == "production" and not Path(settings["CREDENTIAL_KEY_FILE"]).exists():
        warnings.append(f"no credential signing key at {settings['CREDENTIAL_KEY_FILE']}: issuing "
                        "credentials will be refused until JOURNEY_CREDENTIAL_KEY_FILE names one")
    return errors, warnings


def main() -> int:
    errors, warnings = problems(dict(os.environ))
    for text in warnings:
        print(f"journey: warning: {text}", file=sys.stderr)
    for text in errors:
        print(f"journey: cannot start: {text}", file=sys.stderr)
    return 2 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
