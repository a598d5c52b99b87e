"""The WSGI app bench/http.py serves with gunicorn: the real app plus one bare JSON endpoint.

The bare endpoint is the baseline of item 5 of issue #12: a Flask JSON endpoint on the same app
(so the same request hooks, security headers and log line), the same server and the same workers,
doing no work of its own. It exists only here, never in the product.
"""

from __future__ import annotations

from flask import jsonify

from journey import create_app

app = create_app()


@app.get("/bench/bare")
def bare():
    return jsonify(status="ok")
