"""Which claimers a person sees, and the volunteers waiting for their decision."""

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from accounts.types import User
from archives import scope
from wishes.models import Claimer, ClaimerStatus

#: Who approves a volunteer, checks a phone number and creates a party member's claimer: the
#: community's staff (their community grants), the street's, the whole city.
APPROVE_PERMISSION = "wishes.approve_claimer"


def claimers_visible(user: User, queryset: QuerySet[Claimer] | None = None) -> QuerySet[Claimer]:
    """Claimers of the communities one's community and street grants cover (every one for the
    whole city), and one's own claimer row."""
    own = Q(user_id=user.pk) if user.is_authenticated else None
    return scope.restrict_community_work(
        Claimer.objects.all() if queryset is None else queryset,
        user,
        community_path="community",
        own=own,
    )


def claimers_pending_first(queryset: QuerySet[Claimer]) -> QuerySet[Claimer]:
    """Waiting sign-ups first (the oldest first), then the others by name."""
    return queryset.annotate(
        waiting=Case(
            When(status=ClaimerStatus.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("waiting", "signed_up_at", "name", "id")


def claimers_to_decide(user: User) -> QuerySet[Claimer]:
    """Pending sign-ups in the communities where ``user`` may approve volunteers, the oldest
    first."""
    communities = scope.communities_to_work_in(user, permission=APPROVE_PERMISSION)
    return Claimer.objects.filter(status=ClaimerStatus.PENDING, community__in=communities).order_by(
        "signed_up_at", "id"
    )
