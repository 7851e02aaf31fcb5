"""The small forms of an event's page, one for each step of the chain.

Each form posts to its own URL (``…/step/<action>/``) and carries the ``version`` of the event
the reader saw: a step taken on a newer one is refused by the service (someone acted
meanwhile). Field ids are ``id_<action>_<field>`` so that several forms live on one page.
Whether the step may be taken is not decided here: the service asks
``events.selectors.event_action_refusal`` and raises.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.types import Actor
from archives.models import Department
from events import services
from events.models import Event, EventStep

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Action = EventStep.Action

TEXT_ROWS = 2


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos from the phone's camera or its gallery; each is checked by the service
    (``archives.photos``) before anything is stored."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultiplePhotoField, self).clean(file, initial) for file in files]


def _text(label: "StrOrPromise", *, required: bool) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": TEXT_ROWS}),
    )


class StepForm(forms.Form):
    """What every step posts: the version of the event the reader saw."""

    action: ClassVar[str]
    #: The button's words.
    submit: ClassVar[Any]

    seen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, event: Event, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.action!s}_%s")
        kwargs.setdefault("initial", {"seen_version": event.version})
        super().__init__(*args, **kwargs)
        self.event = event

    def take(self, actor: Actor) -> Event:
        """Take the step through its service (which may raise ``ValidationError`` or
        ``PermissionDenied``, changing nothing)."""
        raise NotImplementedError

    def kept_for(self, event: Event) -> "StepForm":
        """This valid form's values in an unbound form for ``event`` as it stands now (its
        version), so that a step refused by the service comes back with what was typed.
        Files cannot be put back into a browser's file input: they are left out."""
        kept = {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "seen_version" and not isinstance(self.fields[name], forms.FileField)
        }
        return type(self)(event, initial={**kept, "seen_version": event.version})

    def typed_text(self) -> list[tuple[str, str]]:
        """(label, text) of each text the reader typed, for a step no longer offered."""
        rows = []
        for name, field in self.fields.items():
            if not isinstance(field, forms.CharField) or isinstance(
                field.widget, forms.HiddenInput
            ):
                continue
            value = self.initial.get(name) if not self.is_bound else self.data.get(name)
            if value and str(value).strip():
                rows.append((str(field.label), str(value)))
        return rows


class AcceptForm(StepForm):
    action = Action.ACCEPT
    submit = pgettext_lazy("event step", "Accept")

    def take(self, actor: Actor) -> Event:
        return services.event_accept(
            actor=actor, event=self.event, seen_version=self.cleaned_data["seen_version"]
        )


class PassUpForm(StepForm):
    action = Action.PASS_UP
    submit = _("Pass up to the street")

    note = _text(_("Why the community cannot solve it"), required=False)

    def take(self, actor: Actor) -> Event:
        return services.event_pass_up(
            actor=actor,
            event=self.event,
            note=self.cleaned_data["note"],
            seen_version=self.cleaned_data["seen_version"],
        )


class TransferForm(StepForm):
    action = Action.TRANSFER
    submit = pgettext_lazy("event step", "Transfer")

    department = forms.ModelChoiceField(
        label=pgettext_lazy("event step", "Department"),
        queryset=Department.objects.none(),
        empty_label=None,
    )
    note = _text(_("Note for the department"), required=False)

    def __init__(self, event: Event, *args: Any, **kwargs: Any) -> None:
        super().__init__(event, *args, **kwargs)
        # Only the departments in charge of the category are offered; the service refuses any
        # other one all the same.
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = event.category.departments.order_by("name")

    def take(self, actor: Actor) -> Event:
        return services.event_transfer(
            actor=actor,
            event=self.event,
            department=self.cleaned_data["department"],
            note=self.cleaned_data["note"],
            seen_version=self.cleaned_data["seen_version"],
        )


class _ReasonForm(StepForm):
    reason = _text(_("Reason"), required=True)
    service: ClassVar[Callable[..., Event]]

    def take(self, actor: Actor) -> Event:
        return type(self).service(
            actor=actor,
            event=self.event,
            reason=self.cleaned_data["reason"],
            seen_version=self.cleaned_data["seen_version"],
        )


class ReturnForm(_ReasonForm):
    action = Action.RETURN
    submit = pgettext_lazy("event step", "Return")
    service = staticmethod(services.event_return)


class HandleForm(StepForm):
    action = Action.HANDLE
    submit = pgettext_lazy("event step", "Handled")

    note = _text(_("What was done"), required=True)
    photos = MultiplePhotoField(label=pgettext_lazy("event step", "Photos"), required=False)

    def take(self, actor: Actor) -> Event:
        photos: Sequence[UploadedFile] = self.cleaned_data["photos"]
        return services.event_handle(
            actor=actor,
            event=self.event,
            note=self.cleaned_data["note"],
            photos=photos,
            seen_version=self.cleaned_data["seen_version"],
        )


class ConfirmForm(StepForm):
    action = Action.CONFIRM
    submit = _("Confirm it is resolved")

    note = _text(pgettext_lazy("event step", "Note"), required=False)

    def take(self, actor: Actor) -> Event:
        return services.event_confirm(
            actor=actor,
            event=self.event,
            note=self.cleaned_data["note"],
            seen_version=self.cleaned_data["seen_version"],
        )


class SendBackForm(_ReasonForm):
    action = Action.SEND_BACK
    submit = pgettext_lazy("event step", "Send back")
    service = staticmethod(services.event_send_back)


class ExplainDelayForm(_ReasonForm):
    action = Action.EXPLAIN_DELAY
    submit = _("Explain the delay")
    service = staticmethod(services.event_delay_explain)


class EscalateForm(_ReasonForm):
    action = Action.ESCALATE
    submit = _("Escalate to the inspection office")
    service = staticmethod(services.event_escalate)


STEP_FORMS: dict[str, type[StepForm]] = {
    form.action: form
    for form in (
        AcceptForm,
        PassUpForm,
        TransferForm,
        ReturnForm,
        HandleForm,
        ConfirmForm,
        SendBackForm,
        ExplainDelayForm,
        EscalateForm,
    )
}
