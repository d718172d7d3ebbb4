"""The coefficients of expV's polynomial (assembly/activation.ts): 2^f on [-1/2, 1/2] (exp(x) =
2^n 2^f with n + f = x log2(e)) as 1 + f (c1 + f (c2 + f (c3 + f (c4 + f c5)))), fitted for the
least largest relative error by iteratively reweighted least squares on Chebyshev nodes, then
checked as the kernel evaluates it (f32, Estrin's form), and in Horner's form, against the
degree-6 Taylor polynomial of exp over the same interval (the kernel's first polynomial, in
ln2-scaled form).

    python3 scripts/fit-exp.py
"""
import math

import numpy as np

L = 0.5
r = np.cos(np.pi * (np.arange(4000) + 0.5) / 4000) * L
f = np.exp2(r)
A = np.stack([r ** k for k in range(1, 6)], 1)
w = 1 / f
for _ in range(60):
    c, *_ = np.linalg.lstsq(A * w[:, None], (f - 1) * w, rcond=None)
    err = (1 + A @ c - f) / f
    w = w * (1 + 5 * np.abs(err) / np.abs(err).max())  # weight the peaks up: towards equal ripples


def horner(r, coefs):
    p = np.float32(coefs[0])
    for k in coefs[1:]:
        p = (p * r + np.float32(k)).astype(np.float32)
    return p


def estrin(r, c):
    """((c5 r + c4) r^2 + (c3 r + c2)) r^2 + (c1 r + 1), each operation rounded to f32 (expV)."""
    c1, c2, c3, c4, c5 = (np.float32(v) for v in c)
    r2 = (r * r).astype(np.float32)
    hi = (c5 * r + c4).astype(np.float32)
    mid = (c3 * r + c2).astype(np.float32)
    lo = (c1 * r + np.float32(1)).astype(np.float32)
    return ((hi * r2 + mid).astype(np.float32) * r2 + lo).astype(np.float32)


x = np.linspace(-L, L, 200001).astype(np.float32)
exact = np.exp2(x.astype(np.float64))
c32 = [float(np.float32(v)) for v in c]
print("c1..c5:", c32)
print("degree 5, f32, Estrin (the kernel's): max relative error %.3g" % np.abs(estrin(x, c32) / exact - 1).max())
print("degree 5, f32, Horner: max relative error %.3g" % np.abs(horner(x, c32[::-1] + [1.0]) / exact - 1).max())
ln2 = np.log(2)
taylor = [float(np.float32(ln2 ** k / math.factorial(k))) for k in range(6, 0, -1)] + [1.0]
print("degree-6 Taylor, f32: max relative error %.3g" % np.abs(horner(x, taylor) / exact - 1).max())
