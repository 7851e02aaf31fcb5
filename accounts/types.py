"""The two kinds of user the portal's signatures name.

The portal keeps Django's own user model (``auth.User``, ``AUTH_USER_MODEL`` is not set), so
foreign keys to it and these annotations name the same class.
"""

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as Account

#: Whoever asks: a page's ``request.user`` may be anonymous, and every scope answer handles it.
User = Account | AnonymousUser

#: Whoever writes: a service's acting user is always a stored account (a person, or the
#: system account that commands act as).
Actor = Account
