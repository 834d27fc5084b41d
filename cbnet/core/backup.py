"""Whole-instance backup: the database and the uploaded files (MEDIA_ROOT) in one archive.

``manage.py export_all --output FILE`` calls :func:`export_all`; ``manage.py restore_all
FILE`` calls :func:`restore_all` (docs/deploy.md, "Backup and restore").

The archive is a gzipped tar with, in this order:

- ``manifest.json``: format and version, creation time, Django and CBNet versions, database
  vendor, the migration state (per app: the applied migrations and the leaf to migrate to),
  per model the row count and a content hash, the content types and permissions the rows
  refer to, and each media file's size and SHA-256;
- ``data/<app_label>.<model_name>.jsonl``: one row per line in Django's python/jsonl
  serializer format (``{"model", "pk", "fields"}``), datetimes in UTC with microseconds
  (Django's JSON encoder would cut them to milliseconds);
- ``media/<path>``: the files under MEDIA_ROOT.

What is saved: the rows of every concrete, managed model of every installed app, including
the simple-history tables, users, groups, API tokens, TOTP devices, django-tasks results, the
admin log and axes' sign-in logs (AccessLog, AccessFailureLog). Left out:

- ``contenttypes.ContentType`` and ``auth.Permission``: ``migrate`` recreates them, with other
  ids. Rows that point at them (the admin log, group and user permissions, workflow events)
  are written with natural keys (``["directory", "person"]``), and the manifest lists the
  source's content types and permissions so that a restore recreates any that ``migrate``
  would not (e.g. those of a model removed since).
- ``sessions.Session``: ephemeral; everyone signs in again after a restore.
- ``axes.AccessAttempt`` and ``axes.AccessAttemptExpiration``: the live lockout counters,
  which expire after ``AXES_COOLOFF_TIME`` anyway.

The content hash of a model is order-independent: the sum modulo 2**256 of the SHA-256 of
each row's canonical JSON (keys sorted, datetimes in UTC with microseconds, decimals
normalised, JSON values with sorted keys). Summing instead of hashing a sorted stream keeps
it independent of the database's sort order (SQLite and PostgreSQL collate text keys, e.g.
API tokens, differently) without holding the rows in memory. It is computed by the same code
on export and after a restore, from the rows as the database returns them.

Rows are read and written in chunks of :data:`CHUNK` rows; the export reads from one
snapshot (a REPEATABLE READ transaction on PostgreSQL; on SQLite the transaction holds the
write lock while the export runs).
"""

import datetime
import decimal
import hashlib
import io
import json
import os
import tarfile
import tempfile
import uuid
import zlib
from contextlib import contextmanager
from functools import partial
from importlib import metadata
from pathlib import Path, PurePosixPath

import django
from django.apps import apps as global_apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.serializers import python as python_serializer
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.encoding import is_protected_type
from django.utils.translation import gettext as _

FORMAT = "cbnet-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1000
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
# A member (one model's rows, one media file) larger than this is refused on restore.
DEFAULT_MAX_MEMBER_BYTES = 4 * 1024**3

CONTENT_TYPE = "contenttypes.contenttype"
PERMISSION = "auth.permission"
NATURAL_KEY_MODELS = {CONTENT_TYPE, PERMISSION}
EXCLUDED_MODELS = NATURAL_KEY_MODELS | {
    "sessions.session",
    "axes.accessattempt",
    "axes.accessattemptexpiration",
}


class BackupError(Exception):
    """An export or restore refused or failed; the message says why, for the operator."""


def max_member_bytes():
    return int(getattr(settings, "CBNET_BACKUP_MAX_MEMBER_BYTES", DEFAULT_MAX_MEMBER_BYTES))


# --- canonical rows and content hashes ------------------------------------------------------


def _json_default(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(datetime.UTC)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, datetime.time):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        # 1.50 (PostgreSQL numeric(…, 2)) and 1.5 are the same value: write one form.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not serializable in a backup")


def canonical_json(row):
    """One row as canonical JSON bytes: the same row gives the same bytes on any backend."""
    return json.dumps(
        row, default=_json_default, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


class Digest:
    """Row count and order-independent content hash of one model's rows."""

    MODULUS = 2**256

    def __init__(self):
        self.count = 0
        self._sum = 0

    def add(self, line):
        self.count += 1
        row_hash = int.from_bytes(hashlib.sha256(line).digest(), "big")
        self._sum = (self._sum + row_hash) % self.MODULUS

    @property
    def hexdigest(self):
        return f"{self._sum:064x}"


# --- which models, and how their rows are serialized ----------------------------------------


def data_models(registry=global_apps):
    """The models whose rows a backup holds, sorted by label (see the module docstring)."""
    models = []
    for model in registry.get_models():  # without auto-created many-to-many tables
        opts = model._meta
        if opts.proxy or not opts.managed or opts.swapped:
            continue
        if opts.label_lower in EXCLUDED_MODELS:
            continue
        models.append(model)
    return sorted(models, key=lambda model: model._meta.label_lower)


def _m2m_fields(model):
    return [
        field
        for field in model._meta.local_many_to_many
        if field.serialize and field.remote_field.through._meta.auto_created
    ]


def _m2m_columns(field):
    through = field.remote_field.through
    source = through._meta.get_field(field.m2m_field_name()).attname
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    return through, source, target


def natural_key_maps(registry, using):
    """{label: {pk: natural key}} for content types and permissions, read from ``using``."""
    content_type = registry.get_model("contenttypes", "ContentType")
    permission = registry.get_model("auth", "Permission")
    types = {
        pk: [app_label, model]
        for pk, app_label, model in content_type._base_manager.using(using).values_list(
            "pk", "app_label", "model"
        )
    }
    permissions = {
        pk: [codename, *types[content_type_id]]
        for pk, codename, content_type_id in permission._base_manager.using(using).values_list(
            "pk", "codename", "content_type_id"
        )
    }
    return {CONTENT_TYPE: types, PERMISSION: permissions}


def _plain(value):
    return value if is_protected_type(value) else str(value)


class _Serializer(python_serializer.Serializer):
    """Django's python serializer with natural keys for content types and permissions only.

    Every other foreign key is written as the raw column value, so a history row pointing at
    a deleted user serializes fine; many-to-many values come pre-fetched per chunk, sorted.
    """

    def __init__(self, natural, m2m_values):
        super().__init__()
        self.natural = natural
        self.m2m_values = m2m_values

    def handle_fk_field(self, obj, field):
        value = self._value_from_field(obj, field)
        label = field.related_model._meta.label_lower
        if value is not None and label in self.natural:
            try:
                value = self.natural[label][value]
            except KeyError:
                raise BackupError(
                    _("%(model)s %(pk)s points at a missing %(target)s (id %(id)s).")
                    % {"model": obj._meta.label_lower, "pk": obj.pk, "target": label, "id": value}
                ) from None
        self._current[field.name] = value

    def handle_m2m_field(self, obj, field):
        if field.remote_field.through._meta.auto_created:
            self._current[field.name] = self.m2m_values[field.name].get(obj.pk, [])


def _fetch_m2m(model, objs, using, natural):
    """{field name: {pk: sorted related values}} for one chunk of rows, one query per field."""
    result = {}
    pks = [obj.pk for obj in objs]
    for field in _m2m_fields(model):
        through, source, target = _m2m_columns(field)
        label = field.related_model._meta.label_lower
        values = {}
        rows = through._base_manager.using(using).filter(**{f"{source}__in": pks})
        for pk, related in rows.values_list(source, target).iterator():
            value = natural[label][related] if label in natural else _plain(related)
            values.setdefault(pk, []).append(value)
        for related in values.values():
            related.sort()
        result[field.name] = values
    return result


def iter_rows(model, using, natural):
    """Canonical JSON lines of every row of ``model``, in primary-key order, chunk by chunk."""
    queryset = model._base_manager.using(using).order_by("pk")
    chunk = []

    def flush():
        serializer = _Serializer(natural, _fetch_m2m(model, chunk, using, natural))
        for row in serializer.serialize(chunk):
            yield canonical_json(row)

    for obj in queryset.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) >= CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


def model_digest(model, using, natural):
    digest = Digest()
    for line in iter_rows(model, using, natural):
        digest.add(line)
    return digest


def database_digests(using=DEFAULT_DB_ALIAS, registry=global_apps):
    """{label: {"count", "hash"}} for every data model, as a manifest records them."""
    natural = natural_key_maps(registry, using)
    result = {}
    for model in data_models(registry):
        digest = model_digest(model, using, natural)
        result[model._meta.label_lower] = {"count": digest.count, "hash": digest.hexdigest}
    return result


# --- migration state -------------------------------------------------------------------------


def migration_state(connection):
    """{app: {"applied": [names], "leaf": name}} of ``connection``'s database.

    Refuses a database that is not at the code's migration state: the rows are serialized
    with the code's models, so they must match.
    """
    loader = MigrationLoader(connection)
    graph = loader.graph
    replaced = {key for migration in loader.replacements.values() for key in migration.replaces}
    recorded = MigrationRecorder(connection).applied_migrations()
    unknown = sorted(
        f"{app}.{name}"
        for app, name in recorded
        if (app, name) not in graph.nodes and (app, name) not in replaced
    )
    if unknown:
        raise BackupError(
            _(
                "The database has migrations this code does not know (%(names)s): "
                "export with the code that applied them."
            )
            % {"names": ", ".join(unknown)}
        )
    pending = MigrationExecutor(connection).migration_plan(graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending)
        raise BackupError(
            _("The database has unapplied migrations (%(names)s): run migrate first.")
            % {"names": names}
        )
    applied = {key for key in loader.applied_migrations if key in graph.nodes}
    state = {}
    for app in sorted({app for app, _name in applied}):
        nodes = {key for key in applied if key[0] == app}
        leaves = [
            key
            for key in nodes
            if not any(child.key in nodes for child in graph.node_map[key].children)
        ]
        if len(leaves) != 1:
            raise BackupError(
                _("App %(app)s has conflicting migrations; merge them first.") % {"app": app}
            )
        state[app] = {
            "applied": sorted(name for key_app, name in recorded if key_app == app),
            "leaf": leaves[0][1],
        }
    return state


def _versions():
    try:
        cbnet_version = metadata.version("cbnet")
    except metadata.PackageNotFoundError:
        cbnet_version = None
    return django.get_version(), cbnet_version


# --- export ----------------------------------------------------------------------------------


@contextmanager
def _snapshot(connection):
    """Read every table from one consistent state of the database."""
    if connection.in_atomic_block:  # a caller's transaction (e.g. a test): read within it
        yield
        return
    with connection.cursor() as cursor:  # connect and run the health check before BEGIN
        cursor.execute("SELECT 1")
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _media_files(media_root):
    """(relative POSIX path, absolute path) of every regular file under MEDIA_ROOT."""
    root = Path(media_root)
    if not root.is_dir():
        return []
    files = []
    for directory, dirnames, filenames in os.walk(root):  # does not follow symlinks
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                continue
            files.append((path.relative_to(root).as_posix(), path))
    return files


def _file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _add_file(tar, name, path, size=None):
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    if size is not None and info.size != size:  # changed since it was hashed
        raise BackupError(_("%(path)s changed during the export; run it again.") % {"path": path})
    with open(path, "rb") as handle:
        tar.addfile(info, handle)


def export_all(output, *, using=DEFAULT_DB_ALIAS, log=None):
    """Write the database and MEDIA_ROOT to the archive ``output``; return the manifest.

    The archive appears only when complete (written beside it, then renamed).
    """
    log = log or (lambda message: None)
    connection = connections[using]
    output = Path(output)
    migrations = migration_state(connection)
    django_version, cbnet_version = _versions()
    with tempfile.TemporaryDirectory(prefix="cbnet-export-") as tmp:
        models = {}
        with _snapshot(connection):
            natural = natural_key_maps(global_apps, using)
            for model in data_models():
                label = model._meta.label_lower
                digest = Digest()
                with open(Path(tmp, f"{label}.jsonl"), "wb") as handle:
                    for line in iter_rows(model, using, natural):
                        handle.write(line + b"\n")
                        digest.add(line)
                models[label] = {
                    "member": f"data/{label}.jsonl",
                    "count": digest.count,
                    "hash": digest.hexdigest,
                }
                log(f"{label}: {digest.count} rows")
            permission_names = dict(
                global_apps.get_model("auth", "Permission")
                ._base_manager.using(using)
                .values_list("pk", "name")
            )
        media_files = _media_files(settings.MEDIA_ROOT)
        media = [
            {"path": name, "size": path.stat().st_size, "sha256": _file_sha256(path)}
            for name, path in media_files
        ]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": timezone.now().astimezone(datetime.UTC).isoformat(),
            "django_version": django_version,
            "cbnet_version": cbnet_version,
            "database_vendor": connection.vendor,
            "migrations": migrations,
            "models": models,
            "references": {
                "contenttypes": sorted(natural[CONTENT_TYPE].values()),
                "permissions": sorted(
                    [codename, permission_names[pk], app_label, model_name]
                    for pk, (codename, app_label, model_name) in natural[PERMISSION].items()
                ),
            },
            "media": media,
        }
        partial = output.with_name(output.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT) as tar:
                data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o644, int(timezone.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
                for label, entry in models.items():
                    _add_file(tar, entry["member"], Path(tmp, f"{label}.jsonl"))
                for item, (name, path) in zip(media, media_files, strict=True):
                    _add_file(tar, f"media/{name}", path, item["size"])
            os.replace(partial, output)
        finally:
            partial.unlink(missing_ok=True)
    log(f"Wrote {output}: {len(models)} models, {len(media)} media files.")
    return manifest


# --- reading an archive safely -------------------------------------------------------------


def _refuse(message, **params):
    raise BackupError(message % params if params else message)


def _check_member_name(name):
    path = PurePosixPath(name)
    if (
        not name
        or not path.parts
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or ".." in path.parts
        or (path.parts and ":" in path.parts[0])
    ):
        _refuse(_("Refused: the archive has an unsafe member name %(name)r."), name=name)
    if path.parts[0] not in ("data", "media") and name != MANIFEST:
        _refuse(_("Refused: unexpected member %(name)r in the archive."), name=name)
    return path


def _check_manifest(manifest):
    """Raise BackupError unless ``manifest`` has the shape export_all writes."""
    not_ours = _("Refused: this is not a CBNet backup archive (%(reason)s).")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        _refuse(not_ours, reason=_("unknown format"))
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        _refuse(
            _("Refused: backup format version %(version)r; this code reads version %(ours)s."),
            version=version,
            ours=FORMAT_VERSION,
        )
    migrations = manifest.get("migrations")
    models = manifest.get("models")
    media = manifest.get("media")
    references = manifest.get("references")
    if (
        not isinstance(migrations, dict)
        or not all(
            isinstance(app, str) and isinstance(entry, dict) and isinstance(entry.get("leaf"), str)
            for app, entry in migrations.items()
        )
        or not {"contenttypes", "auth"} <= set(migrations)
    ):
        _refuse(not_ours, reason=_("bad migration state"))
    if not isinstance(models, dict) or not all(
        isinstance(label, str)
        and label.count(".") == 1
        and isinstance(entry, dict)
        and entry.get("member") == f"data/{label}.jsonl"
        and isinstance(entry.get("count"), int)
        and entry["count"] >= 0
        and isinstance(entry.get("hash"), str)
        and len(entry["hash"]) == 64
        for label, entry in models.items()
    ):
        _refuse(not_ours, reason=_("bad model list"))
    if not isinstance(media, list) or not all(
        isinstance(item, dict)
        and isinstance(item.get("path"), str)
        and isinstance(item.get("size"), int)
        and isinstance(item.get("sha256"), str)
        for item in media
    ):
        _refuse(not_ours, reason=_("bad media list"))
    if (
        not isinstance(references, dict)
        or not isinstance(references.get("contenttypes"), list)
        or not isinstance(references.get("permissions"), list)
        or not all(
            isinstance(item, list) and len(item) == 2 and all(isinstance(v, str) for v in item)
            for item in references["contenttypes"]
        )
        or not all(
            isinstance(item, list) and len(item) == 4 and all(isinstance(v, str) for v in item)
            for item in references["permissions"]
        )
    ):
        _refuse(not_ours, reason=_("bad references"))


class Archive:
    """An opened, checked archive: every member name, type and size and the manifest are
    checked before anything is written anywhere."""

    def __init__(self, path, limit=None):
        self.path = Path(path)
        limit = max_member_bytes() if limit is None else limit
        try:
            self.tar = tarfile.open(self.path, "r:gz")
            members = self.tar.getmembers()
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            _refuse(
                _("Refused: %(path)s is not a CBNet backup archive (%(error)s)."),
                path=str(self.path),
                error=error,
            )
        try:
            self.members = self._check_members(members, limit)
            self.manifest = self._read_manifest()
            self._check_contents()
        except BaseException:
            self.tar.close()
            raise

    def _check_members(self, members, limit):
        found = {}
        for member in members:
            _check_member_name(member.name)
            name = member.name.rstrip("/")
            if member.isdir():
                continue
            if member.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
                _refuse(_("Refused: archive member %(name)r is a link or special file."), name=name)
            if name in found:
                _refuse(_("Refused: archive member %(name)r appears twice."), name=name)
            ceiling = MANIFEST_MAX_BYTES if name == MANIFEST else limit
            if member.size > ceiling:
                _refuse(
                    _(
                        "Refused: archive member %(name)r is %(size)s bytes, over the limit of "
                        "%(limit)s."
                    ),
                    name=name,
                    size=member.size,
                    limit=ceiling,
                )
            found[name] = member
        return found

    def _read_manifest(self):
        member = self.members.get(MANIFEST)
        if member is None:
            _refuse(_("Refused: this is not a CBNet backup archive (no %(name)s)."), name=MANIFEST)
        try:
            manifest = json.loads(self.tar.extractfile(member).read().decode())
        except (ValueError, UnicodeDecodeError, tarfile.TarError, OSError, EOFError) as error:
            _refuse(_("Refused: the archive's manifest is unreadable (%(error)s)."), error=error)
        _check_manifest(manifest)
        return manifest

    def _check_contents(self):
        listed = {entry["member"] for entry in self.manifest["models"].values()}
        for item in self.manifest["media"]:
            name = f"media/{item['path']}"
            _check_member_name(name)
            member = self.members.get(name)
            if member is None or member.size != item["size"]:
                _refuse(_("Refused: media file %(name)r is missing or damaged."), name=name)
            listed.add(name)
        missing = sorted(name for name in listed if name not in self.members)
        extra = sorted(set(self.members) - listed - {MANIFEST})
        if missing or extra:
            _refuse(
                _(
                    "Refused: the archive does not match its manifest (missing: %(missing)s; "
                    "not listed: %(extra)s)."
                ),
                missing=", ".join(missing) or "-",
                extra=", ".join(extra) or "-",
            )

    def open_member(self, name):
        return self.tar.extractfile(self.members[name])

    def close(self):
        self.tar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- restore -------------------------------------------------------------------------------


class _StateDeserializer(python_serializer.Deserializer):
    """Django's python deserializer over the models of a migration state (not the code's)."""

    def __init__(self, rows, *, registry, **options):
        super().__init__(rows, **options)
        self.registry = registry

    def _get_model_from_node(self, model_identifier):
        return self.registry.get_model(model_identifier)


def _quote(connection, table):
    return connection.ops.quote_name(table)


def tables_with_rows(connection, models):
    """The tables of ``models`` (and their many-to-many tables) that exist and hold a row."""
    existing = set(connection.introspection.table_names())
    tables = set()
    for model in models:
        tables.add(model._meta.db_table)
        for field in _m2m_fields(model):
            tables.add(field.remote_field.through._meta.db_table)
    full = []
    with connection.cursor() as cursor:
        for table in sorted(tables & existing):
            cursor.execute(f"SELECT 1 FROM {_quote(connection, table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                full.append(table)
    return full


def _migration_targets(connection, manifest):
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    targets = []
    for app, entry in sorted(manifest["migrations"].items()):
        key = (app, entry["leaf"])
        if key not in loader.graph.nodes:
            _refuse(
                _(
                    "Refused: the archive needs migration %(app)s.%(name)s, which this code does "
                    "not have; restore with the CBNet version that made it (%(version)s)."
                ),
                app=app,
                name=entry["leaf"],
                version=manifest.get("cbnet_version") or "?",
            )
        targets.append(key)
    return loader, targets


def _state_model(registry, label):
    try:
        return registry.get_model(label)
    except (LookupError, ValueError):
        _refuse(
            _(
                "Refused: the archive holds rows of %(model)s, a model unknown at its migration "
                "state."
            ),
            model=label,
        )


def _ensure_references(registry, using, references):
    """Create the content types and permissions the archive's rows refer to, if missing."""
    content_type = registry.get_model("contenttypes", "ContentType")
    permission = registry.get_model("auth", "Permission")
    types = content_type._base_manager.using(using)
    for app_label, model in references["contenttypes"]:
        types.get_or_create(app_label=app_label, model=model)
    for codename, name, app_label, model in references["permissions"]:
        type_ = types.get_or_create(app_label=app_label, model=model)[0]
        permission._base_manager.using(using).get_or_create(
            codename=codename, content_type_id=type_.pk, defaults={"name": name[:255]}
        )


def _natural_fields(model):
    """(fk field names, m2m field names) of ``model`` that point at a natural-key model."""
    fks = [
        field.name
        for field in model._meta.local_fields
        if field.remote_field and field.related_model._meta.label_lower in NATURAL_KEY_MODELS
    ]
    m2ms = [
        field.name
        for field in _m2m_fields(model)
        if field.related_model._meta.label_lower in NATURAL_KEY_MODELS
    ]
    return fks, m2ms


def _load_member(archive, label, entry, model, using, to_pk):
    """Insert the rows of one data member; return the number of rows read."""
    connection = connections[using]
    fk_names, m2m_names = _natural_fields(model)
    fields = [field for field in model._meta.local_concrete_fields if not field.generated]
    m2m = {field.name: _m2m_columns(field) for field in _m2m_fields(model)}

    def target_pk(field_name, value, lineno):
        label_ = model._meta.get_field(field_name).related_model._meta.label_lower
        try:
            return to_pk[label_][tuple(value)]
        except (KeyError, TypeError):
            _refuse(
                _("%(member)s line %(line)s: unknown %(target)s %(value)r."),
                member=entry["member"],
                line=lineno,
                target=label_,
                value=value,
            )

    def insert(rows, first_line):
        try:
            objects = list(_StateDeserializer(rows, registry=archive_registry, using=using))
        except Exception as error:
            _refuse(
                _("%(member)s (rows from line %(line)s): %(error)s"),
                member=entry["member"],
                line=first_line,
                error=error,
            )
        instances = [item.object for item in objects]
        size = max(1, connection.ops.bulk_batch_size(fields, instances) or len(instances))
        for start in range(0, len(instances), size):
            # What Model.save_base(raw=True) does, one statement per batch: raw keeps the
            # stored values of auto_now fields.
            model._base_manager._insert(
                instances[start : start + size], fields=fields, using=using, raw=True
            )
        for name, (through, source, target) in m2m.items():
            links = [
                through(**{source: item.object.pk, target: value})
                for item in objects
                for value in item.m2m_data.get(name, [])
            ]
            through._base_manager.using(using).bulk_create(links)

    archive_registry = model._meta.apps
    count = 0
    batch, first = [], 1
    handle = archive.open_member(entry["member"])
    for lineno, raw in enumerate(handle, start=1):
        try:
            row = json.loads(raw)
        except ValueError as error:
            _refuse(
                _("%(member)s line %(line)s is not JSON (%(error)s)."),
                member=entry["member"],
                line=lineno,
                error=error,
            )
        if (
            not isinstance(row, dict)
            or row.get("model") != label
            or "pk" not in row
            or not isinstance(row.get("fields"), dict)
        ):
            _refuse(
                _("%(member)s line %(line)s is not a row of %(model)s."),
                member=entry["member"],
                line=lineno,
                model=label,
            )
        for name in fk_names:
            if row["fields"].get(name) is not None:
                row["fields"][name] = target_pk(name, row["fields"][name], lineno)
        for name in m2m_names:
            if name in row["fields"]:
                row["fields"][name] = [
                    target_pk(name, value, lineno) for value in row["fields"][name] or []
                ]
        batch.append(row)
        count += 1
        if len(batch) >= CHUNK:
            insert(batch, first)
            batch, first = [], lineno + 1
    if batch:
        insert(batch, first)
    return count


def _write_media(archive, media_root):
    """Write the archive's media files under ``media_root``; return the paths written.

    Files are created exclusively (never overwriting) and checked against their SHA-256;
    on any failure the files written so far are removed.
    """
    root = Path(media_root).resolve()
    written = []
    try:
        for item in archive.manifest["media"]:
            target = (root / item["path"]).resolve()
            if root not in target.parents:
                _refuse(_("Refused: media path %(path)r leaves MEDIA_ROOT."), path=item["path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            source = archive.open_member(f"media/{item['path']}")
            with open(target, "xb") as handle:
                written.append(target)
                for block in iter(partial(source.read, 1024 * 1024), b""):
                    digest.update(block)
                    handle.write(block)
            if digest.hexdigest() != item["sha256"]:
                _refuse(_("Media file %(path)r is damaged (checksum)."), path=item["path"])
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def verify(registry, using, manifest):
    """Compare counts and hashes of the loaded rows with the manifest; raise on a mismatch."""
    natural = natural_key_maps(registry, using)
    mismatches = []
    for label, entry in sorted(manifest["models"].items()):
        digest = model_digest(registry.get_model(label), using, natural)
        if digest.count != entry["count"] or digest.hexdigest != entry["hash"]:
            mismatches.append(
                f"{label} ({digest.count} rows, expected {entry['count']}"
                f"{'' if digest.hexdigest == entry['hash'] else '; content differs'})"
            )
    if mismatches:
        _refuse(
            _("Restore rolled back: the loaded data differs from the archive: %(models)s."),
            models="; ".join(mismatches),
        )


def restore_all(path, *, using=DEFAULT_DB_ALIAS, limit=None, log=None):
    """Rebuild an empty instance from the archive at ``path``; return its manifest.

    Order: check the archive and that the database and MEDIA_ROOT are empty (nothing is
    written before); migrate each app to the archive's state; in one transaction create
    missing content types and permissions, load the rows (constraints checked at the end),
    reset PostgreSQL sequences, verify counts and hashes, write the media files; commit;
    migrate forward to the code's state. A failure after the first migration leaves the
    database migrated but empty, so the restore can simply be run again.
    """
    log = log or (lambda message: None)
    connection = connections[using]
    with Archive(path, limit) as archive:
        manifest = archive.manifest
        loader, targets = _migration_targets(connection, manifest)
        archive_registry = loader.project_state(targets).apps
        models = {
            label: _state_model(archive_registry, label) for label in sorted(manifest["models"])
        }
        full = tables_with_rows(connection, [*data_models(), *models.values()])
        if full:
            _refuse(
                _(
                    "Refused: the database already holds data (tables %(tables)s). restore_all "
                    "only fills an empty instance: point DATABASE_URL at a new, empty database."
                ),
                tables=", ".join(full[:5]) + (f" … (+{len(full) - 5})" if len(full) > 5 else ""),
            )
        media_root = Path(settings.MEDIA_ROOT)
        taken = [item["path"] for item in manifest["media"] if (media_root / item["path"]).exists()]
        if taken:
            _refuse(
                _("Refused: MEDIA_ROOT (%(root)s) already has files the archive holds: %(paths)s."),
                root=str(media_root),
                paths=", ".join(taken[:5]),
            )

        log(f"Migrating to the archive's state ({len(targets)} apps).")
        for app, name in targets:
            call_command("migrate", app, name, interactive=False, verbosity=0, database=using)
        loader = MigrationLoader(connection)
        archive_registry = loader.project_state(targets).apps
        models = {label: archive_registry.get_model(label) for label in models}

        written = []
        try:
            with transaction.atomic(using=using):
                _ensure_references(archive_registry, using, manifest["references"])
                to_pk = {
                    label: {tuple(key): pk for pk, key in mapping.items()}
                    for label, mapping in natural_key_maps(archive_registry, using).items()
                }
                with connection.constraint_checks_disabled():
                    for label, model in models.items():
                        count = _load_member(
                            archive, label, manifest["models"][label], model, using, to_pk
                        )
                        log(f"{label}: {count} rows")
                tables = [model._meta.db_table for model in models.values()]
                connection.check_constraints(table_names=tables)
                sequenced = [*models.values()]
                sequenced += [
                    f.remote_field.through for m in models.values() for f in _m2m_fields(m)
                ]
                statements = connection.ops.sequence_reset_sql(no_style(), sequenced)
                if statements:
                    with connection.cursor() as cursor:
                        for statement in statements:
                            cursor.execute(statement)
                verify(archive_registry, using, manifest)
                log("Counts and content hashes match the manifest.")
                written = _write_media(archive, media_root)
                log(f"{len(written)} media files restored.")
        except BaseException as error:
            for file_path in written:
                file_path.unlink(missing_ok=True)
            if isinstance(error, DatabaseError):
                _refuse(
                    _("Restore rolled back: the database refused the archive's rows (%(error)s)."),
                    error=error,
                )
            if isinstance(error, tarfile.TarError | EOFError | zlib.error):
                _refuse(_("Restore rolled back: the archive is damaged (%(error)s)."), error=error)
            raise

    log("Migrating forward to the code's state.")
    call_command("migrate", interactive=False, verbosity=0, database=using)
    return manifest
