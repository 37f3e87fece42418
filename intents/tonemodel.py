"""The learned half of tone: how likely a message is upset, or a story about how a member of
staff served the writer (badly or well), in wordings the regular expressions of `tone.py` do
not know. Whether a story about the staff is a complaint or praise is left to `tone.py`'s
polarity words: n-grams learn who is talked about far better than how they are judged.

Trained (`supportbot kb train`) on `knowledge/tone.yaml` — example messages of each kind,
written for this and extendable by editors — with every entry's example wording and every
negative as calm messages. TF-IDF over word 1–2-grams and character 2–5-grams (so stems and
misspellings of a word share most of their features), multinomial logistic regression. Each
kind has its own threshold, chosen by cross-validation: the lowest at which the out-of-fold
predictions above it are right at least `PRECISION` of the time (a calm question that is read
as upset gets a needless apology; a complaint that is not one starts a feedback form).

Reading a message uses the fitted vocabularies and weights directly (~50 µs); the model is
stored as plain arrays (`to_bytes`), never pickled.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.model import KnowledgeBase

from .learned import _Tfidf, char_wb_ngrams, pack_linear, unpack_linear, word_ngrams

CALM = "calm"
KINDS = ("upset", "staff")  # what the model tells apart from calm messages
STAFF_KINDS = ("mistreated", "praise")  # the file's two kinds of story about the staff: one class, "staff"
FORMAT = 1
WORD_NGRAMS, CHAR_NGRAMS = (1, 2), (2, 5)
PRECISION = 0.9  # out-of-fold precision a kind's threshold must reach
MIN_THRESHOLD = 0.5
FOLDS = 5
SHIPPED = Path(__file__).resolve().parent.parent / "knowledge" / "tone.npz"
EXCLUDED_ENTRIES = frozenset({"complaint", "operator-request", "praise"})  # not calm: said outright (regexes)
_WORD = re.compile(r"[^\W_]+|[!?]+")


def document(text: str) -> str:
    """Lower-cased words (ё as е) and runs of "!"/"?" as tokens."""
    return " ".join(_WORD.findall(text.lower().replace("ё", "е")))


@dataclass
class ToneModel:
    classes: list[str]
    words: _Tfidf
    chars: _Tfidf
    coef: np.ndarray  # (features, classes), float32
    intercept: np.ndarray
    thresholds: dict[str, float]
    digest: str

    def probabilities(self, text: str) -> dict[str, float]:
        doc = document(text)
        columns: list[int] = []
        values: list[float] = []
        self.words.add(word_ngrams(doc, *WORD_NGRAMS), columns, values)
        self.chars.add(char_wb_ngrams(doc, *CHAR_NGRAMS), columns, values)
        z = self.intercept.astype(np.float64)
        if columns:
            z = z + np.asarray(values, dtype=np.float32) @ self.coef[columns]
        z = np.exp(z - z.max())
        p = z / z.sum()
        return dict(zip(self.classes, p.tolist(), strict=True))

    def kinds(self, text: str) -> frozenset[str]:
        """The kinds whose probability reaches their threshold."""
        p = self.probabilities(text)
        return frozenset(k for k, t in self.thresholds.items() if p.get(k, 0.0) >= t)

    def to_bytes(self) -> bytes:
        meta = {"format": FORMAT, "digest": self.digest, "classes": self.classes, "thresholds": self.thresholds}
        return pack_linear(meta, self.words, self.chars, self.coef, self.intercept)

    @classmethod
    def from_bytes(cls, blob: bytes) -> ToneModel:
        packed = unpack_linear(blob, FORMAT, "a tone model")
        meta = packed.meta
        return cls(meta["classes"], packed.words, packed.chars, packed.coef, packed.intercept.astype(np.float64),
                   {k: float(v) for k, v in meta["thresholds"].items()}, meta["digest"])


def examples(tone_file: dict[str, dict[str, list[str]]], calm: Sequence[str]) -> tuple[list[str], list[str]]:
    """(texts, labels): the file's kinds and calm messages, plus the given calm messages."""
    texts: list[str] = []
    labels: list[str] = []
    for kind, by_lang in tone_file.items():
        known = ("upset", *STAFF_KINDS, CALM)
        if kind not in known:
            raise ValueError(f"tone.yaml: unknown kind {kind!r} (one of {', '.join(known)})")
        for lang_texts in (by_lang or {}).values():
            for text in lang_texts or []:
                texts.append(str(text))
                labels.append("staff" if kind in STAFF_KINDS else kind)
    texts.extend(calm)
    labels.extend([CALM] * len(calm))
    return texts, labels


def digest(texts: Sequence[str], labels: Sequence[str]) -> str:
    h = hashlib.sha256(f"tone{FORMAT}".encode())
    for text, label in zip(texts, labels, strict=True):
        h.update(f"{label}\t{text}\n".encode())
    return h.hexdigest()[:16]


def _fit(docs: Sequence[str], labels: Sequence[str], c: float) -> tuple[list[str], _Tfidf, _Tfidf, np.ndarray, np.ndarray]:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    word_vec = TfidfVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, sublinear_tf=True, token_pattern=r"\S+",  # noqa: S106
                               lowercase=False, dtype=np.float64)
    char_vec = TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, lowercase=False,
                               dtype=np.float64)
    matrix = hstack([word_vec.fit_transform(docs), char_vec.fit_transform(docs)]).tocsr()
    lr = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(matrix, list(labels))
    words = _Tfidf({k: int(v) for k, v in word_vec.vocabulary_.items()}, word_vec.idf_.astype(np.float64), 0)
    chars = _Tfidf({k: int(v) for k, v in char_vec.vocabulary_.items()}, char_vec.idf_.astype(np.float64),
                   len(word_vec.vocabulary_))
    coef, intercept = lr.coef_.T, lr.intercept_.astype(np.float64)
    if coef.shape[1] == 1:  # two classes: scikit-learn keeps the second class's log-odds only
        coef, intercept = np.hstack([np.zeros_like(coef), coef]), np.array([0.0, intercept[0]])
    return [str(x) for x in lr.classes_], words, chars, np.ascontiguousarray(coef, dtype=np.float32), intercept


def choose_thresholds(labels: Sequence[str], oof: dict[str, np.ndarray]) -> dict[str, float]:
    """Per kind, the lowest threshold whose out-of-fold predictions above it reach `PRECISION`."""
    truth = np.asarray(labels)
    out = {}
    for kind in KINDS:
        p = oof[kind]
        chosen = 0.95
        for t in np.arange(MIN_THRESHOLD, 0.951, 0.025):
            above = p >= t
            if above.sum() and (truth[above] == kind).mean() >= PRECISION:
                chosen = float(round(t, 3))
                break
        out[kind] = chosen
    return out


def train(texts: Sequence[str], labels: Sequence[str], c: float = 10.0, folds: int = FOLDS, seed: int = 0
          ) -> tuple[ToneModel, dict[str, float]]:
    """Fit on everything; thresholds and out-of-fold recall/precision from `folds`-fold CV."""
    from sklearn.model_selection import StratifiedKFold

    docs = [document(t) for t in texts]
    y = np.asarray(labels)
    oof = {k: np.zeros(len(docs)) for k in KINDS}
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(docs, y):
        classes, words, chars, coef, intercept = _fit([docs[i] for i in train_idx], y[train_idx].tolist(), c)
        fold = ToneModel(classes, words, chars, coef, intercept, {}, "")
        for i in test_idx:
            p = fold.probabilities(texts[i])
            for k in KINDS:
                oof[k][i] = p.get(k, 0.0)
    thresholds = choose_thresholds(labels, oof)
    stats = {}
    for k in KINDS:
        above = oof[k] >= thresholds[k]
        stats[f"{k}_recall"] = float((above & (y == k)).sum() / max(1, (y == k).sum()))
        stats[f"{k}_precision"] = float((y[above] == k).mean()) if above.any() else 0.0
    classes, words, chars, coef, intercept = _fit(docs, labels, c)
    model = ToneModel(classes, words, chars, coef, intercept, thresholds, digest(texts, labels))
    return ToneModel.from_bytes(model.to_bytes()), stats


@functools.cache
def shipped() -> ToneModel | None:
    """The tone model shipped next to the knowledge files (None: the regular expressions alone)."""
    try:
        return ToneModel.from_bytes(SHIPPED.read_bytes())
    except (OSError, ValueError, KeyError):
        return None


def calm_texts(kb: KnowledgeBase, directory: Path | None = None) -> list[str]:
    """Messages of the knowledge base that are calm: its entries' example wordings (but those
    of the complaint, praise and operator entries) and the negatives of `negatives.yaml`. Not
    those of `negatives_uncovered.yaml` (`directory`'s, default the shipped folder's): teaching the
    understanding model more uncovered subjects must not move the tone thresholds (17 more calm
    questions moved "upset" from 0.925 to 0.95 and neutral messages began to read as upset)."""
    from knowledge import loader

    uncovered = set(loader.load_negatives(directory or loader.SHIPPED, names=loader.NEGATIVE_FILES[1:]))
    texts = [text for entry in kb.entries if entry.id not in EXCLUDED_ENTRIES for _, text in entry.examples.all()]
    return texts + [text for text in kb.negatives if text not in uncovered]


def train_for(kb: KnowledgeBase, directory: Path) -> tuple[ToneModel, dict[str, float]] | None:
    """Train on `directory/tone.yaml` and the base's calm messages; None without the file."""
    import yaml

    path = directory / "tone.yaml"
    if not path.exists():
        return None
    texts, labels = examples(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, calm_texts(kb, directory))
    return train(texts, labels)
