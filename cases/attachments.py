"""What a case attachment may be: checked before anything is stored; and how one is
served, the same way by the portal, the API and the admin."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Protocol, cast

import puremagic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat

from supportdesk.errors import InvalidInput, TooLarge
from supportdesk.uploads import files_limit_text

if TYPE_CHECKING:
    from cases.models import Attachment


class UploadLike(Protocol):
    name: str
    size: int

    def read(self, size: int = -1) -> bytes: ...

    def seek(self, offset: int) -> int: ...


def as_uploads(files: Iterable[UploadedFile]) -> list[UploadLike]:
    """Django's uploads as the services take them: the multipart parser always gives
    them a name and a size (the stubs allow None for files made without)."""
    return cast(list[UploadLike], list(files))


MAX_FILENAME_LENGTH = 120


def clean_filename(name: str) -> str:
    """The bare file name, without any path a browser or mail client sent along, without
    control characters, and short enough to store (the extension is kept)."""
    printable = "".join(ch for ch in name if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    bare = PurePath(printable.replace("\\", "/")).name.strip().strip(".") or "attachment"
    if len(bare) > MAX_FILENAME_LENGTH:
        path = PurePath(bare)
        suffix = path.suffix[:20]
        bare = path.stem[: MAX_FILENAME_LENGTH - len(suffix)] + suffix
    return bare


# What the first bytes of a file of each binary extension must be, as the extensions
# puremagic names for them (Office files are zip archives; QuickTime and MP4 share "ftyp").
_BINARY_SIGNATURES = {
    "png": {".png"},
    "jpg": {".jpg", ".jpeg", ".jfif", ".jpe"},
    "jpeg": {".jpg", ".jpeg", ".jfif", ".jpe"},
    "gif": {".gif"},
    "webp": {".webp"},
    "pdf": {".pdf"},
    "zip": {".zip", ".docx", ".xlsx", ".pptx", ".jar"},
    "gz": {".gz", ".tgz", ".gzip"},
    "mp4": {".mp4", ".m4v", ".mov", ".3gp"},
    "mov": {".mov", ".mp4", ".qt", ".3gp"},
    "webm": {".webm", ".mkv"},
    "docx": {".docx", ".zip"},
    "xlsx": {".xlsx", ".zip"},
}
# Extensions that must hold text: no NUL bytes and hardly any control characters.
_TEXT_EXTENSIONS = {"txt", "log", "csv", "json", "xml", "har", "eml"}
_SNIFF_BYTES = 8192


def _head(upload: UploadLike) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return head


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f\x1b")
    return controls <= len(head) // 100


def content_matches_extension(extension: str, head: bytes) -> bool:
    """Whether the file's first bytes are what its extension says: the type is sniffed
    from the content, so a program renamed to .png is refused."""
    if extension in _TEXT_EXTENSIONS:
        return _looks_like_text(head)
    expected = _BINARY_SIGNATURES.get(extension)
    if expected is None:
        # An extension an operator allowed that we hold no signature for: any content.
        return True
    try:
        found = {match.extension.lower() for match in puremagic.magic_string(head)}
    except puremagic.PureError:
        return False
    return bool(found & expected)


def validate_uploads(files: list[UploadLike]) -> None:
    """Refuse the whole set if it holds too many files or too many bytes, or if any file
    is empty, too large, of a type we don't take, or not what its name says (the content
    is sniffed). The same limits stop an upload at the door (`supportdesk.uploads`)."""
    rules = upload_rules()
    total = sum(upload.size for upload in files)
    if len(files) > rules.max_files or total > rules.max_request_bytes:
        message = (
            f"{len(files)} files of {filesizeformat(total)} are more than one message takes: "
            f"{rules.summary}."
        )
        raise TooLarge(message, field_errors={"attachments": [message]})
    allowed = set(rules.extensions)
    limit = rules.max_bytes
    errors = []
    for upload in files:
        filename = clean_filename(upload.name)
        extension = PurePath(filename).suffix.lower().lstrip(".")
        if extension not in allowed:
            errors.append(
                f"{filename}: files of type “.{extension or '?'}” are not accepted. "
                f"Allowed: {', '.join(sorted(allowed))}."
            )
        elif upload.size == 0:
            errors.append(f"{filename} is empty.")
        elif upload.size > limit:
            errors.append(
                f"{filename} is {filesizeformat(upload.size)}; "
                f"the limit is {filesizeformat(limit)} per file."
            )
        elif not content_matches_extension(extension, _head(upload)):
            errors.append(
                f"{filename}: the content is not a .{extension} file. "
                "Please attach the original file, with the extension of its type."
            )
    if errors:
        raise InvalidInput(" ".join(errors), field_errors={"attachments": errors})


def guess_content_type(filename: str, declared: str | None) -> str:
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or declared or "application/octet-stream"


@dataclass(frozen=True)
class UploadRules:
    """The rules `validate_uploads` applies, for forms to show (and pre-check) them."""

    max_bytes: int
    extensions: tuple[str, ...]
    max_files: int
    max_request_bytes: int

    @property
    def accept(self) -> str:
        """The value for an <input type=file accept=…> attribute."""
        return ",".join(f".{ext}" for ext in self.extensions)

    @property
    def max_size(self) -> str:
        return filesizeformat(self.max_bytes)

    @property
    def summary(self) -> str:
        """The limits in words, as every form and refusal says them."""
        return files_limit_text(
            max_files=self.max_files,
            max_bytes=self.max_bytes,
            max_request_bytes=self.max_request_bytes,
        )


def upload_rules() -> UploadRules:
    return UploadRules(
        max_bytes=settings.ATTACHMENT_MAX_BYTES,
        extensions=tuple(sorted({ext.lower() for ext in settings.ATTACHMENT_ALLOWED_EXTENSIONS})),
        max_files=settings.ATTACHMENT_MAX_FILES,
        max_request_bytes=settings.ATTACHMENT_MAX_REQUEST_BYTES,
    )


# Types a browser shows without running anything; everything else goes out as bytes.
_PASSIVE_PREFIXES = ("image/", "video/", "audio/")
_PASSIVE_TYPES = {
    "text/plain",
    "text/csv",
    "application/pdf",
    "application/json",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "message/rfc822",
}
_ACTIVE_TYPES = {"image/svg+xml"}


def download_type(content_type: str) -> str:
    """The type a file is served as: passive types as they are, anything a browser
    might run (HTML, SVG, scripts) as plain bytes."""
    base = content_type.split(";")[0].strip().lower()
    passive = base.startswith(_PASSIVE_PREFIXES) or base in _PASSIVE_TYPES
    if base.startswith("application/vnd.openxmlformats-officedocument."):
        passive = True
    return base if passive and base not in _ACTIVE_TYPES else "application/octet-stream"


def attachment_response(attachment: Attachment) -> FileResponse:
    """The file as a download, never rendered by the browser: `Content-Disposition:
    attachment`, a passive content type (`download_type`), `nosniff`, a sandbox with no
    sources should a browser render it anyway, and kept out of shared caches."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=download_type(attachment.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
