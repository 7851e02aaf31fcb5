"""The forms of the micro-wish pages: posting a wish, and one small form for each step a wish
or its claim can take on the wish's page.

Each step form posts to its own URL (``…/step/<action>/``) and carries the ``version`` of the
wish the reader saw: an edit or a withdrawal on a newer one is refused by the service (someone
changed it meanwhile). Field ids are ``id_<action>_<field>`` so that several forms live on one
page. Whether a step may be taken is not decided here: the page offers what
``wishes.selectors.wish_actions`` names, and each service asks ``wish_action_refusal`` again.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib.admin import AdminSite
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.types import Actor, User
from archives import scope
from archives.models import Community, Resident
from wishes import services
from wishes.models import Claim, Wish, WishCategory

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: The permission that lets community staff post a wish in a community.
POST_PERMISSION = "wishes.add_wish"

TEXT_ROWS = 3


def post_communities(user: User) -> QuerySet[Community]:
    """The communities ``user`` may post wishes in: the rule ``wish_post`` checks."""
    return scope.communities_to_work_in(user, permission=POST_PERMISSION).order_by("name")


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos from the phone's camera or its gallery; each is checked (and re-encoded)
    by the service (``wishes.services.photos_prepare``) before anything is stored."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultiplePhotoField, self).clean(file, initial) for file in files if file]


def checked_photos(photos: list[UploadedFile]) -> list[UploadedFile]:
    """The photos, checked now so that a bad one is an error on the field; the service checks
    them again when it stores them."""
    services.photos_prepare(photos)
    for photo in photos:
        photo.seek(0)
    return photos


def _text(label: "StrOrPromise", *, required: bool, max_length: int = 2000) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": TEXT_ROWS}),
    )


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WishFieldsForm(forms.Form):
    """What a wish says: posted with it and edited while it is open."""

    title = forms.CharField(label=pgettext_lazy("wish page", "title"), max_length=100)
    description = _text(pgettext_lazy("wish", "description"), required=True)
    category = forms.ModelChoiceField(
        label=_("category"), queryset=WishCategory.objects.filter(active=True).order_by("name")
    )
    place = forms.CharField(label=pgettext_lazy("wish page", "place"), max_length=200)
    wanted_by = forms.DateField(label=pgettext_lazy("wish page", "wanted by"), widget=_date_input())


class WishPostForm(WishFieldsForm):
    """Community staff post a wish of their community, optionally naming the resident it came
    from (chosen among the residents they may write for: the archive's scope) and with
    photos."""

    field_order = [
        "community",
        "title",
        "description",
        "category",
        "place",
        "wanted_by",
        "resident",
        "photos",
    ]

    community = forms.ModelChoiceField(
        label=_("community"),
        queryset=Community.objects.none(),
        error_messages={"invalid_choice": _("You may not post wishes in this community.")},
    )
    resident = forms.ModelChoiceField(
        label=_("resident"),
        queryset=Resident.objects.none(),
        required=False,
        help_text=_(
            "Optional: the resident the wish came from. Claimers see only the first name; "
            "they reach the resident through the community."
        ),
        error_messages={"invalid_choice": _("Choose a resident of your own area.")},
    )
    photos = MultiplePhotoField(
        label=_("photos"),
        required=False,
        help_text=_("Take them with the phone's camera or choose several from its gallery."),
    )

    def __init__(self, user: User, admin_site: AdminSite, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        communities = post_communities(user)
        community_field = self.fields["community"]
        assert isinstance(community_field, forms.ModelChoiceField)
        community_field.queryset = communities
        if not self.is_bound and len(communities[:2]) == 1:
            self.initial["community"] = communities[0].pk
        resident_field = self.fields["resident"]
        assert isinstance(resident_field, forms.ModelChoiceField)
        resident_field.widget = AutocompleteSelect(
            Wish._meta.get_field("resident"), admin_site, attrs={"data-width": "100%"}
        )
        # The same rows the archive's autocomplete offers for a wish: the residents one may
        # write for. A forged id of anyone else is "not one of the choices". (Set after the
        # widget: setting the queryset hands the widget its choices.)
        resident_field.queryset = scope.writable(Resident.objects.all(), user, for_model=Wish)

    def clean_photos(self) -> list[UploadedFile]:
        return checked_photos(self.cleaned_data.get("photos") or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        resident, community = data.get("resident"), data.get("community")
        if resident is not None and community is not None:
            lives_in = Resident.objects.filter(pk=resident.pk, grid__community=community).exists()
            if not lives_in:
                self.add_error("resident", _("The resident does not live in that community."))
        return data

    def save(self, actor: Actor) -> Wish:
        data = self.cleaned_data
        photos: Sequence[UploadedFile] = data.get("photos") or []
        return services.wish_post(
            actor=actor,
            community=data["community"],
            title=data["title"],
            description=data["description"],
            category=data["category"],
            place=data["place"],
            wanted_by=data["wanted_by"],
            resident=data.get("resident"),
            photos=photos,
        )


# The steps on a wish's page ------------------------------------------------------------------


class StepForm(forms.Form):
    """What every step posts: the version of the wish the reader saw."""

    action: ClassVar[str]
    #: The button's words.
    submit: ClassVar[Any]
    #: Whether the step acts on the wish's live claim rather than on the wish.
    on_claim: ClassVar[bool] = False

    seen_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, wish: Wish, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.action}_%s")
        kwargs.setdefault("initial", {"seen_version": wish.version})
        super().__init__(*args, **kwargs)
        self.wish = wish

    def take(self, actor: Actor, claim: Claim | None) -> Wish | Claim:
        """Take the step through its service (which may raise ``ValidationError`` or
        ``PermissionDenied``, changing nothing)."""
        raise NotImplementedError


class EditForm(StepForm, WishFieldsForm):
    action = "edit"
    submit = _("Save the changes")

    reason = forms.CharField(label=_("Reason for the change"), max_length=500)

    def __init__(self, wish: Wish, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "seen_version": wish.version,
                "title": wish.title,
                "description": wish.description,
                "category": wish.category_id,
                "place": wish.place,
                "wanted_by": wish.wanted_by,
            },
        )
        super().__init__(wish, *args, **kwargs)

    def take(self, actor: Actor, claim: Claim | None) -> Wish:
        data = self.cleaned_data
        return services.wish_edit(
            actor=actor,
            wish=self.wish,
            version=data["seen_version"],
            reason=data["reason"],
            title=data["title"],
            description=data["description"],
            category=data["category"],
            place=data["place"],
            wanted_by=data["wanted_by"],
        )


class WithdrawForm(StepForm):
    action = "withdraw"
    submit = _("Withdraw the wish")

    reason = _text(_("Reason for withdrawing"), required=True, max_length=500)

    def take(self, actor: Actor, claim: Claim | None) -> Wish:
        return services.wish_withdraw(
            actor=actor,
            wish=self.wish,
            version=self.cleaned_data["seen_version"],
            reason=self.cleaned_data["reason"],
        )


class ClaimForm(StepForm):
    action = "claim"
    submit = pgettext_lazy("wish step", "Claim")

    def take(self, actor: Actor, claim: Claim | None) -> Claim:
        return services.wish_claim(actor=actor, wish=self.wish)


class WithdrawClaimForm(StepForm):
    action = "withdraw_claim"
    submit = _("Withdraw my claim")
    on_claim = True

    reason = _text(_("Reason for withdrawing"), required=True, max_length=500)

    def take(self, actor: Actor, claim: Claim | None) -> Claim:
        assert claim is not None
        return services.claim_withdraw(actor=actor, claim=claim, reason=self.cleaned_data["reason"])


class FulfilForm(StepForm):
    action = "fulfil"
    submit = _("Mark it done")
    on_claim = True

    note = _text(_("What was done"), required=True)
    photos = MultiplePhotoField(label=pgettext_lazy("wish step", "Photos"), required=False)

    def clean_photos(self) -> list[UploadedFile]:
        return checked_photos(self.cleaned_data.get("photos") or [])

    def take(self, actor: Actor, claim: Claim | None) -> Claim:
        assert claim is not None
        photos: Sequence[UploadedFile] = self.cleaned_data["photos"]
        return services.claim_fulfil(
            actor=actor, claim=claim, note=self.cleaned_data["note"], photos=photos
        )


class ConfirmForm(StepForm):
    action = "confirm"
    submit = _("Confirm it is fulfilled")
    on_claim = True

    def take(self, actor: Actor, claim: Claim | None) -> Claim:
        assert claim is not None
        return services.claim_confirm(actor=actor, claim=claim)


class ReturnForm(StepForm):
    action = "return"
    submit = pgettext_lazy("wish step", "Return it")
    on_claim = True

    reason = _text(_("What is still missing"), required=True, max_length=500)

    def take(self, actor: Actor, claim: Claim | None) -> Claim:
        assert claim is not None
        return services.claim_return(actor=actor, claim=claim, reason=self.cleaned_data["reason"])


STEP_FORMS: dict[str, type[StepForm]] = {
    form.action: form
    for form in (
        EditForm,
        WithdrawForm,
        ClaimForm,
        WithdrawClaimForm,
        FulfilForm,
        ConfirmForm,
        ReturnForm,
    )
}

#: How each step is said in the message after it was taken.
STEP_DONE: dict[str, "StrOrPromise"] = {
    "edit": _("the changes are saved"),
    "withdraw": _("withdrawn"),
    "claim": _("claimed: it is yours to do"),
    "withdraw_claim": _("your claim is withdrawn; the wish is open again"),
    "fulfil": _("marked done: it waits for the community's confirmation"),
    "confirm": _("confirmed: the claimer's love bank grows"),
    "return": _("returned to the claimer"),
}


# The board's filters -------------------------------------------------------------------------


class BoardFilterForm(forms.Form):
    """The board's filters: a community, a category, wanted by a date at the latest. The
    choices are those of the open wishes on the board."""

    community = forms.ModelChoiceField(
        label=_("community"), queryset=Community.objects.none(), required=False
    )
    category = forms.ModelChoiceField(
        label=_("category"), queryset=WishCategory.objects.none(), required=False
    )
    wanted_by = forms.DateField(
        label=_("wanted by at the latest"), required=False, widget=_date_input()
    )

    def __init__(self, board: QuerySet[Wish], *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_board_%s")
        super().__init__(*args, **kwargs)
        community = self.fields["community"]
        assert isinstance(community, forms.ModelChoiceField)
        community.queryset = Community.objects.filter(
            pk__in=board.order_by().values("community")
        ).order_by("name")
        category = self.fields["category"]
        assert isinstance(category, forms.ModelChoiceField)
        category.queryset = WishCategory.objects.filter(
            pk__in=board.order_by().values("category")
        ).order_by("name")

    def apply(self, board: QuerySet[Wish]) -> QuerySet[Wish]:
        if not self.is_valid():
            return board
        data = self.cleaned_data
        if data.get("community") is not None:
            board = board.filter(community=data["community"])
        if data.get("category") is not None:
            board = board.filter(category=data["category"])
        if data.get("wanted_by") is not None:
            board = board.filter(wanted_by__lte=data["wanted_by"])
        return board


class MonthForm(forms.Form):
    """The love bank's month picker (``<input type=month>``: ``2026-12``)."""

    month = forms.DateField(
        label=_("month"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
