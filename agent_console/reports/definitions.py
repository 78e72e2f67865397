"""Every figure the reports show: its name, its target, and how it is computed, in words.

The console's help page and the README's "Reports" section print these words; the
code computing each figure is named beside it, and computes what the words say.
"""

from __future__ import annotations

import dataclasses

from flask_babel import lazy_gettext as _l


@dataclasses.dataclass(frozen=True)
class Figure:
    """One figure: a rate with a target (``at_least`` or ``at_most``), or a plain figure."""

    key: str
    label: object
    definition: object
    code: str  # where it is computed
    target: float | None = None
    at_least: bool = True

    def met(self, value: float | None) -> bool | None:
        """Whether ``value`` meets the target; None without a value or a target."""
        if value is None or self.target is None:
            return None
        return value >= self.target - 1e-9 if self.at_least else value <= self.target + 1e-9


FIGURES = (
    Figure(
        "offered",
        _l("Calls offered"),
        _l(
            "Inbound calls started in the period (the community's calendar) that reached a queue "
            "and were answered, abandoned in the queue, turned into a callback request, or are "
            "still recorded as queued."
        ),
        "reports.calls.Tally.offered",
    ),
    Figure(
        "answered",
        _l("Calls answered"),
        _l('Offered calls an agent took: disposition "answered" or an answer time recorded.'),
        "reports.calls.Tally.answered",
    ),
    Figure(
        "abandoned",
        _l("Calls abandoned"),
        _l(
            "Offered calls whose caller hung up while waiting in the queue (disposition "
            '"abandoned" at the queue step). Hanging up in the IVR menus is not counted.'
        ),
        "reports.calls.Tally.abandoned",
    ),
    Figure(
        "asa",
        _l("Average speed of answer (s)"),
        _l(
            "Mean wait of the answered calls whose wait is known. Asterisk: from the first "
            "queue.joined event to the answer time (else the first agent.connected); without a "
            "queue.joined, the hold time Asterisk reported. Twilio: the QueueTime Twilio reported "
            "with the bridged queue result."
        ),
        "reports.calls.call_rows",
    ),
    Figure(
        "service_level",
        _l("Service level (20 s)"),
        _l(
            "Answered calls that waited 20 seconds or less ÷ (answered calls + calls abandoned "
            "after more than 20 seconds). Callers who hung up within 20 seconds are left out; a "
            "wait that is not known counts as over 20 seconds. The same figure as the wallboard's."
        ),
        "reports.calls.Tally.service_level",
        target=0.80,
    ),
    Figure(
        "complaints_on_time",
        _l("Complaints handled on time"),
        _l(
            "Complaints received in the period that were completed at or before their deadline "
            "(models.sla: major 10 days, important 3 days, minor 2 days or the date asked) ÷ "
            "those completed plus those unfinished past their deadline. Complaints still within "
            "their deadline are left out. Completed exactly at the deadline is on time."
        ),
        "reports.orders.complaints",
        target=0.98,
    ),
    Figure(
        "complaints_24h",
        _l("Complaints handled within 24 h"),
        _l(
            "Complaints received in the period whose first change after opening (dispatched, "
            "on site or completed) came within 24 hours of receipt ÷ complaints received, leaving "
            "out those received less than 24 hours before the report and not yet handled."
        ),
        "reports.orders.complaints",
        target=1.0,
    ),
    Figure(
        "repeat_complaints",
        _l("Repeat complaints"),
        _l(
            "Complaints received in the period whose household (the same unit, or the same "
            "resident when no unit is named) made a complaint of the same sub-category in the 30 "
            "days before ÷ complaints received."
        ),
        "reports.orders.complaints",
        target=0.01,
        at_least=False,
    ),
    Figure(
        "repairs_on_time",
        _l("Repairs on time"),
        _l(
            "Repairs and emergencies received in the period finished at or before their deadline "
            "(an emergency when staff reached the site, a repair when completed) ÷ those finished "
            "plus those unfinished past their deadline. A reopened order counts once, against "
            "the deadline set when it was reopened."
        ),
        "reports.orders.repairs",
        target=0.98,
    ),
    Figure(
        "rework",
        _l("Rework"),
        _l(
            "Repairs and emergencies received in the period that were reopened at least once ÷ "
            "those completed at least once. An order reopened twice counts once here; "
            '"reopenings" counts every reopening.'
        ),
        "reports.orders.repairs",
        target=0.05,
        at_least=False,
    ),
    Figure(
        "callback_rate",
        _l("Callback rate"),
        _l(
            "Repairs, emergencies and complaints completed in the period with a callback made: a "
            "survey answered (even in part) or a follow-up task done by a person ÷ those completed."
        ),
        "reports.orders.callbacks",
        target=1.0,
    ),
    Figure(
        "satisfied",
        _l("Satisfied callbacks"),
        _l(
            'Survey answers given in the period with no score of 2 or less and not "not solved" '
            "÷ answers given. Scores per question are the mean of the answers that gave that score "
            "(1–5), per technician and per category of the work order."
        ),
        "reports.satisfaction.scores",
        target=1.0,
    ),
)
BY_KEY = {f.key: f for f in FIGURES}

MORNING = (
    (
        _l("Calls by queue and outcome"),
        _l(
            "Inbound calls started on the day (the community's calendar) per queue and outcome; "
            "outcomes as in the monthly figures."
        ),
    ),
    (
        _l("Abandoned calls"),
        _l(
            "Calls whose caller hung up while waiting in a queue, with the number to call back; "
            "numbers are masked for agents, whole for supervisors (each shown number is audited)."
        ),
    ),
    (
        _l("Open work orders"),
        _l(
            "Orders open, dispatched or on site when the report is made, per community and "
            "category, and of those the overdue ones: past the dispatch deadline while not "
            "dispatched, or past the resolution deadline (as the work-order pages)."
        ),
    ),
    (
        _l("Overdue work orders"),
        _l("The overdue orders by number, the longest overdue first (at most 500)."),
    ),
    (_l("Complaints received"), _l("Complaint work orders opened on the day.")),
    (
        _l("Dissatisfied surveys"),
        _l('Survey answers given on the day with a score of 2 or less, or "not solved".'),
    ),
    (
        _l("Messages left after hours"),
        _l("Calls started on the day that ended with a message left (disposition message_left)."),
    ),
)
