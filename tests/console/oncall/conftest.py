"""The on-call pages' estate: the work-order pages' places, with technicians who have phones."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models import Technician
from tests.console.work_orders.conftest import Places, places  # noqa: F401  (a fixture)

WANG, ZHAO, SH02_ZHOU = "+8613900000011", "+8613900000012", "+8613900000021"


@pytest.fixture
def staff(engine: Engine, places: Places) -> dict[str, int]:  # noqa: F811
    """Two SH01 plumbers and one SH02 plumber who may be on call; their ids by name."""
    with Session(engine) as s:
        people = {
            "王师傅": Technician(team_id=places.plumbers, name="王师傅", phone=WANG),
            "赵师傅": Technician(team_id=places.plumbers, name="赵师傅", phone=ZHAO),
            "周师傅": Technician(team_id=places.sh02_plumbers, name="周师傅", phone=SH02_ZHOU),
        }
        s.add_all(people.values())
        s.commit()
        return {name: t.id for name, t in people.items()}
