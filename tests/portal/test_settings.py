import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_weights

ROOT = Path(__file__).resolve().parents[2]


def test_it_reads_booleans_and_fails_loudly_on_anything_else(monkeypatch):
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", default=True) is False
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", default=True)


def test_it_reads_integers_and_lists(monkeypatch):
    monkeypatch.setenv("N", "12")
    monkeypatch.setenv("HOSTS", "a.example, ,b.example")
    assert env_int("N", default=1) == 12
    assert env_list("HOSTS") == ["a.example", "b.example"]
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="N must be an integer"):
        env_int("N", default=1)


def test_it_reads_report_weights_keeping_defaults_and_fails_loudly(monkeypatch):
    defaults = {"completeness": 20, "coverage": 25}
    monkeypatch.setenv("W", "coverage=30")
    assert env_weights("W", defaults) == {"completeness": 20, "coverage": 30}
    for bad in (
        "cover=30",
        "coverage",
        "coverage=high",
        "coverage=-1",
        "completeness=0,coverage=0",
    ):
        monkeypatch.setenv("W", bad)
        with pytest.raises(ImproperlyConfigured):
            env_weights("W", defaults)


def load_settings(**env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
    )


def test_the_portal_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_portal_starts_in_development_without_a_secret_key():
    assert load_settings(DEBUG="1").returncode == 0


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3J9-production-only-7fQ2pL8xW4vN6bR1tY5uZ0aS3dF7gH9jK2lM4nB6vC8xZ1",
    "ALLOWED_HOSTS": "portal.example.gov.cn",
    # check --deploy does not connect; the URL only has to say PostgreSQL.
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal_deploy_check",
    # Production shares its cache between processes (portal.W001 otherwise); nor does this connect.
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def manage(*args, **env) -> subprocess.CompletedProcess:
    # Production has none of the test run's variables; DJANGO_ALLOW_ASYNC_UNSAFE (browser tests)
    # would itself be reported by check --deploy.
    unset = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
    )


def test_check_deploy_reports_nothing_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "secret_key",
    ["django-insecure-" + "x1y2z3" * 10, "short-but-random-Xq7"],
    ids=["django-insecure", "too-short"],
)
def test_the_portal_refuses_to_start_with_an_insecure_secret_key(secret_key):
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": secret_key})
    assert result.returncode != 0
    assert "SECRET_KEY is insecure" in result.stderr


def test_the_portal_refuses_to_start_without_allowed_hosts():
    result = manage("check", **{**PRODUCTION, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must list" in result.stderr


def test_the_portal_refuses_sqlite_in_production_unless_allowed():
    sqlite = {**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/portal-trial.sqlite3"}
    result = manage("check", **sqlite)
    assert result.returncode != 0
    assert "ALLOW_SQLITE" in result.stderr
    assert manage("check", **sqlite, ALLOW_SQLITE="true").returncode == 0


def test_production_turns_on_two_factor_and_turns_off_demo_mode():
    code = "from django.conf import settings as s; print(s.REQUIRE_TWO_FACTOR, s.DEMO_MODE)"
    result = manage("shell", "--no-imports", "-c", code, **PRODUCTION)
    assert result.stdout.split() == ["True", "False"], result.stderr


def test_production_reads_the_client_address_behind_one_proxy():
    code = "from django.conf import settings as s; print(s.AXES_IPWARE_PROXY_COUNT)"
    assert manage("shell", "--no-imports", "-c", code, **PRODUCTION).stdout.strip() == "1"


def test_the_report_weights_name_every_score_part_and_take_a_patrol_weight():
    from django.conf import settings

    from exports.figures import SCORE_PARTS

    assert list(settings.MONTHLY_REPORT_WEIGHTS) == list(SCORE_PARTS)
    assert settings.MONTHLY_REPORT_WEIGHTS["patrol"] == 10
    assert load_settings(DEBUG="1", MONTHLY_REPORT_WEIGHTS="patrol=0,coverage=30").returncode == 0
    refused = load_settings(DEBUG="1", MONTHLY_REPORT_WEIGHTS="patrols=5")
    assert refused.returncode != 0
    assert "'patrol'" in refused.stderr  # the message lists the parts there are


def test_the_portal_refuses_to_keep_finished_jobs_less_than_a_day():
    for bad in ("0", "-3", "a week"):
        result = load_settings(JOB_KEEP_DAYS=bad)
        assert result.returncode != 0 and "JOB_KEEP_DAYS" in result.stderr, bad
    assert load_settings(JOB_KEEP_DAYS="30").returncode == 0


def test_the_portal_refuses_a_dashboard_refresh_of_less_than_ten_seconds():
    for bad in ("0", "5", "soon"):
        result = load_settings(DASHBOARD_REFRESH_SECONDS=bad)
        assert result.returncode != 0 and "DASHBOARD_REFRESH_SECONDS" in result.stderr, bad
    assert load_settings(DASHBOARD_REFRESH_SECONDS="120").returncode == 0
