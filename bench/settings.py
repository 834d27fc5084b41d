"""Settings for the benchmark server: the project's settings, the bench database and URLs.

bench/run.py sets BENCH_DATABASE_URL (a throwaway database) and BENCH_STATIC_ROOT (a temp
directory it fills with collectstatic) before anything imports this module.
"""

import os
from pathlib import Path

import dj_database_url

from cbnet.config.settings import *  # noqa: F403
from cbnet.config.settings import PACKAGE_DIR, STATICFILES_DIRS, STORAGES, TEMPLATES

BENCH_DIR = Path(__file__).resolve().parent

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.urls"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ["BENCH_DATABASE_URL"],
        # As in production: persistent connections (MACHINE-NOTES.md).
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }

# The baseline view's template.
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BENCH_DIR / "templates"]

# Production's manifest lookup for {% static %}, without compressing every file at set-up
# (compression changes how files are served, not how pages render).
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", BENCH_DIR / ".staticfiles"))
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
# Problems with the project's settings that the bench worked around (run.py prints them).
BENCH_WARNINGS = []
_dirs = [Path(d[1] if isinstance(d, (tuple, list)) else d) for d in STATICFILES_DIRS]
if (PACKAGE_DIR / "static").is_dir() and PACKAGE_DIR / "static" not in _dirs:
    STATICFILES_DIRS = [*STATICFILES_DIRS, PACKAGE_DIR / "static"]
    BENCH_WARNINGS.append(
        "cbnet/static/ is not in STATICFILES_DIRS: collectstatic skips it, so with the "
        "manifest storage every page that uses {% static %} on it answers 500 in production. "
        "The bench adds it."
    )

# As in production: ROCB officers need two-factor login; the bench session is verified.
CBNET_REQUIRE_2FA_FOR_OFFICERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django.request": {"level": "ERROR"}},
}
