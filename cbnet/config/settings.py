"""CBNet settings, read from the environment (see .env.example for every variable).

Defaults give the zero-set-up demo: SQLite in the checkout, DEBUG off, the demo's relaxed
two-factor rule. Production sets CBNET_PRODUCTION=1, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS
and DATABASE_URL; `manage.py check --deploy` then passes.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = BASE_DIR / "cbnet"


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("CBNET_PRODUCTION")
DEBUG = env_bool("DJANGO_DEBUG", default=False)
# The demo's key is public on purpose; production must set its own (checked below).
SECRET_KEY = os.environ.get(
    "DJANGO_SECRET_KEY", "cbnet-demo-only-key-do-not-use-in-production-0123456789abcdef"
)
if PRODUCTION and SECRET_KEY.startswith("cbnet-demo-only"):
    raise RuntimeError("CBNET_PRODUCTION is set: DJANGO_SECRET_KEY must be set too.")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# Secretariat and ROCB officers must use two-factor login, except in the demo
# (CBNET_DEMO=1, the default outside production) so the fixed demo logins work.
CBNET_DEMO = env_bool("CBNET_DEMO", default=not PRODUCTION)
CBNET_REQUIRE_2FA_FOR_OFFICERS = env_bool("CBNET_REQUIRE_2FA", default=not CBNET_DEMO)
OTP_TOTP_ISSUER = "CBNet"  # the name authenticator apps show

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_tables2",
    "simple_history",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "cbnet.core",
    "cbnet.core.notifications",
    "cbnet.core.search",
    "cbnet.directory",
    "cbnet.capabilities",
    "cbnet.assessments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before the two below: they leave a message when they sign someone out or hold them.
    "django.contrib.messages.middleware.MessageMiddleware",
    "cbnet.directory.middleware.AccountStandingMiddleware",
    "cbnet.directory.accounts.middleware.OfficerTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cbnet.config.urls"
WSGI_APPLICATION = "cbnet.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "cbnet.core.context_processors.cbnet",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections: with 0, throughput drops ~3.5x (MACHINE-NOTES.md).
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL and a busy timeout let the web workers and the task worker share the file.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cbnet.directory.auth.AppointmentBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # invitations and resets stay valid three days

# Login throttling (django-axes): five failures lock the username for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("CBNET_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("pt", _("Portuguese")),
]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["cbnet.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    # Charts drawn in the browser (cbnet/core/charts.py): vega, vega-lite, vega-embed.
    ("vendor/vega", BASE_DIR / "node_modules" / "vega" / "build"),
    ("vendor/vega-lite", BASE_DIR / "node_modules" / "vega-lite" / "build"),
    ("vendor/vega-embed", BASE_DIR / "node_modules" / "vega-embed" / "build"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
STATICFILES_DIRS.append(PACKAGE_DIR / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("CBNET_MANIFEST_STATIC", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("CBNET_MEDIA_ROOT", BASE_DIR / "media"))
# Uploads (imports, evidence files) above this size are refused before they are read.
CBNET_MAX_UPLOAD_BYTES = int(os.environ.get("CBNET_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = CBNET_MAX_UPLOAD_BYTES
# Imports of more rows than this are previewed and applied as background jobs (docs/tasks.md).
CBNET_IMPORT_INLINE_ROWS = int(os.environ.get("CBNET_IMPORT_INLINE_ROWS", "500"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CBNet <no-reply@cbnet.invalid>")
CBNET_BASE_URL = os.environ.get("CBNET_BASE_URL", "http://127.0.0.1:8000")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous API calls answer 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication plus the account-standing rule (cbnet/directory/auth.py).
        "cbnet.core.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["cbnet.core.api.permissions.ScopedPermission"],
    "DEFAULT_PAGINATION_CLASS": "cbnet.core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["cbnet.core.api.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "cbnet.core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "cbnet.core.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CBNet API",
    "DESCRIPTION": "The API of the customs capacity-building network platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("kind", "status") get their own schema names.
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "cbnet.directory.choices.OrganisationKind",
        "FrameworkKindEnum": "cbnet.capabilities.models.FrameworkKind",
        "QuestionKindEnum": "cbnet.assessments.choices.QuestionKind",
        "AssessmentStatusEnum": "cbnet.assessments.choices.AssessmentStatus",
        "NeedStatusEnum": "cbnet.assessments.choices.NeedStatus",
        "RegionalNeedStatusEnum": "cbnet.assessments.choices.RegionalNeedStatus",
        "MilestoneStatusEnum": "cbnet.assessments.choices.MilestoneStatus",
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 14 * 24 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CBNET_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
