"""Objects that belong to one app, kept in `app.extensions`: two apps in a process share nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from flask import Flask, current_app

T = TypeVar("T")


class PerApp(Generic[T]):
    """`init_app(app)` gives an app its own new object; calling gives an app's (the current one's)."""

    def __init__(self, key: str, factory: Callable[[], T]) -> None:
        self.key = key
        self.factory = factory

    def init_app(self, app: Flask) -> T:
        obj = app.extensions[self.key] = self.factory()
        return obj

    def __call__(self, app: Flask | None = None) -> T:
        return (app or current_app).extensions[self.key]
