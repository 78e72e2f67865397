"""The fixed catalogue of sub-categories per request kind (求助服务分类), in both languages.

Codes are stored on the work order (``WorkOrder.subcategory``) and never change;
labels may. ``trade`` names the kind of team that usually does the work, matching
``Team.trade``, so the dispatch form can offer those teams first.
"""

from __future__ import annotations

import dataclasses

from models.work_orders import Category


@dataclasses.dataclass(frozen=True)
class Subcategory:
    """One entry of the catalogue."""

    code: str
    zh: str
    en: str
    trade: str = ""

    def label(self, language: str) -> str:
        """The label in ``language`` (``zh_CN``/``zh-CN`` → Chinese, else English)."""
        return self.zh if language.lower().startswith("zh") else self.en


_S = Subcategory
CATALOGUE: dict[Category, tuple[Subcategory, ...]] = {
    Category.EMERGENCY: (  # 紧急
        _S("burst_pipe", "水管爆裂/严重漏水", "Burst pipe / major leak", "plumbing"),
        _S("power_outage", "停电", "Power outage", "electrical"),
        _S("gas", "燃气泄漏", "Gas smell", "plumbing"),
        _S("fire", "火灾", "Fire", "security"),
        _S("flooding", "水浸", "Flooding", "plumbing"),
        _S("lift_trapped", "电梯困人", "Person trapped in a lift", "lifts"),
        _S("medical", "急救", "Medical emergency", "security"),
        _S("crime", "治安事件（盗窃、打架、抢劫）", "Crime in progress", "security"),
        _S("other", "其他紧急情况", "Other emergency"),
    ),
    Category.REPAIR: (  # 报修
        _S("leak", "漏水", "Leak", "plumbing"),
        _S("plumbing", "给排水/水管", "Plumbing", "plumbing"),
        _S("drain", "下水道堵塞", "Blocked drain", "plumbing"),
        _S("electrical", "电路/电器", "Electrical", "electrical"),
        _S("lighting", "照明", "Lighting", "electrical"),
        _S("lift", "电梯", "Lift", "lifts"),
        _S("gas", "燃气", "Gas", "plumbing"),
        _S("doors_locks", "门窗/门锁", "Doors & locks", "engineering"),
        _S("intercom", "门禁/对讲", "Access control / intercom", "electrical"),
        _S("walls_ceiling", "墙面/天花/地面", "Walls, ceiling, floor", "engineering"),
        _S("other", "其他维修", "Other repair", "engineering"),
    ),
    Category.INQUIRY: (  # 咨询
        _S("fees", "收费/物业费", "Fees"),
        _S("procedures", "办事流程", "Procedures"),
        _S("notices", "通知/公告", "Notices"),
        _S("decoration", "装修申请", "Renovation permits"),
        _S("parking", "停车", "Parking"),
        _S("other", "其他咨询", "Other inquiry"),
    ),
    Category.COMPLAINT: (  # 投诉
        _S("service", "服务态度", "Staff attitude"),
        _S("charges", "收费问题", "Charges"),
        _S("maintenance", "维修/维护不及时", "Repairs or upkeep neglected", "engineering"),
        _S("security", "安全/秩序", "Safety and security", "security"),
        _S("cleaning", "环境卫生", "Cleanliness", "cleaning"),
        _S("noise", "噪音/邻里", "Noise, neighbours"),
        _S("parking", "停车", "Parking", "security"),
        _S("other", "其他投诉", "Other complaint"),
    ),
    Category.HOME_SERVICE: (  # 居家服务
        _S("housekeeping", "家政保洁", "Housekeeping", "cleaning"),
        _S("shopping", "代客购物", "Shopping on request"),
        _S("senior_care", "居家养老", "Senior care"),
        _S("appliance", "家电清洗/维修", "Appliance cleaning or repair", "electrical"),
        _S("other", "其他居家服务", "Other home service"),
    ),
}


def subcategories(category: Category) -> tuple[Subcategory, ...]:
    """The sub-categories of ``category``, in the order the form shows them."""
    return CATALOGUE[Category(category)]


def find(category: Category, code: str) -> Subcategory | None:
    """The entry ``code`` of ``category``, or None when the catalogue has no such entry."""
    return next((s for s in subcategories(category) if s.code == code), None)
