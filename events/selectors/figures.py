"""A month's event figures per grid, community, street and department (placeholder: being
built). The agreed interface:

    EventCounts — additive counts (received, settled, settled_within_goal, returns, send_backs,
        overdue, escalations) and settle_hours (for the median); .add(other),
        .within_goal (a Rate), .median_settle_hours (float | None).
    event_counts_by_grid(month, grid_ids=None) -> dict[int, EventCounts]
    event_counts_by_department(month, department_ids=None) -> dict[int, EventCounts]
"""
