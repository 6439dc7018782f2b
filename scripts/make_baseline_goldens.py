#!/usr/bin/env python3
"""Goldens for src/baseline/: scikit-learn's TfidfVectorizer + multinomial LogisticRegression on a fixed corpus.

Run with Debian's scikit-learn from the repository root:  /usr/bin/python3 scripts/make_baseline_goldens.py
Writes test/fixtures/baseline/goldens.json. Uses no project code: this is the independent reference.

The settings are the ones the TypeScript baseline claims to reproduce:
  TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True,
                  token_pattern=r"(?u)\\b\\w\\w+\\b", smooth_idf=True, norm="l2")
  LogisticRegression(C=1.0, penalty="l2", multi_class="multinomial", fit_intercept=True, solver="lbfgs",
                     max_iter=1000)
except for how long it runs. sklearn's default stop (tol=1e-4 on the largest gradient entry, and scipy's default
ftol of about 2e-9 on the relative change in the objective, which sklearn 1.2 does not expose) ends short of the
optimum, and a golden should be the optimum itself: the objective is strictly convex in the weights and the
TypeScript solver is checked against it. So the golden fit uses tol=1e-12 and, because ftol still ends each run
after a few iterations, is restarted from its own solution (warm_start=True, still sklearn's lbfgs on sklearn's
loss) until the largest gradient entry is below 1e-8; that gradient is stored (`max_abs_gradient`). The
probabilities of one fit at the default tol are stored too (`proba_default_tol`), so anyone can see how far the
default stops.
"""
import json
import math
import os

import numpy as np
import scipy
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

OUT = "test/fixtures/baseline/goldens.json"
C = 1.0
GRAD_GOAL = 1e-8
MAX_RESTARTS = 1000
CLASSES = ["invoice", "order", "support"]

# ~40 short texts over 3 classes. Chosen to exercise the tokenizer as well as the classifier: repeated words
# (sublinear tf), capitals, digits, underscores, 1-character tokens (dropped), punctuation and an emoji inside a
# word (both split it), accented and non-Latin letters, fullwidth letters (BMP, above the surrogate range) and
# mathematical bold letters (astral): the last two sort differently by UTF-16 unit than by code point.
TRAIN = [
    ("Invoice #4471 attached: please pay the invoice by Friday.", 0),
    ("Your invoice INV_2024_031 is overdue, payment due now.", 0),
    ("Payment received for invoice 88, thank you.", 0),
    ("Please find the monthly invoice attached, total due 120 EUR.", 0),
    ("Reminder: invoice unpaid unpaid unpaid, late fee applies.", 0),
    ("The billing team sent a corrected invoice for March.", 0),
    ("Facture n° 12 pour le café, à payer avant le 30.", 0),
    ("Rechnung für Zürich office: Betrag fällig 400 CHF.", 0),
    ("Credit note issued against invoice 4471.", 0),
    ("Invoice total incorrect, VAT missing; please reissue the invoice.", 0),
    ("Statement of account: two invoices outstanding.", 0),
    ("Pay by bank transfer; invoice reference on the remittance.", 0),
    ("請求書 attached, payment due 月末.", 0),
    ("𝐈𝐧𝐯𝐨𝐢𝐜𝐞 𝐝𝐮𝐞 today, the 𝐛𝐨𝐥𝐝 reminder.", 0),
    ("Order 5512 shipped today, tracking number inside.", 1),
    ("Your order has been confirmed and will ship tomorrow.", 1),
    ("We received your order for 3 blue shirts.", 1),
    ("Order status: packed, awaiting courier pickup.", 1),
    ("Cancel my order please, I ordered the wrong size.", 1),
    ("Your package was delivered to the front door.", 1),
    ("Order ORD_77 delayed; new delivery date Monday.", 1),
    ("Thanks for shopping! Order confirmation attached.", 1),
    ("Shipment split into two parcels, order partly shipped.", 1),
    ("Bestellung versandt: Lieferung morgen früh.", 1),
    ("Track your order online with the tracking link.", 1),
    ("Great👍deal: order now, ships free, order order order.", 1),
    ("Ｏｒｄｅｒ ｆｕｌｌｗｉｄｔｈ confirmation for 2 items.", 1),
    ("Return label for order 5512 is ready.", 1),
    ("I cannot log in to my account, password reset fails.", 2),
    ("The app crashes when I open settings, please help.", 2),
    ("Support ticket 901: error 500 on checkout page.", 2),
    ("How do I change my email address on the account?", 2),
    ("Help! The device will not turn on after the update.", 2),
    ("Bug report: export button does nothing in Firefox.", 2),
    ("Can support reset my two-factor authentication?", 2),
    ("Error message says license expired, but it is paid.", 2),
    ("Login page keeps loading forever, please advise.", 2),
    ("Naïve question: where is the help center for the app?", 2),
    ("Support says restart, restart did not help help help.", 2),
    ("ошибка при входе в аккаунт, помогите пожалуйста.", 2),
]

# Held-out texts: one with a word never seen in training ("zeppelin"), one whose tokens are all 1 character long
# (an all-zero row: probabilities are the softmax of the intercepts alone), one with only unseen words, and a few
# that mix classes.
TEST = [
    "Please pay the attached invoice for the zeppelin.",
    "a b c 1 2 ! ?",
    "Where is my order? Tracking says delivered.",
    "Password reset error, please help.",
    "Invoice for order 5512 is attached.",
    "quixotic xylophones juggle",
    "Ｏｒｄｅｒ shipped, 𝐛𝐨𝐥𝐝 move.",
    "Support: the invoice page shows error 500 after the update.",
]

VECTORIZER = dict(
    ngram_range=(1, 2),
    sublinear_tf=True,
    min_df=1,
    lowercase=True,
    token_pattern=r"(?u)\b\w\w+\b",
    smooth_idf=True,
    norm="l2",
)


def rows(X):
    X = X.tocsr()
    X.sort_indices()
    return [
        {"indices": X.indices[X.indptr[i]:X.indptr[i + 1]].tolist(), "values": X.data[X.indptr[i]:X.indptr[i + 1]].tolist()}
        for i in range(X.shape[0])
    ]


def objective(W, b, X, y, c):
    """0.5 * ||W||^2 + C * sum_i cross_entropy_i: C times what sklearn 1.2 minimises (sum CE + 0.5 / C * ||W||^2)."""
    Z = X @ W.T + b
    Z = Z - Z.max(axis=1, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    ce = -logp[np.arange(len(y)), y].sum()
    return 0.5 * float((W * W).sum()) + c * float(ce)


def gradient(W, b, X, y, c):
    Z = X @ W.T + b
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1.0
    return W + c * np.asarray(X.T @ P).T, c * P.sum(axis=0)


def logreg(tol, warm_start=False):
    return LogisticRegression(
        C=C, penalty="l2", multi_class="multinomial", fit_intercept=True, solver="lbfgs", max_iter=1000, tol=tol,
        warm_start=warm_start,
    )


def full_coef(model, n_classes):
    """coef_/intercept_ as one row per class. sklearn keeps one row for a binary multinomial fit: the class-1 row
    of the symmetric 2-class solution, whose class-0 row is its negative."""
    W, b = model.coef_, model.intercept_
    if n_classes == 2:
        W, b = np.vstack([-W, W]), np.concatenate([-b, b])
    return W, b


def fit_case(X_train, y, X_test, n_classes):
    model = logreg(1e-12, warm_start=True)
    for restarts in range(MAX_RESTARTS):
        model.fit(X_train, y)
        W, b = full_coef(model, n_classes)
        gW, gb = gradient(W, b, X_train, y, C)
        if max(np.abs(gW).max(), np.abs(gb).max()) < GRAD_GOAL:
            break
    default = logreg(1e-4).fit(X_train, y)
    return {
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_.tolist(),
        "lbfgs_runs": restarts + 1,
        "objective": objective(W, b, X_train, y, C),
        "max_abs_gradient": float(max(np.abs(gW).max(), np.abs(gb).max())),
        "proba": model.predict_proba(X_test).tolist(),
        "predict": model.predict(X_test).tolist(),
        "proba_default_tol": default.predict_proba(X_test).tolist(),
        "objective_default_tol": objective(*full_coef(default, n_classes), X_train, y, C),
    }


def main():
    texts = [t for t, _ in TRAIN]
    labels = np.array([l for _, l in TRAIN])
    vec = TfidfVectorizer(**VECTORIZER)
    X_train = vec.fit_transform(texts)
    X_test = vec.transform(TEST)

    # Binary case: the invoice and order texts only, relabelled 0/1, on the same vectorizer. It checks that a
    # 2-class softmax in TypeScript gives sklearn's binary-multinomial probabilities.
    binary = labels < 2
    X_bin = X_train[binary]

    out = {
        "made_by": "scripts/make_baseline_goldens.py",
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
        "vectorizer": {**VECTORIZER, "ngram_range": list(VECTORIZER["ngram_range"])},
        "logreg": {"C": C, "max_iter": 1000, "tol": 1e-12, "grad_goal": GRAD_GOAL, "objective": "0.5*||W||^2 + C*sum_i CE_i"},
        "classes": CLASSES,
        "train_texts": texts,
        "train_labels": labels.tolist(),
        "test_texts": TEST,
        # Python's sorted() on str: code point order.
        "vocabulary": {t: int(i) for t, i in sorted(vec.vocabulary_.items())},
        "idf": vec.idf_.tolist(),
        "train_rows": rows(X_train),
        "test_rows": rows(X_test),
        "multiclass": fit_case(X_train, labels, X_test, len(CLASSES)),
        "binary": {"train_index": np.flatnonzero(binary).tolist(), **fit_case(X_bin, labels[binary], X_test, 2)},
    }
    for name in ("multiclass", "binary"):
        case = out[name]
        assert case["max_abs_gradient"] < GRAD_GOAL, (name, case["max_abs_gradient"])
        assert math.isfinite(case["objective"])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    m = out["multiclass"]
    print(
        f"wrote {OUT}: {len(out['vocabulary'])} terms; multiclass objective {m['objective']:.12g} "
        f"({m['lbfgs_runs']} lbfgs runs, max |grad| {m['max_abs_gradient']:.2e}); "
        f"default tol moves probabilities by up to "
        f"{np.abs(np.array(m['proba']) - np.array(m['proba_default_tol'])).max():.2e}"
    )


if __name__ == "__main__":
    main()
