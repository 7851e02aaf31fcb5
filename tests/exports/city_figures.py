"""A city's monthly figures made up in memory, the demo city's shape (3 streets, 126 grids,
about 170 grid members), for tests of how the files are drawn: no database needed."""

import datetime as dt
import random

from audits.selectors import Figures as AuditFigures
from exports.figures import (
    GridRow,
    MemberRow,
    MonthCounts,
    MonthFigures,
    StreetRow,
    report_weights,
)


def city_figures(*, grids: int = 126, streets: int = 3, seed: int = 1) -> MonthFigures:
    rng = random.Random(seed)
    weights = report_weights()
    rows, members = [], []
    street_rows = [
        StreetRow(
            street_id=n + 1, code=f"S{n + 1:02d}", name=f"第{n + 1}街道", counts=MonthCounts()
        )
        for n in range(streets)
    ]
    total = MonthCounts()
    for n in range(grids):
        street = street_rows[n * streets // grids]
        residents = rng.randint(350, 600)
        counts = MonthCounts(
            residents=residents,
            households=residents * 10 // 26,
            buildings=rng.randint(4, 9),
            new=rng.randint(0, 30),
            moved_out=rng.randint(0, 8),
            updated=rng.randint(20, 120),
            complete=residents - rng.randint(0, 20),
            verified_recently=residents * rng.randint(60, 95) // 100,
            visits=rng.randint(40, 160),
            households_visited=rng.randint(30, 120),
            households_needing=30,
            households_covered=rng.randint(15, 30),
            audit=AuditFigures(
                sampled=3,
                checked=3,
                found=3,
                records_correct=rng.randint(1, 3),
                records_decided=3,
                fields_correct=20,
                fields_wrong=1,
                satisfaction_sum=13,
                satisfaction_count=3,
            ),
        )
        community = ["青松", "翠柏", "红旗", "长白", "海兰", "布尔哈通"][n // 3 % 6]
        member = ["王晓明", "李丽华", "张建国", "刘晓彤", "陈志强", "金美兰"][n % 6]
        row = GridRow(
            grid_id=n + 1,
            code=f"G{n + 1:04d}",
            name=f"{community}社区{n % 3 + 1}网格",
            community=f"{community}社区",
            street_id=street.street_id,
            street_code=street.code,
            street=street.name,
            members=[member],
            counts=counts,
            score=counts.score(weights),
            rank=n % 42 + 1,
        )
        rows.append(row)
        street.counts.add(counts)
        members.append(
            MemberRow(user_id=n + 1, name=member, grids=[row.code], counts=counts, score=row.score)
        )
    for street in street_rows:
        street.score = street.counts.score(weights)
        total.add(street.counts)
    return MonthFigures(
        month=dt.date(2026, 11, 1),
        street=None,
        grids=rows,
        members=members,
        streets=street_rows,
        total=total,
        weights=weights,
        total_score=total.score(weights),
    )
