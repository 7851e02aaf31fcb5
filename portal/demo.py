"""The demo city with its people and its past, put together here because only the wiring may
import every part: the city (``archives.demo.city``), the role each demo account holds
(``settings.DEMO_ACCOUNTS``, groups from ``portal.roles``) and the monthly audits of its past
(``audits.demo``), a month of patrol rounds (``patrols.demo``), four months of events
(``events.demo``) and three months of micro-wishes (``wishes.demo``). ``manage.py seed_demo``
calls it.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction

from archives.demo.city import (
    DEMO_PASSWORD,
    CitySize,
    DemoRoles,
    SeedSummary,
    demo_city_reset,
    demo_city_seed,
)
from audits.demo import demo_audits_reset, monthly_audit
from events.demo import EventDemoRoles, demo_events_reset, demo_events_seed
from exports.kept import kept_counts_forget
from patrols.demo import demo_patrols_reset, demo_patrols_seed
from portal.roles import (
    COMMUNITY_STAFF,
    DEPARTMENT_STAFF,
    GRID_MEMBER,
    STREET_OFFICIAL,
    roles_ensure,
)
from wishes.demo import demo_wishes_reset, demo_wishes_seed


def demo_roles() -> DemoRoles:
    """The role groups, set to the role table, that the demo's people join."""
    groups = roles_ensure()
    return DemoRoles(
        grid_member=groups[GRID_MEMBER],
        accounts={
            username: groups[role] if role else None
            for username, role in settings.DEMO_ACCOUNTS.items()
        },
    )


def demo_event_roles() -> EventDemoRoles:
    """The role groups of the accounts the events demo creates."""
    groups = roles_ensure()
    return EventDemoRoles(
        community_staff=groups[COMMUNITY_STAFF],
        street_official=groups[STREET_OFFICIAL],
        department_staff=groups[DEPARTMENT_STAFF],
    )


@transaction.atomic
def demo_seed(*, seed: int, size: CitySize, today: dt.date) -> SeedSummary:
    """The demo city as of ``today``, its people in their roles, one audit a month in its past
    and, in a city with a past, a month of patrol rounds and four months of events."""
    # The demo writes its past's history dated in the past: no month's kept figures still hold.
    kept_counts_forget()
    summary = demo_city_seed(
        seed=seed, size=size, today=today, roles=demo_roles(), monthly_audit=monthly_audit
    )
    if size.history_months > 0:
        summary.counts["patrol rounds"] = demo_patrols_seed(seed=seed, today=today)
        counts, accounts = demo_events_seed(
            seed=seed, today=today, roles=demo_event_roles(), password=DEMO_PASSWORD
        )
        summary.counts.update(counts)
        summary.accounts += accounts
        counts, accounts = demo_wishes_seed(seed=seed, today=today, password=DEMO_PASSWORD)
        summary.counts.update(counts)
        summary.accounts += accounts
    return summary


@transaction.atomic
def demo_reset() -> None:
    """Remove the demo city with its audits, patrol rounds, events and wishes (first: they hold
    on to its residents, members, grids and departments)."""
    demo_wishes_reset()
    demo_events_reset()
    demo_audits_reset()
    demo_patrols_reset()
    demo_city_reset()
    kept_counts_forget()
