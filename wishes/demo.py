"""The demo city's micro-wishes: categories with their points, claimers, and three months of
wishes (and this month's days before today) in every community, each step taken through the
services (``wishes.services``) at the moment it happened, so that the board, the communities'
pages, the love bank and the month's figures show what real use would leave.

Claimers: the city's departments (the seed city's, and as many more as make 64 in the default
city, fewer in a smaller one), each with a few staff who claim for it; on-the-job party members
(about 1,900 in the default city) and registered volunteers (about 4,500), spread over the
communities. They are written in bulk with one history entry each (``archives.sql``); the two
demo logins among them (``WISH_DEMO_ACCOUNTS``) sign up and are approved through the services,
as are a few volunteers still waiting in every community.

A wish is claimed by someone near it more often than not, and some claimers are far more active
than others (a few departments and people lead the rankings by far). Most wishes are fulfilled
within days; now and then the community returns a "done" once, a claimer withdraws and another
claims it, or the community withdraws a wish nobody took. Wishes of the last days are still
open, claimed or waiting for confirmation. Deterministic for a seed.
"""

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from guardian.shortcuts import get_users_with_perms

from accounts.system import system_actor
from accounts.types import Actor
from archives import scope
from archives.bulk import rows_insert
from archives.demo.names import GIVEN_NAME_CHARS, HAN_SURNAMES
from archives.model_meta import history_manager
from archives.models import Community, Department, Resident
from archives.months import months_back
from archives.services import department_save
from archives.sql import history_entries_copy
from wishes.models import (
    Claim,
    Claimer,
    ClaimerKind,
    ClaimerStatus,
    ClaimState,
    Wish,
    WishCategory,
    WishPhoto,
    WishState,
)
from wishes.services import (
    claim_confirm,
    claim_fulfil,
    claim_return,
    claim_withdraw,
    wish_category_save,
    wish_claim,
    wish_post,
    wish_withdraw,
)
from wishes.services.claimers import (
    claimer_account_create,
    claimer_create,
    claimer_decide,
    claimer_group,
    claimer_sign_up,
)

#: Months of wishes: the three before this one, and this one's days before today.
MONTHS = 3
#: In the default city (126 grids): departments, party members and volunteers; a smaller city
#: has proportionally fewer (at least one of each per community).
DEPARTMENTS_AT_FULL_SIZE, PARTY_MEMBERS_AT_FULL_SIZE, VOLUNTEERS_AT_FULL_SIZE = 64, 1900, 4500
#: Staff who claim for each department.
STAFF_PER_DEPARTMENT = (1, 3)
#: Wishes a community posts in a week.
PER_WEEK = (1, 3)
#: Volunteers still waiting for their community's approval, per community.
WAITING = (0, 2)
#: Shares: claimed by a department (else a party member or a volunteer, evenly); withdrawn by
#: the community before anyone claimed it; a claimer withdraws (another claims it later); the
#: community returns "done" once; claimed by someone of the wish's own community.
BY_DEPARTMENT, WITHDRAWN, CLAIM_WITHDRAWN, RETURNED, NEARBY = 0.4, 0.04, 0.06, 0.07, 0.6
#: Wishes of the last days are taken through the services step by step; the earlier ones, all
#: settled, are written in bulk as they ended, with one history entry each (a wish's life
#: through the services takes some 30 queries: the default city's 1,300 wishes took minutes).
LIVE_DAYS = dt.timedelta(days=14)
#: Wishes posted this close to the end are still on their way.
OPEN_DAYS = dt.timedelta(days=6)
#: Where the wishes of the last days stop, in turn (None: fulfilled already).
OPEN_AT = ["open", "claimed", "done", None]

#: Prefixes of the generated claimers' logins (department staff, party members, volunteers).
DEPARTMENT_PREFIX, PARTY_PREFIX, VOLUNTEER_PREFIX = "wd-", "pm-", "vol-"
#: (username, full name, kind, what the account is for), as ``seed_demo`` prints.
WISH_DEMO_ACCOUNTS = [
    ("volunteer", "韩雪梅", ClaimerKind.VOLUNTEER, "volunteer of the first community: the board"),
    ("party", "郑国华", ClaimerKind.PARTY_MEMBER, "on-the-job party member: the board"),
]

#: (code, name, points, wish titles with their place and description).
CATEGORIES = [
    (
        "environment",
        "环境整治",
        5,
        [
            ("清理楼后小路杂草", "楼后小路杂草过膝，老人出行不便，希望帮忙清理。"),
            ("清运楼道堆放杂物", "楼道内堆放旧家具，影响消防通道，希望帮忙搬运清理。"),
            ("绿化带补种花草", "小区绿化带缺苗，希望帮忙补种。"),
        ],
    ),
    (
        "elderly",
        "助老服务",
        8,
        [
            ("为独居老人理发", "行动不便的独居老人希望有人上门理发。"),
            ("陪老人到医院复查", "老人子女在外地，希望有人陪同到医院复查。"),
            ("帮老人买米买面", "老人腿脚不便，希望每周有人帮忙采购米面。"),
        ],
    ),
    (
        "legal",
        "法律宣传",
        3,
        [
            ("防诈骗知识讲座", "小区老人多，近期有电信诈骗案例，希望组织一次防诈骗讲座。"),
            ("赡养纠纷法律咨询", "居民希望了解赡养义务相关法律规定。"),
        ],
    ),
    (
        "repair",
        "设施维修",
        6,
        [
            ("修理自行车棚", "自行车棚顶棚破损漏雨，希望帮忙修理。"),
            ("更换楼道灯泡", "单元楼道灯损坏，夜间出行不便。"),
            ("修补健身器材", "小区健身器材松动，存在安全隐患。"),
        ],
    ),
    (
        "culture",
        "文化活动",
        4,
        [
            ("组织儿童读书会", "暑期孩子多，希望有人组织读书活动。"),
            ("教老人用智能手机", "老人希望学会用手机视频通话和扫码。"),
        ],
    ),
]
#: Departments the seed city does not have, taken in order as the city needs them.
MORE_DEPARTMENTS = [
    "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "民族宗教事务局", "司法局",
    "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "水利局", "商务局",
    "文化广电和旅游局", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局",
    "统计局", "医疗保障局", "林业和草原局", "信访局", "体育局", "住房公积金管理中心",
    "城市管理综合执法局", "园林绿化中心", "供水公司", "供热公司", "供电公司", "燃气公司",
    "邮政管理局", "税务局", "气象局", "消防救援支队", "交警支队", "人民医院", "中医院",
    "妇幼保健院", "疾病预防控制中心", "图书馆", "文化馆", "博物馆", "青少年宫",
    "总工会", "团市委", "妇联", "残联", "科协", "红十字会", "工商联", "侨联",
    "档案馆", "融媒体中心", "机关事务管理局", "数据局", "粮食和物资储备局", "乡村振兴局",
    "公共资源交易中心", "政务服务中心",
]  # fmt: skip
#: Where party members work (在职党员).
WORKPLACES = [
    "市第一中学", "市实验小学", "市人民医院", "市税务局", "市供电公司", "市邮政公司",
    "市农商银行", "市自来水公司", "市图书馆", "市公交公司", "市电视台", "市第二中学",
]  # fmt: skip
SKILLS = [
    "理发",
    "家电维修",
    "水电维修",
    "法律咨询",
    "陪诊",
    "书法",
    "摄影",
    "电脑",
    "心理疏导",
    "",
]
PLACES = ["小区3号楼", "小区北门", "小区活动室", "小区自行车棚", "社区广场", "小区东侧小路"]


def demo_wishes_reset() -> None:
    """Remove every wish with its claims and photos, the claimers, the categories, their
    history and the accounts the wishes demo created: demo data only, before the city and the
    events (wishes hold on to its communities, residents, departments and people)."""
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        WishPhoto.objects.all().delete()
        Claim.objects.all().delete()
        Wish.objects.all().delete()
        Claimer.objects.all().delete()
        WishCategory.objects.all().delete()
    for model in (Claim, Wish, Claimer, WishCategory):
        history_manager(model).all().delete()
    User = get_user_model()
    User.objects.filter(username__in=[a[0] for a in WISH_DEMO_ACCOUNTS]).delete()
    for prefix in (DEPARTMENT_PREFIX, PARTY_PREFIX, VOLUNTEER_PREFIX, "signup-"):
        User.objects.filter(username__startswith=prefix).delete()


def _administrator() -> Actor:
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    return admin or system_actor()


@dataclass
class _People:
    staff: dict[int, Actor]  # community id -> its staff
    departments: list[Claimer]
    near: dict[int, list[Claimer]]  # community id -> party members and volunteers living there
    everyone: list[Claimer]  # party members and volunteers
    weights: dict[int, float]  # claimer id -> how active
    department_weights: dict[int, float]  # department id -> how active


@transaction.atomic
def demo_wishes_seed(
    *, seed: int, today: dt.date, password: str
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Claimers and three months of wishes up to ``today``; returns counts and the accounts
    made (username, what for), which log in with ``password``."""
    rng = random.Random(f"{seed}:wishes")
    actor = _administrator()
    start = timezone.make_aware(dt.datetime.combine(months_back(today, MONTHS), dt.time(0)))
    end = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    communities = list(Community.objects.select_related("street").order_by("code"))
    share = min(1.0, len(communities) / 42)
    categories = [
        wish_category_save(actor=actor, reason="demo", code=code, name=name, points=points)
        for code, name, points, _titles in CATEGORIES
    ]
    people, accounts = _claimers(rng, actor, communities, share, start, password)
    residents = _residents_by_community()
    counts = {"claimers": Claimer.objects.count()}
    seeder = _Seeder(rng, people, end)
    live_from = today - LIVE_DAYS
    day = start.date()
    while day < today:
        for community in communities:
            # About PER_WEEK a week: on each day with that chance.
            if rng.random() < rng.uniform(*PER_WEEK) / 7:
                spec = rng.randrange(len(CATEGORIES))
                at = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
                at += dt.timedelta(minutes=rng.randrange(8 * 60))
                args = (community, categories[spec], CATEGORIES[spec][3], residents, at)
                if day < live_from:
                    seeder.past(*args)
                else:
                    seeder.live(*args)
        day += dt.timedelta(days=1)
    seeder.past_write(actor)
    seeder.history_dated()
    counts["wishes"] = Wish.objects.count()
    counts["claims"] = Claim.objects.count()
    return counts, accounts


def _zipf(rng: random.Random, n: int) -> list[float]:
    """How active each of ``n`` claimers is: a few far ahead, most now and then."""
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    return [1.0 / r**1.3 for r in ranks]


def _name(rng: random.Random) -> str:
    return rng.choice(HAN_SURNAMES) + "".join(rng.sample(GIVEN_NAME_CHARS, rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _claimers(
    rng: random.Random,
    actor: Actor,
    communities: Sequence[Community],
    share: float,
    at: dt.datetime,
    password: str,
) -> tuple[_People, list[tuple[str, str]]]:
    wanted = max(1, round(DEPARTMENTS_AT_FULL_SIZE * share))
    have = Department.objects.count()
    for n, name in enumerate(MORE_DEPARTMENTS[: max(0, wanted - have)], start=1):
        department_save(
            department=Department(code=f"wish-{n:02d}", name=f"市{name}", serves_whole_city=False),
            actor=actor,
            reason="demo",
        )
    departments = list(Department.objects.order_by("code"))
    staff = _community_staff(communities)
    hashed = make_password(password)  # once: hashing is slow on purpose
    User = get_user_model()
    users: list = []
    rows: list[Claimer] = []

    def add(
        username: str, kind: str, community: Community, status=ClaimerStatus.APPROVED, **fields
    ) -> None:
        name = _name(rng)
        approved = status == ClaimerStatus.APPROVED
        # A sign-up waiting or refused has an inactive account without a role, as the public
        # page leaves it (wishes.services.claimers.claimer_sign_up).
        users.append(
            User(
                username=username,
                first_name=name,
                password=hashed,
                is_staff=approved,
                is_active=approved,
            )
        )
        decided = status != ClaimerStatus.PENDING
        rows.append(
            Claimer(
                kind=kind,
                name=name,
                phone=_phone(rng),
                community=community,
                status=status,
                phone_verified_at=at if approved else None,
                signed_up_at=at,
                decided_at=at if decided else None,
                decided_by=staff.get(community.pk, actor) if decided else None,
                decision_note="" if approved or not decided else "电话多次无人接听",
                **fields,
            )
        )

    for department in departments:
        for n in range(rng.randint(*STAFF_PER_DEPARTMENT)):
            add(
                f"{DEPARTMENT_PREFIX}{department.code}-{n + 1}",
                ClaimerKind.DEPARTMENT,
                rng.choice(communities),
                department=department,
            )
    per_community = {
        ClaimerKind.PARTY_MEMBER: (PARTY_PREFIX, PARTY_MEMBERS_AT_FULL_SIZE),
        ClaimerKind.VOLUNTEER: (VOLUNTEER_PREFIX, VOLUNTEERS_AT_FULL_SIZE),
    }
    for kind, (prefix, full) in per_community.items():
        count = max(len(communities), round(full * share))
        for n in range(count):
            community = communities[n % len(communities)]
            extra = (
                {"workplace": rng.choice(WORKPLACES)}
                if kind == ClaimerKind.PARTY_MEMBER
                else {"skills": rng.choice(SKILLS)}
            )
            add(f"{prefix}{n + 1:05d}", kind, community, **extra)
    # Volunteers who signed up on the public page: most wait for their community, now and then
    # one was refused.
    number = 0
    for community in communities:
        for _n in range(rng.randint(*WAITING)):
            number += 1
            refused = rng.random() < 0.15
            status = ClaimerStatus.REFUSED if refused else ClaimerStatus.PENDING
            skills = rng.choice(SKILLS)
            add(f"signup-{number:04d}", ClaimerKind.VOLUNTEER, community, status, skills=skills)
    User.objects.bulk_create(users, batch_size=1000)
    by_username = dict(
        User.objects.filter(username__in=[u.username for u in users]).values_list("username", "pk")
    )
    memberships = []
    groups = {kind: claimer_group(kind) for kind in ClaimerKind.values}
    for user, row in zip(users, rows, strict=True):
        row.user_id = by_username[user.username]
        if row.status == ClaimerStatus.APPROVED:
            group = groups[row.kind].pk
            memberships.append(User.groups.through(user_id=row.user_id, group_id=group))
    User.groups.through.objects.bulk_create(memberships, batch_size=1000)
    rows_insert(rows)  # history: one entry each, copied just below
    history_entries_copy(
        Claimer,
        [row.pk for row in rows],
        stamp=at,
        columns={
            "history_change_reason": "demo",
            "history_type": "+",
            "history_user_id": actor.pk,
        },
    )
    accounts = _demo_accounts(actor, communities, staff, hashed)
    claimers = list(Claimer.objects.filter(status=ClaimerStatus.APPROVED).order_by("pk"))
    in_person = [c for c in claimers if c.kind != ClaimerKind.DEPARTMENT]
    near: dict[int, list[Claimer]] = {}
    for claimer in in_person:
        near.setdefault(claimer.community_id, []).append(claimer)
    weights = dict(zip([c.pk for c in in_person], _zipf(rng, len(in_person)), strict=True))
    department_weights = dict(
        zip([d.pk for d in departments], _zipf(rng, len(departments)), strict=True)
    )
    people = _People(
        staff=staff,
        departments=[c for c in claimers if c.kind == ClaimerKind.DEPARTMENT],
        near=near,
        everyone=in_person,
        weights=weights,
        department_weights=department_weights,
    )
    return people, accounts


def _community_staff(communities: Sequence[Community]) -> dict[int, Actor]:
    """One staff account per community: who posts, confirms and approves there."""
    codename = f"archives.{scope.grant_codename(Community)}"
    staff: dict[int, Actor] = {}
    for community in communities:
        users: Any = get_users_with_perms(
            community, only_with_perms_in=[codename.split(".")[1]], with_group_users=False
        )
        chosen = users.filter(is_active=True).order_by("username").first()
        if chosen is not None:
            staff[community.pk] = chosen
    return staff


def _demo_accounts(
    actor: Actor,
    communities: Sequence[Community],
    staff: dict[int, Actor],
    hashed: str,
) -> list[tuple[str, str]]:
    """The demo's volunteer signs up on the public page and is approved by the first
    community; its party member is created by the administrator; the health department's demo
    account claims for its department. They log in with the demo's password (``hashed``)."""
    first = communities[0]
    accounts = []
    # The services check a password as a person's (12 characters, not common): the demo's
    # "demo" is set afterwards, as for the city's other demo logins.
    strong = "demo-" + "x9k2" * 4
    for username, name, kind, about in WISH_DEMO_ACCOUNTS:
        if kind == ClaimerKind.VOLUNTEER:
            claimer = claimer_sign_up(
                name=name,
                phone="13904330001",
                community=first,
                skills="理发、陪诊",
                username=username,
                password=strong,
            )
            approver = staff.get(first.pk, actor)
            claimer_decide(actor=approver, claimer=claimer, approve=True, note="已电话核实")
        else:
            claimer = claimer_account_create(
                actor=actor,
                username=username,
                password=strong,
                kind=kind,
                name=name,
                phone="13904330002",
                community=first,
                workplace="市第一中学",
            )
        claimer.user.password = hashed
        claimer.user.save(update_fields=["password"])
        accounts.append((username, about))
    User = get_user_model()
    department_account = User.objects.filter(username="department").first()
    health = Department.objects.filter(code="health").first()
    if department_account is not None and health is not None:
        claimer_create(
            actor=actor,
            user=department_account,
            kind=ClaimerKind.DEPARTMENT,
            name=department_account.first_name or "李卫东",
            phone="13904330003",
            community=first,
            department=health,
        )
    return accounts


def _residents_by_community() -> dict[int, list[int]]:
    by_community: dict[int, list[int]] = {}
    rows = Resident.objects.values_list("pk", "grid__community_id")
    for pk, community_id in rows.order_by("pk")[::7]:
        by_community.setdefault(community_id, []).append(pk)
    return by_community


class _Seeder:
    """Takes each wish through its steps at the moments chosen here; stops where the next step
    would come after ``end`` (the wish stays where it is)."""

    def __init__(self, rng: random.Random, people: _People, end: dt.datetime) -> None:
        self.rng, self.people, self.end = rng, people, end
        self.opened = 0
        self.wishes: list[Wish] = []
        self.claims: list[list[Claim]] = []  # each wish's claims
        #: When each step through the services was taken, per wish and per claim, in order:
        #: their history entries are dated so afterwards (the services date them now).
        self.moments: dict[type, dict[int, list[dt.datetime]]] = {Wish: {}, Claim: {}}

    def _took(self, at: dt.datetime, wish: Wish, claim: Claim | None = None) -> None:
        self.moments[Wish].setdefault(wish.pk, []).append(at)
        if claim is not None:
            self.moments[Claim].setdefault(claim.pk, []).append(at)

    def past(
        self,
        community: Community,
        category: WishCategory,
        titles: list[tuple[str, str]],
        residents: dict[int, list[int]],
        at: dt.datetime,
    ) -> None:
        """A settled wish of the past months, as it ended: fulfilled (its claim confirmed,
        after a withdrawn claim or a return now and then) or withdrawn by the community."""
        rng, people = self.rng, self.people
        poster = people.staff.get(community.pk)
        if poster is None:
            return
        title, description = rng.choice(titles)
        candidates = residents.get(community.pk, [])
        wish = Wish(
            title=title,
            description=description,
            community=community,
            resident_id=rng.choice(candidates) if candidates and rng.random() < 0.6 else None,
            category=category,
            place=f"{community.name}{rng.choice(PLACES)}",
            wanted_by=(at + dt.timedelta(days=rng.randint(5, 21))).date(),
            posted_by=poster,
            posted_at=at,
            version=0,
        )
        claims: list[Claim] = []
        if rng.random() < WITHDRAWN:
            wish.state = WishState.WITHDRAWN
            wish.withdrawn_at = self._later(at, (2, 72))
            wish.withdraw_reason = "居民需求已自行解决"
            wish.version = 1
        else:
            claimer = self._claimer(community)
            claimed_at = self._later(at, (1, 60))
            if rng.random() < CLAIM_WITHDRAWN:
                withdrawn_at = self._later(claimed_at, (4, 48))
                claims.append(
                    Claim(
                        claimer=claimer,
                        department_id=claimer.department_id,
                        state=ClaimState.WITHDRAWN,
                        claimed_at=claimed_at,
                        withdrawn_at=withdrawn_at,
                        withdraw_reason="临时有事，无法按时完成",
                    )
                )
                claimer = self._claimer(community)
                claimed_at = self._later(withdrawn_at, (2, 48))
                wish.version += 2
            done_at = self._later(claimed_at, (6, 96))
            returns = 1 if rng.random() < RETURNED else 0
            if returns:
                done_at = self._later(done_at, (6, 72))
            confirmed_at = self._later(done_at, (2, 40))
            claims.append(
                Claim(
                    claimer=claimer,
                    department_id=claimer.department_id,
                    state=ClaimState.CONFIRMED,
                    claimed_at=claimed_at,
                    done_at=done_at,
                    done_note="已完成，居民满意",
                    returns=returns,
                    confirmed_at=confirmed_at,
                    confirmed_by=poster,
                    points=category.points,
                )
            )
            wish.state = WishState.FULFILLED
            wish.claimed_at = claimed_at
            wish.fulfilled_at = confirmed_at
            wish.version += 3 + 2 * returns
        if (wish.fulfilled_at or wish.withdrawn_at or at) >= self.end:
            # It would end after today: taken through the services instead, as it stands.
            self.live(community, category, titles, residents, at)
            return
        self.wishes.append(wish)
        self.claims.append(claims)

    def past_write(self, actor: Actor) -> None:
        """The past months' wishes and claims in bulk, each with one history entry dated when
        it ended."""
        rows_insert(self.wishes)  # history: one entry each, copied below
        claims = []
        for wish, its_claims in zip(self.wishes, self.claims, strict=True):
            for claim in its_claims:
                claim.wish_id = wish.pk
                claims.append(claim)
        rows_insert(claims)  # history: one entry each, copied below
        ended = {
            Wish: [(w.pk, w.fulfilled_at or w.withdrawn_at or w.posted_at) for w in self.wishes],
            Claim: [(c.pk, c.confirmed_at or c.withdrawn_at or c.claimed_at) for c in claims],
        }
        for model, rows in ended.items():
            by_day: dict[dt.date, list[int]] = {}
            for pk, at in rows:
                by_day.setdefault(timezone.localdate(at), []).append(pk)
            for day, pks in sorted(by_day.items()):
                history_entries_copy(
                    model,
                    pks,
                    stamp=timezone.make_aware(dt.datetime.combine(day, dt.time(17, 30))),
                    columns={
                        "history_change_reason": "demo",
                        "history_type": "+",
                        "history_user_id": actor.pk,
                    },
                )

    def _later(self, at: dt.datetime, hours: tuple[float, float]) -> dt.datetime:
        return at + dt.timedelta(hours=self.rng.uniform(*hours))

    def _claimer(self, community: Community) -> Claimer:
        rng, people = self.rng, self.people
        if rng.random() < BY_DEPARTMENT and people.departments:
            weights = [people.department_weights[c.department_id or 0] for c in people.departments]
            return rng.choices(people.departments, weights=weights)[0]
        pool = people.near.get(community.pk) if rng.random() < NEARBY else None
        pool = pool or people.everyone
        return rng.choices(pool, weights=[people.weights[c.pk] for c in pool])[0]

    def live(
        self,
        community: Community,
        category: WishCategory,
        titles: list[tuple[str, str]],
        residents: dict[int, list[int]],
        at: dt.datetime,
    ) -> None:
        rng, people = self.rng, self.people
        poster = people.staff.get(community.pk)
        if poster is None:
            return
        title, description = rng.choice(titles)
        candidates = residents.get(community.pk, [])
        resident = (
            Resident.objects.get(pk=rng.choice(candidates))
            if candidates and rng.random() < 0.6
            else None
        )
        wish = wish_post(
            actor=poster,
            community=community,
            title=title,
            description=description,
            category=category,
            place=f"{community.name}{rng.choice(PLACES)}",
            wanted_by=(at + dt.timedelta(days=rng.randint(5, 21))).date(),
            resident=resident,
            at=at,
        )
        self._took(at, wish)
        if rng.random() < WITHDRAWN:
            at = self._later(at, (2, 72))
            if at < self.end:
                wish_withdraw(
                    actor=poster,
                    wish=wish,
                    version=wish.version,
                    reason="居民需求已自行解决",
                    at=at,
                )
                self._took(at, wish)
            return
        stop = None
        if self.end - at < OPEN_DAYS:
            stop, self.opened = OPEN_AT[self.opened % len(OPEN_AT)], self.opened + 1
        if stop == "open":
            return  # still on the board
        claimer = self._claimer(community)
        at = self._later(at, (1, 60))
        if at >= self.end:
            return
        claim = wish_claim(actor=claimer.user, wish=wish, at=at)
        self._took(at, wish, claim)
        if rng.random() < CLAIM_WITHDRAWN:
            at = self._later(at, (4, 48))
            if at >= self.end:
                return
            claim_withdraw(actor=claimer.user, claim=claim, reason="临时有事，无法按时完成", at=at)
            self._took(at, wish, claim)
            claimer = self._claimer(community)
            at = self._later(at, (2, 48))
            if at >= self.end:
                return
            claim = wish_claim(actor=claimer.user, wish=wish, at=at)
            self._took(at, wish, claim)
        at = self._later(at, (6, 96))
        if at >= self.end or stop == "claimed":
            return
        claim = claim_fulfil(actor=claimer.user, claim=claim, note="已完成，居民满意", at=at)
        self._took(at, wish, claim)
        if rng.random() < RETURNED:
            at = self._later(at, (2, 24))
            if at >= self.end:
                return
            claim = claim_return(
                actor=poster, claim=claim, reason="现场复查仍未完成，请补充", at=at
            )
            self._took(at, wish, claim)
            at = self._later(at, (4, 48))
            if at >= self.end:
                return
            claim = claim_fulfil(actor=claimer.user, claim=claim, note="已补充完成", at=at)
            self._took(at, wish, claim)
        at = self._later(at, (2, 40))
        if at >= self.end or stop == "done":
            return
        claim_confirm(actor=poster, claim=claim, at=at)
        self._took(at, wish, claim)

    def history_dated(self) -> None:
        """Each wish's and claim's history entries from the services dated when their steps
        were taken: an object's n-th entry is its n-th step's (one entry a step)."""
        for model, moments in self.moments.items():
            history = history_manager(model)
            entries = history.filter(id__in=list(moments)).order_by("id", "history_id")
            dated, seen = [], dict[int, int]()
            for pk, history_id in entries.values_list("id", "history_id"):
                n = seen[pk] = seen.get(pk, -1) + 1
                times = moments[pk]
                if n < len(times):
                    dated.append(history.model(history_id=history_id, history_date=times[n]))
            history.bulk_update(dated, ["history_date"], batch_size=500)  # history: dated
