"""My work: each caseworker's home page (due items, expiring permits, replies, message problems)."""
