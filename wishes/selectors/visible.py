"""Who sees which wishes and claims, who is a claimer, and what a claimer may read of the
resident a wish came from.

Community staff see their community's wishes, streets their communities', the city every one
(``archives.scope.restrict_community_work``). An approved claimer sees the board — every open
wish of the city — and the wishes they have claimed; never the archive.
"""

import re

from django.db.models import Q, QuerySet

from accounts.types import User
from archives import scope
from wishes.models import Claim, Claimer, ClaimerStatus, Wish, WishState

#: Community staff post wishes and edit, withdraw, confirm and return them in their communities.
POST_PERMISSION = "wishes.add_wish"
CHANGE_PERMISSION = "wishes.change_wish"
#: Claimers (department staff, party members, volunteers) claim wishes from the board.
CLAIM_PERMISSION = "wishes.claim_wish"


def claimer_of(user: User) -> Claimer | None:
    """``user``'s claimer registration if it is approved, else None (none, pending, refused or
    suspended: such a person may not claim)."""
    if not user.is_active or user.pk is None:
        return None
    return (
        Claimer.objects.select_related("department", "community")
        .filter(user_id=user.pk, status=ClaimerStatus.APPROVED)
        .first()
    )


def _own_wishes(user: User) -> Q | None:
    """The wishes ``user`` has ever claimed, as a key subquery: a join through the claims
    would repeat a wish claimed twice."""
    if user.pk is None:
        return None
    return Q(pk__in=Claim.objects.filter(claimer__user_id=user.pk).values("wish_id"))


def wishes_visible(user: User, queryset: QuerySet[Wish] | None = None) -> QuerySet[Wish]:
    """The wishes of ``user``'s area (community and street grants; every one for the city),
    the open wishes on the board for a holder of ``wishes.claim_wish`` with an approved claimer
    registration, and the wishes they have claimed themselves."""
    offered = Q(state=WishState.OPEN) if claimer_of(user) is not None else None
    return scope.restrict_community_work(
        Wish.objects.all() if queryset is None else queryset,
        user,
        community_path="community",
        offered=offered,
        offered_permission=CLAIM_PERMISSION,
        own=_own_wishes(user),
    )


def wish_visible(user: User, wish: Wish) -> bool:
    return wishes_visible(user).filter(pk=wish.pk).exists()


def claims_visible(user: User, queryset: QuerySet[Claim] | None = None) -> QuerySet[Claim]:
    """The claims on the wishes of ``user``'s area (every one for the city) and their own
    claims. Other claimers' claims are not shown to a claimer."""
    return scope.restrict_community_work(
        Claim.objects.all() if queryset is None else queryset,
        user,
        community_path="wish__community",
        own=Q(claimer__user_id=user.pk) if user.pk is not None else None,
    )


def board_wishes(user: User) -> QuerySet[Wish]:
    """The board: the open wishes an approved claimer may claim, the soonest wanted first.
    Empty for anyone else."""
    if claimer_of(user) is None or not user.has_perm(CLAIM_PERMISSION):
        return Wish.objects.none()
    return (
        wishes_visible(user)
        .filter(state=WishState.OPEN)
        .select_related("community", "community__street", "category")
        .order_by("wanted_by", "id")
    )


#: Two-character surnames (复姓): the given name starts at the third character.
_COMPOUND = (
    "欧阳司马诸葛上官东方皇甫尉迟公孙慕容长孙宇文司徒夏侯令狐端木"
    "西门南宫独孤轩辕呼延闻人申屠澹台公冶宗政濮阳太史仲孙钟离万俟"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND[i : i + 2] for i in range(0, len(_COMPOUND), 2))
_HAN = re.compile(r"[\u3400-\u9fff]")
#: The separator of transliterated names (买买提·艾力): the person's own name comes first.
_NAME_DOTS = re.compile(r"[·•・.]")


def given_name(name: str) -> str:
    """The given name (名) of a full name: without the surname (one character, or two for a
    compound surname such as 欧阳); the first part of a name written with a middle dot
    (买买提·艾力 → 买买提) or of a name in Latin letters. Empty when nothing is left."""
    name = "".join(name.split()) if _HAN.search(name) else name.strip()
    if not name:
        return ""
    if _NAME_DOTS.search(name):
        return _NAME_DOTS.split(name)[0]
    if not _HAN.match(name):
        return name.split()[0]
    surname = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[surname:]


def resident_first_name(wish: Wish) -> str:
    """What a claimer may see of the resident a wish came from: the given name only (建国 for
    张建国), never the surname, address, phone or ID number. Empty when the wish names no
    resident; the contact goes through the community."""
    resident = wish.resident if wish.resident_id is not None else None
    return given_name(resident.name) if resident is not None else ""
