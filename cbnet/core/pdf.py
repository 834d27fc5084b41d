"""PDF reports from page templates (WeasyPrint), offline and in the reader's language.

::

    from cbnet.core.pdf import render_pdf

    def ncp_directory_pdf(request, pk):
        ...
        return render_pdf(request, "directory/ncp_directory_pdf.html", context, "ncps-AMS.pdf")

The template extends ``pdf/base_pdf.html`` (print stylesheet ``cbnet/print.css``: A4,
margins, a header with the report's title and date, "Page 3 of 7" in the footer). The
context gets ``pdf=True``, so ``{% chart %}`` tags draw their chart as inline SVG instead of
a vega-embed container. Static files are read from the finders or the static storage;
any other URL (http, https, file, ...) is refused, so rendering never touches the network.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import unicodedata
from functools import cache
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Base URL of the document: relative and root-relative URLs resolve against it, and the
# fetcher serves only its static path. ".invalid" can never be a real host.
BASE_URL = "http://cbnet.invalid/"


def _weasyprint():
    import weasyprint

    return weasyprint


@cache
def _fetcher_class():
    # Built on first use: importing WeasyPrint (pango, harfbuzz) costs ~0.3 s.
    class StaticOnlyFetcher(_weasyprint().urls.URLFetcher):
        """Serves ``STATIC_URL`` files and ``data:`` URLs; refuses every other URL."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            return fetch_static(url)

    return StaticOnlyFetcher


def static_only_fetcher():
    """A WeasyPrint URL fetcher that never touches the network or the file system."""
    return _fetcher_class()()


def static_name(url):
    """The static file name ``url`` points at (under BASE_URL + STATIC_URL), else None."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    if not parts.path.startswith(prefix):
        return None
    name = unquote(parts.path[len(prefix) :])
    if not name or ".." in name.split("/") or name.startswith("/"):
        return None
    return name


def fetch_static(url):
    """The static file ``url`` names, as a WeasyPrint response; ValueError for anything else."""
    weasyprint = _weasyprint()
    name = static_name(url)
    if name is None:
        raise ValueError(f"PDF rendering fetches static files only, refused: {url}")
    path = finders.find(name)
    if path is not None:
        with open(path, "rb") as handle:
            body = handle.read()
    elif staticfiles_storage.exists(name):  # collected (and hashed) names in production
        with staticfiles_storage.open(name) as handle:
            body = handle.read()
    else:
        raise ValueError(f"No static file {name!r}")
    mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": mime_type})


def page_label_css():
    """The CSS ``content`` value for the footer: "Page 3 of 7" in the reader's language.

    One translatable message with placeholders, so languages can order the words freely.
    """
    label = _("Page %(page)s of %(pages)s")
    parts = re.split(r"(%\(page\)s|%\(pages\)s)", label)
    tokens = []
    for part in parts:
        if part == "%(page)s":
            tokens.append("counter(page)")
        elif part == "%(pages)s":
            tokens.append("counter(pages)")
        elif part:
            tokens.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(tokens)


def safe_filename(filename, default="report"):
    """A download name without paths, quotes or control characters (ASCII, hyphenated)."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = re.sub(r"[^A-Za-z0-9_]+", "-", ascii_stem).strip("-_") or default
    extension = re.sub(r"[^A-Za-z0-9]+", "", extension)[:8]
    return f"{ascii_stem[:120]}.{extension}" if extension else ascii_stem[:120]


def attachment(filename):
    """A Content-Disposition header value for downloading ``filename`` safely."""
    return content_disposition_header(True, safe_filename(filename))


def html_to_pdf(html) -> bytes:
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=static_only_fetcher())
    return document.write_pdf()


def render_pdf(request, template, context, filename, *, inline=False):
    """Render ``template`` to a PDF response (``pdf=True`` in the context)."""
    context = {**context, "pdf": True, "page_label_css": page_label_css()}
    html = render_to_string(template, context, request=request)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        not inline, safe_filename(filename)
    )
    return response
