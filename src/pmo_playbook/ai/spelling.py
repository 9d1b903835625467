"""Correct misspelt question words against the library's own vocabulary.

A typed question often carries one-letter slips ("budjet", "projct", "updte"). Neither the
English stemmer nor the embedding model recovers them, so the word is lost to both signals.
A word that is neither in the library nor in an English dictionary is replaced by the one
library word one edit away (insertion, deletion, substitution or adjacent transposition), when
exactly one exists. The dictionary (the embedding model's tokenizer vocabulary) keeps real
words such as "normal" or "rather" from being bent into library words ("formal", "gather");
without a dictionary nothing is corrected. Only words of MIN_LENGTH letters or more are
touched: short words have too many neighbours. The vocabulary is the SOPs' text, so nothing
here is tied to one library.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

MIN_LENGTH = 5
_WORD = re.compile(r"[A-Za-z]+")


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by exactly one insertion, deletion, substitution or adjacent
    transposition."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


class Speller:
    """The vocabulary of one library with a deletion index (SymSpell-style) for fast lookup."""

    def __init__(self, texts: Iterable[str], dictionary: set[str]) -> None:
        self.dictionary = dictionary
        self.vocabulary: set[str] = set()
        for text in texts:
            self.vocabulary.update(w.lower() for w in _WORD.findall(text))
        self._by_key: dict[str, set[str]] = defaultdict(set)
        for word in self.vocabulary:
            if len(word) >= MIN_LENGTH - 1:
                for key in _deletes(word) | {word}:
                    self._by_key[key].add(word)

    def correction(self, word: str) -> str | None:
        """The library word one edit away from `word`, if `word` is unknown and there is
        exactly one."""
        lower = word.lower()
        if not self.dictionary or len(lower) < MIN_LENGTH:
            return None
        if lower in self.vocabulary or lower in self.dictionary:
            return None
        found: set[str] = set()
        for key in _deletes(lower) | {lower}:
            found |= {w for w in self._by_key.get(key, ()) if _one_edit(lower, w)}
        return found.pop() if len(found) == 1 else None

    def correct(self, text: str) -> str:
        """`text` with each correctable word replaced."""
        return _WORD.sub(lambda m: self.correction(m.group(0)) or m.group(0), text)
