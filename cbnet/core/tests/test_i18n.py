"""Languages: the es/fr/pt catalogues are complete and consistent, the code holds no string
they lack, and pages come out in the reader's language (cookie or Accept-Language).

Needs GNU gettext (msgfmt, xgettext, msgmerge), which the set-up installs; no polib/babel.
"""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cbnet.core.testing import factories as f

PACKAGE_DIR = Path(settings.LOCALE_PATHS[0]).parent  # the cbnet package
LANGS = ("es", "fr", "pt")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def catalogue(root, lang):
    return Path(root) / "locale" / lang / "LC_MESSAGES" / "django.po"


def po_entries(path):
    """Entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr (a list of the
    msgstr or msgstr[n] texts) and fuzzy. The header and obsolete (#~) entries are left out.
    A minimal reader, enough for files written by msgmerge/xgettext."""
    entries, entry, field = [], None, None

    def finish():
        if entry and entry.get("msgid") and not entry["obsolete"]:
            entries.append(entry)

    for line in Path(path).read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgctxt": None, "msgid_plural": None, "msgstr": [], "fuzzy": False}
            entry["obsolete"] = False
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["fuzzy"] = entry["fuzzy"] or "fuzzy" in line[2:].replace(" ", "").split(",")
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if field == "msgstr":
                entry["msgstr"][-1] += text
            else:
                entry[field] += text
        else:
            keyword, _, rest = line.partition(" ")
            text = ast.literal_eval(rest)
            if keyword.startswith("msgstr"):
                field = "msgstr"
                entry["msgstr"].append(text)
            else:
                field = keyword
                entry[field] = text
    return entries


def not_done(path):
    """Describe each untranslated or fuzzy entry of a catalogue, one line each."""
    lines = []
    for entry in po_entries(path):
        missing = not entry["msgstr"] or not all(entry["msgstr"])
        if missing or entry["fuzzy"]:
            state = "fuzzy" if entry["fuzzy"] else "untranslated"
            context = f" (context {entry['msgctxt']!r})" if entry["msgctxt"] else ""
            lines.append(f"  {state}: {entry['msgid']!r}{context}")
    return lines


def msgfmt_statistics(path):
    """Run ``msgfmt --check --statistics``: (return code, its report, in English)."""
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "GNU gettext's msgfmt is not installed (scripts/setup.sh installs it)"
    env = {**os.environ, "LC_ALL": "C", "LANGUAGE": ""}
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", os.devnull, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def assert_complete(path):
    code, report = msgfmt_statistics(path)
    assert code == 0, f"msgfmt --check refused {path}:\n{report}"
    missing = not_done(path)
    assert "fuzzy" not in report and "untranslated" not in report and not missing, (
        f"{path}: {report}\nTranslate these entries and remove their fuzzy flags "
        "(make messages):\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("lang", LANGS)
def test_committed_catalogue_is_complete_and_consistent(lang):
    path = catalogue(PACKAGE_DIR, lang)
    assert path.exists(), f"{path} is missing"
    assert_complete(path)
    assert len(po_entries(path)) > 100, "the catalogue lost its entries"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """Copy the package to a temporary directory and run makemessages there, so the copy's
    catalogues gain every string the code holds today (the real ones are left alone)."""
    root = tmp_path_factory.mktemp("i18n")
    shutil.copytree(
        PACKAGE_DIR, root / "cbnet", ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    before = {lang: catalogue(PACKAGE_DIR, lang).read_bytes() for lang in LANGS}
    copied = {lang: catalogue(root / "cbnet", lang).stat().st_mtime_ns for lang in LANGS}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cbnet.config.settings",
        # the copy first, so settings.LOCALE_PATHS points into the copy
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    languages = [arg for lang in LANGS for arg in ("-l", lang)]
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-d", "django", *languages]
        + ["--no-obsolete"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    for lang in LANGS:
        assert catalogue(PACKAGE_DIR, lang).read_bytes() == before[lang], (
            "makemessages wrote into the real catalogues instead of the copy"
        )
        assert catalogue(root / "cbnet", lang).stat().st_mtime_ns != copied[lang], (
            "makemessages did not update the copy's catalogue"
        )
    return root / "cbnet"


@pytest.mark.parametrize("lang", LANGS)
def test_no_string_in_the_code_is_missing_from_the_catalogue(regenerated, lang):
    path = catalogue(regenerated, lang)
    code, report = msgfmt_statistics(path)
    missing = not_done(path)
    complete = "fuzzy" not in report and "untranslated" not in report and not missing
    assert code == 0 and complete, (
        f"The code holds strings that the {lang} catalogue lacks or has only as fuzzy "
        f"guesses ({report}). Run `make messages`, translate these in "
        f"cbnet/locale/{lang}/LC_MESSAGES/django.po and remove the fuzzy flags:\n"
        + "\n".join(missing)
    )


def translated(lang, text):
    with translation.override(lang):
        result = translation.gettext(text)
    assert result != text, f"{text!r} is not translated into {lang}"
    return result


def expected_from_po(lang, text):
    """The msgstr the .po file holds, to tell a stale compiled .mo from a missing entry."""
    for entry in po_entries(catalogue(PACKAGE_DIR, lang)):
        if entry["msgid"] == text and not entry["msgctxt"]:
            return entry["msgstr"][0]
    raise AssertionError(f"{text!r} is not in the {lang} catalogue")


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_login_page_follows_the_language_cookie(client, lang):
    sign_in = translated(lang, "Sign in")
    assert sign_in == expected_from_po(lang, "Sign in"), (
        "the compiled .mo is older than the .po: run `make messages` (compilemessages)"
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{lang}">' in html
    assert sign_in in html
    assert translated(lang, "Forgot your password?") in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_first_visit_follows_accept_language(client, lang):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=f"{lang};q=1.0, en;q=0.5")
    html = response.content.decode()
    assert f'<html lang="{lang}">' in html
    assert translated(lang, "Sign in to CBNet") in html


@pytest.mark.django_db
def test_unsupported_language_falls_back_to_english(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="de")
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Sign in to CBNet" in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_signed_in_pages_show_navigation_and_content_in_the_chosen_language(client, lang):
    net = f.network()
    client.force_login(net.users["ncp_uy"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang

    html = client.get(reverse("home")).content.decode()
    assert f'<html lang="{lang}">' in html
    for english in ("Directory", "Regions", "People", "Appointments", "Sign out"):
        assert translated(lang, english) in html, f"{english!r} is not shown in {lang}"
    assert ">Appointments<" not in html and ">Sign out<" not in html

    # model labels (gettext_lazy) and domain content (Region.names) follow the language too
    html = client.get(reverse("directory:region_list")).content.decode()
    assert net.ams.names[lang] in html
    assert translated(lang, "Parent region") in html  # a django-tables2 column header


@pytest.mark.django_db
def test_language_switcher_remembers_the_choice(client):
    response = client.post("/i18n/setlang/", {"language": "pt", "next": "/accounts/login/"})
    assert response.status_code == 302
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "pt"
    assert int(cookie["max-age"]) >= 365 * 24 * 3600
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="pt">' in html
    assert translated("pt", "Sign in") in html
