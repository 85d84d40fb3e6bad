"""The data layer's notes and warnings in Chinese: every message the reading rules and the
data-quality profile write comes from a template of ``superkit/core/labels/data.yaml`` and
``i18n.translate_message`` writes it in Chinese (same numbers, no English but names)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

import corpus
from i18n_check import english_words
from superkit.core import i18n
from superkit.data import load_tables
from superkit.data.contract import read_events, read_members, read_transactions
from superkit.data.quality import cross_checks, message_text

OBS = str(corpus.OBSERVATION_END)
_CJK = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"\d[\d,.:\-]*\d%?|\d%?")
# what a Chinese message keeps in Latin letters: the client's column names, encodings, time zones,
# and the options a client types (command-line flags, config keys and values)
KEPT = {"utf", "crlf", "tab", "utc", "asia/shanghai", "fen", "amount-unit", "amount_unit", "reading", "true",
        "strip_leading_zeros", "strip-leading-zeros", "customer_id", "timestamp", "amount", "order_id", "ended_at",
        "joined_at", "e.g", "gbk", "gb18030"}
SPARK_ONLY = ("note_repeats_short_one", "note_repeats_short_many")   # written by the Spark engine only
MESSAGE_KEYS = sorted(k for k in i18n.catalogue()["data"]["texts"] if not k.startswith("quality_"))
TX = ("customer_id,timestamp,amount,order_id\n"
      + "".join(f"{i:06d},2025-0{1 + i % 6}-1{i % 9} 10:00,{25 + i},O{i}\n" for i in range(1, 41)))


def write(folder, name, text, encoding="utf-8"):
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def template_of(message: str) -> str | None:
    """The key of the data template that matches ``message`` (the one translate_message uses)."""
    for key, pattern in i18n._message_patterns("data"):
        if pattern.match(message):
            return key
    return None


@pytest.fixture(scope="module")
def messages(tmp_path_factory) -> list[str]:
    """Every note and warning the corpus and a few made-up exports produce, by the real code."""
    folder = tmp_path_factory.mktemp("messages")
    out: list[str] = []
    for case in corpus.TRANSACTION_CASES:
        if isinstance(case.expect, corpus.Accept) and not case.bug:
            sub = folder / f"tx_{case.name}"
            sub.mkdir()
            df = read_transactions(case.write(sub), case.mapping, OBS, case.options)
            out += df.attrs["notes"] + df.attrs["warnings"]
    for case in corpus.MEMBER_CASES:
        if isinstance(case.expect, corpus.Accept) and not case.bug:
            sub = folder / f"m_{case.name}"
            sub.mkdir()
            df = read_members(case.write(sub), case.mapping, OBS, case.options)
            out += df.attrs["notes"] + df.attrs["warnings"]
    # fen read as yuan, and yuan read as fen
    fen = "customer_id,timestamp,amount\n" + "".join(f"C{i},2025-03-0{1 + i % 9},{2500 + 100 * i}\n" for i in range(30))
    out += read_transactions(write(folder, "fen.csv", fen)).attrs["warnings"]
    yuan = "customer_id,timestamp,amount\nA,2025-03-01,12.345\nB,2025-03-02,20\n"
    out += read_transactions(write(folder, "yuan.csv", yuan), options={"amount_unit": "fen"}).attrs["warnings"]
    # one and many repeated rows; one and many times with an offset; offsets converted to a zone
    one = TX + "000001,2025-02-11 10:00,26,O1\n"
    out += read_transactions(write(folder, "rep1.csv", one)).attrs["notes"]
    out += read_transactions(write(folder, "rep2.csv", one + "000002,2025-03-12 10:00,27,O2\n")).attrs["notes"]
    offs = "customer_id,timestamp,amount\nA,2025-03-01T10:00:00+08:00,5\nB,2025-03-02 11:00,6\n"
    out += read_transactions(write(folder, "off1.csv", offs)).attrs["notes"]
    offs2 = offs + "C,2025-03-03T10:00:00+08:00,7\n"
    out += read_transactions(write(folder, "off2.csv", offs2)).attrs["notes"]
    out += read_transactions(write(folder, "off3.csv", offs2), options={"timezone": "Asia/Shanghai"}).attrs["notes"]
    # two title lines in GB18030, a semicolon and a tab
    out += read_transactions(write(folder, "t2.csv", "订单导出\n2025 年\n" + TX, "gb18030")).attrs["notes"]
    out += read_transactions(write(folder, "semi.csv", TX.replace(",", ";"))).attrs["notes"]
    out += read_transactions(write(folder, "tab.csv", TX.replace(",", "\t"))).attrs["notes"]
    # lines ending in CRLF and in LF; memberships with no end only, or ending after the end only
    out += read_transactions(write(folder, "nl.csv", TX.replace("\n", "\r\n", 20))).attrs["notes"]
    for end in ("9999-12-31", "2026-06-30"):
        ms = "customer_id,joined_at,tier,ended_at\n" + f"000001,2025-02-01,V1,{end}\n000002,2025-02-01,V1,2025-05-01\n"
        out += read_members(write(folder, "me.csv", ms), observation_end=OBS).attrs["notes"]
    # tables that do not join: ids that lost their zeros, other ids; events and contacts of nobody
    tx = read_transactions(write(folder, "t.csv", TX))
    zeros = "customer_id,joined_at,tier\n" + "".join(f"{i},2025-02-01,V1\n" for i in range(1, 15))
    phones = "customer_id,joined_at\n" + "".join(f"1380000{i:04d},2025-02-01\n" for i in range(14))
    for text in (zeros, phones):
        out += cross_checks({"transactions": tx, "members": read_members(write(folder, "m.csv", text))})[1]
    ev = read_events(pd.DataFrame({"customer_id": ["000001", "999", "998"], "timestamp": ["2025-03-01"] * 3,
                                   "kind": ["share"] * 3}))
    contacts = pd.DataFrame({"customer_id": ["999", "998", "000001"]})
    out += cross_checks({"transactions": tx, "events": ev, "contacts": contacts})[1]
    return out


def test_every_message_the_code_writes_is_one_of_the_templates(messages):
    assert len(messages) > 20
    unmatched = [m for m in messages if template_of(m) is None]
    assert not unmatched, unmatched
    assert all(i18n.translate_message(m, "zh") != m for m in messages)


def test_every_template_is_written_by_the_code(messages):
    """A template no code path writes any more has drifted from the code (and stops translating)."""
    written = {template_of(m) for m in messages}
    assert set(MESSAGE_KEYS) - written - set(SPARK_ONLY) == set()


def test_the_spark_engines_wording_of_repeated_rows_is_a_template():
    """superkit.data.spark_engine writes the repeated-rows note without its last clause (not run here:
    no Spark); its wording, taken from its source, must match the short templates."""
    import inspect

    from superkit.data import spark_engine

    src = inspect.getsource(spark_engine)
    assert "row exactly (same order id, customer, time and amount; overlapping exports) dropped\")" in src
    for n, key in ((1, "note_repeats_short_one"), (3, "note_repeats_short_many")):
        said = (f"{n:,} row{'s' if n > 1 else ''} that repeat{'' if n > 1 else 's'} another "
                "row exactly (same order id, customer, time and amount; overlapping exports) dropped")
        assert template_of(said) == key and _CJK.search(i18n.translate_message(said, "zh"))


def test_each_message_in_chinese_keeps_its_numbers_and_names_only(messages):
    for m in messages:
        zh = i18n.translate_message(m, "zh")
        assert _CJK.search(zh), zh
        for number in _NUMBER.findall(m):
            assert number in zh, (number, m, zh)
        kept = KEPT | {w.lower() for w in re.findall(r"[A-Za-z_]+", m.split(":")[0])}  # a column named first
        assert english_words(zh, kept) == [], (m, zh)


def test_the_english_wording_is_what_the_code_wrote(messages):
    """translate_message to English is the message itself; a message of the code is a template filled."""
    assert all(i18n.translate_message(m, "en") == m for m in messages)
    note = i18n.text("data", "note_skipped_one", "en", n=1)
    assert note == "skipped 1 line above the header (a title)"
    assert i18n.text("data", "warn_looks_like_fen", "en", column="amount", median="2,500").endswith(
        "(reading: {amount_unit: fen} in the config).")


def test_a_message_that_starts_with_its_table_is_named_in_chinese(tmp_path):
    fen = "customer_id,timestamp,amount\n" + "".join(f"C{i},2025-03-0{1 + i % 9},{2500 + 100 * i}\n" for i in range(30))
    w = "transactions: " + read_transactions(write(tmp_path, "fen.csv", fen)).attrs["warnings"][0]
    zh = message_text(w, "zh")
    assert zh.startswith("交易记录：amount：") and "分" in zh and english_words(zh, KEPT) == []
    assert message_text(w, "en") == w
    assert message_text("not a template", "zh") == "not a template"


def test_the_notebook_box_is_in_the_language_asked(tmp_path):
    t = write(tmp_path, "t.csv", "订单导出 2025\n" + TX, encoding="gb18030")
    m = write(tmp_path, "m.csv", "customer_id,joined_at,tier\n" + "".join(f"{i},2025-02-01,V1\n" for i in range(1, 15)))
    tables = load_tables(str(t), str(m))
    en, zh = tables.quality(), tables.quality("zh")
    assert "read as GB18030 text (not UTF-8)" in en and "skipped 1 line above the header (a title)" in en
    assert "do not join" in en and "- **transactions**: " in en
    assert "GB18030" in zh and "标题行" in zh and "对不上" in zh and "交易记录" in zh
    assert zh.count("\n") == en.count("\n")
    assert english_words(zh, KEPT | {"transactions"}) == [] or english_words(zh, KEPT) == []
    for number in ("0%", "14", "100%"):
        assert number in en and number in zh
    joined = load_tables(str(write(tmp_path, "u.csv", TX)), None)
    assert joined.quality("zh") == "" and joined.quality() == ""
