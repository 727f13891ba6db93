"""Canonical article URLs, so the same article reached through tracking links is processed once."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify the click, the campaign or the reader, not the article: the ones named
# by the ClearURLs rules and Firefox's query-stripping list, plus news sites' own campaign tags. Names are
# compared lower-cased; generic names that may carry content (`id`, `cid`, `campaign`) are left alone.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "oly_", "itm_", "vero_", "ml_subscriber")
_TRACKING_NAMES = frozenset(
    {
        # ad and social click ids
        "fbclid",
        "fb_action_ids",
        "fb_action_types",
        "fb_ref",
        "fb_source",
        "gclid",
        "gclsrc",
        "gbraid",
        "wbraid",
        "dclid",
        "srsltid",
        "msclkid",
        "yclid",
        "ymclid",
        "igshid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "rdt_cid",
        "tblci",
        "dicbo",
        "rb_clickid",
        "wickedid",
        # analytics and e-mail marketing (Google, Adobe, HubSpot, Marketo, Drip, Klaviyo, OpenStat)
        "_ga",
        "_gl",
        "s_cid",
        "s_kwcid",
        "ef_id",
        "icid",
        "_hsenc",
        "_hsmi",
        "__hsfp",
        "__hssc",
        "__hstc",
        "hsctatracking",
        "mkt_tok",
        "__s",
        "_kx",
        "_openstat",
        # news sites' referral and campaign tags
        "ref",
        "ref_src",
        "cmpid",
        "ocid",
        "ito",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "xtor",
        "spm",
        "share",
        "cmp",
    }
)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments and tracking parameters; sort the rest."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and not ((scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_NAMES
    ]
    query.sort()
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))
