"""The two kinds of user the portal's signatures name.

The portal keeps Django's own user model (``auth.User``); ``AbstractUser`` is named rather than
``User`` so that these annotations hold if a project ever swaps the model for a subclass.
"""

from django.contrib.auth.models import AbstractUser, AnonymousUser

#: Whoever asks: a page's ``request.user`` may be anonymous, and every scope answer handles it.
User = AbstractUser | AnonymousUser

#: Whoever writes: a service's acting user is always a stored account (a person, or the
#: system account that commands act as).
Actor = AbstractUser
