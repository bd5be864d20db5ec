"""Consistency checks (placeholder)."""

from __future__ import annotations


def check(document, bound, ids, tables):
    return []
