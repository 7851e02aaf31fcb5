"""Builders for the wishes' tests: categories, claimers (written directly: their own services
are tested in test_claimers.py) and wishes posted through the service."""

import datetime as dt

from django.utils import timezone

from archives.models import Community, Department
from wishes.models import Claimer, ClaimerKind, ClaimerStatus, Wish, WishCategory
from wishes.services import wish_post


def make_category(code: str = "cleanup", name: str = "环境整治", points: int = 5) -> WishCategory:
    category, _created = WishCategory.objects.get_or_create(
        code=code, defaults={"name": name, "points": points}
    )
    return category


def make_claimer(
    user,
    *,
    community: Community,
    kind: str = ClaimerKind.VOLUNTEER,
    department: Department | None = None,
    status: str = ClaimerStatus.APPROVED,
    name: str | None = None,
) -> Claimer:
    return Claimer.objects.create(
        user=user,
        kind=kind,
        name=name or user.username,
        phone="13900000000",
        community=community,
        department=department,
        status=status,
        signed_up_at=timezone.now() - dt.timedelta(days=30),
    )


def wanted_by(days: int = 20) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def post_wish(actor, community: Community, category: WishCategory, **fields) -> Wish:
    fields.setdefault("title", "清理楼道杂物")
    fields.setdefault("description", "三单元楼道堆放杂物，老人出行不便。")
    fields.setdefault("place", "幸福小区3号楼")
    fields.setdefault("wanted_by", wanted_by())
    return wish_post(actor=actor, community=community, category=category, **fields)
