"""Settings for the portal, read from the environment (see README, "Configuration").

Only speed-related values differ under test (``portal/test_settings.py`` is deliberately absent:
pytest uses these settings and ``tests/conftest.py`` swaps in a fast password hasher).
"""

from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

from portal import roles
from portal.env import (
    env_bool,
    env_int,
    env_list,
    env_redis_url,
    env_str,
    env_url_origin,
    env_weights,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
# Demo mode relaxes what the demo city needs (its accounts sign in without a second factor).
# Production turns it off unless someone deliberately runs a demo there.
DEMO_MODE = env_bool("DEMO_MODE", default=DEBUG)
#: The demo city's logins (``manage.py seed_demo``) and the role each holds (None: an
#: administrator, a superuser). In demo mode they sign in without a second factor.
DEMO_ACCOUNTS: dict[str, str | None] = {
    "admin": None,
    "clerk": roles.GRID_MEMBER,
    "community": roles.COMMUNITY_STAFF,
    "street": roles.STREET_OFFICIAL,
    "department": roles.DEPARTMENT_STAFF,
    "auditor": roles.AUDITOR,
    "official": roles.MUNICIPAL_OFFICIAL,
}
#: The role a claimer of each kind joins when approved or created (``wishes.services.claimers``;
#: the role table is the portal's, which the wishes app may not import).
WISH_CLAIMER_GROUPS: dict[str, str] = {
    "department": roles.DEPARTMENT_STAFF,
    "party_member": roles.PARTY_MEMBER,
    "volunteer": roles.VOLUNTEER,
}

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # A fresh key per process is fine for development: sessions simply do not survive restarts.
    SECRET_KEY = get_random_secret_key()
elif not DEBUG and (
    SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    # The same test as Django's security.W009: such a key was copied from a template or guessed.
    raise ImproperlyConfigured(
        "SECRET_KEY is insecure: use at least 50 random characters, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names when DEBUG is off.")

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # intcomma: figures grouped in the reader's locale (portal/formats for zh-hans).
    "django.contrib.humanize",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "simple_history",
    "import_export",
    "accounts",
    # Background jobs (portal/celery.py): below every app, which may all start one.
    "jobs",
    "archives",
    "audits",
    "patrols",
    "events",
    "wishes",
    "exports",
    # Last: the wiring's own commands (portal/management), which import every app above.
    "portal.apps.PortalConfig",
]

MIDDLEWARE = [
    # First: a load balancer's probe is answered before host checks, redirects and sessions.
    "portal.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.SessionRenewalMiddleware",
    "portal.middleware.PortalLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Records the signed-in user on history entries written during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as its documentation asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Searched before every app's templates: the portal's replace the admin's own.
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if not DEBUG and not env_bool("ALLOW_SQLITE", default=False):
        # One file on one disk: no concurrent writers, no pg_dump, easy to lose with a container.
        raise ImproperlyConfigured(
            "DATABASE_URL points at SQLite with DEBUG off; use PostgreSQL, or set "
            "ALLOW_SQLITE=true if this really is a single-machine trial."
        )
    # WAL lets the dev server read while seed_demo writes; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: refuses a locked-out username or address before any check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",  # what a role may do
    "portal.backends.ScopeBackend",  # where: object permissions through archives.scope
]
# guardian stores the grants but its backend is left out on purpose (see portal/backends.py).
SILENCED_SYSTEM_CHECKS = [
    "guardian.W001",
    # An index's non-key columns (patrols' track points) are a PostgreSQL speed-up; SQLite
    # keeps the index without them, which is what this warning says.
    "models.W040",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Every portal account is staff and can open resident files: 12 characters, not Django's 8.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# Before every app's catalogue: the portal's translations replace some of Django's own.
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
# Figures on the dashboards are grouped (intcomma) in the reader's locale; zh-hans from here.
# USE_THOUSAND_SEPARATOR stays off: it would also group IDs printed into pages and links.
FORMAT_MODULE_PATH = ["portal.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# STORAGES (static files and uploads): see "# Storage" below.

LOGIN_URL = "admin:login"

# Sessions end after SESSION_IDLE_MINUTES without a request (each request renews them) and when
# the browser closes: a resident file left open on a shared office PC does not stay open.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
# Renewed by portal.middleware.SessionRenewalMiddleware when a request comes more than this long
# after the last renewal, not on every request (Django's SESSION_SAVE_EVERY_REQUEST wrote the
# session row on every page): a session may end up to this much before the idle time is up.
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# HTTPS. Production sits behind a proxy that terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# A forged or stale CSRF token gets portal/templates/403_csrf.html, which says what to do; an
# oversized or malformed request gets 400.html.

# Content Security Policy (django-csp). Django's admin runs without inline scripts; our own
# templates keep their scripts and styles in static files, so neither needs 'unsafe-inline'.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes): LOGIN_FAILURE_LIMIT failures in a row lock the username (and,
# with LOGIN_LOCKOUT_ADDRESSES on, separately the client address) for LOGIN_LOCKOUT_MINUTES; an
# administrator can unlock earlier by deleting the attempt under "Axes" in the admin. Every
# failure is recorded there. Addresses are not locked by default: a community office's clerks
# share one public address, and five typos by one of them would lock out the whole office.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15) / 60  # axes reads a float as hours
AXES_LOCKOUT_PARAMETERS = ["username"]
if env_bool("LOGIN_LOCKOUT_ADDRESSES", default=False):
    AXES_LOCKOUT_PARAMETERS.append("ip_address")
else:
    # axes warns that a username-only lock lets one address try many usernames. That is the
    # trade made above on purpose; each username still locks after LOGIN_FAILURE_LIMIT failures.
    SILENCED_SYSTEM_CHECKS.append("axes.W006")
AXES_RESET_ON_SUCCESS = True
# The attempt counters are reset by a success or an unlock; this log of failures is kept.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Behind PROXY_COUNT reverse proxies the client address is the one they put in X-Forwarded-For;
# without proxies that header is forged at will and must not be read. Production is behind one
# TLS proxy (see SECURE_PROXY_SSL_HEADER): reading REMOTE_ADDR there would give every user the
# proxy's address, and five typos anywhere would lock the whole city out.
PROXY_COUNT = env_int("PROXY_COUNT", 0 if DEBUG else 1)
if PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Two-factor sign-in (django-otp, TOTP). Everyone may enrol; with REQUIRE_TWO_FACTOR on,
# superusers and the members of TWO_FACTOR_GROUPS must (see accounts/two_factor.py).
REQUIRE_TWO_FACTOR = env_bool("REQUIRE_TWO_FACTOR", default=not DEBUG)
# Municipal officials see the whole city, as administrators do.
TWO_FACTOR_GROUPS = [roles.MUNICIPAL_OFFICIAL]
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Community governance portal")
# Administrators may delete a lost device (the owner then enrols again) but never read its
# secret: an administrator who could would hold everyone's second factor.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# django-guardian: the anonymous user gets no object permissions, so none is created for it.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# django-simple-history: reasons are sentences ("import of residents.xlsx by clerk"), and each
# history table gets a (history_date, id) index for "the archive as of the end of a month".
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_DATE_INDEX = "composite"

# django-import-export: exporting needs the model's view permission (the library's default lets
# any admin user export). Importing is ours (archives/admin/imports.py) and asks for add and
# change rights on residents.
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# An export of a list longer than this many rows runs as a job (a progress page, then the file
# to download) instead of holding the request open; a shorter one still answers at once.
EXPORT_IN_REQUEST_ROWS = env_int("EXPORT_IN_REQUEST_ROWS", 5_000)
# Uploads larger or longer than these are refused before anything is read into the archive.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 2**20)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000)
# How many residents outside their area one person may be told of in a day (an import row or a
# new file naming an ID number registered in another grid): a clerk's work needs a few; a
# file of guessed numbers would otherwise test them all (archives.services).
RESIDENT_ELSEWHERE_DAILY_LIMIT = env_int("RESIDENT_ELSEWHERE_DAILY_LIMIT", 20)
# How long an official's dashboard panel is reused (portal/dashboard.py), in seconds; in the
# shared cache (CACHE_URL, "# Cache" below), else in each process's own.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 300)
# How often Celery beat counts every grid's figures for those panels (portal/tasks.py), in
# seconds, into the shared cache: shorter than the panel's reuse, so that a panel never rests on
# figures older than the two together. Kept twice this long; without beat a reader counts them.
DASHBOARD_REFRESH_SECONDS = env_int("DASHBOARD_REFRESH_SECONDS", 240)
if DASHBOARD_REFRESH_SECONDS < 10:
    raise ImproperlyConfigured(
        f"DASHBOARD_REFRESH_SECONDS must be at least 10, got {DASHBOARD_REFRESH_SECONDS}"
    )
# The public volunteer sign-up (wishes/signup.py): sign-ups one client address may make in an
# hour (a community centre's shared address needs a few), and the fewest seconds a person takes
# to fill the form (a script posts it at once). Counted in Django's cache.
VOLUNTEER_SIGN_UPS_PER_HOUR = env_int("VOLUNTEER_SIGN_UPS_PER_HOUR", 5)
VOLUNTEER_SIGN_UP_MIN_SECONDS = env_int("VOLUNTEER_SIGN_UP_MIN_SECONDS", 5)
# The monthly report's score: weights of its parts (README, "Monthly reports"), e.g.
# MONTHLY_REPORT_WEIGHTS="coverage=30,satisfaction=5"; parts not named keep these defaults
# ("patrol=0" leaves patrol rounds out of the score).
MONTHLY_REPORT_WEIGHTS = env_weights(
    "MONTHLY_REPORT_WEIGHTS",
    {
        "completeness": 20,
        "timeliness": 20,
        "coverage": 25,
        "accuracy": 25,
        "satisfaction": 10,
        "patrol": 10,
    },
)
# Patrol rounds (the patrols app, README "Patrol tracks"). A point is kept but flagged, and left
# out of distances, when its accuracy is worse than PATROL_MAX_ACCURACY_M metres or it implies a
# speed over PATROL_MAX_SPEED_MPS metres a second (no walker, nor a bicycle in a lane, goes faster).
PATROL_MAX_ACCURACY_M = env_int("PATROL_MAX_ACCURACY_M", 50)
PATROL_MAX_SPEED_MPS = env_int("PATROL_MAX_SPEED_MPS", 7)
# A visit is on-track when its member's points pass within this many metres of the household's
# building within this many minutes either side of the visit; a round passes a building likewise.
PATROL_ON_TRACK_METRES = env_int("PATROL_ON_TRACK_METRES", 100)
PATROL_ON_TRACK_MINUTES = env_int("PATROL_ON_TRACK_MINUTES", 30)
# A round left open is closed after this many hours (manage.py patrols_close_stale, from cron).
PATROL_AUTO_CLOSE_HOURS = env_int("PATROL_AUTO_CLOSE_HOURS", 12)
# Points older than this many days are deleted (manage.py patrol_points_purge); rounds keep totals.
PATROL_POINT_RETENTION_DAYS = env_int("PATROL_POINT_RETENTION_DAYS", 400)
# A map tile server drawn under a round's track, e.g. "https://tiles.example.org/{z}/{x}/{y}.png";
# empty (the default): the track is drawn over the grid's buildings alone.
# The page's images come from that server too: its origin joins the CSP's img-src, only then.
PATROL_MAP_TILE_URL, _tile_origin = env_url_origin("PATROL_MAP_TILE_URL")
if _tile_origin:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(_tile_origin)
# The phone's round page sends its waiting points this often (and whenever 20 wait).
PATROL_SEND_EVERY_SECONDS = env_int("PATROL_SEND_EVERY_SECONDS", 30)

# An upload waits here between its preview and the clerk's confirmation; a shared directory
# (or storage) works with several app servers, where a per-process temporary file would not.
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))

# An admin changelist with a few thousand ticked rows posts one field per row.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# A form body (not an uploaded file) larger than this is refused with 400 before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_BYTES", 2_621_440)

# Events: the working hours a time limit counts, in TIME_ZONE, on the working days of the work
# calendar (events.WorkCalendarDay; Monday to Friday where it says nothing). As
# EVENT_WORKING_HOURS="08:30-12:00,13:30-18:00".
EVENT_WORKING_HOURS = [
    tuple(period.split("-", 1))
    for period in env_str("EVENT_WORKING_HOURS", "08:30-12:00,13:30-18:00").split(",")
]
# A community may transfer an event to a department itself (without passing it to the street).
EVENT_COMMUNITY_MAY_TRANSFER = env_bool("EVENT_COMMUNITY_MAY_TRANSFER", default=False)
# "Settled within N days": the city's goal for events (more than 90% within 3 days).
EVENT_SETTLE_GOAL_DAYS = env_int("EVENT_SETTLE_GOAL_DAYS", 3)
# The city's view of long-open events: red or yellow for more than this many days.
EVENT_LONG_OPEN_DAYS = env_int("EVENT_LONG_OPEN_DAYS", 3)
# Photos (events, wishes): at most this many bytes each, before re-encoding (archives.photos);
# at most this many with one event step.
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 10 * 1024 * 1024)
EVENT_PHOTOS_PER_STEP = env_int("EVENT_PHOTOS_PER_STEP", 6)
WISH_PHOTOS_PER_STEP = env_int("WISH_PHOTOS_PER_STEP", 6)

# Cache. Production shares one Redis cache between every app server process (CACHE_URL, e.g.
# redis://127.0.0.1:6379/1): the officials' dashboard figures are computed once for all of them,
# and the volunteer sign-up limit counts a client's sign-ups wherever they land. Without it each
# process keeps its own local-memory cache, as in development (portal.checks warns under
# --deploy). Redis down means errors on the pages that use the cache, not stale figures.
CACHE_URL = env_redis_url("CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # One Redis may serve several sites (or the Celery broker on another database).
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions. With Redis, sessions are read from the cache and written through to the database
# (cached_db), not kept in the cache alone: a Redis restart or eviction then signs nobody out and
# loses no import waiting for its confirmation (the pending upload is named in the session).
# The idle timeout's renewal (at most once a minute, SessionRenewalMiddleware) still writes the
# row; the reads come from Redis. Signing out other sessions on a password change is unchanged:
# Django compares the password hash kept in the session data, whichever backend stores it.
if CACHE_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Storage. Uploads waiting for confirmation, published monthly reports and photos go to
# S3-compatible object storage (AWS S3, or MinIO when self-hosted) when S3_BUCKET is set, shared by
# every app server and worker; else to the file system under MEDIA_ROOT. Objects are private:
# the portal reads them and serves them to those allowed (it never links to the bucket), and any
# URL django-storages makes is signed and short-lived.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed files served by whitenoise; needs `collectstatic` (`make serve` runs it).
    # Development and tests keep the plain storage, which works without collectstatic.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
S3_BUCKET = env_str("S3_BUCKET").strip()
_s3_settings = {
    name: env_str(name).strip()
    for name in ("S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_REGION")
}
if S3_BUCKET:
    if bool(_s3_settings["S3_ACCESS_KEY_ID"]) != bool(_s3_settings["S3_SECRET_ACCESS_KEY"]):
        raise ImproperlyConfigured("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together.")
    # Checked like any URL setting; empty: AWS itself, from S3_REGION.
    _s3_endpoint = env_url_origin("S3_ENDPOINT_URL")[0]
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": _s3_endpoint or None,
            # Without keys boto3 looks for credentials itself (an instance role on AWS).
            "access_key": _s3_settings["S3_ACCESS_KEY_ID"] or None,
            "secret_key": _s3_settings["S3_SECRET_ACCESS_KEY"] or None,
            "region_name": _s3_settings["S3_REGION"] or None,
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            # A second file of the same name gets a new name instead of replacing the first
            # (a published report's files are never overwritten).
            "file_overwrite": False,
            # MinIO and most self-hosted stores address buckets by path, not sub-domain.
            "addressing_style": "path" if _s3_endpoint else None,
        },
    }
elif any(_s3_settings.values()):
    # A typo in S3_BUCKET's name would otherwise quietly keep uploads on one machine's disk.
    raise ImproperlyConfigured("S3_* settings are set but S3_BUCKET is not.")

# Database router. REPLICA_DATABASE_URL adds a read replica (a PostgreSQL streaming standby):
# the monthly report's figures and downloads and the list exports read from it, inside
# portal.routers.reading_from_replica(); everything else, and every write, uses the primary.
# The router is always installed: without a "replica" alias it answers nothing (Django's
# default), and tests add the alias themselves.
DATABASE_ROUTERS = ["portal.routers.ReplicaRouter"]
REPLICA_DATABASE_URL = env_str("REPLICA_DATABASE_URL").strip()
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(REPLICA_DATABASE_URL, conn_max_age=60)
    # Tests read the test database through the alias (no second test database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    # Wraps the report and export views in reading_from_replica() (portal/routers.py).
    MIDDLEWARE.append("portal.routers.ReplicaReadsMiddleware")

# Jobs (Celery). Long work (an import's confirmation, large exports, reports, audit draws) runs
# as a job (the jobs app) in a Celery worker, with Redis as the broker. A job's state lives in
# its row (jobs.Job), so no result backend is needed.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# JOBS_IN_REQUEST=1 runs each job inside the request that starts it: a machine without Redis
# (`make run` falls back to it). The page then opens on a finished job.
CELERY_TASK_ALWAYS_EAGER = env_bool("JOBS_IN_REQUEST", default=False)
# A job is acknowledged when it ends, not when it starts: a worker killed mid-job leaves it on
# the broker for the next worker (its transaction was rolled back, so it starts clean).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One job at a time per worker process: a long import does not hold shorter jobs behind it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A job running longer than this is stopped (and fails, writing nothing); the soft limit lets
# it fail with its message first. Redis redelivers unacknowledged jobs after its visibility
# timeout, which must stay longer than the limit.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("JOB_TIME_LIMIT_SECONDS", 30 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
# A finished job (its page, its file) is kept this many days, then purged by the workers at
# most once an hour (jobs.retention.jobs_purge_if_due) or by `manage.py purge_jobs`.
JOB_KEEP_DAYS = env_int("JOB_KEEP_DAYS", 7)
if JOB_KEEP_DAYS < 1:
    raise ImproperlyConfigured(f"JOB_KEEP_DAYS must be at least 1, got {JOB_KEEP_DAYS}")
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Periodic work, sent by Celery beat: exactly one beat runs (`celery -A portal worker -B`, as
# `make run`, `make serve` and `make worker` start it; BEAT=0 for every other worker). A refresh
# still waiting when the next is due is dropped (expires). Beat keeps its schedule in memory
# (celery.beat:Scheduler): an interval needs no file of last runs, and a crontab entry fires at
# its next time after a restart.
CELERY_BEAT_SCHEDULE = {
    "dashboard-figures": {
        "task": "portal.dashboard_figures_refresh",
        "schedule": DASHBOARD_REFRESH_SECONDS,
        "options": {"expires": DASHBOARD_REFRESH_SECONDS},
    },
    # At 03:00 every night: last month's report figures that the history alone decides,
    # computed once and kept (exports.kept; a month is kept two hours after it ends at the
    # earliest), so that no report of a month that is over reads the history again.
    "exports.keep_last_month": {
        "task": "exports.keep_last_month",
        "schedule": crontab(minute="0", hour="3"),
    },
}
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"
