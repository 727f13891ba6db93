"""Copy the small sample of real data the benchmarks use into bench/data/ (run once; the result is committed).

    python bench/make_data.py --source DATA_DIR      (DATA_DIR: the research data folder)

Benchmarks never read the source folder: they read bench/data/ only, so they run on any checkout.
What is copied (see bench/data/PROVENANCE.md for origins and licences):
  pages/*.html.gz       the 12 real saved article pages, byte for byte, gzipped to keep the repo small
  gold/                 the main-text gold of those pages that have one (full text, or must/must-not snippets)
  corpus.jsonl.gz       ANT Corpus articles (id, title, text, url) from the NATO/Iraq/neither selections
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
from pathlib import Path

HERE = Path(__file__).parent
# ANT Corpus files only (Apache-2.0 + citation licence); SaudiNewsNet's NC licence is left out on purpose.
CORPUS_FILES = {
    "ant_nato_iraq.jsonl": None,  # None: every record
    "ant_nato_only.jsonl": None,
    "ant_iraq_only_sample.jsonl": 450,
    "ant_neither_sample.jsonl": 450,
    "ant_hard_negatives.jsonl": None,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=HERE / "data")
    args = parser.parse_args()
    out: Path = args.out
    (out / "pages").mkdir(parents=True, exist_ok=True)
    for page in sorted((args.source / "pages").glob("*.html")):
        # mtime=0: re-running gives byte-identical files, so git sees no change
        with page.open("rb") as src, (out / "pages" / (page.name + ".gz")).open("wb") as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as dst:
            shutil.copyfileobj(src, dst)
    (out / "gold").mkdir(exist_ok=True)
    for gold in sorted((args.source / "pages").glob("*.gold.*")):
        # main-text gold only: full texts and snippet lists; the publication-date-only files are left out
        if gold.suffix == ".txt" or "with" in json.loads(gold.read_text(encoding="utf-8")):
            shutil.copyfile(gold, out / "gold" / gold.name)
    rng = random.Random(7)
    records: list[dict[str, str]] = []
    for name, limit in CORPUS_FILES.items():
        rows = [json.loads(line) for line in (args.source / "corpus" / name).open(encoding="utf-8")]
        if limit is not None:
            rows = rng.sample(rows, limit)
        records.extend({k: r[k] for k in ("id", "title", "text", "url")} | {"file": name} for r in rows)
    with gzip.open(out / "corpus.jsonl.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(list((out / 'pages').glob('*.gz')))} pages, {len(records)} corpus articles -> {out}")


if __name__ == "__main__":
    main()
