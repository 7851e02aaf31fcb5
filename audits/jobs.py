"""The audits' job: a campaign's draw (started from the campaign page, ``audits.admin``).

Imported by ``AuditsConfig.ready()``, which registers the runner.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from audits import selectors, services
from audits.models import AuditCampaign
from jobs.registry import job_runner
from jobs.runner import JobRefused, JobResult, Progress

DRAW_JOB = "audits.draw"


def draw_refusal(campaign: AuditCampaign) -> str:
    """Why a campaign past its draft cannot be drawn (the service's words)."""
    return _("This campaign was drawn already (%(state)s); a draw cannot be repeated.") % {
        "state": campaign.get_state_display()
    }


@job_runner(DRAW_JOB)
def draw_run(job, progress: Progress) -> JobResult:
    """``audit_campaign_draw`` for the user as they are now: it checks again that they manage
    the campaign and that it is still a draft."""
    user = get_user_model().objects.get(pk=job.user_id)
    campaign = selectors.campaigns_visible_to(user).filter(pk=job.params["campaign"]).first()
    if campaign is None:
        raise JobRefused(_("No such campaign in your area."))
    progress(0, 1)
    try:
        drawn = services.audit_campaign_draw(campaign=campaign, actor=user)
    except ValidationError as error:
        raise JobRefused(" ".join(error.messages)) from None
    except PermissionDenied as error:
        raise JobRefused(str(error)) from None
    progress(1, 1)
    return JobResult(
        summary=_("The sample is drawn: %(items)d residents of %(population)d eligible.")
        % {"items": drawn.items.count(), "population": drawn.population_size},
        link=reverse("admin:audits_auditcampaign_change", args=[drawn.pk]),
        link_text=_("Open the campaign"),
    )
