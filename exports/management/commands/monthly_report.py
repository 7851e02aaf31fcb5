"""``manage.py monthly_report --month 2026-10 [--street CODE] --format xlsx,pdf --out DIR
[--publish]``: the monthly report for cron, written to files, optionally published first.

Acts as the system account (``accounts.system.system_actor``); a draft written here is logged
as a download like any other, a published report's files are the stored ones.
"""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.system import system_actor
from archives.models import Street
from archives.months import parse_month
from exports import services


class Command(BaseCommand):
    help = "Write the monthly assessment report (Excel and/or PDF), optionally publishing it."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--street", help="street code (default: the whole city)")
        parser.add_argument("--format", default="xlsx,pdf", help="xlsx, pdf or both (xlsx,pdf)")
        parser.add_argument("--out", required=True, help="directory to write the files to")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish the month first (refused if already published: correct it instead)",
        )

    def handle(self, *args, **options):
        month = parse_month(options["month"])
        if month is None:
            raise CommandError(f"--month must look like 2026-10, got {options['month']!r}")
        formats = [f.strip() for f in options["format"].split(",") if f.strip()]
        if not formats or set(formats) - set(services.FORMATS):
            raise CommandError(f"--format takes {', '.join(services.FORMATS)}")
        street = None
        if options["street"]:
            street = Street.objects.filter(code=options["street"]).first()
            if street is None:
                raise CommandError(f"no street with code {options['street']!r}")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        actor = system_actor()
        steps = (["publish"] if options["publish"] else []) + formats
        # A bar on a terminal only: cron mail and logs get the file names alone.
        progress = tqdm(steps, disable=not sys.stderr.isatty(), unit="step", file=sys.stderr)
        say = self.stdout.write if progress.disable else progress.write
        for step in progress:
            progress.set_description(step)
            try:
                if step == "publish":
                    report = services.monthly_report_publish(
                        month=month, street=street, actor=actor
                    )
                    say(f"published {report}")
                    continue
                filename, content = services.monthly_report_download(
                    month=month, street=street, file_format=step, actor=actor
                )
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            (out / filename).write_bytes(content)
            say(str(out / filename))
