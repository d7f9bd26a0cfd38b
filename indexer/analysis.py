"""Per-language Whoosh analyzers for the six UN languages, plus a generic one.

Every analyzer applies NFKC to its input first (inside the tokenizer), so documents and queries
are normalised the same way; token offsets refer to the NFKC form of the text. No analyzer drops
stop words: with one field per language queried together, a word that is a stop word in one
field only would otherwise make an AND query fail on that field's documents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Set

from whoosh.analysis import Analyzer, Filter, LowercaseFilter, RegexTokenizer, StemFilter, Token

LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")

#: Han ideographs (CJK unified, extension A, compatibility, supplementary planes).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
#: Arabic combining marks: Quranic marks, harakat, superscript alef.
ARABIC_MARKS = "\u0610-\u061a\u064b-\u065f\u0670"
TATWEEL = "\u0640"

WORD_PATTERN = r"\w+"
ARABIC_PATTERN = rf"[\w{ARABIC_MARKS}]+"
CHINESE_PATTERN = rf"[{HAN}]|[^\W{HAN}]+"
GENERIC_PATTERN = rf"[{HAN}]|(?:[^\W{HAN}]|[{ARABIC_MARKS}])+"

_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O"}
_LIGATURES |= {"đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "þ": "th", "ð": "d"}
_ARABIC_FOLDS = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"}
_ARABIC_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")


def nfkc(text: str) -> str:
    """Return the NFKC normal form of ``text`` (repairs ligatures and presentation forms)."""
    return unicodedata.normalize("NFKC", text)


def _latin_fold_table() -> dict[int, str]:
    """Build a translation table removing diacritics from Latin letters only."""
    table: dict[int, str] = {}
    for start, end in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):
        for code in range(start, end + 1):
            char = chr(code)
            base = "".join(
                c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
            )
            if base and base != char and base.isascii():
                table[code] = base
    table.update({ord(k): v for k, v in _LIGATURES.items()})
    table.update({code: "" for code in range(0x0300, 0x0370)})  # stray combining accents
    return table


_LATIN_FOLD = _latin_fold_table()
_ARABIC_TABLE = {ord(k): v for k, v in _ARABIC_FOLDS.items()}
_ARABIC_TABLE.update({code: None for code in range(0x0610, 0x061B)})
_ARABIC_TABLE.update({code: None for code in range(0x064B, 0x0660)})
_ARABIC_TABLE.update({0x0670: None, ord(TATWEEL): None})


def fold_latin(text: str) -> str:
    """Strip accents from Latin letters ("États" → "Etats"); other scripts are untouched."""
    return text.translate(_LATIN_FOLD)


def fold_yo(text: str) -> str:
    """Fold Russian ё/Ё to е/Е and nothing else (й must stay й)."""
    return text.replace("ё", "е").replace("Ё", "Е")


def normalize_arabic(text: str) -> str:
    """Strip Arabic marks and tatweel; fold أإآٱ→ا, ى→ي, ة→ه."""
    return text.translate(_ARABIC_TABLE)


def strip_arabic_article(word: str) -> str:
    """Remove a leading definite article (ال, وال, بال, كال, فال, لل) from a long enough word."""
    for article in _ARABIC_ARTICLES:
        if word.startswith(article) and len(word) - len(article) >= 2:
            return word[len(article) :]
    return word


class NfkcRegexTokenizer(RegexTokenizer):
    """A RegexTokenizer that NFKC-normalises the text before matching."""

    def __call__(self, value: str, **kwargs: object) -> Iterator[Token]:  # type: ignore[override]
        """Tokenize the NFKC form of ``value``; offsets refer to that form."""
        yield from super().__call__(nfkc(value), **kwargs)


class _MapFilter(Filter):
    """Apply a str → str function to every token; drop tokens that become empty."""

    def transform(self, text: str) -> str:
        """Return the new token text."""
        raise NotImplementedError

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = self.transform(token.text)
            if token.text:
                yield token


class LatinFoldFilter(_MapFilter):
    """Remove accents from Latin letters."""

    def transform(self, text: str) -> str:
        return fold_latin(text)


class YoFilter(_MapFilter):
    """Fold ё to е."""

    def transform(self, text: str) -> str:
        return fold_yo(text)


class ArabicNormalizeFilter(_MapFilter):
    """Strip Arabic marks and tatweel and fold alef, alef maqsura and taa marbuta."""

    def transform(self, text: str) -> str:
        return normalize_arabic(text)


class ArabicArticleFilter(_MapFilter):
    """Light stemming: remove the definite article and its prefixed forms."""

    def transform(self, text: str) -> str:
        return strip_arabic_article(text)


def latin_analyzer(lang: str) -> Analyzer:
    """Lowercase, fold accents, then stem (folding first makes "Etats" and "États" identical)."""
    tokenizer = NfkcRegexTokenizer(WORD_PATTERN)
    return tokenizer | LowercaseFilter() | LatinFoldFilter() | StemFilter(lang=lang)


def russian_analyzer() -> Analyzer:
    """Lowercase, fold ё→е, Snowball Russian stemmer."""
    tokenizer = NfkcRegexTokenizer(WORD_PATTERN)
    return tokenizer | LowercaseFilter() | YoFilter() | StemFilter(lang="ru")


def arabic_analyzer() -> Analyzer:
    """Keep marks inside tokens, then strip them, fold letters and remove the article."""
    tokenizer = NfkcRegexTokenizer(ARABIC_PATTERN)
    return tokenizer | LowercaseFilter() | ArabicNormalizeFilter() | ArabicArticleFilter()


def chinese_analyzer() -> Analyzer:
    """One token per Han character; other runs of word characters stay whole."""
    tokenizer = NfkcRegexTokenizer(CHINESE_PATTERN)
    return tokenizer | LowercaseFilter() | LatinFoldFilter()


def generic_analyzer() -> Analyzer:
    """Any language, no stemming: Han per character, Latin accents and Arabic marks folded."""
    tokenizer = NfkcRegexTokenizer(GENERIC_PATTERN)
    chain = tokenizer | LowercaseFilter() | LatinFoldFilter() | YoFilter()
    return chain | ArabicNormalizeFilter()


def analyzer_for(language: str) -> Analyzer:
    """Return a new analyzer for an ISO 639-1 code (the generic one for other languages)."""
    if language in ("en", "fr", "es"):
        return latin_analyzer(language)
    builders = {"ru": russian_analyzer, "ar": arabic_analyzer, "zh": chinese_analyzer}
    return builders.get(language, generic_analyzer)()


def tokens(analyzer: Analyzer, text: str) -> list[str]:
    """Return the token texts ``analyzer`` produces for ``text`` (handy for tests and debugging)."""
    return [token.text for token in analyzer(text)]


class PageTerms:
    """Analyses page text into its indexed terms by position, memoising each word's term.

    ``terms(text)[pos]`` is the term the analyzer gives the token at ``pos`` (None where a
    filter dropped the token, so later positions keep their numbers): exactly what
    ``analyzer(text, positions=True, mode="index")`` yields. Every filter here maps one token
    to one token or drops it, independently of its neighbours, so each distinct word goes
    through the filter chain once; the per-token work stays in C (findall, ``map``).
    The same memo serves :meth:`spans`, which re-tokenizes shown pages for highlighting.
    """

    MAX_MEMO = 200_000

    def __init__(self, analyzer: Analyzer) -> None:
        self.tokenizer = analyzer[0]
        if not isinstance(self.tokenizer, NfkcRegexTokenizer) or self.tokenizer.gaps:
            raise TypeError("PageTerms needs an analyzer starting with an NfkcRegexTokenizer")
        self.filters = list(analyzer.items[1:])
        self.expression = self.tokenizer.expression
        self._memo: dict[str, str | None] = {}

    def terms(self, text: str) -> list[str | None]:
        """The term at each token position of ``text`` (None: the token was dropped)."""
        text = nfkc(text)
        if self.expression.groups:  # findall would return groups, not words
            words = [match.group() for match in self.expression.finditer(text)]
        else:
            words = self.expression.findall(text)
        memo = self._memo  # a full memo is replaced, not cleared: another thread may read it
        unseen = set(words).difference(memo)
        if len(memo) + len(unseen) > self.MAX_MEMO:
            memo = self._memo = {}
            unseen = set(words)
        for word in unseen:
            memo[word] = self._filter(word)
        return list(map(memo.__getitem__, words))

    def term(self, word: str) -> str | None:
        """The indexed term for one word as the tokenizer matched it (None if dropped)."""
        memo = self._memo
        if word not in memo:
            if len(memo) >= self.MAX_MEMO:
                memo = self._memo = {}
            memo[word] = self._filter(word)
        return memo[word]

    def spans(self, text: str, wanted: Set[str]) -> Iterator[tuple[int, str, int, int]]:
        """Yield (position, term, startchar, endchar) of the tokens of ``text`` in ``wanted``,
        for highlighting. ``text`` must already be NFKC-normalised so that the offsets refer
        to it.
        """
        if self.expression.groups:  # findall would return groups, not words
            for pos, match in enumerate(self.expression.finditer(text)):
                term = self.term(match.group())
                if term in wanted:
                    yield pos, term, match.start(), match.end()
            return
        # Look each distinct word up once, then find the positions of the wanted ones; the
        # per-token work stays in C (findall, set operations) except one membership test.
        words = self.expression.findall(text)
        found = {word: self.term(word) for word in set(words)}
        surface = {word for word, term in found.items() if term in wanted}
        if not surface:
            return
        positions = [pos for pos, word in enumerate(words) if word in surface]
        matches = list(self.expression.finditer(text))
        for pos in positions:
            match = matches[pos]
            yield pos, found[words[pos]], match.start(), match.end()

    def _filter(self, word: str) -> str | None:
        """Run one tokenizer match through the filter chain, as the analyzer would."""
        token = Token(positions=False, chars=False, removestops=True, mode="index")
        token.text, token.boost, token.stopped = word, 1.0, False
        stream: Iterator[Token] = iter([token])
        for item in self.filters:
            stream = item(stream)
        found = [t.text for t in stream if not t.stopped]
        return found[0] if found else None
