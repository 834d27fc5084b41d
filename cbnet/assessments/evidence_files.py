"""Evidence files: what is accepted, checked by name and by content.

An evidence file is a PDF, an image or an office document (``TYPES``), at most
``CBNET_MAX_UPLOAD_BYTES``. The extension must be one of these and the first bytes must
agree with it (a renamed executable is refused); the name is reduced to a safe base name.
Files are stored by ``workflow.add_evidence`` and served only as attachments.
"""

import os
import unicodedata
import zipfile
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

# Evidence files: by extension, and the first bytes must agree with it.
PDF, IMAGE, OLE, OOXML, ODF = "pdf", "image", "ole", "ooxml", "odf"
TYPES = {
    ".pdf": PDF,
    ".png": IMAGE,
    ".jpg": IMAGE,
    ".jpeg": IMAGE,
    ".gif": IMAGE,
    ".webp": IMAGE,
    ".doc": OLE,
    ".xls": OLE,
    ".ppt": OLE,
    ".docx": OOXML,
    ".xlsx": OOXML,
    ".pptx": OOXML,
    ".odt": ODF,
    ".ods": ODF,
    ".odp": ODF,
}
NAME_MAX = 120


def safe_name(name):
    """A file name without directories, control characters or odd punctuation."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".")
    stem, ext = os.path.splitext(name)
    try:
        stem = get_valid_filename(stem) if stem else ""
    except Exception:  # SuspiciousFileOperation for names like ".."
        stem = ""
    stem = stem[: NAME_MAX - len(ext)] or "evidence"
    return stem + ext.lower()


def sniff(head, data_file):
    """The kind of content the first bytes show, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if (
        head.startswith(b"\x89PNG\r\n\x1a\n")
        or head.startswith(b"\xff\xd8\xff")
        or head[:6] in (b"GIF87a", b"GIF89a")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    ):
        return IMAGE
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(data_file) as archive:
                names = set(archive.namelist())
                if "[Content_Types].xml" in names:
                    return OOXML
                if "mimetype" in names and archive.read("mimetype").startswith(
                    b"application/vnd.oasis.opendocument"
                ):
                    return ODF
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            return None
    return None


def check(upload):
    """(safe name, bytes) of an acceptable evidence file, else ValidationError."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    limit = settings.CBNET_MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)}}
        )
    name = safe_name(getattr(upload, "name", ""))
    expected = TYPES.get(os.path.splitext(name)[1])
    if expected is None:
        raise ValidationError(
            {
                "file": _("Evidence files are PDF, images or office documents (%(types)s).")
                % {"types": ", ".join(sorted(TYPES))}
            }
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(size)s MB.") % {"size": limit // (1024 * 1024)}}
        )
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    if sniff(data[:16], BytesIO(data)) != expected:
        raise ValidationError(
            {"file": _("The file's content does not match its name (%(name)s).") % {"name": name}}
        )
    return name, data
