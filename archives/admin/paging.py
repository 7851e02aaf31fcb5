"""Changelist counting that stays cheap at a million rows."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from archives.sql import estimated_rows

#: Below this many rows (as the planner estimates them) an exact count is cheap: count.
ESTIMATE_FROM_ROWS = 100_000


class EstimatingPaginator(Paginator):
    """The unfiltered list of a large table shows the planner's estimate of its rows instead of
    running COUNT(*) over all of them; a filtered or searched list (or a scoped one) is counted
    exactly, through the indexes its filter uses."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where and not query.distinct:
            estimate = estimated_rows(query.model._meta.db_table)
            if estimate is not None and estimate >= ESTIMATE_FROM_ROWS:
                return estimate
        return super().count
