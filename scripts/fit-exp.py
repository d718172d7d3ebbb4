"""The coefficients of expV's polynomial (assembly/activation.ts): exp(r) on [-ln2/2, ln2/2] as
1 + r (c1 + r (c2 + r (c3 + r (c4 + r c5)))), fitted for the least largest relative error by
iteratively reweighted least squares on Chebyshev nodes, then checked as the kernel evaluates it
(f32, Horner) against the degree-6 Taylor polynomial it replaced.

    python3 scripts/fit-exp.py
"""
import numpy as np

L = np.log(2) / 2
r = np.cos(np.pi * (np.arange(4000) + 0.5) / 4000) * L
f = np.exp(r)
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


x = np.linspace(-L, L, 200001).astype(np.float32)
exact = np.exp(x.astype(np.float64))
c32 = [float(np.float32(v)) for v in c]
print("c1..c5:", c32)
print("degree 5, f32: max relative error %.3g" % np.abs(horner(x, c32[::-1] + [1.0]) / exact - 1).max())
print("degree-6 Taylor, f32: max relative error %.3g" % np.abs(horner(x, [1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1.0, 1.0]) / exact - 1).max())
