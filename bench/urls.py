"""The project's URLs plus the benchmark's baseline view.

While the project is being built, a URL module that does not import yet must not stop the
benchmark: the modules that do import are included one by one, and the failure is kept in
``BROKEN`` (bench/run.py reports it).
"""

import logging

from django.urls import include, path

from bench.views import baseline

BROKEN = []
urlpatterns = [path("bench/baseline/", baseline, name="bench_baseline")]

try:
    urlpatterns.append(path("", include("cbnet.config.urls")))
except Exception as error:  # noqa: BLE001 - reported, then the parts that work are served
    BROKEN.append(f"cbnet.config.urls: {error!r}")
    for prefix, module in [
        ("", "cbnet.core.urls"),
        ("accounts/", "cbnet.directory.accounts.urls"),
        ("directory/", "cbnet.directory.urls"),
        ("capabilities/", "cbnet.capabilities.urls"),
        ("api/", "cbnet.config.api_urls"),
    ]:
        try:
            urlpatterns.append(path(prefix, include(module)))
        except Exception as part_error:  # noqa: BLE001
            BROKEN.append(f"{module}: {part_error!r}")
    logging.getLogger("bench").warning("URL modules that did not import: %s", BROKEN)
