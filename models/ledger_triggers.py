"""The database's own guard of the work-order ledger, for the migrations to install.

A work order's number is never edited, reused or deleted (domain rules, 派工单): the
database refuses it too, whatever code or hand-written SQL tries. On SQLite a batch
migration that copies ``work_orders`` drops its triggers, so such a migration calls
:func:`sqlite_suspend` before the batch and :func:`sqlite_restore` after it.
"""

from __future__ import annotations

from alembic import op

SQLITE_TRIGGERS = (
    """CREATE TRIGGER work_orders_number_immutable BEFORE UPDATE ON work_orders
    WHEN NEW.number IS NOT OLD.number OR NEW.community_id IS NOT OLD.community_id
      OR NEW.year IS NOT OLD.year OR NEW.seq IS NOT OLD.seq
    BEGIN SELECT RAISE(ABORT, 'work order numbers are never edited'); END""",
    """CREATE TRIGGER work_orders_never_deleted BEFORE DELETE ON work_orders
    BEGIN SELECT RAISE(ABORT, 'work orders are never deleted'); END""",
)
PG_FUNCTION = """
CREATE FUNCTION work_orders_protect() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'work orders are never deleted';
  END IF;
  IF NEW.number IS DISTINCT FROM OLD.number OR NEW.community_id IS DISTINCT FROM OLD.community_id
     OR NEW.year IS DISTINCT FROM OLD.year OR NEW.seq IS DISTINCT FROM OLD.seq THEN
    RAISE EXCEPTION 'work order numbers are never edited';
  END IF;
  RETURN NEW;
END $$"""
PG_TRIGGER = """CREATE TRIGGER work_orders_protect BEFORE UPDATE OR DELETE ON work_orders
FOR EACH ROW EXECUTE FUNCTION work_orders_protect()"""


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def protect() -> None:
    """Install the guard (migration 0001)."""
    if _sqlite():
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)


def unprotect() -> None:
    """Remove the guard (migration 0001's downgrade)."""
    if _sqlite():
        sqlite_suspend()
    else:
        op.execute("DROP TRIGGER work_orders_protect ON work_orders")
        op.execute("DROP FUNCTION work_orders_protect()")


def sqlite_suspend() -> None:
    """Before a batch migration copies ``work_orders`` on SQLite: drop its triggers."""
    if _sqlite():
        op.execute("DROP TRIGGER IF EXISTS work_orders_number_immutable")
        op.execute("DROP TRIGGER IF EXISTS work_orders_never_deleted")


def sqlite_restore() -> None:
    """After that batch: the triggers again."""
    if _sqlite():
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
