"""Feed bytes + headers -> entries (RSS 0.9x/1.0/2.0, Atom via feedparser; JSON Feed 1.0/1.1).

    parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed
        raises monitor.errors.FeedError(reason) for an empty body, HTML instead of a feed, XML entity
        declarations or external references (entity-expansion bombs / XXE; refused by the XML parser
        itself, defusedxml), or XML so broken that no entry could be recovered.
    entry_fingerprint(entry) -> str      same story under a new GUID -> same fingerprint (link + title,
                                         or title + summary for an entry without a link)

feedparser always gets bytes (io.BytesIO) and the response headers, never a decoded str; when our
encoding decision (parse/encoding.py) differs from what the bytes claim, the bytes are re-encoded to
UTF-8 and the headers and prolog say so, so feedparser reads exactly what we decided.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import defusedxml.expatreader
import feedparser
import feedparser.api
from defusedxml import DefusedXmlException
from feedparser.sanitizer import replace_doctype

from monitor.errors import FeedError
from monitor.models import Entry, ParsedFeed
from monitor.parse.encoding import EncodingChoice, choose_encoding, to_utf8

# feedparser reads XML with the first SAX driver on this list that loads. defusedxml's expat reader refuses
# entity declarations and external references (DTD, entities) inside the parser itself, so no entity is
# ever expanded or fetched, however the declaration is hidden. Naming the module imported above makes a
# missing defusedxml an import error here rather than a silent fall-back to the stock driver.
feedparser.api.PREFERRED_XML_PARSERS = [defusedxml.expatreader.__name__]
_XML_RISK = "the document declares XML entities or refers to an external DTD or entity (entity-expansion / XXE risk)"
_HTML_START = re.compile(r"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html[\s>])", re.I | re.S)
_NON_FEED_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_BLOCK_TAGS = frozenset(
    {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th"}
    | {"blockquote", "pre", "section", "article", "figure", "figcaption"}
)
_SPACE = re.compile(r"\s+")


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedFeed:
    lower = {k.lower(): v for k, v in headers.items()}
    content_type = lower.get("content-type", "").split(";", 1)[0].strip().lower()
    if not body.strip():
        raise FeedError("empty body")
    if content_type.startswith(_NON_FEED_TYPES):
        raise FeedError(f"not a feed: Content-Type {content_type}")
    if _looks_like_json(body, content_type):
        return _parse_json_feed(body, url)

    choice = choose_encoding(body, lower)
    utf8, replaced = to_utf8(body, choice)
    # When the XML parser gives up, feedparser reads the document with its own lenient parser, which
    # expands the simple entities its DOCTYPE rewrite kept: a feed that has any is refused up front.
    if replace_doctype(utf8)[2]:
        raise FeedError(f"refused: {_XML_RISK}")
    if _HTML_START.match(utf8[:4096].decode("utf-8", "replace")):
        raise FeedError(f"HTML page instead of a feed (Content-Type {content_type or 'missing'})")

    try:
        parsed = feedparser.parse(io.BytesIO(utf8), response_headers=_headers_for_feedparser(lower, url))
    except DefusedXmlException as exc:
        raise FeedError(f"refused: {_XML_RISK}: {exc!r}") from None
    entries_raw: list[Any] = list(parsed.get("entries", []))
    version = parsed.get("version") or ""
    bozo = _bozo_reason(parsed)
    if not entries_raw:
        if content_type == "text/html" and not version:
            raise FeedError("HTML page instead of a feed")
        if bozo:  # broken and nothing recovered; an intact feed with no items is fine
            raise FeedError(f"broken feed, no entry recoverable: {bozo}")
        if not version:
            raise FeedError("XML, but not RSS, Atom or RDF")

    entries = tuple(_entry(raw, url, url) for raw in entries_raw)
    warning = "; ".join(w for w in (_encoding_warning(choice, replaced), bozo) if w) or None
    return ParsedFeed(
        title=_plain(parsed.get("feed", {}).get("title", "")),
        entries=entries,
        ttl_minutes=_ttl(parsed.get("feed", {}).get("ttl")),
        warning=warning,
    )


def entry_fingerprint(entry: Entry) -> str:
    """Identity of the story regardless of GUID: link + title, normalised; title + summary without a link.

    Some feeds mint a fresh GUID for the same item on every fetch; by GUID every poll is "all new".
    """
    title = _SPACE.sub(" ", entry.title).strip().lower()
    if not entry.link:
        summary = _SPACE.sub(" ", entry.summary).strip().lower()
        return hashlib.sha1(f"\n{title}\n{summary}".encode()).hexdigest()
    link = entry.link.split("#", 1)[0].rstrip("/").lower()
    return hashlib.sha1(f"{link}\n{title}".encode()).hexdigest()


# --- feedparser glue -----------------------------------------------------------------------------


def _headers_for_feedparser(headers: Mapping[str, str], url: str) -> dict[str, str]:
    out = dict(headers)
    mime = headers.get("content-type", "").split(";", 1)[0].strip() or "application/xml"
    if mime == "text/html":  # served with the wrong type; feedparser judges XML by content anyway
        mime = "application/xml"
    # we re-encoded to UTF-8, so say so: an HTTP charset outranks the prolog in feedparser's rules
    out["content-type"] = f"{mime}; charset=utf-8"
    out["content-location"] = urljoin(url, headers.get("content-location", url))
    out.pop("content-encoding", None)  # the body is already decompressed
    return out


def _bozo_reason(parsed: Any) -> str | None:
    if not parsed.get("bozo"):
        return None
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc is not None else "ill-formed feed"


def _encoding_warning(choice: EncodingChoice, replaced: bool) -> str | None:
    parts = [choice.note] if choice.note else []
    if replaced:
        parts.append(f"undecodable bytes replaced while reading as {choice.encoding}")
    return "; ".join(parts) or None


def _entry(raw: Any, base: str, feed_url: str) -> Entry:
    link = raw.get("link") or ""
    link = urljoin(base, link.strip()) if link else ""
    title = _plain(raw.get("title", ""))
    summary_html = raw.get("summary") or ""
    if not summary_html and raw.get("content"):
        summary_html = raw["content"][0].get("value", "")
    summary = _plain(summary_html)
    guid = (raw.get("id") or "").strip() or link or _hash_guid(title, summary)
    published = None
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        stamp = raw.get(key)
        if stamp:
            published = _utc(stamp)
            break
    return Entry(feed_url=feed_url, guid=guid, link=link, title=title, summary=summary, published=published)


def _utc(stamp: time.struct_time) -> datetime | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(stamp), UTC)  # feedparser's tuples are UTC
    except (OverflowError, ValueError, OSError):
        return None


def _ttl(value: Any) -> int | None:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes if minutes > 0 else None


def _hash_guid(title: str, summary: str) -> str:
    return "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()


# --- HTML -> plain text --------------------------------------------------------------------------


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _plain(html: str) -> str:
    """HTML fragment -> one line of plain text (tags dropped, entities decoded, whitespace collapsed)."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        return _SPACE.sub(" ", html).strip()
    stripper = _TextOnly()
    stripper.feed(html)
    stripper.close()
    return _SPACE.sub(" ", "".join(stripper.parts)).strip()


# --- JSON Feed -----------------------------------------------------------------------------------


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type:
        return True
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head == b"{" and b"jsonfeed.org/version/" in body[:4096]


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise FeedError(f"invalid JSON feed: {exc}") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/1"
    ):
        raise FeedError("JSON, but not a JSON Feed (no jsonfeed.org version)")
    items = doc.get("items")
    if not isinstance(items, list):
        raise FeedError("JSON Feed without an items list")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or item.get("external_url") or "")
        link = urljoin(url, link) if link else ""
        title = _plain(str(item.get("title") or ""))
        text = item.get("summary") or item.get("content_text") or item.get("content_html") or ""
        summary = _plain(str(text))
        guid = str(item.get("id") or "").strip() or link or _hash_guid(title, summary)
        published = _iso_date(item.get("date_published") or item.get("date_modified"))
        entries.append(
            Entry(feed_url=url, guid=guid, link=link, title=title, summary=summary, published=published)
        )
    return ParsedFeed(title=_plain(str(doc.get("title") or "")), entries=tuple(entries))


def _iso_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # JSON Feed dates are RFC 3339; a bare one is taken as UTC
    return moment.astimezone(UTC)
