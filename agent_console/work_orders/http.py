"""The work-order pages: list, my follow-ups, the new-order form, the detail and its actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.auth import community_scope, in_scope_or_404, login_required, signed_in, writer
from agent_console.auth.access import check_scope, readers
from agent_console.oncall import labels as oncall_labels
from agent_console.oncall.services import escalation_of
from agent_console.privacy import record_view
from agent_console.surveys.services import order_surveys
from agent_console.work_orders import labels, services
from agent_console.work_orders.exceptions import FormRejected
from models.base import utcnow
from models.escalation import announce
from models.estate import Community
from models.sla import answer_state, sla_state
from models.work_order_catalogue import CATALOGUE
from models.work_order_flow import (
    InvalidOrder,
    InvalidTransition,
    OrderDetails,
    WrongCommunity,
    allowed_actions,
    close,
    complete,
    dispatch,
    find_repeat,
    link_call,
    mark_on_site,
    open_work_order,
    reopen,
)
from models.work_orders import WorkOrder

bp = Blueprint("work_orders", __name__, url_prefix="/console/work-orders")
ACTION_PATHS = {"dispatch": "dispatch", "on-site": "on_site", "complete": "complete",
                "close": "close", "reopen": "reopen"}  # fmt: skip


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "labels": labels,
        "local_text": services.local_text,
        "remaining_text": services.remaining_text,
        "catalogue": CATALOGUE,
        "server_now": utcnow().isoformat(timespec="seconds"),
    }


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """Every order of the agent's communities, newest first, with filters."""
    scope = community_scope()
    filters = services.Filters.from_args(request.args, scope)
    with readers() as session:
        found, more = services.list_orders(session, scope, filters, utcnow())
        choices = services.communities(session, scope)
        return render_template(
            "work_orders/index.html",
            rows=found,
            more=more,
            filters=filters,
            communities=choices,
            page_args={k: v for k, v in request.args.items() if k != "page"},
        )


@bp.get("/mine")
@login_required
def mine() -> ResponseReturnValue:
    """My follow-ups (首问责任制): orders I took that are not closed, overdue first."""
    with readers() as session:
        found = services.my_orders(session, signed_in().id, community_scope(), utcnow())
        return render_template("work_orders/mine.html", rows=found)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """The new-order form, filled in from the call, unit and resident when given."""
    if request.method == "GET":
        with writer() as session:  # it writes the audit of the residents shown
            known = services.prefill(session, request.args)
            page = _form(session, known, request.args, {})
            session.commit()
            return page
    with writer() as session:
        known = services.prefill(session, request.form)
        try:
            community = known.community or _chosen_community(session)
            details = services.read_form(session, request.form, community, known)
            call_id = known.call.id if known.call else None
            repeat = _repeat_of(session, details) if call_id is not None else None
            if repeat is not None and call_id is not None:
                return _linked(session, repeat, call_id)
            order = open_work_order(
                session, community, details, agent_id=signed_in().id, call_id=call_id
            )
        except FormRejected as rejected:
            errors = rejected.errors
        except WrongCommunity:
            errors = {"unit": labels.problem("unit", "not_found")}
        else:
            session.commit()
            services.publish("work_order.created", order)
            announce(session, current_app.extensions["hotline.bus"].publish)  # wakes the dialer
            flash(_("Work order %(number)s opened.", number=order.number))
            return redirect(url_for(".show", order_id=order.id), 303)
        session.rollback()
        page = _form(session, known, request.form, errors)
        session.commit()  # the audit of the residents shown, not the order
        return page, 400


def _repeat_of(session: Session, details: OrderDetails) -> WorkOrder | None:
    """The open order a call about the same unit and problem belongs with, if any."""
    minutes = current_app.config["HOTLINE"].repeat_call_window_minutes
    window = dt.timedelta(minutes=minutes)
    return find_repeat(session, details, now=utcnow(), window=window)


def _linked(session: Session, order: WorkOrder, call_id: int) -> ResponseReturnValue:
    """A repeated call kept with the open order it is about: no duplicate order."""
    link_call(session, order, call_id, agent_id=signed_in().id, now=utcnow())
    session.commit()
    flash(_("Same unit and problem as open work order %(number)s: this call was linked to it "
            "instead of opening a new one.", number=order.number))  # fmt: skip
    return redirect(url_for(".show", order_id=order.id), 303)


def _chosen_community(session: Session) -> Community:
    """The community chosen on the form: one the agent serves (else 404)."""
    chosen = request.form.get("community", "")
    if not chosen.isdigit():
        raise FormRejected({"community": labels.problem("community", "required")})
    check_scope(int(chosen))
    return session.get_one(Community, int(chosen))


def _form(session: Session, known: services.Prefill, values: Any, errors: dict[str, object]) -> str:
    """The form; the residents it names are audited in ``session`` (the caller commits)."""
    call_id = known.call.id if known.call else None
    for resident in known.shown:
        record_view(session, signed_in(), "resident", resident.id, call_id=call_id, via="new_order")
    return render_template(
        "work_orders/new.html",
        known=known,
        values=values,
        errors=errors,
        communities=services.communities(session, community_scope()),
    )


def _order(session: Session, order_id: int) -> WorkOrder:
    query = services.with_places(select(WorkOrder).where(WorkOrder.id == order_id))
    order: WorkOrder | None = session.scalars(query).unique().one_or_none()
    return in_scope_or_404(order)


@bp.get("/<int:order_id>")
@login_required
def show(order_id: int) -> ResponseReturnValue:
    """An order's details, deadlines, history and the changes it allows."""
    with writer() as session:  # it writes the audit of the resident shown
        page = _show(session, _order(session, order_id), {})
        session.commit()
        return page


@bp.get("/<int:order_id>.json")
@login_required
def show_json(order_id: int) -> ResponseReturnValue:
    """An order as JSON, for the screen-pop card and other pages."""
    with readers() as session:
        order = _order(session, order_id)
        row = services.rows(session, [order], utcnow())[0]
        return jsonify(services.as_json(row) | {"url": url_for(".show", order_id=order.id)})


def _show(session: Session, order: WorkOrder, errors: dict[str, object]) -> str:
    """The detail page; its resident is audited in ``session`` (the caller commits)."""
    now = utcnow()
    if order.resident_id is not None:
        record_view(
            session, signed_in(), "resident", order.resident_id, work_order_id=order.id,
            via="work_order",
        )  # fmt: skip
    row = services.rows(session, [order], now)[0]
    return render_template(
        "work_orders/show.html",
        row=row,
        order=order,
        state=sla_state(order, now),
        answer=answer_state(order, now),  # a major complaint's clear answer, else None
        steps=services.history(session, order),
        parties=services.parties(session, order),
        choices=services.dispatch_choices(session, order),
        actions=allowed_actions(order),
        errors=errors,
        surveys=order_surveys(session, order.id),
        escalation=escalation_of(session, order.id),
        oncall_labels=oncall_labels,
    )


@bp.post("/<int:order_id>/<action>")
@login_required
def act(order_id: int, action: str) -> ResponseReturnValue:
    """Apply one change (dispatch, on site, complete, close, reopen) to an order."""
    if action not in ACTION_PATHS:
        abort(404)
    errors: dict[str, object]
    with writer() as session:
        order = in_scope_or_404(session.get(WorkOrder, order_id, with_for_update=True))
        try:
            _apply(session, order, ACTION_PATHS[action])
        except InvalidTransition as refused:
            status, errors = 409, {"action": _refused(refused)}
        except WrongCommunity:
            status, errors = 400, {"assignee": _("That team does not serve this community.")}
        except InvalidOrder as invalid:
            status = 400
            errors = {"assignee": labels.problem(*invalid.problems[0])}
        else:
            session.commit()
            services.publish("work_order.changed", order)
            announce(session, current_app.extensions["hotline.bus"].publish)  # a ladder stopped
            flash(_("Work order %(number)s: %(status)s.", number=order.number,
                    status=labels.STATUSES[order.status]))  # fmt: skip
            return redirect(url_for(".show", order_id=order.id), 303)
        session.rollback()
        page = _show(session, _order(session, order_id), errors)
        session.commit()  # the audit of the resident shown, not the refused change
        return page, status


def _refused(refused: InvalidTransition) -> str:
    return _(
        "Not done: the order is %(status)s now. Reload the page to see its current state.",
        status=labels.STATUSES[refused.status],
    )


def _apply(session: Session, order: WorkOrder, action: str) -> None:
    """Make the change ``action`` with the form's note, by the logged-in agent."""
    agent_id, note = signed_in().id, request.form.get("note", "")[:2000]
    if action == "dispatch":
        team, technician = services.assignee(session, request.form.get("assignee", ""))
        dispatch(session, order, agent_id=agent_id, note=note, team=team, technician=technician)
        return
    step = {"on_site": mark_on_site, "complete": complete, "close": close, "reopen": reopen}
    step[action](session, order, agent_id=agent_id, note=note)
