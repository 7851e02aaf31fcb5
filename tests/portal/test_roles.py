from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from portal.roles import MUNICIPAL_OFFICIAL, ROLE_PERMISSIONS, STREET_OFFICIAL

pytestmark = pytest.mark.django_db


def test_roles_sync_creates_every_role_with_exactly_its_permissions():
    call_command("roles_sync", stdout=StringIO())
    for name, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=name)
        assert set(group.permissions.values_list("codename", flat=True)) == set(codenames)


def test_roles_sync_puts_back_a_permission_removed_by_hand_and_drops_an_extra_one():
    call_command("roles_sync", stdout=StringIO())
    street = Group.objects.get(name=STREET_OFFICIAL)
    official = Group.objects.get(name=MUNICIPAL_OFFICIAL)
    street.permissions.remove(street.permissions.get(codename="view_resident_id_number"))
    official.permissions.add(street.permissions.get(codename="change_resident"))
    call_command("roles_sync", stdout=StringIO())
    assert street.permissions.filter(codename="view_resident_id_number").exists()
    assert not official.permissions.filter(codename="change_resident").exists()
