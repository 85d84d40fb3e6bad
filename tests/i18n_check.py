"""What a Chinese page must not show: English words a Chinese reader would have to translate.

``english_words(html)`` returns the English words (three letters or more) in the text a reader sees
(not in scripts, styles, images or code), less the names a Chinese page keeps as they are (model
names, companies, file names, units). Tests of the zh report require it to be empty.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["KEPT", "english_words", "visible_text"]

# Names a Chinese page writes in Latin letters: models, companies and programs, the kit, units.
KEPT = {
    "superkit", "json", "csv", "html", "pdf", "png", "sql", "duckdb", "spark", "notebook", "notebooks",
    "gini", "lorenz", "bg/nbd", "nbd", "mbg", "pareto", "gamma", "bgnbd", "mbgnbd", "sbg", "clv", "rfm",
    "poisson", "ppml", "mle", "kpi", "kpis", "crm", "sms", "app", "vip", "gmv", "arpu", "roi", "p&l",
    "costco", "amazon", "prime", "plus", "walmart", "sam", "club", "alibaba", "taobao", "tmall", "meituan",
    "starbucks", "luckin", "nike", "sephora", "hema", "jd", "ikea", "coffee_club", "apparel_club", "cdnow",
    "utf", "fader", "hardie", "schweidel", "lee", "berger", "wang", "ehrenberg", "iso", "ci",
    # citations keep their authors, journals and sources as published
    "cirp", "guo", "iyengar", "liu", "mccarthy", "oblander", "park", "yoon", "journal", "marketing", "research",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z_/&.\-]*[A-Za-z]")


class _Text(HTMLParser):
    SKIP = {"script", "style", "code", "pre", "title", "head"}

    def __init__(self):
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def english_words(html: str, kept: set | None = None) -> list[str]:
    keep = KEPT | {k.lower() for k in (kept or set())}
    words = []
    for w in _WORD.findall(visible_text(html)):
        low = w.lower().strip("./-")
        if len(low) < 3 or low in keep or re.fullmatch(r"[a-z]?\d.*|.*\.(csv|json|png|html|pdf|ipynb|yml|yaml|parquet)", low):
            continue
        if all(part in keep for part in re.split(r"[/&.\-_]", low) if part):
            continue
        words.append(w)
    return words
