"""`journey worker` sends queued SMS and email (`journey worker reconcile` settles those whose
outcome is unknown); `journey scheduler` runs the scheduled jobs."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("worker", invoke_without_command=True)
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--batch", default=50, show_default=True,
              help="Messages leased at a time (more are leased as the backlog runs low).")
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Provider calls in flight at once [default: OUTBOX_CONCURRENCY, 32].")
@with_appcontext
@click.pass_context
def worker(ctx: click.Context, once: bool, batch: int, concurrency: int | None):
    """Send queued SMS and email, many at a time (run several: each message goes out once, and
    the per-channel rates hold for all of them together). `journey worker reconcile` settles
    messages whose outcome is unknown."""
    if ctx.invoked_subcommand is not None:
        return
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


@worker.command("reconcile")
@click.option("--batch", default=100, show_default=True, help="Messages read per round.")
@with_appcontext
def reconcile(batch: int):
    """Settle outcome-unknown messages: ask the SMS provider what it sent (email: left for a person)."""
    from collections import Counter

    from journey.core.db import db, utcnow
    from journey.messaging import delivery
    from notifications import reconcile as rec
    from notifications.channels import LookupFailed

    app = current_app._get_current_object()
    settings = rec.Settings.from_config(app.config)
    sender = delivery.build_sms_sender(app)
    counts: Counter[str] = Counter()
    unavailable: LookupFailed | None = None
    last = 0
    try:
        while True:
            with db.job_session() as sess:
                items = delivery.pending(sess, after_id=last, limit=batch, by_id=True)
            if not items:
                break
            for item in items:
                last = max(last, item.id)
                answer: list | LookupFailed = []
                if unavailable is not None:
                    answer = unavailable
                else:
                    # Asked outside any transaction: the provider's answer can take seconds.
                    try:
                        answer = rec.ask(sender, item, settings)
                    except LookupFailed as exc:
                        answer = exc
                        unavailable = exc if exc.transient else None
                with db.job_session() as sess:
                    verdict = rec.conclude(sess, item, answer, now=utcnow(), settings=settings,
                                           actor_id=None)
                counts[verdict.outcome.value] += 1
        with db.job_session() as sess:
            emails = delivery.count_pending(sess, None, channel="email")
    finally:
        if hasattr(sender, "close"):
            sender.close()
    summary = ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "nothing to do"
    click.echo(f"reconciled SMS: {summary}")
    if emails:
        click.echo(f"{emails} email messages have an unknown outcome: a person must check them "
                   "(a mail server keeps no list to ask)")
    if unavailable is not None:
        raise click.ClickException(f"the SMS provider could not be asked ({unavailable.code}); "
                                   "run this again later")
