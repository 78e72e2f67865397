"""Every prompt name the inbound flow can emit, for the audio catalogue to cover.

Each name must exist in every language the flow speaks (zh-CN, en). The
parameters a prompt receives are listed beside it.
"""

PROMPTS: frozenset[str] = frozenset(
    {
        # Start of the call.
        "greeting.morning",  # community
        "greeting.afternoon",  # community
        "greeting.evening",  # community
        "hours.closed",  # open, close ("HH:MM")
        # Menus and their failures.
        "menu.main",  # 1 emergency, 2 repair, 3 inquiry, 4 complaint, * repeat, 9 English
        "menu.invalid",
        "menu.no_input",
        "menu.to_agent",  # after two failures: "connecting you to an agent"
        # Self-service on the caller's open work order.
        "self_service.offer",  # work_order
        "wo.status",  # number, status, assignee, when, overdue
        "self_service.followup",  # 1 agent about it, 0 main menu
        # Identifying the caller's unit.
        "id.pick_unit",
        "id.pick_unit.option",  # digit, address
        "id.pick_unit.other",  # 0 for another unit
        "id.building",
        "id.room",
        "id.confirm",  # address, building, room; 1 confirm, 2 re-enter
        "id.invalid",
        "id.no_input",
        "id.not_found",  # building, room
        "id.failed",
        # After hours.
        "after_hours.offer",  # open, close; 1 leave a message, 0 emergency
        "after_hours.record",
        "after_hours.no_message",
        "after_hours.thanks",
        # Emergencies and queues.
        "emergency.kind",  # 1 gas or fire, 2 someone hurt or ill, other emergencies stay on
        "emergency.leave",  # fire, ambulance: gas or fire, leave the building, call 119/120
        "emergency.medical",  # ambulance: call 120; press 1 for a guard to meet the ambulance
        "emergency.guard_ok",  # a guard will meet the ambulance at the gate
        "emergency.on_call",
        "route.emergency",
        "route.repair",
        "route.inquiry",
        "route.complaint",
        # A declared incident affecting the caller (the message is the incident's own words).
        "incident.status",  # message, incident (its id: the recording incident.<id>)
        "incident.menu",  # 1 something else, 0 an agent; or hang up
        "incident.linked",  # noted; we will tell you when it is over; goodbye
    }
)
