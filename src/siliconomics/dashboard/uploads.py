"""Uploaded scenario and chip-design YAML: size-limited, ``yaml.safe_load`` only, parsed by
the same loaders as the CLI; nothing is executed and nothing is written outside a temporary
folder that is removed once the file is parsed.

Dash delivers an upload as a data URL (``data:<mime>;base64,<payload>``). The payload is
decoded, checked (size, UTF-8, then :mod:`siliconomics.inputs`: safe YAML, a mapping at the top),
written as ``upload.yaml`` (never the user's file name) into a fresh temporary folder and
handed to the library's loader, whose errors name the field.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from siliconomics.errors import SiliconomicsError
from siliconomics.inputs import parse_yaml_text

#: Largest accepted upload [bytes] (a scenario or design file is a few kB).
MAX_UPLOAD_BYTES = 1_000_000

T = TypeVar("T")


class UploadError(SiliconomicsError):
    """An upload was refused (too large, not UTF-8, not safe YAML, invalid for its type)."""


def decode(contents: str, filename: str) -> str:
    """The uploaded file's text from a Dash data URL, refused if too large or not UTF-8."""
    _, sep, payload = contents.partition(",")
    if not sep:
        raise UploadError(f"{filename}: not a file upload")
    if len(payload) > (MAX_UPLOAD_BYTES * 4) // 3 + 8:  # refuse before decoding a huge payload
        raise UploadError(f"{filename}: larger than the {MAX_UPLOAD_BYTES // 1_000_000} MB limit")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError(f"{filename}: the upload is not valid base64") from None
    if len(raw) > MAX_UPLOAD_BYTES:
        raise UploadError(f"{filename}: {len(raw):,} bytes is larger than the "
                          f"{MAX_UPLOAD_BYTES:,}-byte limit")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadError(f"{filename}: not UTF-8 text") from None


def check_safe_yaml(text: str, filename: str) -> None:
    """Refuse text that is not plain YAML with a mapping at the top, through the project's
    input boundary (:func:`siliconomics.inputs.parse_yaml_text`: ``yaml.safe_load``, so a tag
    such as ``!!python/object`` is refused and nothing is constructed or run; nesting and
    alias bombs refused)."""
    try:
        parse_yaml_text(text, where=filename)
    except SiliconomicsError as exc:
        raise UploadError(str(exc)) from None


def parse_upload(contents: str, filename: str, loader: Callable[[Path], T]) -> T:
    """Decode and check an upload, then parse it with ``loader`` (e.g. ``load_scenario_file``)
    from a temporary copy that is deleted before this returns."""
    text = decode(contents, filename)
    check_safe_yaml(text, filename)
    with tempfile.TemporaryDirectory(prefix="siliconomics-upload-") as folder:
        path = Path(folder) / "upload.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return loader(path)
        except SiliconomicsError as exc:
            message = str(exc).replace(str(path), filename)
            raise UploadError(message) from None
