"""The catalogue of labels and texts, in English and 简体中文: one source for the report's index, the
notebooks' pages, headlines, figure titles, axis labels and table headers.

The catalogue is a set of YAML files in ``superkit/core/labels/``, one per notebook (named by its
stem, e.g. ``01_super_users.yaml``) and a few shared ones (``report.yaml``, ``quality.yaml``,
``common.yaml``). Each file has up to three sections::

    results:        # the notebook's published numbers, in the order the index and the page show them
      top20_revenue_share: {en: "Top 20% of customers' share of revenue", zh: "前 20% 顾客的收入占比", format: pct}
    hidden:         # published keys that are not shown as numbers (lists, tables, the headline), with why
      - super_user_list
    texts:          # templates: headlines, readings, figure titles, axis labels, table headers
      lorenz_title: {en: "Top 20% of customers bring {share:.0%} of revenue", zh: "前 20% 的顾客贡献 {share:.0%} 的收入"}

``format`` says how a value is written: ``pct`` (68.5%), ``pct0`` (69%), ``int`` (12,345), ``money``
(¥12,345; in Chinese ¥352.7万 from 100,000 up), ``money2`` (¥12.35), ``num`` (4 significant
digits), ``num2`` (two decimals), ``multiple`` (5.2×), ``days``, ``months``, ``years``, ``date``,
``text`` (as it is), ``bool`` (yes / 是), ``list`` (joined). An entry may add ``values:`` to
translate the words a text or list value holds (``{member: {en: member, zh: 会员}}``).

Python's format rules apply in templates (``{share:.0%}``); a template's fields are filled by
keyword, and a missing field is an error that names the template, so a typo cannot pass silently.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

from superkit.core.errors import ParameterError

__all__ = ["FORMATS", "LABELS_DIR", "LANGUAGES", "catalogue", "check_language", "column_labels", "has_text",
           "join", "label", "labelled_rows", "text", "translate_message", "untranslated", "value_text", "value_word"]

LANGUAGES = ("en", "zh")
LABELS_DIR = Path(__file__).with_name("labels")
FORMATS = ("pct", "pct0", "int", "money", "money2", "num", "num2", "multiple", "days", "months", "years",
           "date", "text", "bool", "list")
_ALIASES = {"en": "en", "english": "en", "en-us": "en", "en-gb": "en",
            "zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "zh_cn": "zh", "cn": "zh", "chinese": "zh",
            "中文": "zh", "简体中文": "zh"}


def check_language(lang) -> str:
    """``"en"`` or ``"zh"`` for the ways people write them (``zh-CN``, ``中文``); else ParameterError."""
    key = str(lang or "en").strip().lower()
    if key not in _ALIASES:
        raise ParameterError("language", f"unknown language '{lang}'",
                             fix="use 'en' (English) or 'zh' (简体中文).")
    return _ALIASES[key]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict]:
    """Every catalogue file, read once: ``{file stem: {"results": {...}, "hidden": [...], "texts": {...}}}``."""
    import yaml

    out = {}
    for path in sorted(LABELS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out[path.stem] = {"results": dict(data.get("results") or {}), "hidden": list(data.get("hidden") or []),
                          "texts": dict(data.get("texts") or {})}
    return out


def _section(name: str) -> dict:
    try:
        return catalogue()[name]
    except KeyError:
        raise ParameterError("catalogue", f"no catalogue file '{name}.yaml'",
                             fix=f"add superkit/core/labels/{name}.yaml (files: {sorted(catalogue())}).") from None


def _entry(name: str, key: str, where: str) -> dict:
    sec = _section(name)[where]
    if key not in sec:
        raise ParameterError("catalogue", f"'{key}' is not in the {where} of {name}.yaml",
                             fix="add it there with its 'en' and 'zh' text.")
    return sec[key]


def _pick(entry: dict, lang: str, what: str) -> str:
    lang = check_language(lang)
    value = entry.get(lang)
    if value is None:
        value = entry.get("en")
        if value is None:
            raise ParameterError("catalogue", f"{what} has no text", fix="give it 'en' and 'zh'.")
    return str(value)


def has_text(name: str, key: str) -> bool:
    """Whether the catalogue file ``name`` has the text ``key``."""
    return key in catalogue().get(name, {}).get("texts", {})


def text(name: str, key: str, /, lang: str = "en", **values) -> str:
    """The template ``key`` of catalogue file ``name`` in ``lang``, filled with ``values`` (any field
    but ``lang``)."""
    template = _pick(_entry(name, key, "texts"), lang, f"{name}.{key}")
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ParameterError("catalogue", f"the text {name}.{key} ({lang}) cannot be filled: {exc!r}",
                             fix=f"pass every field it names; given: {sorted(values)}.") from None


def label(name: str, key: str, lang: str = "en") -> str:
    """The label of the published number ``key`` of notebook ``name``."""
    return _pick(_entry(name, key, "results"), lang, f"{name}.{key}")


def join(items, lang: str = "en") -> str:
    """Words listed in ``lang``: "a, b" in English, "a、b" in Chinese."""
    return ("、" if check_language(lang) == "zh" else ", ").join(str(i) for i in items)


def value_word(entry: dict, word, lang: str) -> str:
    """A word a value holds, translated by the entry's ``values`` when it has it."""
    words = entry.get("values") or {}
    if isinstance(word, str) and word in words:
        w = words[word]
        return str(w.get(check_language(lang), w.get("en", word))) if isinstance(w, dict) else str(w)
    return str(word)


def _wan(v: float) -> str:
    """Chinese magnitudes: 352.7万, 1.25亿."""
    a = abs(v)
    if a >= 1e8:
        return f"{v / 1e8:,.2f}亿"
    if a >= 1e5:
        return f"{v / 1e4:,.1f}万"
    return f"{v:,.0f}"


def _number(fmt: str, v: float, lang: str) -> str:
    zh = lang == "zh"
    if fmt == "pct":
        return f"{v:.1%}"
    if fmt == "pct0":
        return f"{v:.0%}"
    if fmt == "int":
        return f"{v:,.0f}"
    if fmt in ("money", "money2"):     # a loss is -¥5,268, not ¥-5,268
        sign, a = ("-" if v < 0 else ""), abs(v)
        if fmt == "money2":
            return f"{sign}¥{a:,.2f}"
        return f"{sign}¥{_wan(a)}" if zh else f"{sign}¥{a:,.0f}"
    if fmt == "num2":
        return f"{v:,.2f}"
    if fmt == "multiple":
        return f"{v:.1f} 倍" if zh else f"{v:.1f}×"
    if fmt in ("days", "months", "years"):
        unit = {"days": ("days", "天"), "months": ("months", "个月"), "years": ("years", "年")}[fmt]
        n = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
        return f"{n} {unit[1]}" if zh else f"{n} {unit[0] if v != 1 else unit[0][:-1]}"
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def value_text(entry: dict, value, lang: str = "en") -> str:
    """``value`` written as the catalogue ``entry`` says (its ``format``), in ``lang``; '' for none."""
    lang = check_language(lang)
    fmt = entry.get("format", "text")
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if fmt == "bool" or isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if fmt == "list" or isinstance(value, (list, tuple)):
        items = [value_word(entry, v, lang) if not isinstance(v, (int, float)) else _number(
            fmt if fmt != "list" else "num", v, lang) for v in value]
        if not items:
            return "无" if lang == "zh" else "none"
        return join(items, lang)
    if isinstance(value, (int, float)) and fmt not in ("text", "date"):
        return _number(fmt, float(value), lang)
    return value_word(entry, value, lang)


def labelled_rows(name: str, results: dict | None, lang: str = "en") -> list[tuple[str, str]]:
    """``(label, value)`` for each number of notebook ``name``'s catalogue ``results`` that
    ``results`` holds, in the catalogue's order: what the index and the page show. A number the
    run could not measure (null: no margins, no referral links) is left out; the page says why."""
    rows = []
    if not results:
        return rows
    for key, entry in _section(name)["results"].items():
        value = results.get(key)
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            continue
        if key in results:
            shown = value_text(entry, results[key], lang)
            if shown:
                rows.append((_pick(entry, lang, f"{name}.{key}"), shown))
    return rows


def column_labels(name: str, columns, lang: str = "en") -> dict[str, str]:
    """``{column: header}`` for the columns that have a text ``col_<column>`` in file ``name``
    (then in ``common.yaml``); for ``DataFrame.rename(columns=...)``."""
    out = {}
    for col in columns:
        for source in (name, "common"):
            if has_text(source, f"col_{col}"):
                out[col] = text(source, f"col_{col}", lang)
                break
    return out


_CJK = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=None)
def _message_patterns(name: str) -> list:
    """The English templates of file ``name`` as regular expressions, longest first; each field
    matches any text (its format spec ignored)."""
    import string

    out = []
    for key, entry in _section(name)["texts"].items():
        en = str(entry.get("en", ""))
        parts, fields = [], []
        try:
            parsed = list(string.Formatter().parse(en))
        except ValueError:
            continue
        for literal, field, _spec, _conv in parsed:
            parts.append(re.escape(literal))
            if field is not None:
                if field in fields:
                    parts.append(f"(?P={field})")
                else:
                    fields.append(field)
                    parts.append(f"(?P<{field}>.+?)")
        out.append((len(en), key, re.compile("^" + "".join(parts) + "$", re.S)))
    return [(key, pat) for _, key, pat in sorted(out, key=lambda t: -t[0])]


def translate_message(message: str, lang: str = "en", name: str = "data") -> str:
    """A message the kit wrote in English from one of file ``name``'s templates (a reading note, a
    data-quality warning), written again in ``lang``: the English template is matched, its fields
    taken as written (numbers already formatted) and put into the ``lang`` template. A message no
    template matches is returned as it is."""
    lang = check_language(lang)
    if lang == "en" or not isinstance(message, str) or name not in catalogue():
        return message
    for key, pattern in _message_patterns(name):
        m = pattern.match(message)
        if m:
            template = _pick(_entry(name, key, "texts"), lang, f"{name}.{key}")
            import string

            # the fields as the English message wrote them (formats ignored); {{ }} are literal braces
            return "".join(literal + (m.group(field) if field else "")
                           for literal, field, _spec, _conv in string.Formatter().parse(template))
    return message


def _fields(template: str) -> set:
    import string

    try:
        return {f for _, f, _, _ in string.Formatter().parse(template) if f}
    except ValueError:
        return {"<not a valid template>"}


def untranslated() -> list[str]:
    """Catalogue entries whose Chinese text is missing or has no Chinese in it (``file.section.key``);
    the tests require none. An entry that is the same in both languages (a number format, a name such
    as "BG/NBD") says ``same: true``."""
    bad = []
    for name, sec in catalogue().items():
        for where in ("results", "texts"):
            for key, entry in sec[where].items():
                if not isinstance(entry, dict) or "en" not in entry:
                    bad.append(f"{name}.{where}.{key} (no 'en')")
                    continue
                zh = entry.get("zh")
                if zh is None or (not _CJK.search(str(zh)) and not entry.get("same")):
                    bad.append(f"{name}.{where}.{key}")
                if entry.get("format", "text") not in FORMATS:
                    bad.append(f"{name}.{where}.{key} (format '{entry['format']}')")
                if zh is not None and _fields(str(entry["en"])) != _fields(str(zh)):
                    bad.append(f"{name}.{where}.{key} (fields differ: {sorted(_fields(str(entry['en'])))} "
                               f"against {sorted(_fields(str(zh)))})")
    return bad
