"""`journey worker` sends queued SMS and email; `journey scheduler` runs the scheduled jobs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--batch", default=50, show_default=True)
@with_appcontext
def worker(once: bool, batch: int):
    """Send queued SMS and email (run several on PostgreSQL; each message goes out once)."""
    import signal
    import threading

    from journey.messaging.bridge import build_senders
    from notifications.dispatcher import Dispatcher

    app = current_app._get_current_object()
    sms, email = build_senders(app)
    dispatcher = Dispatcher(app, sms, email, batch=batch)
    if once:
        total = 0
        while handled := dispatcher.run_once():
            total += handled
        click.echo(f"handled {total} messages")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"{dispatcher.worker_id} sending; Ctrl-C stops it")
    try:
        dispatcher.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run reminders and other scheduled jobs (one leader across machines on PostgreSQL)."""
    import signal
    import threading

    from notifications import scheduler as sched

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        sched.run(current_app._get_current_object(), stop)
    except KeyboardInterrupt:
        stop.set()
