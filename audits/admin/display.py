"""How figures read on the audit pages: a rate with its interval, or "no data", never 0%."""

from django.utils.translation import gettext as _

from audits.stats import Rate


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def rate(value: Rate) -> str:
    interval = value.interval
    if interval is None:  # no data
        return _("no data")
    low, high = interval
    counts = f"{value.successes}/{value.total}"
    return f"{percent(value.value)} ({counts}; 95% CI {percent(low)}–{percent(high)})"


def lqas(decision: str | None) -> str:
    labels = {"pass": _("pass"), "fail": _("fail"), "pending": _("pending")}
    if decision is None:
        return "—"
    return labels.get(decision, decision)
