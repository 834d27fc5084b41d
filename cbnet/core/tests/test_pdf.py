"""PDF rendering: real WeasyPrint output read back with poppler (pdftotext, pdfinfo)."""

import subprocess

import pytest
from django.test import RequestFactory
from django.utils import translation

from cbnet.core import pdf
from cbnet.core.pdf import (
    html_to_pdf,
    page_label_css,
    render_pdf,
    safe_filename,
    static_only_fetcher,
)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    (line,) = [line for line in info.stdout.splitlines() if line.startswith("Pages:")]
    return int(line.split()[1])


def test_fetcher_serves_static_files_only():
    fetcher = static_only_fetcher()
    response = fetcher.fetch(pdf.BASE_URL + "static/cbnet/print.css")
    assert b"@page" in response.read() and response.content_type == "text/css"
    for url in (
        "http://example.com/logo.png",
        "https://cbnet.invalid/static/cbnet/print.css",  # another scheme
        "http://cbnet.invalid/media/secret.pdf",  # not under STATIC_URL
        "http://cbnet.invalid/static/../config/settings.py",
        "http://cbnet.invalid/static/cbnet/missing.css",
        "file:///etc/passwd",
        "ftp://example.com/x",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_page_label_css_in_english():
    assert page_label_css() == '"Page " counter(page) " of " counter(pages)'


def test_page_label_css_follows_the_translations_word_order(monkeypatch):
    monkeypatch.setattr(pdf, "_", lambda message: '%(pages)s pages, "this" is %(page)s')
    assert page_label_css() == 'counter(pages) " pages, \\"this\\" is " counter(page)'


def long_document(lines=150, lang="en"):
    body = "".join(f"<p>Line {n} of the report</p>" for n in range(lines))
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="/static/cbnet/print.css">'
        f"<style>@page {{ @bottom-center {{ content: {page_label_css()}; }} }}</style>"
        '<img src="http://example.com/tracker.png" alt="">'
        f"</head><body><h1>Report title</h1>{body}</body></html>"
    )


def test_real_render_has_page_numbers_and_the_print_stylesheet(tmp_path):
    data = html_to_pdf(long_document())
    assert data.startswith(b"%PDF")
    pages = pdf_pages(data, tmp_path)
    assert pages > 1
    text = pdf_text(data, tmp_path)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "Line 149 of the report" in text
    # The running header (print.css: string-set from the h1) is on every page but the first.
    assert text.count("Report title") == pages


def test_page_label_is_translated(tmp_path, monkeypatch):
    """The footer label goes through gettext: a Spanish catalogue entry reorders it."""
    spanish = {"Page %(page)s of %(pages)s": "Página %(page)s de %(pages)s"}
    monkeypatch.setattr(pdf, "_", lambda message: spanish.get(message, message))
    data = html_to_pdf(long_document(lang="es"))
    text = pdf_text(data, tmp_path)
    assert "Página 1 de" in text and "Page 1 of" not in text


def test_render_pdf_response(tmp_path, settings):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path],
        }
    ]
    (tmp_path / "sample_pdf.html").write_text(
        '{% extends "pdf/base_pdf.html" %}{% block title %}T{% endblock %}'
        "{% block content %}<h1>Informe {{ name }}</h1>{% if pdf %}<p>for print</p>{% endif %}"
        "{% endblock %}"
    )
    request = RequestFactory().get("/")
    with translation.override("es"):
        response = render_pdf(
            request, "sample_pdf.html", {"name": "Américas"}, "Informe Américas/../x.pdf"
        )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Informe-Americas-x.pdf"'
    text = pdf_text(response.content, tmp_path)
    assert "Informe Américas" in text and "for print" in text


@pytest.mark.parametrize(
    "name, expected",
    [
        ("ncp-directory-AMS-2026-01-02.pdf", "ncp-directory-AMS-2026-01-02.pdf"),
        ("Américas y el Caribe.pdf", "Americas-y-el-Caribe.pdf"),
        ('../../etc/passwd".pdf', "etc-passwd.pdf"),
        ("report\r\nSet-Cookie: x.pdf", "report-Set-Cookie-x.pdf"),
        ("///.pdf", "report.pdf"),
        ("noextension", "noextension"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected
