"""Decide how a feed's bytes are encoded: BOM, then the bytes themselves, then declarations, then detection.

Pure functions, no I/O. Why not leave it all to feedparser: without chardet installed it falls back to
windows-1252 for undeclared single-byte text, which turns windows-1256 / ISO-8859-6 / cp720 Arabic into
Latin mojibake; and it trusts a prolog that claims windows-1252 over bytes that are plainly UTF-8.

Order of evidence (strongest first):
1. a byte-order mark;
2. bytes that are valid UTF-8 and not plain ASCII are UTF-8, whatever is declared (the chance that real
   single-byte text happens to be valid multi-byte UTF-8 is negligible; mis-declared UTF-8 is common);
3. a declared charset (HTTP header first, then the XML prolog) that decodes the bytes cleanly, unless
   it is a Western single-byte one, which decodes *any* bytes and so proves nothing;
4. UTF-8 with a few bad bytes among many good multi-byte sequences stays UTF-8;
5. charset-normalizer's detection; 6. the declaration, leniently; 7. UTF-8 with replacement characters.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

import charset_normalizer

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Codecs that map every byte to some character: a clean decode says nothing about correctness.
_PERMISSIVE = frozenset({"latin_1", "iso8859_1", "cp1252", "ascii", "iso8859_15", "cp437", "mac_roman"})
_PROLOG = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# charset-normalizer reads a sample anyway; capping the input keeps detection fast on big feeds
_DETECT_BYTES = 256 * 1024


@dataclass(frozen=True)
class EncodingChoice:
    encoding: str  # a Python codec name
    bom_length: int  # bytes to skip before decoding
    source: str  # "bom", "utf-8", "declared", "detected", "fallback"
    note: str | None = None  # set when a declaration was overridden or the bytes needed replacing


def canonical(name: str | None) -> str | None:
    """Python's codec name for a label, or None when the label is unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name.replace("-", "_")
    except LookupError:
        return None


def http_charset(headers: Mapping[str, str]) -> str | None:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    match = _CHARSET.search(content_type)
    return match.group(1) if match else None


def prolog_encoding(body: bytes) -> str | None:
    match = _PROLOG.match(body[:512])
    return match.group(1).decode("ascii") if match else None


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _mostly_utf8(body: bytes) -> bool:
    text = body.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return good >= 10 * max(bad, 1)


def choose_encoding(body: bytes, headers: Mapping[str, str]) -> EncodingChoice:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return EncodingChoice(name, len(bom), "bom")

    declared_label = http_charset(headers) or prolog_encoding(body)
    declared = canonical(declared_label)
    unknown_label = declared_label is not None and declared is None
    if _decodes(body, "utf-8"):
        note = None
        if declared not in (None, "utf_8", "ascii") and not body.isascii():
            note = f"declared {declared_label} but the bytes are UTF-8; read as UTF-8"
        elif unknown_label:
            note = f"unknown encoding {declared_label!r}; read as UTF-8"
        return EncodingChoice("utf-8", 0, "utf-8", note)

    if declared and declared not in _PERMISSIVE and declared != "utf_8" and _decodes(body, declared):
        return EncodingChoice(declared, 0, "declared")

    if declared in (None, "utf_8") and _mostly_utf8(body):
        # a UTF-8 feed with a stray bad byte (a cut multi-byte character) is still UTF-8: detection
        # would turn all its Arabic into mojibake to explain one byte
        return EncodingChoice("utf-8", 0, "utf-8", "invalid UTF-8 bytes replaced")

    detected = detect(body[:_DETECT_BYTES])
    if detected is not None:
        if declared in _PERMISSIVE and detected in _PERMISSIVE:
            return EncodingChoice(declared, 0, "declared")  # detection agrees it is Western text
        note = None
        if declared_label and detected != declared:
            note = f"declared {declared_label} does not fit the bytes; detected {detected}"
        elif not declared_label:
            note = f"no encoding declared; detected {detected}"
        return EncodingChoice(detected, 0, "detected", note)

    if declared:
        return EncodingChoice(declared, 0, "declared", f"bytes do not fit {declared_label}; some replaced")
    return EncodingChoice("utf-8", 0, "fallback", "encoding unknown; undecodable bytes replaced")


# Tie-break among equally plausible detections: Arabic code pages first (this is an Arabic monitor), then
# windows-1252, the web's de-facto default for undeclared single-byte text. Without it a French feed
# comes out as cp1250, which charset-normalizer scores exactly as high.
_PREFERRED = ("cp1256", "iso8859_6", "cp720", "cp864", "cp1252", "iso8859_1")
_TIE = 0.01


def detect(sample: bytes) -> str | None:
    """charset-normalizer's guess, with ties broken by _PREFERRED."""
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        return None
    best = matches[0]
    tied: set[str] = set()
    for match in matches:
        if match.chaos <= best.chaos + _TIE and match.coherence >= best.coherence - _TIE:
            tied.update(canonical(name) or name for name in match.could_be_from_charset)
    for name in _PREFERRED:
        if name in tied:
            return name
    return canonical(best.encoding)


def to_utf8(body: bytes, choice: EncodingChoice) -> tuple[bytes, bool]:
    """The body re-encoded as UTF-8 with its XML prolog saying so; True when bytes had to be replaced."""
    text = body[choice.bom_length :].decode(choice.encoding, errors="replace")
    replaced = "\ufffd" in text and "\ufffd".encode(choice.encoding, errors="ignore") not in body
    text = re.sub(r"""^(\s*<\?xml[^>]*?\bencoding\s*=\s*)["'][^"']*["']""", r'\1"utf-8"', text, count=1)
    return text.encode("utf-8"), replaced
