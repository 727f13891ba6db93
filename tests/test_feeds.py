"""parse_feed on real feeds: Arabic in legacy encodings, feedparser's ill-formed cases, JSON Feed, attacks.

The oracle for the encoding tests is always independent of the code under test: the UTF-8 original of
the same feed, or the legacy text decoded with the codec its file name states.
"""

from __future__ import annotations

import codecs
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import FeedError
from monitor.models import ParsedFeed
from monitor.parse.encoding import choose_encoding
from monitor.parse.feeds import entry_fingerprint, parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
ARABIC_UTF8 = (FIXTURES / "arabic_ant_sample.utf8.xml").read_text(encoding="utf-8")
URL = "http://news.example/ar/rss.xml"
ARABIC_LETTER = re.compile("[\u0621-\u064a]")
LEGACY_CODECS = ("windows-1256", "iso-8859-6", "cp720")


def reference() -> ParsedFeed:
    return parse_feed(ARABIC_UTF8.encode("utf-8"), {"Content-Type": "application/rss+xml"}, URL)


def same_text(a: ParsedFeed, b: ParsedFeed) -> None:
    assert [e.title for e in a.entries] == [e.title for e in b.entries]
    assert [e.summary for e in a.entries] == [e.summary for e in b.entries]
    assert [e.link for e in a.entries] == [e.link for e in b.entries]
    assert a.title == b.title


def with_prolog(encoding: str | None) -> str:
    replacement = f' encoding="{encoding}"' if encoding else ""
    return ARABIC_UTF8.replace(' encoding="utf-8"', replacement, 1)


# --- the Arabic sample: fields ----------------------------------------------------------------------


def test_utf8_arabic_feed_fields() -> None:
    feed = reference()
    assert feed.title == "أخبار الناتو والعراق"
    assert feed.ttl_minutes == 15 and feed.warning is None
    assert len(feed.entries) == 6
    first = feed.entries[0]
    assert ARABIC_LETTER.search(first.title) and ARABIC_LETTER.search(first.summary)
    assert first.guid == "ant2-AL-internationalNews-480-20180315"
    assert first.link.startswith("http://www.alarabiya.net/ar/")
    # "Thu, 15 Mar 2018 21:16:45 +0400" -> UTC
    assert first.published == datetime(2018, 3, 15, 17, 16, 45, tzinfo=UTC)
    assert all(e.published is not None and e.published.tzinfo is not None for e in feed.entries)
    assert all(e.feed_url == URL for e in feed.entries)


# --- the Arabic sample in legacy encodings ---------------------------------------------------------


@pytest.mark.parametrize("codec", LEGACY_CODECS)
def test_declared_legacy_encoding(codec: str) -> None:
    body = with_prolog(codec).encode(codec)
    same_text(parse_feed(body, {}, URL), reference())


@pytest.mark.parametrize("codec", LEGACY_CODECS)
def test_undeclared_legacy_encoding_is_detected(codec: str) -> None:
    body = with_prolog(None).encode(codec)
    assert not body.isascii()
    # what feedparser would do on its own (windows-1252 fallback) is Latin mojibake, not Arabic
    assert not ARABIC_LETTER.search(body.decode("windows-1252", errors="replace"))
    parsed = parse_feed(body, {"Content-Type": "application/rss+xml"}, URL)
    same_text(parsed, reference())
    assert parsed.warning and "detected" in parsed.warning


@pytest.mark.parametrize("codec", LEGACY_CODECS)
def test_http_charset_overrides_a_wrong_prolog(codec: str) -> None:
    body = with_prolog("iso-8859-1").encode(codec)
    same_text(parse_feed(body, {"Content-Type": f"text/xml; charset={codec}"}, URL), reference())


@pytest.mark.parametrize("codec", LEGACY_CODECS)
def test_wrong_western_declaration_is_overridden_by_detection(codec: str) -> None:
    body = with_prolog("windows-1252").encode(codec)
    parsed = parse_feed(body, {"Content-Type": "application/rss+xml; charset=windows-1252"}, URL)
    same_text(parsed, reference())
    assert "does not fit" in (parsed.warning or "")


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marks(codec: str) -> None:
    text = with_prolog("utf-16" if "16" in codec else None)
    body = text.encode(codec)
    if codec == "utf-16-be":
        body = codecs.BOM_UTF16_BE + body
    same_text(parse_feed(body, {}, URL), reference())


def test_utf8_declared_as_legacy_reads_as_utf8() -> None:
    body = with_prolog("windows-1256").encode("utf-8")
    parsed = parse_feed(body, {}, URL)
    same_text(parsed, reference())
    assert "bytes are UTF-8" in (parsed.warning or "")


def test_utf8_with_one_bad_byte_stays_utf8() -> None:
    body = ARABIC_UTF8.encode("utf-8").replace("والعراق".encode(), "والعراق".encode()[:-1], 1)
    parsed = parse_feed(body, {}, URL)
    assert parsed.entries[0].title == reference().entries[0].title
    assert parsed.title.startswith("أخبار الناتو")


@pytest.mark.parametrize(
    "name",
    [
        "chardet_culturax_mC4_98641.windows-1256.txt",
        "chardet_culturax_mC4_98641.iso-8859-6.txt",
        "chardet_culturax_mC4_98641.cp720.txt",
        "chardet_ude_1.windows-1256.txt",
        "chardet_ude_1.iso-8859-6.txt",
        "charset_normalizer_sample-arabic-1.windows-1256.txt",
    ],
)
def test_real_legacy_arabic_text_in_an_undeclared_feed(name: str) -> None:
    raw = (FIXTURES / "legacy" / name).read_bytes()
    codec = name.rsplit(".", 2)[1]
    escaped = raw.replace(b"&", b"&amp;").replace(b"<", b"&lt;")
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>1</guid>'
        b"<title>x</title><description>" + escaped + b"</description></item></channel></rss>"
    )
    expected = " ".join(raw.decode(codec).split())
    assert parse_feed(body, {"Content-Type": "text/xml"}, URL).entries[0].summary == expected


# --- real feeds from other projects' test suites ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "arabic_script").iterdir()))
def test_real_arabic_script_feeds(name: str) -> None:
    parsed = parse_feed((FIXTURES / "arabic_script" / name).read_bytes(), {}, URL)
    assert len(parsed.entries) >= 20
    assert all(ARABIC_LETTER.search(e.title) for e in parsed.entries)
    assert all(e.link.startswith("http") and e.guid for e in parsed.entries)
    assert all("<" not in e.summary for e in parsed.entries)  # plain text
    assert sum(e.published is not None for e in parsed.entries) == len(parsed.entries)


@pytest.mark.parametrize(
    "name", ["miniflux_encoding_WINDOWS-1251.xml", "node-feedparser_iconv_windows-1251.xml"]
)
def test_declared_windows_1251_feeds(name: str) -> None:
    parsed = parse_feed((FIXTURES / "encoding" / name).read_bytes(), {}, URL)
    assert parsed.entries and all(re.search("[а-яА-Я]", e.title) for e in parsed.entries[:5])


def test_undeclared_latin1_feed_keeps_its_accents() -> None:
    raw = (FIXTURES / "encoding" / "miniflux_no_encoding_ISO-8859-1.xml").read_bytes()
    parsed = parse_feed(raw, {}, URL)
    latin = raw.decode("iso-8859-1")
    assert len(parsed.entries) == 10
    accented = [e.title for e in parsed.entries if re.search("[àâçéèêëîïôûù]", e.title)]
    assert accented and all(title in " ".join(latin.split()) for title in accented)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("miniflux_utf8-incorrect-prolog.xml", "Café"), ("miniflux_windows-1252-incorrect-prolog.xml", "€")],
)
def test_utf8_bytes_behind_a_wrong_prolog(name: str, expected: str) -> None:
    parsed = parse_feed((FIXTURES / "encoding" / name).read_bytes(), {}, URL)
    texts = parsed.title + " ".join(e.title for e in parsed.entries)
    assert expected in texts and "â‚¬" not in texts and "CafÃ" not in texts


def test_feedparser_ill_formed_cases() -> None:
    cases = FIXTURES / "feedparser-cases"
    amp = parse_feed((cases / "illformed__rss_item_link_corrupted_ampersands.xml").read_bytes(), {}, URL)
    assert amp.entries[0].link == "http://link/get?a=1&b=2"
    assert amp.warning  # bozo, entries recovered anyway
    double = parse_feed((cases / "encoding__bozo_double-encoded-html.xml").read_bytes(), {}, URL)
    assert [ord(c) for c in double.entries[0].summary] == [8230]  # feedparser's own Expect
    hebrew = parse_feed((cases / "illformed__chardet__windows1255.xml").read_bytes(), {}, URL)
    assert re.search("[\u05d0-\u05ea]{3}", hebrew.entries[0].summary)
    for name in ("illformed__rss_empty_document.xml", "illformed__aaa_illformed.xml"):
        with pytest.raises(FeedError):
            parse_feed((cases / name).read_bytes(), {}, URL)


@pytest.mark.parametrize("path", sorted((FIXTURES / "feedparser-cases").iterdir()), ids=lambda p: p.name)
def test_every_feedparser_case_parses_or_raises_feed_error(path: Path) -> None:
    try:
        parsed = parse_feed(path.read_bytes(), {}, URL)
    except FeedError as exc:
        assert str(exc)
    else:
        assert isinstance(parsed, ParsedFeed)


def test_snapshots_overlap_by_guid_and_dates_are_utc() -> None:
    snaps = sorted((FIXTURES / "snapshots").iterdir())
    parsed = [parse_feed(p.read_bytes(), {}, "https://www.aljazeera.com/xml/rss/all.xml") for p in snaps]
    guids = [{e.guid for e in p.entries} for p in parsed]
    assert all(len(g) == len(p.entries) for g, p in zip(guids, parsed, strict=True))
    assert guids[0] & guids[1] and guids[0] != guids[1]
    assert all(e.published and e.published.utcoffset() is not None for p in parsed for e in p.entries)


# --- shapes -------------------------------------------------------------------------------------------


def test_atom_relative_links_html_summary_and_missing_id() -> None:
    body = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>وكالة</title>
<entry><title type="html">&lt;b&gt;الناتو&lt;/b&gt; &amp;amp; العراق</title>
<link rel="alternate" href="/ar/story/1"/>
<summary type="html">&lt;p&gt;بروكسل &amp;nbsp;- &lt;a href="x"&gt;رويترز&lt;/a&gt;&lt;/p&gt;
&lt;script&gt;evil()&lt;/script&gt;</summary>
<updated>2026-11-23T09:00:00+03:00</updated></entry></feed>""".encode()
    parsed = parse_feed(body, {"Content-Type": "application/atom+xml"}, URL)
    entry = parsed.entries[0]
    assert entry.link == "http://news.example/ar/story/1"
    assert entry.guid == entry.link  # no <id>: the link stands in
    assert entry.title == "الناتو & العراق"
    assert entry.summary == "بروكسل - رويترز"  # nbsp decoded, then whitespace collapsed
    assert entry.published == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def test_rss_without_guid_or_link_gets_a_stable_hash_guid() -> None:
    body = b"<rss version='2.0'><channel><title>t</title><item><title>a</title></item></channel></rss>"
    first = parse_feed(body, {}, URL).entries[0]
    assert first.guid.startswith("sha1:") and first.guid == parse_feed(body, {}, URL).entries[0].guid


def test_same_items_with_new_guids_share_fingerprints() -> None:
    def feed(serial: int) -> bytes:
        items = "".join(
            f"<item><guid>{serial}-{i}</guid><title>خبر {i}</title><link>http://n.example/{i}</link></item>"
            for i in range(3)
        )
        return f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()

    a, b = parse_feed(feed(1), {}, URL), parse_feed(feed(2), {}, URL)
    assert {e.guid for e in a.entries}.isdisjoint({e.guid for e in b.entries})
    assert [entry_fingerprint(e) for e in a.entries] == [entry_fingerprint(e) for e in b.entries]


@pytest.mark.parametrize("content_type", ["application/feed+json", "application/json", ""])
def test_json_feed(content_type: str) -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "أخبار",
        "items": [
            {
                "id": 42,
                "url": "/a/1",
                "title": "الناتو",
                "content_html": "<p>نص &amp; خبر</p>",
                "date_published": "2026-11-23T09:00:00+03:00",
            },
            {"id": "b", "external_url": "http://other.example/2", "content_text": "نص"},
        ],
    }
    parsed = parse_feed(json.dumps(doc, ensure_ascii=False).encode(), {"Content-Type": content_type}, URL)
    assert parsed.title == "أخبار"
    first, second = parsed.entries
    assert (first.guid, first.link, first.summary) == ("42", "http://news.example/a/1", "نص & خبر")
    assert first.published == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    assert second.link == "http://other.example/2" and second.published is None


@pytest.mark.parametrize(
    "body", [b'{"version": "https://jsonfeed.org/version/1", "items": [', b'{"items": []}', b"[1, 2]"]
)
def test_bad_json_feed(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body, {"Content-Type": "application/json"}, URL)


# --- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b"\xef\xbb\xbf"])
def test_empty_body(body: bytes) -> None:
    with pytest.raises(FeedError, match="empty"):
        parse_feed(body.replace(b"\xef\xbb\xbf", b""), {}, URL)


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/xml", ""])
def test_html_page_instead_of_feed(content_type: str) -> None:
    page = "<!DOCTYPE html><html><head><title>الرئيسية</title></head><body><p>مرحبا</p></body></html>"
    with pytest.raises(FeedError, match="HTML"):
        parse_feed(page.encode(), {"Content-Type": content_type}, URL)


def test_feed_served_as_text_html_still_parses() -> None:
    parsed = parse_feed(ARABIC_UTF8.encode(), {"Content-Type": "text/html"}, URL)
    same_text(parsed, reference())


def test_non_feed_content_type() -> None:
    with pytest.raises(FeedError, match="image/png"):
        parse_feed(b"\x89PNG\r\n\x1a\n....", {"Content-Type": "image/png"}, URL)


def test_billion_laughs_is_refused_fast() -> None:
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    body = f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{levels}]>
<rss version="2.0"><channel><title>&l9;</title><item><title>&l9;</title></item></channel></rss>""".encode()
    start = time.perf_counter()
    with pytest.raises(FeedError, match="entities"):
        parse_feed(body, {}, URL)
    assert time.perf_counter() - start < 0.5


def test_external_entity_is_refused() -> None:
    body = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;</title></item></channel></rss>"""
    with pytest.raises(FeedError, match="entities"):
        parse_feed(body, {}, URL)


def test_entity_declarations_in_utf16_are_refused_too() -> None:
    body = '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE r [<!ENTITY a "b">]><rss/>'.encode("utf-16")
    with pytest.raises(FeedError, match="entities"):
        parse_feed(body, {}, URL)


def test_plain_doctype_without_entities_is_fine() -> None:
    body = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>t</title><item><title>a</title><link>http://x.example/1</link></item>
</channel></rss>"""
    assert parse_feed(body, {}, URL).entries[0].link == "http://x.example/1"


def test_encoding_choice_reports_its_source() -> None:
    assert choose_encoding(codecs.BOM_UTF8 + b"<rss/>", {}).source == "bom"
    cp1256 = "<rss>ع</rss>".encode("cp1256")
    assert choose_encoding(cp1256, {"content-type": "text/xml; charset=windows-1256"}).source == "declared"
