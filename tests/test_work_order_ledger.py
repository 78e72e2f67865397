"""Work-order numbers: sequential per community per year, never skipped, reused or edited."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import Category, Community, WorkOrder, create_work_order
from models.db import session_factory
from models.work_orders import NumberIsImmutable, format_number
from tests import factories

THREADS = 8
PER_THREAD = 200


def _community(engine: Engine, code: str = "SH01") -> int:
    with Session(engine) as s:
        c = factories.community(s, code=code)
        s.commit()
        return c.id


def test_number_format_is_code_year_and_six_digits() -> None:
    assert format_number("SH01", 2026, 123) == "SH01-2026-000123"


def test_given_new_community_when_orders_created_then_numbers_start_at_one(
    session: Session,
) -> None:
    c = factories.community(session)
    when = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
    numbers = [
        create_work_order(session, community=c, category=Category.REPAIR, now=when).number
        for _ in range(3)
    ]
    session.commit()
    assert numbers == ["SH01-2026-000001", "SH01-2026-000002", "SH01-2026-000003"]


def test_given_rolled_back_creation_then_its_number_is_given_to_the_next_order(
    session: Session,
) -> None:
    c = factories.community(session)
    session.commit()
    create_work_order(session, community=c, category=Category.REPAIR)
    session.rollback()
    kept = create_work_order(session, community=c, category=Category.REPAIR)
    session.commit()
    assert kept.seq == 1


def test_sequences_are_per_community_and_per_local_year(session: Session) -> None:
    sh01 = factories.community(session, code="SH01")
    sh02 = factories.community(session, code="SH02", name="翠湖苑")
    # 2026-12-31 16:30 UTC is already 2027-01-01 00:30 in Shanghai.
    new_year = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
    before = dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC)
    a = create_work_order(session, community=sh01, category=Category.REPAIR, now=before)
    b = create_work_order(session, community=sh01, category=Category.REPAIR, now=new_year)
    c = create_work_order(session, community=sh02, category=Category.REPAIR, now=before)
    d = create_work_order(session, community=sh01, category=Category.REPAIR, now=before)
    session.commit()
    assert [a.number, b.number, c.number, d.number] == [
        "SH01-2026-000001",
        "SH01-2027-000001",
        "SH02-2026-000001",
        "SH01-2026-000002",
    ]


def test_orm_refuses_to_edit_a_number(session: Session) -> None:
    c = factories.community(session)
    order = create_work_order(session, community=c, category=Category.REPAIR)
    session.commit()
    order.number = "SH01-2026-999999"
    with pytest.raises(NumberIsImmutable):
        session.flush()
    session.rollback()


def test_orm_refuses_to_delete_an_order(session: Session) -> None:
    c = factories.community(session)
    order = create_work_order(session, community=c, category=Category.REPAIR)
    session.commit()
    session.delete(order)
    with pytest.raises(NumberIsImmutable):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        update(WorkOrder).values(number="SH01-2026-000777"),
        update(WorkOrder).values(seq=777),
        delete(WorkOrder),
    ],
    ids=["edit-number", "edit-seq", "delete"],
)
def test_database_refuses_to_edit_or_delete_numbers_behind_the_orm(
    engine: Engine, statement: object
) -> None:
    with Session(engine) as s:
        c = factories.community(s)
        create_work_order(s, community=c, category=Category.REPAIR, description="x")
        s.commit()
    with engine.connect() as conn, pytest.raises(DBAPIError, match="never"):
        conn.execute(statement)  # type: ignore[call-overload]
    with Session(engine) as s:
        order = s.scalars(select(WorkOrder)).one()
        assert (order.number[-6:], order.seq) == ("000001", 1)


def test_other_fields_of_an_order_can_change(session: Session) -> None:
    c = factories.community(session)
    order = create_work_order(session, community=c, category=Category.REPAIR)
    session.commit()
    order.description = "厨房水龙头漏水"
    session.commit()
    assert session.get(WorkOrder, order.id).description == "厨房水龙头漏水"


def test_given_8_threads_creating_200_each_with_rollbacks_then_numbers_are_exactly_1_to_n(
    engine: Engine,
) -> None:
    community_id = _community(engine)
    make_session = session_factory(engine)
    committed: list[list[int]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                with make_session() as s:
                    community = s.get(Community, community_id)
                    order = create_work_order(s, community=community, category=Category.REPAIR)
                    if (index * PER_THREAD + i) % 7 == 3:  # some creations are abandoned
                        s.rollback()
                    else:
                        s.commit()
                        committed[index].append(order.seq)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    expected_commits = sum(1 for k in range(THREADS * PER_THREAD) if k % 7 != 3)
    claimed = sorted(seq for seqs in committed for seq in seqs)
    with Session(engine) as s:
        stored = sorted(s.scalars(select(WorkOrder.seq)).all())
        numbers = set(s.scalars(select(WorkOrder.number)).all())
        last = s.execute(text("SELECT last_seq FROM work_order_counters")).scalar_one()
    assert stored == claimed == list(range(1, expected_commits + 1))
    assert len(numbers) == expected_commits
    assert last == expected_commits


def _process_worker(url: str, community_id: int, count: int, index: int) -> list[int]:
    """Runs in a separate process: create ``count`` orders, abandoning every fifth."""
    from models.db import make_engine

    engine = make_engine(url)
    kept = []
    with Session(engine) as s:
        for i in range(count):
            order = create_work_order(
                s, community=s.get(Community, community_id), category=Category.INQUIRY
            )
            if (index + i) % 5 == 0:
                s.rollback()
            else:
                s.commit()
                kept.append(order.seq)
    engine.dispose()
    return kept


def test_given_4_processes_creating_at_once_then_numbers_are_exactly_1_to_n(
    engine: Engine, db_url: str
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    community_id = _community(engine)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=ctx) as pool:
        futures = [pool.submit(_process_worker, db_url, community_id, 50, n) for n in range(4)]
        claimed = sorted(seq for f in futures for seq in f.result())
    with Session(engine) as s:
        stored = sorted(s.scalars(select(WorkOrder.seq)).all())
    assert stored == claimed == list(range(1, len(claimed) + 1))
    assert len(claimed) == 4 * 50 - 40
