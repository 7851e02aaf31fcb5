"""The public volunteer sign-up (志愿者注册): a phone-friendly form that anyone may fill in, which
makes an inactive account and a volunteer waiting for their community's approval
(``wishes.services.claimers.claimer_sign_up``).

No CAPTCHA. Scripts are kept out by three things, none of which a person notices:
- a honeypot field, hidden by the page's stylesheet (no inline style: the CSP forbids it), that
  people leave empty and form-filling scripts do not; a filled one is answered as if the
  sign-up had worked, and nothing is created;
- a signed timestamp in the form: a form sent sooner than ``VOLUNTEER_SIGN_UP_MIN_SECONDS``
  after it was shown is refused (a person takes longer to type a name and a phone number);
- at most ``VOLUNTEER_SIGN_UPS_PER_HOUR`` sign-ups from one client address in an hour (the
  address as the sign-in's lockout reads it, behind ``PROXY_COUNT`` proxies), counted in Django's
  cache; beyond it a 429 page says when to try again and nothing is created. One phone number
  has at most one sign-up waiting (the service's rule).
"""

import time

from axes.helpers import get_client_ip_address
from django import forms
from django.conf import settings
from django.contrib import admin
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from archives.models import Community
from wishes.services.claimers import claimer_sign_up

_SALT = "wishes.signup.started"
#: How long a shown form stays good to send (a day: someone may leave it open over lunch).
_FORM_MAX_AGE = 24 * 3600
_WINDOW = 3600
#: The honeypot's name: a field a form-filling script expects and fills.
HONEYPOT = "website"


class SignUpForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=50)
    phone = forms.CharField(
        label=_("mobile phone"),
        max_length=30,
        help_text=_("The community calls this number to check it before approving you."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    community = forms.ModelChoiceField(
        label=_("community"),
        queryset=Community.objects.select_related("street").order_by("street__name", "name"),
        help_text=_("Where you live: its staff approve you."),
    )
    skills = forms.CharField(
        label=_("your skills"),
        max_length=200,
        required=False,
        help_text=_("What you can help with, e.g. haircuts, repairs, legal advice."),
    )
    username = forms.CharField(
        label=_("username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password1 = forms.CharField(
        label=_("password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].label_from_instance = lambda c: f"{c.street.name} · {c.name}"
        if not self.is_bound:
            self.initial["started"] = signing.dumps(time.time(), salt=_SALT)

    def clean_started(self) -> float:
        try:
            started = float(
                signing.loads(self.cleaned_data["started"], salt=_SALT, max_age=_FORM_MAX_AGE)
            )
        except (signing.BadSignature, TypeError, ValueError):
            raise ValidationError(
                _(
                    "This form is too old or was changed: it has been shown again, please send "
                    "it once more."
                )
            ) from None
        if time.time() - started < settings.VOLUNTEER_SIGN_UP_MIN_SECONDS:
            raise ValidationError(
                _("The form was sent too quickly. Please check what you entered and send it again.")
            )
        return started

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


def _address_key(request: HttpRequest) -> str:
    return f"wishes:sign-ups:{get_client_ip_address(request) or 'unknown'}"


def _flooded(request: HttpRequest) -> bool:
    return cache.get(_address_key(request), 0) >= settings.VOLUNTEER_SIGN_UPS_PER_HOUR


def _count(request: HttpRequest) -> None:
    key = _address_key(request)
    cache.add(key, 0, _WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, _WINDOW)


def _context(request: HttpRequest, **extra) -> dict:
    return {
        **admin.site.each_context(request),
        "title": _("Volunteer sign-up"),
        "is_nav_sidebar_enabled": False,
        **extra,
    }


def _flood_page(request: HttpRequest) -> HttpResponse:
    context = _context(request, minutes=_WINDOW // 60)
    return render(request, "wishes/signup_flood.html", context, status=429)


@never_cache
@csrf_protect
def volunteer_sign_up(request: HttpRequest) -> HttpResponse:
    """The public form (GET) and its sending (POST)."""
    if request.method == "POST":
        if _flooded(request):
            return _flood_page(request)
        form = SignUpForm(request.POST)
        if request.POST.get(HONEYPOT):
            # A script: answered as a person would be, and nothing is created.
            _count(request)
            return redirect("wishes:sign_up_done")
        if form.is_valid():
            data = form.cleaned_data
            try:
                claimer_sign_up(
                    name=data["name"],
                    phone=data["phone"],
                    community=data["community"],
                    skills=data["skills"],
                    username=data["username"],
                    password=data["password1"],
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    target = "password1" if field == "password" else field
                    for message in messages:
                        form.add_error(target if target in form.fields else None, message)
            else:
                _count(request)
                return redirect("wishes:sign_up_done")
        if "started" in form.errors:
            # Shown again with a fresh timestamp: the person's next send is in time.
            data = request.POST.copy()
            data["started"] = signing.dumps(time.time(), salt=_SALT)
            form.data = data
    else:
        form = SignUpForm()
    return render(request, "wishes/signup.html", _context(request, form=form))


@never_cache
def volunteer_sign_up_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "wishes/signup_done.html", _context(request, title=_("Thank you for signing up"))
    )
