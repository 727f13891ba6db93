"""OPML 1.0/2.0 subscription lists: read the feed outlines, write our feeds. Pure bytes in, bytes out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

import defusedxml.ElementTree
from defusedxml import DefusedXmlException

from monitor.errors import FeedError


class OpmlError(FeedError):
    """The file is not an OPML document we can read."""


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str


def parse_opml(data: bytes) -> list[OpmlFeed]:
    """Every outline with an xmlUrl, at any depth (folders are flattened), in document order."""
    try:
        # entities and external references are refused by the parser itself (entity bombs, XXE)
        root = defusedxml.ElementTree.fromstring(data)
    except DefusedXmlException as exc:
        raise OpmlError(f"refused: the OPML file declares XML entities or external references: {exc!r}") from None
    except ET.ParseError as exc:
        raise OpmlError(f"not well-formed XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"not an OPML document (root element <{root.tag}>)")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for outline in root.iter("outline"):
        attrs = {k.lower(): v for k, v in outline.attrib.items()}
        url = (attrs.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        title = (attrs.get("title") or attrs.get("text") or "").strip()
        feeds.append(OpmlFeed(url=url, title=title))
    return feeds


def render_opml(feeds: Iterable[OpmlFeed], *, title: str, now: datetime) -> bytes:
    """An OPML 2.0 document listing `feeds` as type="rss" outlines."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        ET.SubElement(body, "outline", type="rss", text=feed.title, title=feed.title, xmlUrl=feed.url)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
