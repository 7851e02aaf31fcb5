"""A small city for the micro-wish pages (tests/wishes/test_admin_*.py and the browser walk):
two communities in two streets, a resident in the first, a category, community staff of each,
an approved volunteer, a volunteer still waiting for approval, a department's claimer, and a
street official. Wishes are posted through the services."""

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from archives.models import Community, Department, Grid, Resident
from portal import roles
from tests import factories
from wishes import services
from wishes.models import Claimer, ClaimerKind, ClaimerStatus, Wish, WishCategory


def jpeg(
    name: str = "wish.jpg", colour: tuple[int, int, int] = (120, 160, 90)
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@dataclass
class WishCity:
    grid: Grid
    community: Community
    other_community: Community
    resident: Resident
    category: WishCategory
    department: Department
    staff: object
    other_staff: object
    street_official: object
    volunteer: object
    volunteer_claimer: Claimer
    waiting_volunteer: object
    department_staff: object

    def post(
        self, *, title: str = "清理小路杂草", community: Community | None = None, **fields
    ) -> Wish:
        fields.setdefault("description", "3号楼后面的小路长满杂草，老人出门不方便")
        fields.setdefault("category", self.category)
        fields.setdefault("place", "3号楼后小路")
        fields.setdefault("wanted_by", timezone.localdate() + dt.timedelta(days=7))
        actor = self.staff if community in (None, self.community) else self.other_staff
        return services.wish_post(
            actor=actor, community=community or self.community, title=title, **fields
        )


def claimer(user, *, kind=ClaimerKind.VOLUNTEER, community, status=ClaimerStatus.APPROVED,
            department=None, name="张伟") -> Claimer:  # fmt: skip
    # The claimer's row as an approval would leave it (h3's services approve; the pages only
    # need the row).
    return Claimer.objects.create(
        user=user,
        kind=kind,
        name=name,
        phone="13900000000",
        community=community,
        department=department,
        status=status,
        signed_up_at=timezone.now(),
    )


@pytest.fixture(name="wish_city")
def wish_city_fixture(db) -> WishCity:
    grid = factories.make_grid(code="W1", street_code="WS")
    other_grid = factories.make_grid(code="W2", street_code="XS")
    community, other_community = grid.community, other_grid.community
    department = Department.objects.create(code="civil", name="民政局", serves_whole_city=True)

    def person(username, role, unit=None):
        user = factories.make_user(username, role=role)
        if unit is not None:
            factories.grant(user, unit)
        return user

    volunteer = person("volunteer", roles.VOLUNTEER)
    waiting = person("waiting", roles.VOLUNTEER)
    department_staff = person("civil", roles.DEPARTMENT_STAFF, department)
    volunteer_claimer = claimer(volunteer, community=community, name="张伟")
    claimer(waiting, community=community, status=ClaimerStatus.PENDING, name="王芳")
    claimer(
        department_staff,
        kind=ClaimerKind.DEPARTMENT,
        community=community,
        department=department,
        name="赵强",
    )
    return WishCity(
        grid=grid,
        community=community,
        other_community=other_community,
        resident=factories.make_resident(grid=grid, name="李秀英"),
        category=WishCategory.objects.create(code="weeds", name="环境整治", points=5),
        department=department,
        staff=person("community", roles.COMMUNITY_STAFF, community),
        other_staff=person("other_community", roles.COMMUNITY_STAFF, other_community),
        street_official=person("street", roles.STREET_OFFICIAL, community.street),
        volunteer=volunteer,
        volunteer_claimer=volunteer_claimer,
        waiting_volunteer=waiting,
        department_staff=department_staff,
    )
