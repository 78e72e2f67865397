"""Service deadlines (domain-rules.md): when a work order of each kind is due.

The resolution deadline per category; the console issue refines these by
sub-category, complaint severity and problem size.
"""

from __future__ import annotations

import datetime as dt

from models.work_orders import Category

RESOLVE_WITHIN: dict[Category, dt.timedelta] = {
    Category.EMERGENCY: dt.timedelta(minutes=10),  # staff on site within 10 minutes
    Category.REPAIR: dt.timedelta(hours=24),  # small problems fixed within 24 hours
    Category.INQUIRY: dt.timedelta(hours=24),  # answered within 24 hours
    Category.COMPLAINT: dt.timedelta(days=2),  # minor complaints resolved within 2 days
    Category.HOME_SERVICE: dt.timedelta(hours=24),
}


def due_at(category: Category, created_at: dt.datetime) -> dt.datetime:
    """When a work order of ``category`` opened at ``created_at`` must be resolved."""
    return created_at + RESOLVE_WITHIN[Category(category)]


def is_overdue(category: Category, created_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether it is past due at ``now``."""
    return now > due_at(category, created_at)
