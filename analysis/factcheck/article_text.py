"""An article as sentences: plain text, Markdown or saved HTML in, sentences with their offsets out.

The extractor quotes sentences verbatim, so the text is never rewritten: a sentence is a slice of
the article's text (HTML: the text of its block elements, one per line). The rules read a *folded*
copy of the same length (curly quotes straight, dashes plain, a blog's character substitutions such
as "IÇE" and "DH$" undone), so an offset found in the fold is an offset in the quote.

HTML is read with the standard library's parser (no network, no model): only the text of
paragraph-like elements is kept, scripts, styles and navigation dropped. Sentences are split by
rule (a full stop, question or exclamation mark before a capital, with the abbreviations news copy
uses), and every line break ends a sentence: bullet lists and tables are a sentence per line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ..core import paths
from ..core.errors import UsageError

#: an article larger than this is not a news story (and would take the rules long to read)
MAX_BYTES = 2_000_000
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "-", "\u2013": "-",
                       "\u2011": "-", "\xa0": " ", "\u2009": " ", "\u202f": " ", "\xc7": "C", "\xe7": "c",
                       "\u00f8": "o", "\u00d8": "O", "\u0192": "f", "\xae": "r", "\u2020": "t"})  # fmt: skip
_DOLLAR_WORD = re.compile(r"(?<=[A-Z])\$(?=[A-Z]?\b)")  # "DH$" -> "DHS", "Cu$tom$": a blog's substitution, not money
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Lt|Gen|St|Jr|Sr|No|Vol|Inc|Co|Corp|Dept|Sgt|Capt|Col|Prof|vs|"
                     r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|"
                     r"Ind|Kan|Ky|La|Md|Mass|Mich|Minn|Miss|Mo|Mont|Neb|Nev|Okla|Ore|Pa|Tenn|Va|Vt|Wash|Wis|Wyo)"
                     r"|\b[A-Z]|\b(?:U\.S|a\.m|p\.m|D\.C|e\.g|i\.e))\.$")  # fmt: skip
_BOUNDARY = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]*[A-Z0-9$])")


@dataclass(frozen=True)
class Sentence:
    start: int  # offset in the article's text
    text: str  # verbatim
    fold: str  # the same length, folded for the rules
    paragraph: int  # index of the paragraph (a block of lines without a blank line)
    line: int  # 1-based line of the article's text where it starts
    head: tuple[str, ...] = ()  # a table row's header cells (folded), which name what its figures count
    caption: str = ""  # a table row's caption or lead-in line (folded), which dates the table


@dataclass(frozen=True)
class Article:
    path: str
    text: str
    sha256: str
    sentences: tuple[Sentence, ...]
    paragraphs: tuple[str, ...]  # folded paragraph texts, for topic tests
    found_date: dt.date | None  # a date the page prints for itself (HTML meta, a "date" line), if any


def fold(text: str) -> str:
    """The same text, the same length, in the characters the rules match."""
    out = text.replace("\u2020\xae*mp", "Trump").translate(_FOLD)  # the blog's "†®*mp", five for five
    out = _DOLLAR_WORD.sub("S", out)
    assert len(out) == len(text)
    return out


class _Text(HTMLParser):
    """Text of the block elements of a page, one block per line; scripts, styles and navigation dropped."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "title", "figcaption", "div", "caption",
              "br", "tr", "section", "article", "header", "pre", "table"}  # fmt: skip
    CELLS = {"td", "th"}  # a row's cells on one line, " | " between them, as Markdown writes a table
    SKIP = {"script", "style", "nav", "noscript", "svg", "template", "form", "button", "iframe"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.depth_skip = 0
        self.cells = 0  # cells seen in the current table row
        self.meta_date: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth_skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
            self.cells = 0
        elif tag in self.CELLS and not self.depth_skip:
            if self.cells:
                self.parts.append(" | ")
            self.cells += 1
        if tag == "meta":
            a = dict(attrs)
            if (a.get("property") or a.get("name") or "").lower() in ("article:published_time", "date", "pubdate",
                                                                      "publish-date", "dc.date"):
                self.meta_date = self.meta_date or a.get("content")
        if tag == "time" and self.meta_date is None:
            self.meta_date = dict(attrs).get("datetime")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.depth_skip = max(0, self.depth_skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.depth_skip:
            self.parts.append(" ".join(data.split()) if "\n" in data else data)


def _markdown(text: str) -> str:
    """Markdown's markup off, the words kept: headings, emphasis, links (their text), list markers."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}#{1,6}\s+", "", text, flags=re.M)
    text = re.sub(r"^\s{0,3}>\s?", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?![\s_])(.+?)(?<![\s_])_(?![\w_])", r"\1", text)  # _emphasis_, never snake_case
    return text


def _looks_html(raw: str, suffix: str) -> bool:
    return suffix in (".html", ".htm", ".xhtml") or bool(re.match(r"\s*(<!doctype html|<html)", raw[:500], re.I))


def _own_date(text: str, meta: str | None) -> dt.date | None:
    """The date a page prints for itself: an HTML meta date or a leading "date YYYY-MM-DD" line."""
    for candidate in (meta or "", *re.findall(r"^\s*(?:date|published|updated)[:\s]+(\d{4}-\d{2}-\d{2})", text[:2000],
                                              re.I | re.M)):  # fmt: skip
        m = re.match(r"\d{4}-\d{2}-\d{2}", candidate.strip())
        if m:
            try:
                return dt.date.fromisoformat(m.group(0))
            except ValueError:
                continue
    return None


_ROW = re.compile(r"^[ \t]*\|?[^|\n]*[^|\s][^|\n]*(?:\|[^|\n]*)+$")
_RULE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{2,}:?[ \t]*\|?)+[ \t]*$")  # Markdown's |---|---|
_NUMBER_CELL = re.compile(r"^[\s$]*[\d.,]+\s*%?\s*$")


def cells(line: str) -> list[str]:
    """A table row's cells: "| Texas | 150 |" -> ["Texas", "150"] (the same text, outer pipes off)."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def tables(folded: str) -> dict[int, tuple[tuple[str, ...], str]]:
    """Each data row of every table (Markdown pipes, or an HTML table read as such) by the offset of
    its line: the table's header cells and its caption (the line before the table: an HTML
    caption or a Markdown table's lead-in), the two things that say what a row's figures count."""
    out: dict[int, tuple[tuple[str, ...], str]] = {}
    lines, pos = [], 0
    for line in folded.split("\n"):
        lines.append((pos, line))
        pos += len(line) + 1
    head: tuple[str, ...] = ()
    caption, in_table, last_text = "", False, ""
    for start, line in lines:
        if not line.strip() or _RULE.match(line):
            continue
        if not _ROW.match(line):
            in_table, last_text = False, line.strip()
            continue
        row = cells(line)
        if not in_table:
            in_table, caption = True, last_text
            head = tuple(row) if not any(_NUMBER_CELL.match(c) for c in row[1:]) else ()
            if head:
                continue
        out[start] = (head, caption)
    return out


def split(text: str) -> tuple[list[Sentence], list[str]]:
    """Sentences (verbatim, with offsets) and the folded paragraphs they belong to."""
    folded = fold(text)
    rows = tables(folded)
    sentences: list[Sentence] = []
    paragraphs: list[str] = []
    pos = 0
    for block in re.split(r"(\n[ \t]*\n+)", text):
        if not block.strip() or re.fullmatch(r"\n[ \t]*\n+", block):
            pos += len(block)
            continue
        paragraphs.append(folded[pos:pos + len(block)])
        line_start = pos
        for line in block.split("\n"):
            if line_start in rows:  # a table row is one "sentence", read with its header and caption
                head, caption = rows[line_start]
                _add(text, folded, line_start, line_start + len(line), len(paragraphs) - 1, sentences, head, caption)
            else:
                _line_sentences(text, folded, line_start, line, len(paragraphs) - 1, sentences)
            line_start += len(line) + 1
        pos += len(block)
    return sentences, paragraphs


def _line_sentences(text: str, folded: str, start: int, line: str, paragraph: int, out: list[Sentence]) -> None:
    cut = 0
    fline = folded[start:start + len(line)]
    for m in _BOUNDARY.finditer(fline):
        head = fline[cut:m.start() + 1]
        if _ABBREV.search(head.rstrip("\"')]")) or re.search(r"\d\.$", head):
            continue
        _add(text, folded, start + cut, start + m.end(), paragraph, out)
        cut = m.end()
    _add(text, folded, start + cut, start + len(line), paragraph, out)


def _add(text: str, folded: str, a: int, b: int, paragraph: int, out: list[Sentence], head: tuple[str, ...] = (),
         caption: str = "") -> None:
    raw = text[a:b]
    lead = len(raw) - len(raw.lstrip())
    body = raw.strip()
    bullet = re.match(r"[\u2022\-*\u00b7]\s+", body)
    if bullet:
        lead += bullet.end()
        body = body[bullet.end():]
    if body:
        s = a + lead
        out.append(Sentence(s, body, folded[s:s + len(body)], paragraph, text.count("\n", 0, s) + 1, head, caption))


def read(path: str | Path) -> Article:
    """The article at ``path`` as sentences; refused (one line, no traceback) when it is no text article."""
    path = Path(path)
    where = paths.relative_to_root(path)
    if not path.is_file():
        raise UsageError("no such article file", path=str(path))
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise UsageError(f"the article is {size:,} bytes, more than the {MAX_BYTES:,} a news story can be", path=where)
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise UsageError("not a text article (binary content); give plain text, Markdown or saved HTML", path=where)
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raw = data.decode("cp1252", errors="replace")
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    meta = None
    if _looks_html(raw, path.suffix.lower()):
        parser = _Text()
        parser.feed(raw)
        parser.close()
        text = re.sub(r"[ \t]*\n[ \t\n]*\n", "\n\n", "".join(parser.parts))
        text = re.sub(r"[ \t]*\n(?!\n)", "\n\n", text).strip() + "\n"  # each block its own paragraph
        meta = parser.meta_date
    elif path.suffix.lower() in (".md", ".markdown"):
        text = _markdown(raw)
    else:
        text = raw
    if not text.strip():
        raise UsageError("the article has no text", path=where)
    sentences, paragraphs = split(text)
    return Article(str(path), text, hashlib.sha256(data).hexdigest(), tuple(sentences), tuple(paragraphs),
                   _own_date(text, meta))  # fmt: skip
