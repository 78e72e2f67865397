"""SQLAlchemy 2.0 models and the domain services over them."""

from models.audit import AuditLog, audit
from models.base import Base, utcnow
from models.calls import Call, CallEvent, Direction
from models.estate import (
    Building,
    Community,
    HotlineNumber,
    Language,
    Occupancy,
    PhoneNumber,
    Resident,
    ResidentRole,
    Unit,
    format_address,
)
from models.presence import (  # presence and callbacks (dispatch)
    AgentPresence,
    CallbackRequest,
    CallbackStatus,
    PresenceState,
)
from models.staff import Agent, AgentRole, agent_communities
from models.work_orders import (
    Category,
    ComplaintType,
    Location,
    Severity,
    Status,
    Team,
    Technician,
    WorkOrder,
    WorkOrderChange,
    WorkOrderCounter,
    create_work_order,
)

__all__ = [
    "WorkOrderChange",
    "Technician",
    "Team",
    "Severity",
    "Location",
    "ComplaintType",
    "Agent",
    "AgentPresence",
    "AgentRole",
    "AuditLog",
    "Base",
    "Building",
    "Call",
    "CallbackRequest",
    "CallbackStatus",
    "CallEvent",
    "Category",
    "Community",
    "Direction",
    "HotlineNumber",
    "Language",
    "Occupancy",
    "PhoneNumber",
    "PresenceState",
    "Resident",
    "ResidentRole",
    "Status",
    "Unit",
    "WorkOrder",
    "WorkOrderCounter",
    "agent_communities",
    "audit",
    "create_work_order",
    "format_address",
    "utcnow",
]
