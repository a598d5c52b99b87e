"""WSGI entry point: `gunicorn wsgi:app` or any WSGI server."""

from journey import create_app

app = create_app()
