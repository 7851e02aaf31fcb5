"""The claimers' page: community staff see their community's claimers (sign-ups waiting for a
decision first), check a volunteer's phone by calling it and approve or refuse the sign-up with
a reason; administrators and community staff add department staff and party members as
claimers with a new account. Streets and the city follow their area's claimers, read-only.

Every write goes through ``wishes.services.claimers``, which checks scope again."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from archives import scope
from archives.admin.base import DeclaredLookupsOnly, HistoryAdminMixin, actor_of
from archives.models import Community
from wishes.models import Claimer, ClaimerKind
from wishes.selectors.claimers import (
    APPROVE_PERMISSION,
    claimers_pending_first,
    claimers_visible,
)
from wishes.services.claimers import (
    claimer_account_create,
    claimer_decide,
    claimer_decide_refusal,
    claimer_phone_verify,
    phone_normalize,
)

APPROVE, REFUSE = "approve", "refuse"


class ClaimerDecisionForm(forms.ModelForm):
    """The change page of a claimer: nothing of the row is typed in; the community records the
    phone check and its decision."""

    verify_phone = forms.BooleanField(
        label=_("I called this number and reached the person"),
        required=False,
    )
    decision = forms.ChoiceField(
        label=_("decision on the sign-up"),
        required=False,
        choices=[("", "—"), (APPROVE, _("approve the sign-up")), (REFUSE, _("refuse the sign-up"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("reason for refusing"),
        required=False,
        max_length=500,
        help_text=_("Required to refuse; the person is told it when they ask."),
    )

    class Meta:
        model = Claimer
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == REFUSE and not cleaned.get("note", "").strip():
            self.add_error("note", gettext("Say why the sign-up is refused."))
        return cleaned


class ClaimerCreateForm(forms.ModelForm):
    """A department's staff member or a party member, with a new account."""

    username = forms.CharField(label=_("username"), max_length=150)
    password = forms.CharField(
        label=_("password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not only digits, not a common password."),
    )

    class Meta:
        model = Claimer
        fields = ["kind", "name", "phone", "community", "department", "workplace"]

    # The service's own rules, asked here too so that the page says what is wrong beside the
    # field instead of after the save.
    def clean_phone(self) -> str:
        return phone_normalize(self.cleaned_data.get("phone", ""))

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError(gettext("This username is taken: choose another."))
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            User = get_user_model()
            account = User(username=cleaned.get("username", ""), first_name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password, account)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


@admin.register(Claimer)
class ClaimerAdmin(HistoryAdminMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "community",
        "department",
        "status",
        "phone",
        "phone_checked",
        "signed_up_at",
    ]
    list_filter = ["status", "kind"]
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False
    search_fields = ["name", "phone"]
    list_select_related = ["community", "department"]
    history_fields = [
        "name",
        "phone",
        "community",
        "skills",
        "workplace",
        "status",
        "phone_verified_at",
        "decision_note",
    ]
    _shown = [
        "name",
        "kind",
        "phone",
        "community",
        "department",
        "workplace",
        "skills",
        "status",
        "signed_up_at",
        "phone_verified_at",
        "decided_at",
        "decided_by",
        "decision_note",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claimer]:
        return claimers_pending_first(claimers_visible(request.user, super().get_queryset(request)))

    @admin.display(description=_("phone checked by a call"), boolean=True)
    def phone_checked(self, claimer: Claimer) -> bool:
        return claimer.phone_verified_at is not None

    # Who may do what --------------------------------------------------------------------------

    def _works_in(self, request: HttpRequest, claimer: Claimer) -> bool:
        return scope.may_work_in_community(
            request.user, claimer.community, permission=APPROVE_PERMISSION
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or self._works_in(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and (
            user.is_superuser or scope.works_in_some_community(user, permission=APPROVE_PERMISSION)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a claimer's claims and love bank stay; a refusal ends a sign-up

    # The forms ------------------------------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = ClaimerDecisionForm if obj is not None else ClaimerCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            fields = [*ClaimerCreateForm.Meta.fields, "username", "password"]
            if not request.user.is_superuser:
                fields.remove("department")  # department staff are the administrators'
            return fields
        fields = list(self._shown)
        if self.has_change_permission(request, obj):
            if obj.phone_verified_at is None:
                fields.append("verify_phone")
            if claimer_decide_refusal(request.user, obj) is None:  # type: ignore[arg-type]
                fields += ["decision", "note"]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self._shown) if obj is not None else []

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "community" and not request.user.is_superuser:
            kwargs["queryset"] = scope.communities_to_work_in(
                request.user, permission=APPROVE_PERMISSION
            )
        if db_field.name == "community":
            kwargs.setdefault("queryset", Community.objects.all())
            kwargs["queryset"] = kwargs["queryset"].select_related("street")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "kind":
            # Volunteers sign up on the public page; departments are the administrators'.
            kinds = [ClaimerKind.PARTY_MEMBER]
            if request.user.is_superuser:
                kinds.insert(0, ClaimerKind.DEPARTMENT)
            kwargs["choices"] = [(k.value, k.label) for k in kinds]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    # Saving through the services ------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = actor_of(request)
        data = form.cleaned_data
        if not change:
            created = claimer_account_create(
                actor=actor,
                username=data["username"],
                password=data["password"],
                kind=data["kind"],
                name=data["name"],
                phone=data["phone"],
                community=data["community"],
                department=data.get("department"),
                workplace=data.get("workplace", ""),
            )
            obj.pk = created.pk
            return
        if data.get("verify_phone"):
            obj = claimer_phone_verify(actor=actor, claimer=obj)
        decision = data.get("decision")
        if decision:
            claimer_decide(
                actor=actor, claimer=obj, approve=decision == APPROVE, note=data.get("note", "")
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no related rows: the services wrote everything

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # A service refused what the form let through (the account's password, a phone
            # number, a decision taken meanwhile by someone else): nothing was written.
            for message in error.messages:
                messages.error(request, message)
            return HttpResponseRedirect(request.get_full_path())

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or claimers_visible(request.user).filter(pk=obj.pk).exists()
