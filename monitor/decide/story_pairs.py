"""A learned layer over the story similarity: how likely an article and an open story report one event.
Pure: the article's vector, the candidate stories and the clock are passed in.

    pair_features(features, candidate, at, rival) -> list[float]   what the decision looks at
    join_probability(values) -> float                                logistic regression over them

The cosine alone treats every shared term alike; the pair layer weighs what tells one event from another
on the same subject: shared names (pairs of title words) and figures, how many of the article's heaviest
terms the story holds, how long ago the story was last reported, and how far this story leads the next
best one. The weights (WEIGHTS, BIAS) were fitted on the dev part of the labelled story set by
tests/fixtures/stories/train_pairs.py, which prints them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul

FEATURE_NAMES = (
    "centroid_cosine",  # with the story's mean vector
    "member_cosine",  # with its closest recent member
    "shared_heavy",  # of the article's heaviest terms, the share found among the story's index terms
    "shared_names",  # title word pairs (names, places) the article shares with the story, at most 3
    "shared_numbers",  # figures the article shares with the story, at most 3
    "days_apart",  # since the story's last member
    "log_size",  # members of the story
    "lead",  # this story's similarity minus the best other candidate's
)


def pair_features(centroid_cosine: float, member_cosine: float, shared_heavy: float, names: int, numbers: int,
                  hours_apart: float, size: int, lead: float) -> list[float]:
    return [centroid_cosine, member_cosine, shared_heavy, min(names, 3) / 3, min(numbers, 3) / 3,
            hours_apart / 24, math.log(size), lead]


WEIGHTS = (13.5189, 1.6273, -1.3656, 0.5610, -0.5895, -0.0433, 0.1888, 0.6326)
BIAS = -3.1757


def join_probability(values: Sequence[float], weights: Sequence[float] | None = None, bias: float | None = None
                     ) -> float:
    """The probability that the pair reports one event (WEIGHTS and BIAS unless others are given)."""
    weights = WEIGHTS if weights is None else weights
    bias = BIAS if bias is None else bias
    if len(weights) != len(values):
        raise ValueError(f"{len(values)} values for {len(weights)} weights")
    z = bias + math.fsum(map(mul, weights, values))
    return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0


def fit(rows: Sequence[Sequence[float]], labels: Sequence[int], *, l2: float = 1e-2, steps: int = 50
        ) -> tuple[list[float], float]:
    """Logistic regression with an L2 penalty (not on the bias), by Newton's method: few rows and few
    features, so the standard library suffices. Returns the weights and the bias."""
    k = len(rows[0]) + 1
    xs = [[*x, 1.0] for x in rows]
    beta = [0.0] * k
    for _ in range(steps):
        grad = [l2 * b if j < k - 1 else 0.0 for j, b in enumerate(beta)]
        hess = [[(l2 if i == j and i < k - 1 else 0.0) for j in range(k)] for i in range(k)]
        for x, y in zip(xs, labels, strict=True):
            p = join_probability(x[:-1], beta[:-1], beta[-1])
            for i in range(k):
                grad[i] += (p - y) * x[i]
                for j in range(k):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return beta[:-1], beta[-1]


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """a x = b by Gaussian elimination with partial pivoting (a is small and positive definite)."""
    n = len(b)
    m = [[*row, rhs] for row, rhs in zip(a, b, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x
