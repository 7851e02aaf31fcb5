"""The system account: who commands act as when no person asked for the change.

It is a named account so that history and logs say who wrote a row; it cannot sign in (its
password is unusable and it is inactive). Whoever runs a command on the server already holds
the whole database, so scope lets it do what its command does (``archives.scope``).
"""

from django.contrib.auth import get_user_model

from accounts.types import Actor, User

SYSTEM_USERNAME = "system"


def system_actor() -> Actor:
    """The system account, created inactive and without a usable password on first use."""
    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def is_system_account(user: User) -> bool:
    """Whether ``user`` is the system account: inactive, unable to sign in, and so named (an
    administrator who names an account "system" does not make it one)."""
    return (
        not user.is_active
        and user.is_authenticated
        and user.get_username() == SYSTEM_USERNAME
        and not user.has_usable_password()
    )
