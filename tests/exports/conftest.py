"""The month city of month_city.py with the accounts that read and publish its reports."""

import pytest

from archives.models import Department, Street
from portal.roles import DEPARTMENT_STAFF, MUNICIPAL_OFFICIAL, STREET_OFFICIAL
from tests import factories
from tests.exports.month_city import build_month_city


@pytest.fixture
def report_city(db):
    built = build_month_city()
    s1, s2 = Street.objects.get(code="S1"), Street.objects.get(code="S2")
    official = factories.make_user("official", role=MUNICIPAL_OFFICIAL)
    street_official = factories.make_user("street-s1", role=STREET_OFFICIAL)
    factories.grant(street_official, s1)
    department = Department.objects.create(code="D1", name="民政局")
    department.streets.add(s2)
    department_staff = factories.make_user("dept", role=DEPARTMENT_STAFF)
    factories.grant(department_staff, department)
    clerk = built.clerks["G1"]
    return {
        "s1": s1,
        "s2": s2,
        "official": official,
        "street": street_official,
        "department": department_staff,
        "clerk": clerk,
    }
