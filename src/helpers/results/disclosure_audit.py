"""The disclosure audit of a run (issue 30): `disclosure.md` (per analysis, how many ARD rows
were suppressed and by which rule) and the leak scan of every written output.

A leak is a count of persons or events from 1 to `min_cell - 1` that a written output shows as
a number (a suppressed count is shown as `<5`, `x` or `n<5`, helpers.analysis.disclosure.marker).
What counts as "a count" in text cannot be known from the text alone, so the scan uses these
rules (COUNT_PATTERNS, the first that applies to a number; each tested on hand-made files):

1. "n (%)": an integer followed by a percentage in brackets: `3 (16.7)`, `3 (17%)`.
2. "n = 3", "N=3", "n: 3".
3. "3 of 18" (the first number; "3/18" is not read, it may be a date or a fraction), unless
   it is a part number in brackets (a figure's panel "HRPQ (1 of 2)") or counts things that
   are not persons (THINGS, at most one word between: "4 of 8 main outcomes").
4. A number (digits, or one to nine in words) before a word for persons or events, with at
   most one word between: `3 patients`, `two serious events`, `1 death`.
5. A label and its count: an integer after ": " that ends its line or clause (`Never treated:
   1`, `Discontinued in year 1: 2,`); "Month 3: ..." and times (`12:30`) are not counts.
6. A table cell (CSV, markdown, HTML, DOCX and PDF tables; the first row the header): every
   integer of a cell whose column header names a count (`n`, `N`, subjects, patients, events,
   relapses, pairs, caregivers, censored, at risk, count, number, value); a cell that is an
   integer alone in any other column, unless the header names a label or a quantity that is
   not a count (LABEL_HEADER: year, period, visit, month, time, day, rank, score, power,
   alpha, effect, drop-out, delta); rule 5 is not applied in a cell ("Alemtuzumab courses: 1"
   is a category there); a column of published figures (a header starting with
   PUBLIC_HEADERS: numbers of the article, public) is not read.
7. An ARD file (`ard/*.csv`): a count row (disclosure.COUNT_STATS, not exempt) whose value is
   from 1 to `min_cell - 1`.

Never a count: a number after `<` (a marker) or after `>=`, `≥`, "at least", "more than" (a
threshold: `>= 1 relapse`), a decimal (`3.5`, `0.03`), a negative number, a
percentage (`3%`), a number inside a word or code (`ICC(2,1)`, `SF36`), a number of 4 digits
or more, a heading's section number (HTML `header-section-number`: "4 Relapses"), a count
whose words, with a word beside them on the same line, are a public text's (public_texts: a
PDF table's columns share its text lines, "the one death: x) comparable"). A no-break space
is read as a space. Not read: person-level folders (data/, adam/: they never leave), logs/,
manuscript/ (the Quarto project staged for report/, which is read: its caches hold Quarto's
own files and third-party packages), JSON and YAML (provenance, params), images (PNG: no text
to read). SVG text is read from its <text> elements
and from the comments in which matplotlib names each text it draws as paths; a bare integer in
a figure (an axis tick) is not read, so a figure shows its counts labelled ("n = 3",
"Never treated: 1") or marked.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from helpers.analysis import disclosure
from helpers.analysis.ard import KEYS, read_ard, write_ard
from helpers.results.reproduction import describe, read_published, shown_note

#: a number that can be a count: not after a digit, letter, point, minus or `<`; not before
#: a decimal part, another digit, a letter or `%`
#: a threshold, not a count: `>= 1 relapse`, `at least one relapse`, `more than 2`
THRESHOLD = r"(?<!>= )(?<!>=)(?<!≥ )(?<!≥)(?<!least )(?<!than )"
NUMBER = THRESHOLD + r"(?<![\w.<\-])(?P<n>\d{1,3})(?![\w%]|[.,]\d)"
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9}  # fmt: skip
PERSONS = (r"(?:patients?|persons?|people|participants?|subjects?|caregivers?|events?|deaths?|"
           r"relapses?|cases?|women|men|pairs)\b")  # fmt: skip
#: what "k of m" counts when it counts no persons (rule 3)
THINGS = (r"(?:outcomes?|analys[ie]s|imputations?|panels?|parts?|items?|visits?|instruments?|"
          r"figures?|tables?)\b")  # fmt: skip
COUNT_PATTERNS = (
    ("n (%)", re.compile(NUMBER + r"\s*\(\s*\d+(?:\.\d+)?\s*%?\s*\)")),
    ("n =", re.compile(r"\b[nN]\s*[=:]\s*" + NUMBER)),
    ("of", re.compile(r"(?:(?P<open>\()|(?<!\())" + NUMBER + r"\s+of\s+\d+\b(?(open)(?!\)))"
                      r"(?!\s+(?:[A-Za-z-]+\s+)?" + THINGS + ")")),
    ("persons", re.compile(THRESHOLD + r"(?<![\w.<\-])(?P<n>\d{1,3}|" + "|".join(WORDS)
                           + r")\s+(?:[A-Za-z-]+\s+)?" + PERSONS, re.IGNORECASE)),
    ("label: n", re.compile(r"[\w)]:\s+" + NUMBER + r"(?=[ \t]*(?:[,;)]|$))", re.MULTILINE)),
)  # fmt: skip
COUNT_HEADER = re.compile(r"\b(?:n|N|subjects|patients|events|relapses|pairs|caregivers|"
                          r"censored|at risk|count|number|value)\b", re.IGNORECASE)  # fmt: skip
LABEL_HEADER = re.compile(r"year|period|visit|month|time|day|rank|score|power|alpha|effect|"
                          r"drop-out|delta", re.IGNORECASE)  # fmt: skip
PUBLIC_HEADERS = ("published",)
#: folders of a run that are not outputs: person-level data, the runner's logs, the staged
#: Quarto project (its render is report/)
NOT_OUTPUTS = ("data", "adam", "logs", "manuscript")
#: the audit's own report (its numbers count ARD rows, not persons)
AUDIT_FILE = "disclosure.md"
SUFFIXES = (".md", ".csv", ".html", ".docx", ".pdf", ".svg", ".ipynb")


@dataclass(frozen=True)
class Leak:
    """A count below min_cell shown as a number: the file (relative to the run folder), where
    in it (line, table cell, page), the count and the text around it."""

    file: str
    place: str
    count: int
    text: str

    def __str__(self) -> str:
        return f"{self.file}: {self.place}: {self.count} in {self.text!r}"


class DisclosureLeak(RuntimeError):
    """A written output shows a count below min_cell; the message names each file and place."""


#: a text to read: (where, text)
Texts = list[tuple[str, str]]
#: a table to read: (where, rows of cells, the first the header)
Tables = list[tuple[str, list[list[str]]]]


def _value(text: str) -> int:
    return WORDS[text.lower()] if text.lower() in WORDS else int(text)


def counts_in_text(text: str, *, labels: bool = True) -> Iterator[tuple[int, int, str]]:
    """(count, offset, rule) of every count in a free text (rules 1-5; without rule 5 when not
    `labels`: in a table cell, "Alemtuzumab courses: 1" is a category, not a count)."""
    seen: set[int] = set()
    for rule, pattern in COUNT_PATTERNS if labels else COUNT_PATTERNS[:-1]:
        for match in pattern.finditer(text):
            start = match.start("n")
            if start not in seen:
                seen.add(start)
                yield _value(match.group("n")), start, rule


def counts_in_table(rows: list[list[str]]) -> Iterator[tuple[int, str]]:
    """(count, place) of every count in a table's cells (rule 6, and rules 1-5 in each cell)."""
    header, *body = rows or [[]]
    for r, row in enumerate(body, start=1):
        for c, cell in enumerate(row):
            head = header[c] if c < len(header) else ""
            if head.strip().lower().startswith(PUBLIC_HEADERS):
                continue
            place = f"row {r}, column {head.strip()!r}"
            found = {n for n, _, _ in counts_in_text(cell, labels=False)}
            if COUNT_HEADER.search(head):
                found |= {int(m.group("n")) for m in re.finditer(NUMBER, cell)}
            elif re.fullmatch(r"\s*\d{1,3}\s*", cell) and not LABEL_HEADER.search(head):
                found.add(int(cell))
            yield from ((n, place) for n in sorted(found))


def _markdown(text: str) -> tuple[Texts, Tables]:
    """Markdown: each line a text; each pipe table (its separator row left out) a table."""
    texts: Texts = [(f"line {i}", line) for i, line in enumerate(text.splitlines(), start=1)]
    tables: Tables = []
    block: list[list[str]] = []
    start = 0
    for i, line in enumerate([*text.splitlines(), ""], start=1):
        if line.lstrip().startswith("|"):
            start = start or i
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                block.append(cells)
        elif start:
            tables.append((f"table at line {start}", block))
            block, start = [], 0
    return [(w, t) for w, t in texts if not t.lstrip().startswith("|")], tables


class _Html(HTMLParser):
    """HTML: the text outside tables (script and style left out) and each table's cells."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._skip = 0
        self._section_number = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "span" and "header-section-number" in (dict(attrs).get("class") or ""):
            self._section_number = True
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag in ("br", "p", "div", "li"):
            self.texts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "span":
            self._section_number = False
        elif tag in ("td", "th") and self._cell is not None and self.tables:
            if not self.tables[-1]:
                self.tables[-1].append([])
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._skip or self._section_number:
            return
        (self._cell if self._cell is not None else self.texts).append(data)


def _html(text: str) -> tuple[Texts, Tables]:
    parser = _Html()
    parser.feed(text)
    lines = "".join(parser.texts).splitlines()
    return ([(f"text line {i}", line) for i, line in enumerate(lines, start=1) if line.strip()],
            [(f"table {k}", rows) for k, rows in enumerate(parser.tables, start=1)])  # fmt: skip


def _csv(text: str) -> tuple[Texts, Tables]:
    return [], [("table", [row for row in csv.reader(io.StringIO(text))])]


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx(path: Path) -> tuple[Texts, Tables]:
    """DOCX: word/document.xml, each paragraph outside tables a text, each table its cells (a
    cell's own paragraphs: a table nested in it, as Quarto wraps a captioned table, is a table
    of its own)."""
    with zipfile.ZipFile(path) as docx:
        root = ElementTree.fromstring(docx.read("word/document.xml"))

    def text(node: ElementTree.Element) -> str:
        return "".join(t.text or "" for t in node.iter(f"{W}t"))

    def cell(tc: ElementTree.Element) -> str:
        return " ".join(text(p) for p in tc.findall(f"{W}p"))

    in_table = {id(p) for tbl in root.iter(f"{W}tbl") for p in tbl.iter(f"{W}p")}
    texts = [(f"paragraph {i}", text(p)) for i, p in enumerate(root.iter(f"{W}p"), start=1)
             if id(p) not in in_table]  # fmt: skip
    tables = [(f"table {k}", [[cell(tc) for tc in tr.findall(f"{W}tc")]
                              for tr in tbl.findall(f"{W}tr")])
              for k, tbl in enumerate(root.iter(f"{W}tbl"), start=1)]  # fmt: skip
    return texts, tables


def _pdf(path: Path) -> tuple[Texts, Tables]:
    """PDF (pdfplumber): each page's text lines, and the tables it finds on each page."""
    import pdfplumber

    texts: Texts = []
    tables: Tables = []
    with pdfplumber.open(path) as pdf:
        for p, page in enumerate(pdf.pages, start=1):
            lines = (page.extract_text() or "").splitlines()
            texts += [(f"page {p}, line {i}", line) for i, line in enumerate(lines, start=1)]
            tables += [(f"page {p}, table {k}", [[c or "" for c in row] for row in rows])
                       for k, rows in enumerate(page.extract_tables(), start=1)]  # fmt: skip
    return texts, tables


def _svg(text: str) -> tuple[Texts, Tables]:
    """SVG: the <text> elements and the comments naming the texts drawn as paths, in order,
    one line each (so that a label and its count on the next line read as one)."""
    found = re.findall(r"<!--\s*(.*?)\s*-->|<text\b[^>]*>(.*?)</text>", text, re.DOTALL)
    lines = [re.sub(r"<[^>]+>", "", a or b) for a, b in found]
    return [("text", "\n".join(lines))], []


def _ipynb(text: str) -> tuple[Texts, Tables]:
    """An executed notebook: the displayed outputs (text, markdown, HTML, SVG) of each cell;
    its source (code, the narrative) is not an output."""
    texts: Texts = []
    tables: Tables = []
    readers = {"text/html": _html, "text/markdown": _markdown, "image/svg+xml": _svg,
               "text/plain": lambda t: ([("text", t)], [])}  # fmt: skip
    for c, cell in enumerate(json.loads(text).get("cells", []), start=1):
        for output in cell.get("outputs", []):
            data = output.get("data", {"text/plain": output.get("text", "")})
            kind = next((k for k in readers if k in data), None)
            if kind is None:
                continue
            value = data[kind]
            got_texts, got_tables = readers[kind]("".join(value) if isinstance(value, list)
                                                  else value)  # fmt: skip
            texts += [(f"cell {c}, {w}", t) for w, t in got_texts]
            tables += [(f"cell {c}, {w}", t) for w, t in got_tables]
    return texts, tables


def read_output(path: Path) -> tuple[Texts, Tables]:
    """The texts and tables a written output shows, by its format (SUFFIXES)."""
    if path.suffix == ".docx":
        return _docx(path)
    if path.suffix == ".pdf":
        return _pdf(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    reader = {".md": _markdown, ".csv": _csv, ".html": _html, ".svg": _svg, ".ipynb": _ipynb}
    return reader[path.suffix](text)


@functools.cache
def public_texts() -> tuple[str, ...]:
    """The texts of study/published.yaml that outputs quote (each published figure's definition
    and note as the reproduction check shows them): public, about the published study, so
    their numbers are not counts of this run ("the one death: sepsis")."""
    return tuple(sorted({t for fig in read_published()
                         for t in (describe(fig), shown_note(fig)) if t}, key=len, reverse=True))


def _unquoted(text: str) -> str:
    """The text (no-break spaces read as spaces) without the public texts it quotes (each
    replaced by a space)."""
    text = text.replace("\u00a0", " ")
    for public in public_texts():
        text = text.replace(public, " ")
    return text


def _quoted_at(text: str, offset: int) -> bool:
    """Whether the count at `offset` reads as a public text's words: the words from the one
    before it to the one after the next (three words, the count's and the next word included)
    or from the count's to two after it, as found in one of public_texts."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    before = text[line_start:offset].split()
    after = text[offset:line_end if line_end >= 0 else len(text)].split()
    windows = [" ".join(before[-1:] + after[:2]), " ".join(after[:3])]
    return any(len(w.split()) == 3 and w in public for w in windows for public in public_texts())


def leaks_in(path: Path, min_cell: int, name: str) -> list[Leak]:
    """Every count from 1 to min_cell - 1 that one output file shows (rules 1-6), outside the
    public texts it quotes (public_texts)."""
    texts, tables = read_output(path)
    texts = [(where, _unquoted(text)) for where, text in texts]
    tables = [(where, [[_unquoted(cell) for cell in row] for row in rows])
              for where, rows in tables]  # fmt: skip
    found = [Leak(name, f"{where}, offset {offset}", n, text[max(0, offset - 30):offset + 20])
             for where, text in texts for n, offset, _ in counts_in_text(text)
             if not _quoted_at(text, offset)]  # fmt: skip
    found += [Leak(name, f"{where}, {place}", n, "")
              for where, rows in tables for n, place in counts_in_table(rows)]  # fmt: skip
    return [leak for leak in found if 1 <= leak.count < min_cell]


def ard_leaks(folder: Path, min_cell: int, name: str) -> list[Leak]:
    """Every count row of an ARD folder shown with a value from 1 to min_cell - 1 (rule 7)."""
    ard = read_ard(folder)
    small = (ard["stat"].isin(disclosure.COUNT_STATS) & ~ard["analysis"].isin(disclosure.EXEMPT)
             & ard["value"].ge(1) & ard["value"].lt(min_cell))  # fmt: skip
    return [Leak(f"{name}/{row.notebook}.csv", " ".join(f"{k}={getattr(row, k)}"
                 for k in ("analysis", "paramcd", "group", "level", "stat")), int(row.value), "")
            for row in ard[small].itertuples()]  # fmt: skip


def outputs(run_dir: Path) -> Iterable[Path]:
    """The written outputs of a run folder: every file of SUFFIXES outside NOT_OUTPUTS (and
    outside ard/, which ard_leaks reads), but AUDIT_FILE, in path order."""
    skip = {*NOT_OUTPUTS, "ard"}
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir)
        if (path.is_file() and path.suffix in SUFFIXES and rel.parts[0] not in skip
                and rel != Path(AUDIT_FILE)):  # fmt: skip
            yield path


def scan(run_dir: str | Path, min_cell: int, *, ard_inside: bool = False) -> list[Leak]:
    """Every leak of a written run folder: each output (rules 1-6) and, unless the ARD stays
    inside the secure environment, its ARD (rule 7)."""
    run_dir = Path(run_dir)
    found = [leak for path in outputs(run_dir)
             for leak in leaks_in(path, min_cell, str(path.relative_to(run_dir)))]  # fmt: skip
    if not ard_inside and (run_dir / "ard").is_dir():
        found += ard_leaks(run_dir / "ard", min_cell, "ard")
    return found


def check(run_dir: str | Path, min_cell: int, *, ard_inside: bool = False) -> None:
    """Raise DisclosureLeak naming every leak of the run folder; nothing when there is none."""
    _raise(scan(run_dir, min_cell, ard_inside=ard_inside), min_cell)


def _raise(found: list[Leak], min_cell: int) -> None:
    if found:
        lines = "\n".join(f"- {leak}" for leak in found)
        raise DisclosureLeak(f"{len(found)} counts below {min_cell} shown:\n{lines}")


def audit_run(run_dir: str | Path, ard: pd.DataFrame, min_cell: int, *,
              ard_inside: bool = False) -> Path:  # fmt: skip
    """The run's last step: scan its written outputs, write <run_dir>/disclosure.md (`ard`:
    the run's suppressed ARD, disclosure.suppress) with the scan's verdict, and raise
    DisclosureLeak naming every leak after writing it; the path of disclosure.md otherwise."""
    found = scan(run_dir, min_cell, ard_inside=ard_inside)
    path = Path(run_dir) / AUDIT_FILE
    path.write_text(disclosure_markdown(ard, min_cell, found), encoding="utf-8")
    _raise(found, min_cell)
    return path


def disclosure_markdown(ard: pd.DataFrame, min_cell: int, leaks: list[Leak]) -> str:
    """disclosure.md: the threshold and rules, per analysis the rows suppressed by each rule,
    the declared relations that do not hold in these data, and the leak scan's verdict (each
    leak by its file and place only: the file may leave, the count must not)."""
    table = (ard.assign(primary=ard["suppression"].eq("primary"),
                        secondary=ard["suppression"].eq("secondary"))
             .groupby("analysis", sort=False)[["primary", "secondary"]].sum())  # fmt: skip
    table.insert(0, "rows", ard.groupby("analysis", sort=False).size())
    rules = (disclosure.__doc__ or "").split("The rules, the first that applies:")[1].strip("\n")
    lines = ["# Disclosure control", "",
             f"Threshold: no count of persons or events from 1 to {min_cell - 1} is shown "
             f"(`disclosure.min_cell: {min_cell}`); a suppressed value is shown as "
             f"`<{min_cell}` (a count below it), `n<{min_cell}` (a statistic of fewer persons) "
             "or `x` (withheld so that no other can be recovered by subtraction).", "",
             "Rules (helpers.analysis.disclosure):", "",
             *(f"    {line}" for line in rules.splitlines()),
             "", "| analysis | rows | primary | secondary |", "|---|---:|---:|---:|",
             *(f"| {a} | {r.rows} | {r.primary} | {r.secondary} |" for a, r in table.iterrows()),
             f"| all | {len(ard)} | {int(table['primary'].sum())} | "
             f"{int(table['secondary'].sum())} |", ""]  # fmt: skip
    def name(i: int) -> str:
        row = ard.loc[i]
        return "/".join(str(row[k]) for k in ("analysis", "paramcd", "group", "level", "stat")
                        if row[k] != "")  # fmt: skip

    broken = disclosure.broken(ard)
    lines += [f"Declared relations that do not hold in these data (no subtraction): "
              f"{len(broken)}.", "",
              *(f"- {name(t)} != {' + '.join(map(name, parts))}" for t, parts in broken),
              *([""] if broken else [])]  # fmt: skip
    lines += ([f"Leak scan: no count from 1 to {min_cell - 1} is shown in any written output."]
              if not leaks else [f"Leak scan: {len(leaks)} counts below {min_cell} shown:", "",
                                 *(f"- {leak.file}: {leak.place}" for leak in leaks)])  # fmt: skip
    return "\n".join(lines) + "\n"


def _suppressed_run(run_dir: Path, min_cell: int) -> pd.DataFrame:
    """The run's ARD (every notebook's rows, with their values) suppressed as a whole."""
    ard = read_ard(Path(run_dir) / "ard")
    if "suppression" in ard.columns:
        raise ValueError(f"{run_dir}/ard was published already (its suppressed values are gone)")
    return disclosure.suppress(ard, min_cell)


def _write_decisions(ard: pd.DataFrame, path: Path) -> None:
    ard[[*KEYS, "suppressed", "suppression"]].astype(str).to_csv(path, index=False,
                                                                 lineterminator="\n")


def decide_disclosure(run_dir: str | Path, min_cell: int) -> Path:
    """Between the notebooks' two passes: suppress the whole run's ARD (relations across
    notebooks: a population's size in 01, 02 and 04) and write the decisions
    (disclosure.DECISIONS: keys, suppressed, suppression; no value) that the second pass's
    views read (disclosure.for_views). Returns their path."""
    path = Path(run_dir) / disclosure.DECISIONS
    _write_decisions(_suppressed_run(Path(run_dir), min_cell), path)
    return path


def apply_disclosure(run_dir: str | Path, min_cell: int, ard_inside: bool) -> pd.DataFrame:
    """After the notebooks' second pass: suppress the whole run's ARD again, fail when a row's
    decision differs from the one the second pass showed (decide_disclosure's file: the
    notebooks computed other rows), rewrite ard/<notebook>.csv as it may be published
    (disclosure.published: with `suppressed` and `suppression`, the suppressed values blanked
    unless the ARD stays inside), remove the decisions file (the published ARD carries them)
    and return the suppressed ARD with its values (for disclosure.md; key results and ledger
    read the published ARD through disclosure.marked)."""
    run_dir = Path(run_dir)
    ard = _suppressed_run(run_dir, min_cell)
    path = run_dir / disclosure.DECISIONS
    shown = pd.read_csv(path, dtype=str, keep_default_na=False)
    now = ard[[*KEYS, "suppression"]].astype(str).reset_index(drop=True)
    if not now.equals(shown[[*KEYS, "suppression"]]):
        raise ValueError(f"the notebooks' second pass showed other rows than {path} decided")
    for notebook, rows in disclosure.published(ard, ard_inside).groupby("notebook", sort=False):
        write_ard(rows.drop(columns="notebook"), run_dir / "ard", str(notebook))
    path.unlink()  # the published ARD carries the same decisions
    return ard


def control_run(run_dir: str | Path, min_cell: int, ard_inside: bool,
                second_pass: Callable[[], None]) -> pd.DataFrame:  # fmt: skip
    """Disclosure control of a run whose notebooks have written their rows once (the first
    pass: each notebook's own rows suppressed): decide over the whole run (decide_disclosure),
    execute the notebooks again (`second_pass`: their views now show the whole run's
    decisions), then publish the ARD (apply_disclosure) and return the suppressed ARD."""
    decide_disclosure(run_dir, min_cell)
    second_pass()
    return apply_disclosure(run_dir, min_cell, ard_inside)
