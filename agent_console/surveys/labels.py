"""What the survey, task and campaign pages call each status, purpose and outcome."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models.outbound import AttemptOutcome, CampaignStatus, JobPurpose, JobStatus, TaskKind

PURPOSES = {
    JobPurpose.SURVEY: _l("Survey"),
    JobPurpose.NOTICE: _l("Notice"),
    JobPurpose.FEE_REMINDER: _l("Fee reminder"),
    JobPurpose.SENIOR_CARE: _l("Senior-care call"),
    JobPurpose.ON_CALL: _l("On-call call"),
}
JOB_STATUSES = {
    JobStatus.SCHEDULED: _l("Scheduled"),
    JobStatus.CALLING: _l("Calling"),
    JobStatus.COMPLETED: _l("Done"),
    JobStatus.MANUAL: _l("Manual callback"),
    JobStatus.OPTED_OUT: _l("Opted out"),
    JobStatus.CANCELLED: _l("Cancelled"),
    JobStatus.EXHAUSTED: _l("Tried out"),
}
OUTCOMES = {
    AttemptOutcome.PLACED: _l("Placed"),
    AttemptOutcome.COMPLETED: _l("Answered"),
    AttemptOutcome.PARTIAL: _l("Hung up part-way"),
    AttemptOutcome.NO_ANSWER: _l("No answer"),
    AttemptOutcome.BUSY: _l("Busy"),
    AttemptOutcome.MACHINE: _l("Answering machine"),
    AttemptOutcome.FAILED: _l("Failed"),
    AttemptOutcome.OPTED_OUT: _l("Opted out"),
    AttemptOutcome.DECLINED: _l("Declined"),
}
TASK_KINDS = {
    TaskKind.MANUAL_CALLBACK: _l("Manual callback"),
    TaskKind.SUPERVISOR_FOLLOW_UP: _l("Supervisor's second callback"),
    TaskKind.SUPERVISOR_CALLBACK: _l("Supervisor callback (difficult issue)"),
}
CAMPAIGN_STATUSES = {
    CampaignStatus.DRAFT: _l("Draft"),
    CampaignStatus.RUNNING: _l("Running"),
    CampaignStatus.PAUSED: _l("Paused"),
    CampaignStatus.FINISHED: _l("Finished"),
    CampaignStatus.CANCELLED: _l("Cancelled"),
}
# How a person's call for a task ended (kept at the start of the task's outcome).
RESULTS = {
    "reached": _l("Reached, done"),
    "unreachable": _l("Could not reach"),
    "declined": _l("Declined to answer"),
}
AUDIENCES = {
    "all": _l("All households"),
    "buildings": _l("Households of the chosen buildings"),
    "senior_care": _l("Senior-care households"),
    "arrears": _l("Households with arrears"),
}
ACTIONS = {
    "start": _l("Start campaign"),
    "pause": _l("Pause campaign"),
    "cancel": _l("Cancel campaign"),
}
PROBLEMS = {
    "required": _l("Required."),
    "unknown": _l("Choose one of the list."),
    "too_long": _l("Too long."),
    "score": _l("A score is 1 to 5."),
    "empty": _l("No household to call: nobody matches, or all are on the do-not-call list."),
}
