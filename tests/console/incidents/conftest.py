"""The incident pages use the work-order pages' estate (``places``)."""

from tests.console.work_orders.conftest import places  # noqa: F401
