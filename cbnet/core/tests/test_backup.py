"""Backup: export_all and restore_all lose nothing, and refuse what they must.

The round trip exports the test database in-process, restores it with ``manage.py
restore_all`` in a subprocess into a fresh database of the same kind (a SQLite file, or a
new PostgreSQL database on the same server), then reads the restored database in another
subprocess. On the PostgreSQL leg the same archive is also restored into SQLite.
"""

import datetime
import decimal
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import Token

from cbnet.core import backup
from cbnet.core.testing import factories
from cbnet.directory.models import Person, Region

ROOT = Path(settings.BASE_DIR)
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


# --- what the tests compare --------------------------------------------------------------


def probe():
    """What a restored instance must give back, read through the ORM (code models)."""
    user = get_user_model().objects.get(username="ncp.uy")
    person = Person.objects.get(user=user)
    return {
        "digests": backup.database_digests(),
        "token": Token.objects.get(user=user).key,
        "totp": list(TOTPDevice.objects.values_list("user__username", "key", "confirmed")),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "group_permissions": sorted(
            Group.objects.get(name="Editors").permissions.values_list(
                "content_type__app_label", "content_type__model", "codename"
            )
        ),
        "user_permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
        "person": [person.family_name, person.version, person.created, person.updated],
        "history": list(
            Person.history.filter(id=person.pk)
            .order_by("history_id")
            .values_list("history_type", "family_name", "history_date")
        ),
        "orphan_history": list(
            Person.history.filter(family_name="Gone")
            .order_by("history_id")
            .values_list("history_type", "user_id")
        ),
        "region_names": Region.objects.get(code="AMS").names,
        "log": list(
            LogEntry.objects.values_list(
                "content_type__app_label", "content_type__model", "object_id", "action_time"
            )
        ),
        "task": list(DBTaskResult.objects.values_list("id", "args_kwargs", "return_value")),
        "migrations": sorted(
            f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
        ),
    }


def print_probe():
    """Run by ``manage.py shell -c`` in the restored instance."""
    print("PROBE " + json.dumps(probe(), default=str, sort_keys=True))


def as_json(value):
    return json.loads(json.dumps(value, default=str, sort_keys=True))


# --- subprocesses and databases -----------------------------------------------------------


def manage(*args, database_url, media_root):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CBNET_MEDIA_ROOT": str(media_root),
        "DJANGO_SETTINGS_MODULE": "cbnet.config.settings",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def probe_instance(database_url, media_root):
    result = manage(
        "shell",
        "-c",
        "from cbnet.core.tests.test_backup import print_probe; print_probe()",
        database_url=database_url,
        media_root=media_root,
    )
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


def count_people(database_url, media_root):
    result = manage(
        "shell",
        "-c",
        "from cbnet.directory.models import Person; print('PEOPLE', Person.objects.count())",
        database_url=database_url,
        media_root=media_root,
    )
    assert result.returncode == 0, result.stderr
    return int(next(x for x in result.stdout.splitlines() if x.startswith("PEOPLE")).split()[1])


@pytest.fixture
def new_database(tmp_path):
    """A factory of URLs of new, empty databases of the test database's kind."""
    created = []
    params = connection.settings_dict

    def admin_connection():
        import psycopg

        return psycopg.connect(
            dbname="postgres",
            host=params["HOST"] or None,
            port=params["PORT"] or None,
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            autocommit=True,
        )

    def make(vendor=None):
        vendor = vendor or connection.vendor
        if vendor == "sqlite":
            return f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.sqlite3'}"
        name = f"cbnet_restore_{uuid.uuid4().hex[:12]}"
        with admin_connection() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        auth = quote(params["USER"] or "")
        if params["PASSWORD"]:
            auth += ":" + quote(params["PASSWORD"])
        return f"postgres://{auth}@{params['HOST']}:{params['PORT']}/{name}"

    yield make
    if created:
        with admin_connection() as admin:
            for name in created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def build_instance(media_root):
    """The network plus history, a token, a TOTP device, permissions, the admin log, a task
    result with JSON in odd key order, a history row of a deleted user, and uploaded files."""
    net = factories.network()
    user = net.users["ncp_uy"]
    person = net.people["ncp_uy"]
    person.family_name = "Ramírez Pérez"
    person.save()
    Token.objects.create(user=user)
    TOTPDevice.objects.create(user=net.users["secretariat"], name="phone", confirmed=True)
    editors = Group.objects.create(name="Editors")
    editors.permissions.set(
        Permission.objects.filter(
            content_type__app_label="directory", codename__in=["change_person", "view_person"]
        )
    )
    user.groups.add(editors)
    user.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    LogEntry.objects.create(
        user=net.users["secretariat"],
        content_type=ContentType.objects.get_for_model(Person),
        object_id=str(person.pk),
        object_repr=str(person),
        action_flag=CHANGE,
        change_message="[]",
    )
    DBTaskResult.objects.create(
        args_kwargs={"kwargs": {"zeta": 1, "alpha": [3, 1]}, "args": ["é"]},
        task_path="cbnet.core.tasks.example",
        backend_name="default",
        run_after=datetime.datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC),
        return_value={"z": 0.1, "a": {"y": None, "b": True}},
        exception_class_path="",
        traceback="",
    )
    # History of a person whose user account is gone: its history rows point at nothing.
    gone = factories.member("gone.user", net.uruguay, family_name="Gone")
    gone.person.delete()
    gone.delete()
    (media_root / "evidence" / "2024").mkdir(parents=True)
    (media_root / "evidence" / "2024" / "rapport é.pdf").write_bytes(PDF)
    (media_root / "avatar.txt").write_text("Lucía\n", encoding="utf-8")
    return net


# --- the round trip -------------------------------------------------------------------------


@pytest.mark.django_db
def test_round_trip_restores_every_row_and_file(media_root, new_database, tmp_path):
    build_instance(media_root)
    archive = tmp_path / "backup.tar.gz"
    manifest = backup.export_all(archive)
    source = as_json(probe())

    # The manifest records what the database holds, model by model.
    assert {label: entry["count"] for label, entry in manifest["models"].items()} == {
        label: digest["count"] for label, digest in source["digests"].items()
    }
    assert manifest["models"]["directory.historicalperson"]["count"] >= 9
    assert manifest["models"]["authtoken.token"]["count"] == 1
    assert "sessions.session" not in manifest["models"]
    assert "contenttypes.contenttype" not in manifest["models"]
    assert (
        manifest["migrations"]["directory"]["leaf"]
        in manifest["migrations"]["directory"]["applied"]
    )
    assert manifest["database_vendor"] == connection.vendor

    targets = [connection.vendor]
    if connection.vendor == "postgresql":
        targets.append("sqlite")  # the hashes do not depend on the backend
    for vendor in targets:
        url, restored_media = new_database(vendor), tmp_path / f"media-{vendor}"
        result = manage("restore_all", str(archive), database_url=url, media_root=restored_media)
        assert result.returncode == 0, result.stderr
        assert "Counts and content hashes match the manifest." in result.stdout

        restored = probe_instance(url, restored_media)
        assert restored["digests"] == source["digests"]
        assert restored == source
        assert (restored_media / "evidence" / "2024" / "rapport é.pdf").read_bytes() == PDF
        assert (restored_media / "avatar.txt").read_text(encoding="utf-8") == "Lucía\n"

    # The restored instance now holds data: a second restore into it is refused.
    again = manage("restore_all", str(archive), database_url=url, media_root=tmp_path / "other")
    assert again.returncode != 0
    assert "already holds data" in again.stderr
    assert not (tmp_path / "other").exists()


def rewrite(archive, target, *, replace=None, extra=(), drop=()):
    """Copy ``archive`` to ``target``: replace members' bytes, drop some, append others."""
    replace = replace or {}
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            if member.name in drop:
                continue
            data = source.extractfile(member).read()
            data = replace[member.name](data) if member.name in replace else data
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
        for info, data in extra:
            out.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


@pytest.mark.django_db(transaction=True)
def test_damaged_rows_are_rolled_back_and_reported(media_root, new_database, tmp_path):
    build_instance(media_root)
    archive = tmp_path / "backup.tar.gz"
    backup.export_all(archive)  # outside a transaction: from its own snapshot

    def alter(data):
        assert "Ramírez Pérez".encode() in data
        return data.replace("Ramírez Pérez".encode(), "Ramírez Perez".encode())

    damaged = rewrite(
        archive, tmp_path / "damaged.tar.gz", replace={"data/directory.person.jsonl": alter}
    )
    url, restored_media = new_database(), tmp_path / "media-restored"
    result = manage("restore_all", str(damaged), database_url=url, media_root=restored_media)
    assert result.returncode != 0
    assert "rolled back" in result.stderr and "directory.person" in result.stderr
    assert "directory.historicalperson" not in result.stderr  # only the damaged model
    assert count_people(url, restored_media) == 0
    assert not restored_media.exists() or not any(restored_media.rglob("*.pdf"))


BASE_APPS = {"admin", "auth", "authtoken", "axes", "contenttypes", "sessions", "otp_totp"}
BASE_APPS |= {"django_tasks_database", "capabilities", "directory"}


@pytest.mark.django_db
def test_an_older_archive_loads_at_its_state_then_migrates_forward(
    media_root, new_database, tmp_path
):
    """An archive from before directory's 0002 and before the later apps (core, …)."""
    build_instance(media_root)
    archive = tmp_path / "backup.tar.gz"
    manifest = backup.export_all(archive)
    source = as_json(probe())
    older = {
        **manifest,
        "migrations": {app: v for app, v in manifest["migrations"].items() if app in BASE_APPS},
        "models": {
            label: v for label, v in manifest["models"].items() if label.split(".")[0] in BASE_APPS
        },
    }
    older["migrations"]["directory"] = {"applied": ["0001_initial"], "leaf": "0001_initial"}
    dropped = {v["member"] for v in manifest["models"].values()} - {
        v["member"] for v in older["models"].values()
    }
    older_archive = rewrite(
        archive,
        tmp_path / "older.tar.gz",
        replace={"manifest.json": lambda data: json.dumps(older).encode()},
        drop=dropped,
    )
    url, restored_media = new_database(), tmp_path / "media-restored"
    result = manage("restore_all", str(older_archive), database_url=url, media_root=restored_media)
    assert result.returncode == 0, result.stderr

    restored = probe_instance(url, restored_media)
    assert restored["migrations"] == source["migrations"]  # migrated forward, all of them
    assert "directory.0002_person_name_index" in restored["migrations"]
    for label in older["models"]:
        assert restored["digests"][label] == source["digests"][label], label
    assert restored["person"] == source["person"] and restored["history"] == source["history"]


@pytest.mark.django_db(transaction=True)
def test_rows_the_database_refuses_roll_back_then_the_good_archive_loads(media_root, tmp_path):
    """In-process, into the emptied test database: a duplicated row fails the load as a
    clear error with nothing kept; the intact archive then restores."""
    build_instance(media_root)
    archive = tmp_path / "backup.tar.gz"
    manifest = backup.export_all(archive)
    call_command("flush", interactive=False, verbosity=0)
    for path in list(media_root.rglob("*"))[::-1]:
        path.unlink() if path.is_file() else path.rmdir()

    def duplicate_first_line(data):
        return data.splitlines(keepends=True)[0] + data

    twice = rewrite(
        archive,
        tmp_path / "twice.tar.gz",
        replace={"data/directory.region.jsonl": duplicate_first_line},
    )
    assert "database refused the archive's rows" in refused(twice)
    assert not Region.objects.exists() and not Person.objects.exists()
    assert not any(media_root.iterdir())

    call_command("restore_all", str(archive), verbosity=0)
    assert {label: entry["count"] for label, entry in manifest["models"].items()} == {
        label: digest["count"] for label, digest in backup.database_digests().items()
    }
    assert {label: entry["hash"] for label, entry in manifest["models"].items()} == {
        label: digest["hash"] for label, digest in backup.database_digests().items()
    }
    assert (media_root / "evidence" / "2024" / "rapport é.pdf").read_bytes() == PDF


# --- hostile and foreign archives -------------------------------------------------------------


@pytest.fixture
def small_archive(tmp_path, settings):
    """A real archive of the (empty) test database with one media file."""
    settings.MEDIA_ROOT = tmp_path / "source-media"
    settings.MEDIA_ROOT.mkdir()
    (settings.MEDIA_ROOT / "a.txt").write_text("a")
    archive = tmp_path / "small.tar.gz"
    backup.export_all(archive)
    settings.MEDIA_ROOT = tmp_path / "media"  # restores would write here
    return archive


def member(name, data=b"x", type_=tarfile.REGTYPE, linkname=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = type_, linkname
    info.size = len(data) if type_ == tarfile.REGTYPE else 0
    return info, data if type_ == tarfile.REGTYPE else None


def refused(archive, **options):
    with pytest.raises(CommandError) as caught:
        call_command("restore_all", str(archive), **options)
    return str(caught.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (member("../escaped.txt"), "unsafe member name '../escaped.txt'"),
        (member("media/../../escaped.txt"), "unsafe member name"),
        (member("/tmp/escaped-cbnet.txt"), "unsafe member name '/tmp/escaped-cbnet.txt'"),
        (member("media/link", type_=tarfile.SYMTYPE, linkname="/etc/passwd"), "link or special"),
        (member("media/hard", type_=tarfile.LNKTYPE, linkname="manifest.json"), "link or special"),
        (member("media/unlisted.txt"), "does not match its manifest"),
        (member("media/a.txt"), "appears twice"),
        (member("etc/passwd"), "unexpected member"),
    ],
)
def test_hostile_members_are_refused_before_anything_is_written(
    small_archive, tmp_path, extra, message
):
    hostile = rewrite(small_archive, tmp_path / "hostile.tar.gz", extra=[extra])
    assert message in refused(hostile)
    assert not settings.MEDIA_ROOT.exists()
    assert not (tmp_path / "escaped.txt").exists()
    assert not Path("/tmp/escaped-cbnet.txt").exists()


@pytest.mark.django_db
def test_members_over_the_size_limit_are_refused(small_archive):
    message = refused(small_archive, max_member_bytes=0)
    assert "over the limit of 0" in message
    assert not settings.MEDIA_ROOT.exists()


def manifest_of(archive):
    with tarfile.open(archive, "r:gz") as tar:
        return json.loads(tar.extractfile("manifest.json").read())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: b"{not json", "manifest is unreadable"),
        (lambda m: json.dumps({**m, "format": "other"}).encode(), "not a CBNet backup archive"),
        (lambda m: json.dumps({**m, "format_version": 99}).encode(), "format version 99"),
        (lambda m: json.dumps({**m, "models": {"x": 1}}).encode(), "bad model list"),
        (
            lambda m: json.dumps(
                {**m, "migrations": {**m["migrations"], "directory": {"leaf": "9999_future"}}}
            ).encode(),
            "needs migration directory.9999_future",
        ),
    ],
)
def test_a_bad_manifest_is_refused(small_archive, tmp_path, change, message):
    manifest = manifest_of(small_archive)
    bad = rewrite(
        small_archive,
        tmp_path / "bad.tar.gz",
        replace={"manifest.json": lambda data: change(manifest)},
    )
    assert message in refused(bad)
    assert not settings.MEDIA_ROOT.exists()


@pytest.mark.django_db
def test_archives_that_are_not_ours_are_refused(tmp_path):
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"PK\x03\x04 this is a zip, not a tar.gz")
    assert "is not a CBNet backup archive" in refused(garbage)

    foreign = tmp_path / "foreign.tar.gz"
    with tarfile.open(foreign, "w:gz") as tar:
        info, data = member("manifest.json.txt")
        tar.addfile(info, io.BytesIO(data))
    assert "unexpected member" in refused(foreign)

    no_manifest = tmp_path / "no-manifest.tar.gz"
    with tarfile.open(no_manifest, "w:gz") as tar:
        info, data = member("data/directory.person.jsonl")
        tar.addfile(info, io.BytesIO(data))
    assert "no manifest.json" in refused(no_manifest)


@pytest.mark.django_db
def test_restore_refuses_a_database_that_holds_data(small_archive):
    factories.person()
    message = refused(small_archive)
    assert "already holds data" in message and "directory_person" in message
    assert not settings.MEDIA_ROOT.exists()


# --- hashes -------------------------------------------------------------------------------------


def test_row_hash_is_canonical():
    """Key order, datetime precision and decimal scale do not change a row's bytes."""
    moment = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)
    local = moment.astimezone(datetime.timezone(datetime.timedelta(hours=-3)))
    one = {"fields": {"b": decimal.Decimal("1.50"), "a": {"y": 1, "x": 2}, "t": moment}}
    two = {"fields": {"t": local, "a": {"x": 2, "y": 1}, "b": decimal.Decimal("1.5")}}
    assert backup.canonical_json(one) == backup.canonical_json(two)
    assert b"2024-01-02T03:04:05.678901+00:00" in backup.canonical_json(one)

    first, second = backup.Digest(), backup.Digest()
    for line in (b"1", b"2", b"3"):
        first.add(line)
    for line in (b"3", b"1", b"2"):
        second.add(line)
    assert first.hexdigest == second.hexdigest
    second.add(b"4")
    assert (second.count, second.hexdigest) != (first.count, first.hexdigest)
