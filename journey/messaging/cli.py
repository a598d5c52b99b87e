"""`journey worker` sends queued SMS and email; `journey scheduler` runs the scheduled jobs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--batch", default=50, show_default=True,
              help="Messages leased at a time (more are leased as the backlog runs low).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Provider calls in flight at once [default: OUTBOX_CONCURRENCY, 32].")
@with_appcontext
def worker(once: bool, batch: int, concurrency: int | None):
    """Send queued SMS and email, many at a time (run several: each message goes out once, and
    the per-channel rates hold for all of them together)."""
    import signal
    import threading

    from journey.messaging.bridge import build_senders
    from notifications.dispatcher import Dispatcher

    app = current_app._get_current_object()
    sms, email = build_senders(app)
    dispatcher = Dispatcher(app, sms, email, batch=batch, concurrency=concurrency)
    if once:
        dispatcher.recover_stale()
        click.echo(f"handled {dispatcher.run()} messages")
        return
    stop = threading.Event()
    # Either signal stops it cleanly: messages leased but not started go back to the queue at
    # once, and the calls in flight finish and are recorded.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo(f"{dispatcher.worker_id} sending, {dispatcher.concurrency} at a time; "
               "Ctrl-C stops it")
    dispatcher.run_forever(stop)


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
