import pytest

from accounts.system import SYSTEM_USERNAME, is_system_account, system_actor
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_system_account_is_created_once_and_cannot_sign_in():
    actor = system_actor()
    assert actor.get_username() == SYSTEM_USERNAME
    assert not actor.is_active
    assert not actor.has_usable_password()
    assert system_actor().pk == actor.pk
    assert is_system_account(actor)


def test_an_account_merely_named_system_is_not_the_system_account():
    named = factories.make_user(SYSTEM_USERNAME)
    assert not is_system_account(named)
    named.is_active = False
    assert not is_system_account(named)  # it still has a password someone could sign in with
