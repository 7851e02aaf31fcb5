"""Benchmarks printed as one table. Figures live here, never in timed tests.

``make bench`` runs ``python -m bench`` with DATABASE_URL pointing at a PostgreSQL benchmark
database (created if missing), fills it once with a province-sized city and reuses it
afterwards. The benchmark lives outside the apps because it measures all of them; no app
imports it.
"""

import argparse
import os
import sys


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Print benchmark figures for the portal (run through `make bench`).",
    )
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--draws",
        type=int,
        default=5,
        help="audit draws to time (each rolled back); the median is printed",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark city")
    # Internal: each measured import runs in a fresh process of its own.
    parser.add_argument("--measure-import", nargs=2, metavar=("WHAT", "FILE"))
    # Internal: the monthly report measured on the database DATABASE_URL names.
    parser.add_argument("--measure-monthly-report", action="store_true")
    parser.add_argument(
        "--patrol-members",
        type=int,
        default=2_000,
        help="grid members of the patrol rows' data, each walking 30 days of 500 points",
    )
    # Internal: the patrol rows measured on the patrols' own database (DATABASE_URL).
    parser.add_argument("--measure-patrols", action="store_true")
    parser.add_argument(
        "--events",
        type=int,
        default=100_000,
        help="events of the events rows' data (in 2,000 grids, with their steps)",
    )
    # Internal: the events rows measured on the events' own database (DATABASE_URL).
    parser.add_argument("--measure-events", action="store_true")
    parser.add_argument(
        "--skip-seed-timing",
        action="store_true",
        help="skip timing seed_demo for the demo city on scratch databases",
    )
    parser.add_argument(
        "--only",
        choices=[
            "audit-draw",
            "spreadsheets",
            "admin-pages",
            "dashboards",
            "page-cpu",
            "monthly-report",
            "patrols",
            "events",
        ],
        help="build or reuse the benchmark city and print only these rows",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    options = arguments(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from bench.run import run  # imports models: only once Django is set up

    sys.exit(run(options))


if __name__ == "__main__":
    main()
