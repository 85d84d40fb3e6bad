"""The playbook: both editions have the same chapters, headings, exercises and quoted numbers; every
link resolves; every notebook links its chapter; and every answer in both answer keys equals what
the kit computes from the bundled data (``tests/playbook_keys.py``)."""
from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOK = ROOT / "playbook"
EDITIONS = ("en", "zh")
CHAPTERS = ["01-why-super-users", "02-find-them", "03-reach-them", "04-three-supers", "05-value-and-churn",
            "06-renewal", "07-test-the-claims", "08-benefits-and-tiers", "09-plan-the-phases", "10-run-it"]
SECTIONS = {"en": ["The method", "What the evidence says", "Run it", "Checklist for the client deck", "Exercises",
                   "Answer key", "Sources"],
            "zh": ["方法", "证据", "动手运行", "客户汇报清单", "练习", "参考答案", "参考文献"]}
EXERCISE = {"en": re.compile(r"\*\*Exercise (\d+\.\d+)\*\*"), "zh": re.compile(r"\*\*练习 ?(\d+\.\d+)\*\*")}
# the chapter each notebook links in its first cell
NOTEBOOK_CHAPTER = {"01_super_users": "02-find-them", "02_clv_churn": "05-value-and-churn", "03_renewal": "06-renewal",
                    "04_spend_uplift": "07-test-the-claims", "05_benefit_bundles": "08-benefits-and-tiers",
                    "06_membership_phases": "09-plan-the-phases"}
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(万|亿|million\b|billion\b)?")
SCALE = {"万": 1e4, "亿": 1e8, "million": 1e6, "billion": 1e9, None: 1.0}


def text(edition: str, slug: str) -> str:
    return (PLAYBOOK / edition / f"{slug}.md").read_text(encoding="utf-8")


def sections(md: str) -> dict:
    """``## heading`` -> its text (to the next ``##``)."""
    parts = re.split(r"^## +(.+?)\s*$", md, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def prose(md: str) -> str:
    """The text a reader reads as numbers: without code blocks, code spans, link targets and comments."""
    md = re.sub(r"```.*?```", " ", md, flags=re.S)
    md = re.sub(r"<!--.*?-->", " ", md, flags=re.S)
    md = re.sub(r"`[^`\n]*`", " ", md)
    return re.sub(r"\]\([^)]*\)", "]", md)


def figures(md: str) -> set:
    """Every number quoted, normalised (thousands commas, 万 / 亿 / million / billion)."""
    out = set()
    for whole, frac, scale in NUMBER.findall(prose(md)):
        value = float(whole.replace(",", "") + (frac or "")) * SCALE[scale or None]
        out.add(float(f"{value:.9g}"))
    return out


# a result quoted in the text, outside the answer keys: the number, then where it comes from, e.g.
# "1.81<!-- report: 02_clv_churn.models.pareto_nbd.holdout.mae_per_customer -->" (the default report's
# results.json) or "5.92<!-- key: 6.2.14 -->" (value 14 of an exercise's computed answers)
QUOTE = re.compile(r"([¥￥]?-?[\d,]*\d(?:\.\d+)?\s*%?)(?:\*\*)?\s*<!--\s*(report|key):\s*([\w.\-]+)\s*-->")


def quotes(md: str) -> list:
    """Every annotated quote: (number as written, source, path)."""
    return [(n.strip(), src, path) for n, src, path in QUOTE.findall(md)]


def lookup(doc, path: str):
    """``a.b.3.c`` in nested dicts and lists; a last part ``count`` is the length of a list."""
    for part in path.split("."):
        if part == "count" and isinstance(doc, list):
            return len(doc)
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def answer_blocks(md: str, edition: str) -> dict:
    """``### N.k`` in the answer key -> the bold tokens written there, in order."""
    key = sections(md).get(SECTIONS[edition][5], "")
    parts = re.split(r"^### +(\d+\.\d+)\s*$", key, flags=re.M)
    return {parts[i]: re.findall(r"\*\*(.+?)\*\*", parts[i + 1]) for i in range(1, len(parts) - 1, 2)}


def parse_token(token: str):
    """A bold answer token: a ``code`` string, or a number with its precision (percent as a share)."""
    token = token.strip()
    if token.startswith("`") and token.endswith("`"):
        return token.strip("`"), None
    m = re.fullmatch(r"[¥￥]?\s*(-?\d{1,3}(?:,\d{3})+|-?\d+)(\.\d+)?\s*(%|×|x|yuan|元)?", token)
    if not m:
        raise AssertionError(f"bold token {token!r} in an answer key is neither a number nor a `code` answer")
    whole, frac, unit = m.groups()
    value = float(whole.replace(",", "") + (frac or ""))
    tol = 0.5 * 10 ** -(len(frac) - 1 if frac else 0)
    if unit == "%":
        value, tol = value / 100, tol / 100
    return value, tol


def matches(expected, token: str) -> bool:
    value, tol = parse_token(token)
    if tol is None:
        return isinstance(expected, str) and value == expected
    if isinstance(expected, str) or expected is None or not math.isfinite(float(expected)):
        return False
    return abs(float(expected) - value) <= tol + 1e-9


# ---------------------------------------------------------------------------------------- structure

def test_both_editions_have_every_chapter_and_nothing_else():
    for edition in EDITIONS:
        found = sorted(p.stem for p in (PLAYBOOK / edition).glob("*.md"))
        assert found == CHAPTERS, (edition, found)


@pytest.mark.parametrize("slug", CHAPTERS)
def test_chapter_has_the_sections_in_order_and_the_editions_the_same_headings(slug):
    levels = {}
    for edition in EDITIONS:
        md = text(edition, slug)
        assert md.startswith(f"# {int(slug[:2])}. "), f"{edition}/{slug}: the title must be '# {int(slug[:2])}. ...'"
        found = [h for h in sections(md) if h in SECTIONS[edition]]
        assert found == SECTIONS[edition], f"{edition}/{slug}: sections {list(sections(md))}"
        levels[edition] = [len(h) for h in re.findall(r"^(#+) ", re.sub(r"```.*?```", "", md, flags=re.S), flags=re.M)]
    assert levels["en"] == levels["zh"], f"{slug}: the two editions' heading levels differ"


@pytest.mark.parametrize("slug", CHAPTERS)
def test_exercises_are_numbered_alike_and_each_has_an_answer(slug):
    chapter = int(slug[:2])
    ids = {}
    for edition in EDITIONS:
        md = text(edition, slug)
        body = sections(md).get(SECTIONS[edition][4], "")
        ids[edition] = EXERCISE[edition].findall(body)
        assert ids[edition], f"{edition}/{slug} has no exercises"
        assert len(set(ids[edition])) == len(ids[edition]), f"{edition}/{slug}: an exercise number is repeated"
        assert all(int(i.split(".")[0]) == chapter for i in ids[edition]), ids[edition]
        assert list(answer_blocks(md, edition)) == ids[edition], f"{edition}/{slug}: answer key != exercises"
    assert ids["en"] == ids["zh"]


@pytest.mark.parametrize("slug", CHAPTERS)
def test_both_editions_quote_the_same_numbers(slug):
    en, zh = figures(text("en", slug)), figures(text("zh", slug))
    assert en == zh, f"{slug}: only in English {sorted(en - zh)}; only in Chinese {sorted(zh - en)}"


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("slug", CHAPTERS)
def test_answer_keys_quote_no_number_that_is_not_checked(slug, edition):
    """A number in an answer key is a checked (bold) answer of the playbook, an exercise number, or quoted
    elsewhere in the chapter (the method's and the evidence's figures): no result the tests do not
    recompute."""
    md = text(edition, slug)
    key = sections(md).get(SECTIONS[edition][5], "")
    rest = md.replace(key, "")
    checked = []  # (value as written, tolerance): a percent token as the number before its % sign
    for other in CHAPTERS:
        for tokens in answer_blocks(text(edition, other), edition).values():
            for t in tokens:
                value, tol = parse_token(t)
                if tol is not None:
                    scale = 100 if "%" in t else 1
                    checked.append((value * scale, tol * scale))
    ids = {float(i) for i in answer_blocks(md, edition)}

    def known(x):
        return x in ids or any(abs(x - v) <= tol + 1e-9 for v, tol in checked)

    loose = sorted(x for x in figures(key) - figures(rest) if not known(x))
    assert not loose, f"{edition}/{slug}: the answer key quotes {loose}, which no test checks: bold and key them, or drop them"


def test_every_link_in_the_playbook_resolves():
    broken = []
    for md in sorted(PLAYBOOK.rglob("*.md")):
        for target in re.findall(r"\]\(([^)\s]+)\)", md.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (md.parent / target.split("#")[0]).exists():
                broken.append(f"{md.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_each_chapter_links_the_other_edition():
    for slug in CHAPTERS:
        assert f"../zh/{slug}.md" in text("en", slug), slug
        assert f"../en/{slug}.md" in text("zh", slug), slug


@pytest.mark.parametrize("stem", sorted(NOTEBOOK_CHAPTER))
def test_each_notebook_first_cell_links_its_chapter_in_both_editions(stem):
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"])
    slug = NOTEBOOK_CHAPTER[stem]
    for edition in EDITIONS:
        assert f"](../playbook/{edition}/{slug}.md)" in first, f"{stem} does not link playbook/{edition}/{slug}.md"
        assert f"notebooks/{stem}.ipynb" in text(edition, slug), f"{edition}/{slug} does not link {stem}"
    assert set(NOTEBOOK_CHAPTER) == {p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")}


def test_playbook_index_lists_every_chapter_and_says_how_to_start():
    index = (PLAYBOOK / "README.md").read_text(encoding="utf-8")
    for edition in EDITIONS:
        for slug in CHAPTERS:
            assert f"]({edition}/{slug}.md)" in index, f"the index does not link {edition}/{slug}.md"
    start = sections(index)
    assert any("make lab" in body for body in start.values()), "the index does not say how to start (make lab)"


def test_make_lab_opens_jupyterlab_with_the_kits_kernel():
    dry = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "jupyter lab" in dry or "jupyter-lab" in dry, dry
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.display_name == "Python 3 (superkit)"
    run = subprocess.run([spec.argv[0], "-c", "import superkit"], capture_output=True, text=True)
    assert run.returncode == 0, f"the python3 kernel ({spec.argv[0]}) cannot import superkit: {run.stderr}"


def test_answer_tokens_parse_and_compare_at_the_precision_written():
    assert matches(0.6849, "68.5%") and not matches(0.6849, "68.4%")
    assert matches(110671.02, "110,671") and not matches(110672.0, "110,671")
    assert matches(0.2426, "0.243") and not matches(0.2436, "0.243") and matches(2, "2")
    assert matches("cross_purchase", "`cross_purchase`") and not matches("sharing", "`cross_purchase`")
    assert not matches(1.0, "`1`") and not matches("1", "1")
    with pytest.raises(AssertionError, match="neither a number"):
        parse_token("about 68%")
    assert quotes("error 1.81<!-- report: 02_clv_churn.models.bgnbd.holdout.mae_per_customer --> and **9.2%**"
                  "<!-- key: 2.3.3 --> ¥1,234.5 <!-- key: 1.1.0 -->") == [
        ("1.81", "report", "02_clv_churn.models.bgnbd.holdout.mae_per_customer"), ("9.2%", "key", "2.3.3"),
        ("¥1,234.5", "key", "1.1.0")]
    assert lookup({"a": [{"b": 3}]}, "a.0.b") == 3 and lookup({"a": [{"b": 3}]}, "a.count") == 1
    assert figures("1.81<!-- report: x.y -->") == {1.81}
    assert figures("共2000名，V1") == {2000.0}
    assert figures("5–10× and 80/20, 5 万 = 50,000; `V9` [a](x/99.md) 2.61 billion = 26.1 亿") == \
        {5.0, 10.0, 80.0, 20.0, 50000.0, 2.61e9}


# ------------------------------------------------------------------------------------------ answers

@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    """The default report's results and every exercise's computed answers."""
    from playbook_keys import build_default_report, compute_keys

    tmp = tmp_path_factory.mktemp("playbook")
    report = build_default_report(tmp / "report")
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return results, compute_keys(report, tmp)


@pytest.fixture(scope="module")
def keys(computed):
    return computed[1]


@pytest.mark.parametrize("slug", CHAPTERS)
def test_results_quoted_in_the_text_are_annotated_alike_in_both_editions(slug):
    en, zh = ([(src, path) for _, src, path in quotes(text(e, slug))] for e in EDITIONS)
    assert sorted(en) == sorted(zh), f"{slug}: only in English {sorted(set(en) - set(zh))}; only in Chinese {sorted(set(zh) - set(en))}"


def test_results_quoted_in_the_text_equal_the_report_and_the_keys(computed):
    results, keys = computed
    wrong, n = [], 0
    for slug in CHAPTERS:
        for edition in EDITIONS:
            for number, src, path in quotes(text(edition, slug)):
                n += 1
                try:
                    if src == "report":
                        value = lookup(results, path)
                    else:
                        ex, _, i = path.rpartition(".")
                        value = keys[ex][int(i)]
                except (KeyError, IndexError, ValueError, TypeError):
                    wrong.append(f"{edition}/{slug}: {number} cites {src} {path}, which does not exist")
                    continue
                if not matches(value, number):
                    wrong.append(f"{edition}/{slug}: {number} cites {src} {path} = {value}")
    assert not wrong, "\n".join(wrong)
    assert n > 0


def test_answers_in_both_editions_equal_what_the_kit_computes(keys):
    wrong, exercised = [], set()
    for slug in CHAPTERS:
        for edition in EDITIONS:
            for ex, tokens in answer_blocks(text(edition, slug), edition).items():
                exercised.add(ex)
                expected = keys.get(ex)
                if expected is None:
                    wrong.append(f"{edition}/{slug} {ex}: no computed key")
                elif len(tokens) != len(expected) or not all(matches(e, t) for e, t in zip(expected, tokens)):
                    wrong.append(f"{edition}/{slug} {ex}: written {tokens}, computed {expected}")
    assert not wrong, "\n".join(wrong)
    assert exercised == set(keys), f"computed keys with no exercise: {sorted(set(keys) - exercised)}"
