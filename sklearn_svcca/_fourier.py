"""Fourier CCA for convolutional layers (Raghu et al., 2017, section 3).

Layout of this module:

- :class:`FrequencyGrid` / :func:`frequency_grid`: which spatial frequencies
  are compared, which of them are actually solved (real input has a
  Hermitian-symmetric spectrum) and where each one is read from each view's
  ``scipy.fft.rfft2`` output.
- :func:`spectral_moments`: the per-frequency sufficient statistics of a
  batch, a :class:`~sklearn_svcca._linalg.Moments` stacked over the solved
  frequencies with the channels' sums of squares. Two batches merge exactly
  with :func:`~sklearn_svcca._linalg.merge_moments` given the DFT of the
  difference of mean maps (:func:`_delta_spectrum`). Everything FourierCCA
  learns comes from these.
- :class:`FourierCCA`: the estimator plumbing. Its views become a stack of
  problems, one per solved frequency (``_route_bases``); the solve is the
  one of every canonical estimator (``_CanonicalBase._solve_problems``, the
  batched core in :mod:`sklearn_svcca._linalg`), and what is left here is
  the DFT and how the frequencies' pairs are aggregated.

Conventions: maps are ``(n_samples, height, width, channels)``; the DFT is
NumPy's unnormalised forward ``fft2`` over (height, width); frequencies along
an axis of length ``m`` are listed in NumPy's order ``0, 1, ..., -1`` (as
``np.fft.fftfreq(m, 1 / m)``). Cross-products are ``Zᴴ Z`` sums over samples
of the centered DFT coefficients, accumulated in complex128 (for Array API
input, in its namespace and on its device, where they are also solved).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from numbers import Integral
from typing import NamedTuple

import numpy as np
import scipy.fft
from scipy.linalg.blas import dgemm as _dgemm
from scipy.linalg.blas import dsyrk as _dsyrk
from scipy.linalg.blas import zgemm as _zgemm
from scipy.linalg.blas import zherk as _zherk
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import assert_all_finite

from . import _array_api, _dask, _linalg, _validation
from ._base import (
    _CanonicalBase,
    _check_n_components,
    _sample_size_diagnostics,
)
from .exceptions import ConditioningWarning

# ---------------------------------------------------------------------------
# Which frequencies are compared and solved.


@dataclass(frozen=True)
class FrequencyGrid:
    """The frequencies compared by FourierCCA and how to read them.

    The grid is ``shape = (H, W)`` with ``H = min(h_x, h_y)`` and
    ``W = min(w_x, w_y)``; position ``(i, j)`` is the frequency
    ``(fftfreq(H, 1/H)[i], fftfreq(W, 1/W)[j])``, i.e. every ``f`` with
    ``-m/2 <= f < m/2`` on an axis of size ``m``. Each position holds one CCA
    problem between the two views' channel vectors at that frequency. For
    real input, the problem at ``-f`` is the complex conjugate of the one at
    ``f`` when both are on the grid, so only one of them is *solved*.

    Attributes
    ----------
    shape : tuple of int
        ``(H, W)``.
    solved : ndarray of int, shape (n_solved,)
        Flat grid positions of the solved problems, ascending.
    partner : ndarray of int, shape (n_solved,)
        Flat grid position of each solved problem's conjugate, or -1 when it
        has none on the grid (self-conjugate frequencies, and, when the views
        differ in size along an axis of even smaller size ``m``, the
        frequencies ``-m/2`` of that axis).
    real : ndarray of bool, shape (n_solved,)
        Self-conjugate problems (the DC and Nyquist bins): their data are
        real.
    x_bins, y_bins : tuple of three ndarrays
        ``(rows, cols, conj)``: where each solved frequency is read in the
        view's ``rfft2`` output, and whether it must be conjugated (the bin
        lies in the half of the spectrum that ``rfft2`` does not store).
    x_size, y_size : tuple of int
        Spatial size ``(height, width)`` of each view.
    """

    shape: tuple
    solved: np.ndarray
    partner: np.ndarray
    real: np.ndarray
    x_bins: tuple
    y_bins: tuple
    x_size: tuple
    y_size: tuple

    @property
    def n_solved(self):
        return self.solved.shape[0]

    @property
    def multiplicity(self):
        """How many grid positions each solved problem stands for (1 or 2)."""
        return 1 + (self.partner >= 0)

    def to_grid(self, values, conjugate=False):
        """Spread per-solved-problem ``values`` over the ``H * W`` positions.

        A gather (no scatter), in the namespace and on the device of
        ``values``: every grid position is a solved problem or the partner of
        one.
        """
        paired, positions = _hartley_positions(self)
        partners = _array_api.take(values, paired, axis=0)
        if conjugate:
            partners = _linalg.conj(partners)
        xp, _ = _array_api.namespace(values)
        return _array_api.take(xp.concat([values, partners], axis=0), positions, 0)


def _axis_frequencies(m):
    return np.rint(np.fft.fftfreq(m, 1.0 / m)).astype(np.intp)


def _axis_negation(m, same_size):
    """Index of ``-f`` for each frequency ``f`` of an axis of size ``m``.

    ``-f`` leaves the grid only for ``f = -m/2`` (even ``m``). If both views
    have size ``m`` on this axis, ``+m/2`` is the same bin as ``-m/2`` (their
    Nyquist bin), so ``f`` is its own negation; otherwise the larger view
    has a distinct ``+m/2`` bin that is not compared, and ``f`` has none.
    """
    f = _axis_frequencies(m)
    neg = np.mod(-f, m)
    outside = -f >= m / 2
    return np.where(outside, np.arange(m) if same_size else -1, neg)


def _view_bins(fu, fv, size):
    h, w = size
    rows = np.mod(fu, h)
    cols = np.mod(fv, w)
    conj = cols > w // 2
    rows = np.where(conj, np.mod(-fu, h), rows)
    cols = np.where(conj, np.mod(-fv, w), cols)
    return rows, cols, conj


def frequency_grid(x_size, y_size):
    """The frequency grid comparing maps of spatial sizes ``x_size``, ``y_size``.

    Parameters
    ----------
    x_size, y_size : tuple of int
        ``(height, width)`` of each view.

    Returns
    -------
    grid : FrequencyGrid
    """
    return _frequency_grid(tuple(int(v) for v in x_size), tuple(int(v) for v in y_size))


@functools.lru_cache(maxsize=16)
def _frequency_grid(x_size, y_size):
    # Cached: FourierCCA derives its grid from its map shapes on every use
    # rather than storing it (the grid is never modified).
    H, W = min(x_size[0], y_size[0]), min(x_size[1], y_size[1])
    neg_u = _axis_negation(H, x_size[0] == y_size[0])
    neg_v = _axis_negation(W, x_size[1] == y_size[1])
    iu, iv = np.divmod(np.arange(H * W), W)
    has = (neg_u[iu] >= 0) & (neg_v[iv] >= 0)
    flat = np.arange(H * W)
    partner = np.where(has, neg_u[iu] * W + neg_v[iv], -1)
    # One of each conjugate pair is solved: the one first in the grid, which
    # has a non-negative column frequency and so sits in rfft2's half.
    solved = flat[~has | (flat <= partner)]
    partner = partner[solved]
    real = partner == solved
    partner = np.where(real, -1, partner)
    fu = _axis_frequencies(H)[solved // W]
    fv = _axis_frequencies(W)[solved % W]
    return FrequencyGrid(
        shape=(H, W),
        solved=solved,
        partner=partner,
        real=real,
        x_bins=_view_bins(fu, fv, x_size),
        y_bins=_view_bins(fu, fv, y_size),
        x_size=x_size,
        y_size=y_size,
    )


class _BlockSpectra(NamedTuple):
    """The ``rfft2`` of a block of centered maps, read at the solved frequencies.

    ``F`` has shape (n_bins, n_block, channels): every bin that ``rfft2``
    stores, each with its (sample, channel) matrix contiguous. Solved
    frequency ``t`` is ``F[index[t]]``, conjugated where ``conj[t]``.
    """

    F: np.ndarray
    index: np.ndarray
    conj: np.ndarray

    def __getitem__(self, t):
        # A view of the FFT output unless the bin must be conjugated.
        Z = self.F[self.index[t]]
        return np.conj(Z) if self.conj[t] else Z

    def __len__(self):
        return self.index.shape[0]

    def stack(self):
        """All solved frequencies as one (n_solved, n_block, channels) copy."""
        Z = self.F[self.index]
        Z[self.conj] = np.conj(Z[self.conj])
        return Z


def _bin_index(bins, width):
    rows, cols, _ = bins
    return rows * (width // 2 + 1) + cols


def _spectra(maps, mean_map, bins, real):
    """Centered DFT coefficients of a block of maps at the solved frequencies.

    Returns ``(spectra, residual, sumsq)``: a :class:`_BlockSpectra` in
    complex128; the spatial sum of the centered block (the rounding left by
    centering, removed exactly by the caller); and the per-channel sum of
    squares of the centered block.
    """
    b, h, w, c = maps.shape
    # Centering writes a float64 copy laid out (height, width, sample,
    # channel). The FFT then runs in double precision: its rounding is
    # relative to the energy of the whole map, so a float32 FFT would bury
    # frequencies carrying less than about 1e-7 of it (the high frequencies
    # of smooth maps) in noise. Its output holds each frequency's (sample,
    # channel) matrix contiguously, ready for BLAS without a transposing
    # copy; and the caller's array is never written to.
    z = np.empty((h, w, b, c))
    np.subtract(maps.transpose(1, 2, 0, 3), mean_map[:, :, None, :], out=z)
    residual = z.sum(axis=2)
    sumsq = np.einsum("hwnc,hwnc->c", z, z)
    index = _bin_index(bins, w)
    if h * w == 1:
        # The DFT of a 1x1 map is the map itself (2-D input: plain CCA);
        # keeping it real lets the products run in real arithmetic.
        return _BlockSpectra(z.reshape(1, b, c), index, bins[2]), residual, sumsq
    F = scipy.fft.rfft2(z, axes=(0, 1), overwrite_x=True).reshape(-1, b, c)
    # Self-conjugate bins are real in exact arithmetic; dropping the rounding
    # makes those problems real. No other solved frequency reads these bins.
    F.imag[index[real]] = 0.0
    return _BlockSpectra(F, index, bins[2]), residual, sumsq


def _map_spectrum(mean_map, grid, *, x_view):
    """DFT of one map (height, width, channels) at the solved frequencies.

    Returns (n_solved, channels), in the map's namespace and on its device.
    """
    if _array_api.is_foreign(mean_map):
        xp, _ = _array_api.namespace(mean_map)
        one = xp.reshape(mean_map, (1, *mean_map.shape))
        bins = _namespace_bins(grid, x_view=x_view)
        Z = _array_api.bin_spectra(one, xp.zeros_like(mean_map), bins)[0]
        return Z[:, 0, :]
    bins = grid.x_bins if x_view else grid.y_bins
    return _spectra(mean_map[None], 0.0 * mean_map, bins, grid.real)[0].stack()[:, 0]


def _block_rows(*maps):
    per_sample = sum(int(np.prod(m.shape[1:])) for m in maps)
    return max(1, _BLOCK_ELEMENTS // max(1, per_sample))


# A block of both views holds about four million float64 values, as in
# compute_moments: the centered copy and its spectrum stay under about 70 MiB
# whatever n_samples is (larger blocks were not faster: the per-frequency
# products are at BLAS speed from about a hundred rows).
_BLOCK_ELEMENTS = _linalg._BLOCK_ELEMENTS


# ---------------------------------------------------------------------------
# Sufficient statistics.


def _accumulate_cross_products(cxx, cyy, cxy, zx, zy, real):
    """Add ``zxᴴ zx`` (lower triangle), ``zyᴴ zy`` (lower) and ``zxᴴ zy``.

    ``zx[t]`` (n, p) and ``zy[t]`` are frequency ``t``'s data, C-ordered;
    the accumulators are C-ordered stacks. One BLAS call per
    frequency and product: ZHERK and ZGEMM with a conjugate-transpose flag
    read the data in place, where a stacked ``np.matmul`` would first copy
    the conjugate (NumPy cannot conjugate inside matmul) and would not use
    the Hermitian product's half-cost; together this halves the time of the
    dominant step. With ``a = zᵀ`` (Fortran-ordered, no copy), ZHERK gives
    ``a aᴴ = conj(zᴴ z)`` in its upper triangle, which is the lower triangle
    of ``zᴴ z`` once read through the C-ordered accumulator; likewise ZGEMM
    writes ``(zxᴴ zy)ᵀ`` into the transposed accumulator.
    """
    for t in range(len(zx)):
        if real[t]:
            # A real frequency (DC, Nyquist; every one of a 1x1 map): real
            # SYRK/GEMM do a quarter of the complex products' work.
            ax = np.ascontiguousarray(zx[t].real).T
            ay = np.ascontiguousarray(zy[t].real).T
            cxx[t] += _dsyrk(1.0, ax).T
            cyy[t] += _dsyrk(1.0, ay).T
            cxy[t] += _dgemm(1.0, ay, ax, trans_b=1).T
            continue
        ax, ay = zx[t].T, zy[t].T
        _zherk(1.0, ax, beta=1.0, c=cxx[t].T, overwrite_c=1)
        _zherk(1.0, ay, beta=1.0, c=cyy[t].T, overwrite_c=1)
        _zgemm(1.0, ay, ax, beta=1.0, c=cxy[t].T, trans_b=2, overwrite_c=1)


def _fill_hermitian(c):
    """Complete stacked Hermitian matrices from their lower triangles."""
    upper = np.triu_indices(c.shape[-1], 1)
    c[:, upper[0], upper[1]] = np.conj(c[:, upper[1], upper[0]])
    return c


def spectral_moments(X, Y, grid, *, block_rows=None):
    """Per-frequency moments of two views of conv maps, in one pass.

    The spatial means are computed first; each block of samples is then
    centered in float64, transformed with ``scipy.fft.rfft2`` (channels
    last), read at the solved frequencies and multiplied into stacked
    complex128 cross-products. As in :func:`~sklearn_svcca._linalg.compute_moments`,
    the rounding left in the centered data is accumulated and removed at the
    end, so that an exactly constant channel has exactly negligible
    cross-products. Memory beyond the input is one block plus
    ``n_solved * (p + q)²`` complex numbers: no ``(h w c)²`` matrix.

    Parameters
    ----------
    X : ndarray of shape (n_samples, h_x, w_x, p)
    Y : ndarray of shape (n_samples, h_y, w_y, q)
    grid : FrequencyGrid
    block_rows : int, default=None
        Samples per block; by default about four million values of both
        views per block.

    Returns
    -------
    moments : Moments
        :class:`~sklearn_svcca._linalg.Moments` with a leading axis of solved
        frequencies on the products (complex128), the mean maps (float64) as
        means and the channels' uncentered sums of squares over samples and
        positions, ``x_sumsq`` and ``y_sumsq``: the scale against which a
        channel counts as zero at a frequency. For an Array API input every
        array is of the input's namespace and on its device (complex128 /
        float64 where the device has float64).
    """
    if block_rows is None:
        block_rows = _block_rows(X, Y)
    # Overflow (activations near 1e154) is reported by the estimator as a
    # clear error from the non-finite result, not as numpy's RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore"):
        if _array_api.is_foreign(X):
            # The statistics stay in X's namespace, on its device, where
            # FourierCCA decomposes them.
            x_map, y_map, cxx, cyy, cxy, *sums = _array_api.spectral_sums(
                X,
                Y,
                _namespace_bins(grid, x_view=True),
                _namespace_bins(grid, x_view=False),
                block_rows=block_rows,
            )
        else:
            x_map, y_map, cxx, cyy, cxy, *sums = _accumulate_spectral_sums(
                X, Y, grid, block_rows
            )
        return _finish_spectral_moments(
            X.shape[0], x_map, y_map, cxx, cyy, cxy, *sums, grid=grid
        )


def _namespace_bins(grid, *, x_view):
    """A view's solved bins as ``_array_api`` takes them: (index, conj, real)."""
    bins = grid.x_bins if x_view else grid.y_bins
    width = (grid.x_size if x_view else grid.y_size)[1]
    return _bin_index(bins, width), bins[2], grid.real


def _accumulate_spectral_sums(X, Y, grid, block_rows):
    n = X.shape[0]
    p, q = X.shape[-1], Y.shape[-1]
    S = grid.n_solved
    x_map = np.mean(X, axis=0, dtype=np.float64)
    y_map = np.mean(Y, axis=0, dtype=np.float64)
    cxx = np.zeros((S, p, p), np.complex128)
    cyy = np.zeros((S, q, q), np.complex128)
    cxy = np.zeros((S, p, q), np.complex128)
    rx = np.zeros_like(x_map)
    ry = np.zeros_like(y_map)
    ssx = np.zeros(p)
    ssy = np.zeros(q)
    for start in range(0, n, block_rows):
        zx, res_x, sq_x = _spectra(
            X[start : start + block_rows], x_map, grid.x_bins, grid.real
        )
        zy, res_y, sq_y = _spectra(
            Y[start : start + block_rows], y_map, grid.y_bins, grid.real
        )
        _accumulate_cross_products(cxx, cyy, cxy, zx, zy, grid.real)
        rx += res_x
        ry += res_y
        ssx += sq_x
        ssy += sq_y
    _fill_hermitian(cxx)
    _fill_hermitian(cyy)
    return x_map, y_map, cxx, cyy, cxy, rx, ry, ssx, ssy


def _finish_spectral_moments(n, x_map, y_map, cxx, cyy, cxy, rx, ry, ssx, ssy, grid):
    """Moments from the block sums: remove the rounding left by centering.

    In the namespace of the sums (NumPy, or the input's, on its device).
    """
    xp, _ = _array_api.namespace(x_map)
    sx = _map_spectrum(rx, grid, x_view=True)
    sy = _map_spectrum(ry, grid, x_view=False)
    cxx -= _linalg.outer(sx, sx) / n
    cyy -= _linalg.outer(sy, sy) / n
    cxy -= _linalg.outer(sx, sy) / n
    x_mean = x_map + rx / n
    y_mean = y_map + ry / n
    x_sumsq = ssx + n * xp.sum(x_map * x_map, axis=(0, 1))
    y_sumsq = ssy + n * xp.sum(y_map * y_map, axis=(0, 1))
    return _linalg.Moments(n, x_mean, y_mean, cxx, cyy, cxy, x_sumsq, y_sumsq)


def _delta_spectrum(view, delta_map, grid):
    """The ``to_problems`` of FourierCCA's merge: a difference of mean maps
    at the solved frequencies.

    FourierCCA merges with :func:`~sklearn_svcca._linalg.merge_moments`
    (Chan, Golub & LeVeque, 1979) at every solved frequency: its
    differences of means are the DFT of the difference of the mean maps,
    ``δ``, and its outer products Hermitian, ``C = C_a + C_b + (n_a n_b /
    n) δ̄ δᵀ``; the sums of squares add.

    Parameters
    ----------
    view : int
        0 for ``X``, 1 for ``Y``.
    delta_map : array of shape (h, w, channels)
    grid : FrequencyGrid

    Returns
    -------
    delta : array of shape (n_solved, channels)
    """
    return _map_spectrum(delta_map, grid, x_view=view == 0)


def varying_channels(c, sumsq, n_bins):
    """Per solved frequency, the channels whose DFT coefficient varies.

    A channel counts as zero at a frequency when its centered sum of squares
    there is below ``CONSTANT_RTOL²`` times its total spectral energy
    ``n_bins Σ x²`` (Parseval). FFT rounding is relative to that energy, not
    to the coefficient itself: a channel that is constant over space is zero
    at every frequency but DC up to rounding, and must count as zero there.
    On 1x1 maps this is :func:`~sklearn_svcca._linalg.nonconstant_columns`'s
    criterion.

    Parameters
    ----------
    c : array of shape (n_solved, p, p)
    sumsq : array of shape (p,)
    n_bins : int
        ``height * width`` of the view.

    Returns
    -------
    keep : array of bool, shape (n_solved, p)
        In ``c``'s namespace, on its device.
    """
    xp, _ = _array_api.namespace(c)
    ss = xp.real(xp.linalg.diagonal(c))
    return ss > float(_linalg.CONSTANT_RTOL**2 * n_bins) * sumsq


def solved_spectra(X, mean_map, grid, subset, *, x_view=True, block_rows=None):
    """DFT coefficients of every sample at some solved frequencies.

    Returns an array of shape (len(subset), n_samples, channels), each
    problem's data contiguous (for the exact, QR route). For a non-NumPy
    Array API ``X`` it is computed, and stays, in ``X``'s namespace.
    """
    bins = tuple(b[subset] for b in (grid.x_bins if x_view else grid.y_bins))
    real = grid.real[subset]
    n = X.shape[0]
    if block_rows is None:
        block_rows = _block_rows(X)
    if _array_api.is_foreign(X):
        # mean_map is in X's namespace, on its device, like the result.
        index, conj, _ = _namespace_bins(grid, x_view=x_view)
        return _array_api.stacked_spectra(
            X, mean_map, (index[subset], conj[subset], real), block_rows=block_rows
        )
    out = np.empty((real.shape[0], n, X.shape[-1]), np.complex128)
    for start in range(0, n, block_rows):
        Z = _spectra(X[start : start + block_rows], mean_map, bins, real)[0]
        out[:, start : start + block_rows] = Z.stack()
    return out


def _hartley_variates(maps, A, mean_map, bins, grid, k):
    """Canonical variates in ``transform``'s layout, (n, H * W * k), float64.

    ``A`` (n_solved, c, k) holds the weights of the solved frequencies. Each
    solved frequency's complex variates ``z`` give ``Re z - Im z``, and its
    conjugate partner (if any) ``Re z + Im z``.
    """
    n = maps.shape[0]
    H, W = grid.shape
    paired = grid.partner >= 0
    out = np.empty((n, H * W, k))
    step = _block_rows(maps)
    for start in range(0, n, step):
        Z = _spectra(maps[start : start + step], mean_map, bins, grid.real)[0]
        z = np.matmul(Z.stack(), A).transpose(1, 0, 2)
        block = out[start : start + step]
        block[:, grid.solved] = z.real - z.imag
        block[:, grid.partner[paired]] = (z.real + z.imag)[:, paired]
    return out.reshape(n, -1)


def _hartley_positions(grid):
    """Where ``_hartley_variates`` reads each grid frequency, for gathers.

    Returns ``(paired, positions)``: the solved frequencies that have a
    partner, and for each grid position its index in the list of the solved
    frequencies followed by those partners (the layout of
    :func:`sklearn_svcca._array_api.hartley_variates`, which cannot scatter).
    """
    paired = np.flatnonzero(grid.partner >= 0)
    positions = np.empty(grid.shape[0] * grid.shape[1], dtype=np.intp)
    positions[grid.solved] = np.arange(grid.n_solved)
    positions[grid.partner[paired]] = grid.n_solved + np.arange(paired.shape[0])
    return paired, positions


def _dask_block_variates(block, *, name, **kwargs):
    """``_hartley_variates`` of one Dask chunk, in its dtype (runs on a worker)."""
    assert_all_finite(block, input_name=name)
    return _hartley_variates(block, **kwargs).astype(block.dtype, copy=False)


def _pair_sums(X, Y, grid, A, B):
    """Sums over samples behind the held-out correlations of the pairs.

    Each layer is centered at its own mean map, transformed and projected
    (``u = Ẑ A``, ``v = Ŵ B`` per solved frequency). Returns ``(suv, suu,
    svv, su, sv, ssx, ssy, x_map, y_map)``: ``Σ ū v``, ``Σ |u|²``, ``Σ |v|²``,
    ``Σ u``, ``Σ v`` (the rounding left by centering), the total sums of
    squares of the centered layers, and their mean maps.
    """
    n = X.shape[0]
    x_map = np.mean(X, axis=0, dtype=np.float64)
    y_map = np.mean(Y, axis=0, dtype=np.float64)
    shape = (grid.n_solved, A.shape[-1])
    suv, su, sv = (np.zeros(shape, np.complex128) for _ in range(3))
    suu, svv = np.zeros(shape), np.zeros(shape)
    ssx = ssy = 0.0
    step = _block_rows(X, Y)
    for start in range(0, n, step):
        zx, _, sq_x = _spectra(X[start : start + step], x_map, grid.x_bins, grid.real)
        zy, _, sq_y = _spectra(Y[start : start + step], y_map, grid.y_bins, grid.real)
        u = np.matmul(zx.stack(), A)
        v = np.matmul(zy.stack(), B)
        suv += np.einsum("sbk,sbk->sk", np.conj(u), v)
        suu += np.einsum("sbk,sbk->sk", np.conj(u), u).real
        svv += np.einsum("sbk,sbk->sk", np.conj(v), v).real
        su += u.sum(axis=1)
        sv += v.sum(axis=1)
        ssx += sq_x.sum()
        ssy += sq_y.sum()
    return suv, suu, svv, su, sv, ssx, ssy, x_map, y_map


def fourier_score_sums(X, Y, x_weights, y_weights, *, grid):
    """:class:`_linalg.ScoreSums` of one block of maps, per solved frequency.

    ``x_weights``, ``y_weights``: (n_solved, c, k) weights of the solved
    frequencies, in the maps' namespace. The variates are complex; the sums
    are stacked (n_solved, k). A plain function of its arguments, so that
    Dask can run it on each chunk.
    """
    # Overflowing sums (maps near 1e200, unscaled) are refused by the caller,
    # which checks them: no RuntimeWarning from a worker.
    with np.errstate(over="ignore", invalid="ignore"):
        return _fourier_score_sums(X, Y, x_weights, y_weights, grid)


def _fourier_score_sums(X, Y, x_weights, y_weights, grid):
    A, B = x_weights, y_weights
    n = X.shape[0]
    if _array_api.is_foreign(X):
        sums = _array_api.pair_sums(
            X,
            Y,
            _namespace_bins(grid, x_view=True),
            _namespace_bins(grid, x_view=False),
            A,
            B,
            block_rows=_block_rows(X, Y),
        )
    else:
        sums = _pair_sums(X, Y, grid, A, B)
    suv, suu, svv, su, sv, ssx, ssy, x_map, y_map = sums
    xp, _ = _array_api.namespace(suv)
    # The block's variates about their own mean: remove the rounding left by
    # centering the maps (su, sv), as the moments do.
    shifts = (
        xp.matmul(_map_spectrum(mean, grid, x_view=x_view)[:, None, :], W)[:, 0, :]
        for mean, W, x_view in ((x_map, A, True), (y_map, B, False))
    )
    norms = (
        math.sqrt(math.prod(size) * max(float(ss + n * xp.sum(mean**2)), 0.0))
        for size, ss, mean in ((grid.x_size, ssx, x_map), (grid.y_size, ssy, y_map))
    )
    return _linalg.ScoreSums(
        n,
        next(shifts) + su / n,
        next(shifts) + sv / n,
        suu - xp.real(_linalg.conj(su) * su) / n,
        svv - xp.real(_linalg.conj(sv) * sv) / n,
        suv - _linalg.conj(su) * sv / n,
        next(norms),
        next(norms),
    )


def _flat(X):
    """Maps (n, h, w, c) as a table (n, h w c), a view where possible."""
    if _array_api.is_foreign(X):
        xp, _ = _array_api.namespace(X)
        return xp.reshape(X, (X.shape[0], -1))
    return X.reshape(X.shape[0], -1)


def _solves_on_host(like):
    """Whether FourierCCA solves the moments of ``like``'s device on the host.

    Only where the device has no float64 (Apple MPS): its statistics are then
    complex64, and the rank decisions need float64. Everywhere else the
    stacked decompositions run where the moments are.
    """
    if not _array_api.is_foreign(like):
        return False
    xp, device = _array_api.namespace(like)
    return _array_api.float_dtype(xp, device) != xp.float64


def moments_to_host(moments):
    """``moments`` as host float64 / complex128 NumPy arrays (copies)."""
    return _linalg.Moments(
        moments.n_samples,
        *(None if a is None else _host64(a) for a in moments[1:]),
    )


def _host64(a):
    a = _array_api.to_numpy(a)
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def _any(mask):
    """Whether any entry of a (device) boolean array is set, on the host."""
    xp, _ = _array_api.namespace(mask)
    return bool(xp.any(mask))


# ---------------------------------------------------------------------------
# The estimator.


def _shape_error(name, shape, data_format="channels_last"):
    return ValueError(
        f"{name} must be an array of shape {_validation.map_layout(data_format)} "
        f"for convolutional maps (data_format={data_format!r}) or (n_samples, "
        f"channels) for a dense layer (a 1x1 map); got an array of shape "
        f"{tuple(shape)}."
    )


class FourierCCA(_CanonicalBase):
    """Fourier CCA: CCA between two convolutional layers, frequency by frequency.

    Comparing two conv layers by flattening them into ``h·w·c`` neurons needs
    a covariance of ``(h w c)²`` numbers (80 GB for two 14×14×256 maps) and
    far more samples than neurons. For a translation-invariant dataset that
    covariance is block-diagonal in the Fourier basis: after a 2-D DFT over
    height and width, each spatial frequency is an independent CCA between
    the two layers' channel vectors. FourierCCA solves those small complex
    problems, all at once, and is exact in that case (section 3 of the
    SVCCA paper). Real image datasets are close to translation-invariant.

    Read more in the :ref:`User Guide <fourier>`.

    Parameters
    ----------
    n_components : int, default=None
        Number of canonical pairs kept *per frequency*, the most correlated
        first. None keeps ``k = min(channels_x, channels_y)``. Must be at
        most that.

    solver : {"auto", "gram", "qr"}, default="auto"
        How each frequency's views are decomposed, as in :class:`CCA`:
        ``"gram"`` from the stacked cross-product matrices (works from
        sufficient statistics, e.g. :meth:`partial_fit`), ``"qr"`` from the
        DFT coefficients themselves (exact on any conditioning, needs the
        data in memory), ``"auto"``: ``"gram"``, switching to ``"qr"`` for
        the frequencies where some view is ill-conditioned or
        rank-deficient, when the data are in memory.

    data_format : {"channels_last", "channels_first"}, default="channels_last"
        Layout of 4-D maps (Keras's names): ``"channels_last"`` is
        ``(n_samples, height, width, channels)`` (TensorFlow, the original
        SVCCA code); ``"channels_first"`` is ``(n_samples, channels, height,
        width)``, PyTorch's ``(N, C, H, W)``. The fitted attributes are
        channels last either way. Channels-last maps that look like PyTorch's
        (last two axes equal, the second different, e.g. ``(100, 32, 8,
        8)``) get a :class:`~sklearn_svcca.exceptions.DataFormatWarning`.

    Attributes
    ----------
    frequency_correlations_ : ndarray of shape (H, W, n_components_)
        Canonical correlations at each spatial frequency, descending, in
        [0, 1]. ``H = min(height_x, height_y)``, ``W = min(width_x,
        width_y)``; entry ``[i, j]`` is the frequency
        ``(np.fft.fftfreq(H, 1 / H)[i], np.fft.fftfreq(W, 1 / W)[j])``
        (cycles per map). A frequency with fewer than ``n_components_``
        canonical pairs (a rank-deficient frequency) is padded with 0.

    canonical_correlations_ : ndarray of shape (n_pairs,)
        Every canonical correlation of every frequency (the padding left
        out: ``min(rank_x(f), rank_y(f))`` of them at frequency ``f``),
        sorted in descending order. On a translation-invariant dataset these
        are the canonical correlations of plain :class:`CCA` between the
        flattened layers (which adds exact zeros if the two layers' ranks
        cross between frequencies: pairs of different frequencies are
        uncorrelated there).

    x_weights_ : ndarray of shape (H, W, channels_x, n_components_)
        Complex weights mapping the centered DFT coefficients of ``X`` at
        each frequency (NumPy's ``fft2`` over height and width, no
        normalisation, at the frequencies of the grid) to its complex
        canonical variates, which have unit variance on the training data.
        Weights at ``-f`` are the conjugates of those at ``f``.

    y_weights_ : ndarray of shape (H, W, channels_y, n_components_)
        The same for ``y``.

    x_mean_ : ndarray of shape (height_x, width_x, channels_x)
        Mean map of ``X`` on the training data.

    y_mean_ : ndarray of shape (height_y, width_y, channels_y)
        Mean map of ``y`` on the training data.

    n_components_ : int
        Number of canonical pairs kept per frequency.

    x_rank_ : int
        Numerical rank of the centered ``X`` restricted to the compared
        frequencies: the sum over frequencies of each frequency's rank. With
        maps of the same size and translation-invariant data, the rank of
        the flattened layer.

    y_rank_ : int
        The same for ``y``.

    similarity_ : float
        Mean of ``canonical_correlations_``: :meth:`score` on the training
        data.

    solver_ : {"gram", "qr", "mixed"}
        The route taken: ``"mixed"`` when only some frequencies needed the
        exact route.

    x_map_shape_ : tuple of int
        ``(height, width, channels)`` of the maps of ``X`` (``(1, 1,
        n_features)`` for 2-D input), whatever ``data_format``.

    y_map_shape_ : tuple of int
        The same for ``y``.

    n_samples_seen_ : int
        Number of samples the fit is based on (summed over
        :meth:`partial_fit` calls).

    n_features_in_ : int
        Number of values per sample of ``X``: ``height * width * channels``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        is a 2-D table whose feature names are all strings.

    See Also
    --------
    CCA : Canonical correlations of two dense layers.
    sklearn_svcca.conv : The other recipes for conv layers (positions as
        samples, mean pooling, resizing).

    Notes
    -----
    **Per-frequency CCA.** With ``x̂_f`` the DFT over height and width of a
    sample's map at spatial frequency ``f`` (a vector of ``channels_x``
    complex numbers), centered over samples, FourierCCA computes at each
    ``f`` the complex CCA of ``x̂_f`` and ``ŷ_f``: with Hermitian
    cross-products ``Cxx = Σ x̂ x̂ᴴ``, ``Cyy``, ``Cxy``, the canonical
    correlations are the singular values of ``Bxᴴ By`` for orthonormal bases
    of the two centered column spaces, as in :class:`CCA` (the same column
    scaling, rank-revealing decompositions and tolerances, per frequency).
    A complex canonical pair ``(u, v)`` maximises ``Re(uᴴ v)`` at unit norms.

    **Exactness.** If every circular shift of every image is in the dataset,
    the covariance of the flattened layer commutes with shifts, so the
    unitary 2-D DFT makes it block-diagonal with one block per frequency;
    CCA is invariant to invertible (here unitary) maps of each view, so the
    canonical correlations of the flattened layers are exactly the union of
    the per-frequency ones. ``H·W·k`` coefficients replace one
    ``(h w c)``-dimensional problem.

    **Sizes.** When the maps differ in size, every frequency ``f`` with
    ``-m/2 <= f < m/2`` is kept on each axis, ``m`` the smaller size (the
    paper's resize by truncating the spectrum of the larger map).

    **Symmetry.** Real maps have ``x̂_{-f} = conj(x̂_f)``, so the problem at
    ``-f`` is the conjugate of the one at ``f``: it has the same
    correlations and conjugate weights, and only one of each pair is solved
    (``rfft2`` gives that half). The DC and Nyquist bins are real problems.
    When the sizes differ along an axis whose smaller size ``m`` is even,
    the larger map's ``-m/2`` bin has no partner on the grid and those
    frequencies are solved separately.

    **score.** Both views are centered with their own means, transformed,
    and projected with the fitted complex weights; for each canonical pair
    of each frequency the correlation ``Re(Σ ū v) / (‖u‖ ‖v‖)`` is taken
    (the Pearson correlation of the real and imaginary parts together:
    negative for opposed variates, near 0 for unrelated ones), and those of
    all pairs of all frequencies (``-f`` counting like ``f``, padding left
    out) are averaged. On the training data this is ``similarity_``; on
    held-out data it is the cross-validated similarity.

    **transform.** Returns an array of shape (n_samples, H·W·n_components_),
    the flattening of ``T[sample, i, j, l] = Re z − Im z`` where ``z`` is the
    ``l``-th complex canonical variate at grid frequency ``(i, j)``: column
    ``(i·W + j)·n_components_ + l``. Across each conjugate pair ``(f, -f)``
    this holds ``Re z ± Im z``, which carries ``z`` losslessly (it is the
    discrete Hartley transform of the variates; the inverse 2-D DFT gives
    the spatial maps of the variates up to a real orthogonal change of
    basis). On translation-invariant data, the columns have unit variance,
    are mutually uncorrelated, and column ``j`` of ``X``'s output correlates
    with column ``j`` of ``y``'s exactly with
    ``frequency_correlations_.ravel()[j]``: they are canonical variates of
    the flattened layers. (For the unpaired ``-m/2`` frequencies of
    differently-sized maps, the column is one real projection of ``z``.)

    A 2-D array ``(n_samples, channels)`` is a 1×1 map: its only frequency
    is DC, and FourierCCA equals :class:`CCA`. A 1×1 ``y`` against a conv
    ``X`` compares ``y`` with the spatial sum (DC) of ``X``'s channels.

    **Large data.** Everything is learnt from per-frequency sufficient
    statistics, so :meth:`partial_fit` streams, Dask arrays of maps chunked
    by samples are reduced on the workers, and Array API arrays (PyTorch,
    CuPy) are transformed, multiplied and decomposed on their device, where
    the fitted arrays stay (see :ref:`scaling`).

    References
    ----------
    .. [1] M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein, "SVCCA:
       Singular Vector Canonical Correlation Analysis for Deep Learning
       Dynamics and Interpretability", NeurIPS 2017, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import FourierCCA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 8, 8, 4))
    >>> # y: a 1x1 convolution of X (per-position channel mixing) plus noise.
    >>> Y = X @ rng.normal(size=(4, 6)) + 0.5 * rng.normal(size=(500, 8, 8, 6))
    >>> fcca = FourierCCA().fit(X, Y)
    >>> fcca.frequency_correlations_.shape
    (8, 8, 4)
    >>> fcca.canonical_correlations_.shape
    (256,)
    >>> round(fcca.similarity_, 3)
    0.926
    >>> fcca.transform(X).shape
    (500, 256)

    PyTorch's ``(N, C, H, W)`` maps, the same layers:

    >>> X_nchw, Y_nchw = X.transpose(0, 3, 1, 2), Y.transpose(0, 3, 1, 2)
    >>> fcca = FourierCCA(data_format="channels_first").fit(X_nchw, Y_nchw)
    >>> round(fcca.similarity_, 3)
    0.926
    """

    _parameter_constraints: dict = {
        "n_components": [_validation.Interval(Integral, 1, None, closed="left"), None],
        "solver": [StrOptions({"auto", "gram", "qr"})],
        "data_format": [StrOptions(set(_validation.DATA_FORMATS))],
    }

    # Read by _pair_mask (transform, score) after a pending partial_fit.
    _SOLUTION_PRIVATE = _CanonicalBase._SOLUTION_PRIVATE | {"_pairs_solved"}

    def __init__(
        self, n_components=None, *, solver="auto", data_format="channels_last"
    ):
        self.n_components = n_components
        self.solver = solver
        self.data_format = data_format

    # ------------------------------------------------------------ input

    def _check_fit_data(self, X, y, *, reset, min_samples=2):
        """Both layers as maps, any kind of array (see :meth:`_check_maps`);
        Dask layers cannot take the QR route."""
        X, Y = self._check_maps(X, y, reset=reset, min_samples=min_samples)
        if _dask.is_dask_array(X):
            _validation.check_solver(
                self.solver, where="Dask arrays", instead="compute() the arrays first"
            )
        return X, Y

    def _check_maps(self, X, y, *, reset, min_samples=1, method="fit"):
        """Both layers as maps (n, h, w, c); a 2-D layer is a 1x1 map.

        The views are checked by :func:`_validation.check_views`, whatever
        their kind (a 2-D layer's feature count there too); this adds their
        layout. ``reset`` records the map shapes (and so the frequency grid),
        else they are checked against the recorded ones.
        """
        X, Y = _validation.check_views(
            self,
            X,
            y,
            reset=reset,
            min_samples=min_samples,
            method=method,
            allow_nd=True,
        )
        maps = X.ndim == 4
        X = self._as_maps(X, "X", warn=reset)
        Y = None if Y is None else self._as_maps(Y, "y", warn=reset)
        if reset:
            self._reset_shapes(X.shape[1:], Y.shape[1:])
        else:
            self._check_map_shape("X", X, self._x_map_shape)
            if Y is not None:
                self._check_map_shape("y", Y, self._y_map_shape)
        if maps:
            # n_features_in_ counts every value of a sample; this also checks
            # feature names (a 4-D array has none).
            _validation.check_features(self, _flat(X), reset=reset)
        return X, Y

    def _as_maps(self, maps, name, *, warn):
        """A validated layer as maps, channels last (warning, on fit, if
        4-D maps look channels first)."""
        if maps.ndim == 2:
            return maps[:, None, None, :]
        if maps.ndim != 4:
            raise _shape_error(name, maps.shape, self.data_format)
        if warn:
            _validation.warn_if_channels_first(maps, name, self.data_format)
        maps = _validation.as_channels_last(maps, self.data_format)
        _validation.check_map_axes(maps, name, self.data_format)
        return maps

    def _check_map_shape(self, name, maps, fitted):
        if tuple(int(v) for v in maps.shape[1:]) != fitted:
            # Both are channels last; speak of them in the caller's layout.
            fmt = self.data_format
            shape = _validation.in_layout(maps.shape[1:], fmt)
            raise ValueError(
                f"{name} has maps of shape {shape} "
                f"{_validation.map_layout(fmt, samples=False)}, but "
                f"{type(self).__name__} was fitted on maps of shape "
                f"{_validation.in_layout(fitted, fmt)}; pass maps of the fitted shape."
            )

    def _reset_shapes(self, x_shape, y_shape):
        """Record the map shapes (a dense sample is a 1x1 map), hence the grid."""
        x_shape, y_shape = (
            (1, 1, *shape) if len(shape) == 1 else shape for shape in (x_shape, y_shape)
        )
        super()._reset_shapes(x_shape, y_shape)
        self._x_map_shape = tuple(int(v) for v in x_shape)
        self._y_map_shape = tuple(int(v) for v in y_shape)

    # -------------------------------------------------------------- fit
    # fit and partial_fit are the base class's (validate, per-batch moments,
    # merge, solve), through the hooks below; only their documentation
    # differs. Warnings find the user's frame themselves (exceptions._warn),
    # so these wrappers cost nothing there.

    def fit(self, X, y):
        """Compute the per-frequency canonical correlations of two conv layers.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, channels) or \
                (n_samples, channels)
            Activations of the first layer, channels last (PyTorch's
            ``(N, C, H, W)`` becomes ``acts.permute(0, 2, 3, 1)``). A 2-D
            array is a 1×1 map. A Dask array chunked by samples is reduced
            by Dask (every frequency then takes the Gram route); an Array
            API array (with ``array_api_dispatch=True``) is transformed and
            multiplied in its namespace, on its device.
        y : array-like of shape (n_samples, height_y, width_y, channels_y), \
                (n_samples, channels_y) or (n_samples,)
            Activations of the second layer on the same samples, in the same
            order. Its spatial size may differ from ``X``'s.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y)

    def partial_fit(self, X, y):
        """Update the fit with one more batch of samples.

        Only the per-frequency sufficient statistics (count, mean maps,
        stacked Hermitian cross-products, merged with a pairwise update) are
        kept: memory is ``O(H W (p + q)²)`` however many samples are
        streamed, and after any sequence of calls the fitted attributes
        equal those of :meth:`fit` with ``solver="gram"`` on all the batches
        concatenated.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, channels) or \
                (n_samples, channels)
            A batch of the first layer.
        y : array-like of shape (n_samples, height_y, width_y, channels_y), \
                (n_samples, channels_y) or (n_samples,)
            The same batch of the second layer.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return super().partial_fit(X, y)

    def _moment_functions(self):
        return (
            functools.partial(spectral_moments, grid=self._grid),
            # Plain partials of module functions: picklable for Dask.
            functools.partial(
                _linalg.merge_moments,
                to_problems=functools.partial(_delta_spectrum, grid=self._grid),
            ),
        )

    @property
    def _grid(self):
        """The frequency grid of the recorded map shapes (derived, not stored)."""
        return frequency_grid(self._x_map_shape[:2], self._y_map_shape[:2])

    def _add_batch(self, moments, X, Y):
        return self._merge_moments(moments, self._batch_moments(X, Y))

    def _varying(self, moments):
        grid = self._grid
        return (
            varying_channels(moments.cxx, moments.x_sumsq, math.prod(grid.x_size)),
            varying_channels(moments.cyy, moments.y_sumsq, math.prod(grid.y_size)),
        )

    def _magnitudes(self, moments):
        n = moments.n_samples
        return tuple(
            (
                _array_api.max_abs(sumsq) / (n * math.prod(size)),
                _array_api.max_abs(mean) if math.prod(mean.shape) else 0.0,
            )
            for sumsq, mean, size in (
                (moments.x_sumsq, moments.x_mean, self._grid.x_size),
                (moments.y_sumsq, moments.y_mean, self._grid.y_size),
            )
        )

    def _stream_moments(self):
        # merge_moments builds new arrays (it never adds in place),
        # so the running moments are used as they are, on their device.
        return self._moments

    def _can_solve(self, moments):
        if moments.n_samples < 2:
            return False
        # Overflowed statistics go to _fit_moments, which says so.
        return not self._finite(moments) or all(
            _any(keep) for keep in self._varying(moments)
        )

    def _check_moments(self, moments):
        self._check_finite(moments)
        _check_n_components(
            self.n_components,
            min(moments.cxx.shape[-1], moments.cyy.shape[-1]),
            "channels",
        )

    def _fit_moments(self, moments, X, Y, *, warn):
        """Set every fitted attribute; return the fit's warnings (see base).

        The stacked decompositions run in the moments' namespace, on their
        device (NumPy for NumPy input), and the fitted arrays are computed
        there; per-frequency ranks and route decisions come to the host.
        """
        self._check_moments(moments)
        self._check_magnitude(moments)
        self._moments = moments
        like = moments.x_mean
        if _solves_on_host(like):
            # A device without float64 (Apple MPS): decompose on the host in
            # float64, then put the fitted arrays on the device. The exact
            # route's spectra are formed on the device and copied over.
            diagnostics = self._solve(moments_to_host(moments), X, Y, warn)
            for name in self._DEVICE_ARRAYS:
                setattr(self, name, _array_api.from_numpy(getattr(self, name), like))
            return diagnostics
        return self._solve(moments, X, Y, warn)

    # Public fitted arrays, computed where the moments are.
    _DEVICE_ARRAYS = (
        "frequency_correlations_",
        "canonical_correlations_",
        "x_weights_",
        "y_weights_",
        "x_mean_",
        "y_mean_",
    )

    def _route_bases(self, moments, X, Y, *, shared=None):
        """The views as problems, one per solved frequency (see the base).

        The Gram route's bases come from the per-frequency moments; the
        exact route's from the DFT of the maps at the exact problems'
        frequencies (``solved_spectra``).
        """
        grid = self._grid
        n = moments.n_samples
        keep_x, keep_y = self._varying(moments)
        for name, keep, shape in (
            ("X", keep_x, self._x_map_shape),
            ("y", keep_y, self._y_map_shape),
        ):
            if not _any(keep):
                raise _validation.constant_error(
                    name,
                    math.prod(shape),
                    n,
                    values=f"values (maps of shape {shape})",
                    unit="layer",
                )
        # By Parseval, the rounding of a channel's stored values (eps
        # relative to each value) reaches every frequency with the same
        # norm, eps times the root of the channel's spatial sum of squares:
        # that is the magnitude each column is scaled by and its noise
        # floor is relative to, as in the core (on 1x1 maps it is the
        # uncentered sum of squares).
        # The exact route's spectra use self._moments' mean maps: on the
        # data's device where the solve is on the host (see _fit_moments).
        views = (
            (X, moments.cxx, keep_x, moments.x_sumsq, self._input_eps[0], True),
            (Y, moments.cyy, keep_y, moments.y_sumsq, self._input_eps[1], False),
        )
        means = (self._moments.x_mean, self._moments.y_mean)
        gram = None
        if self.solver != "qr":
            gram = tuple(
                _linalg.gram_basis(c, n_samples=n, keep=keep, energy=energy, eps=eps)
                for _, c, keep, energy, eps, _ in views
            )

        def needs_exact():
            return gram[0].needs_exact_route() | gram[1].needs_exact_route()

        def qr_bases(rows):
            subset = np.ones(grid.n_solved, dtype=bool)
            if rows is not None:
                subset[:] = False
                subset[rows] = True
            bases = []
            for (view, _, keep, energy, eps, x_view), mean in zip(
                views, means, strict=True
            ):
                Z = solved_spectra(view, mean, grid, subset, x_view=x_view)
                if not _array_api.is_foreign(moments.cxx) and _array_api.is_foreign(Z):
                    Z = _host64(Z)  # a device without float64 (see _fit_moments)
                if rows is not None:
                    keep = _array_api.take(keep, rows, axis=0)
                bases.append(_linalg.qr_basis(Z, keep=keep, energy=energy, eps=eps))
            return tuple(bases)

        return gram, needs_exact, qr_bases

    def _solve(self, moments, X, Y, warn):
        """The solve of :meth:`_fit_moments`, in the moments' namespace:
        :meth:`_solve_problems`, then the pairs of every frequency
        aggregated into the fitted attributes.

        The exact route's spectra are computed from ``X`` and ``Y`` where
        they are, with ``self._moments``' mean maps (on their device).
        """
        grid = self._grid
        n = moments.n_samples
        xp, device = _array_api.namespace(moments.cxx)
        diagnostics = []
        (rho, A, B, n_pairs, *_), bx, by, exact = self._solve_problems(moments, X, Y)
        exact = np.broadcast_to(exact, (grid.n_solved,))
        rank_x, rank_y = bx.rank, by.rank
        solver = "qr" if exact.all() else ("mixed" if exact.any() else "gram")

        root = math.sqrt(n - 1)
        A, B = _linalg.align_phases(A * root, B * root)
        # The DC and Nyquist problems are real: make their directions exactly so.
        real = xp.asarray(grid.real, device=device)[:, None, None]
        A = xp.where(real, xp.astype(xp.real(A), A.dtype), A)
        B = xp.where(real, xp.astype(xp.real(B), B.dtype), B)

        upper = min(A.shape[1], B.shape[1])
        k = upper
        if self.n_components is not None:
            most = int(n_pairs.max())
            if self.n_components > most:
                diagnostics.append(
                    (
                        UserWarning,
                        f"n_components={self.n_components} but no frequency has "
                        f"more than {most} canonical pairs (after removing "
                        "constant and dependent channels); the others are padded "
                        "with 0.",
                    )
                )
            k = self.n_components
        n_pairs = np.minimum(n_pairs, k)
        H, W = grid.shape
        freq = grid.to_grid(rho[:, :k])
        pairs = grid.to_grid(n_pairs)
        actual = xp.asarray(np.arange(k)[None, :] < pairs[:, None], device=device)

        self.n_samples_seen_ = n
        self.frequency_correlations_ = xp.reshape(freq, (H, W, k))
        self.canonical_correlations_ = xp.sort(freq[actual], descending=True)
        self.x_weights_ = xp.reshape(
            grid.to_grid(A[:, :, :k], conjugate=True), (H, W, A.shape[1], k)
        )
        self.y_weights_ = xp.reshape(
            grid.to_grid(B[:, :, :k], conjugate=True), (H, W, B.shape[1], k)
        )
        self.x_mean_ = moments.x_mean
        self.y_mean_ = moments.y_mean
        self.n_components_ = k
        self.x_rank_ = int(grid.multiplicity @ rank_x)
        self.y_rank_ = int(grid.multiplicity @ rank_y)
        self.solver_ = solver
        self.x_map_shape_ = self._x_map_shape
        self.y_map_shape_ = self._y_map_shape
        self._n_features_out = H * W * k
        # A tuple, not an array: private state stays on the host, where
        # scikit-learn's array API checks expect no NumPy array attribute.
        self._pairs_solved = tuple(n_pairs.tolist())
        pairs_total = self.canonical_correlations_.shape[0]
        self.similarity_ = (
            float(xp.mean(self.canonical_correlations_)) if pairs_total else 0.0
        )

        ill = (bx.ill_conditioned_kept() | by.ill_conditioned_kept()) & ~exact
        if ill.any():
            diagnostics.append(
                (
                    ConditioningWarning,
                    f"{int(ill.sum())} of {grid.n_solved} frequencies are "
                    "ill-conditioned (squared singular values spanning more than "
                    f"{1 / _linalg.GRAM_RCOND:.0e}): on the Gram route their "
                    "canonical correlations may be accurate to fewer than 8 "
                    "digits. Fit in memory with solver='auto' or 'qr' for the "
                    "exact route.",
                )
            )
        lost = ((bx.unresolved > 0) | (by.unresolved > 0)) & ~exact
        if lost.any():
            diagnostics.append(
                (
                    ConditioningWarning,
                    f"At {int(lost.sum())} of {grid.n_solved} frequencies the "
                    "Gram route dropped directions that it cannot resolve "
                    "(squared singular values below ~1e-13 of the largest) but "
                    "that the data may hold, so canonical pairs may be missing "
                    "there. Fit in memory with solver='auto' or 'qr', which "
                    "decide them from the data.",
                )
            )
        if warn:
            diagnostics += _sample_size_diagnostics(
                n, int(rank_x.max()), int(rank_y.max())
            )
        return diagnostics

    # ---------------------------------------------------- projections

    def _solved_weights(self, weights):
        H, W, c, k = weights.shape
        if _array_api.is_foreign(weights):
            xp, _ = _array_api.namespace(weights)
            flat = xp.reshape(weights, (H * W, c, k))
            return _array_api.take(flat, self._grid.solved, axis=0)
        return weights.reshape(H * W, c, k)[self._grid.solved]

    def _view_solution(self, x_view):
        """Solved weights, mean map and bins of one layer (X's or y's)."""
        if x_view:
            weights, mean, bins = self.x_weights_, self.x_mean_, self._grid.x_bins
        else:
            weights, mean, bins = self.y_weights_, self.y_mean_, self._grid.y_bins
        return self._solved_weights(weights), mean, bins

    def _variates(self, maps, x_view):
        """Canonical variates in ``transform``'s layout, in ``maps``' dtype."""
        A, mean, bins = self._view_solution(x_view)
        if _array_api.is_foreign(maps):
            xp, _ = _array_api.namespace(maps)
            paired, positions = _hartley_positions(self._grid)
            out = _array_api.hartley_variates(
                maps,
                mean,
                _namespace_bins(self._grid, x_view=x_view),
                A,
                positions,
                paired,
                block_rows=_block_rows(maps),
            )
            return xp.astype(out, maps.dtype, copy=False)
        out = _hartley_variates(maps, A, mean, bins, self._grid, self.n_components_)
        return out.astype(maps.dtype, copy=False)

    def _dask_variates(self, maps, x_view):
        """:meth:`_variates` of a Dask array of maps, lazily, chunk by chunk."""
        A, mean, bins = self._view_solution(x_view)
        H, W = self._grid.shape
        block = functools.partial(
            _dask_block_variates,
            name="X" if x_view else "y",
            A=A,
            mean_map=mean,
            bins=bins,
            grid=self._grid,
            k=self.n_components_,
        )
        return maps.map_blocks(
            block,
            drop_axis=(2, 3),
            chunks=(maps.chunks[0], (H * W * self.n_components_,)),
            dtype=maps.dtype,
        )

    def transform(self, X, y=None):
        """Project onto the per-frequency canonical directions.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, channels) or \
                (n_samples, channels)
            Maps of the first layer, of the fitted shape.
        y : array-like, default=None
            Maps of the second layer; when given, its variates are returned
            too.

        Returns
        -------
        X_c : ndarray of shape (n_samples, H * W * n_components_)
            Real canonical variates of ``X``, laid out as described in the
            Notes (``Re z - Im z`` per frequency and pair). Same float dtype
            as ``X``, and the same kind of array: a lazy Dask array for a
            Dask array, an array of the input's namespace and device for an
            Array API input.
        (X_c, y_c) : tuple of ndarrays
            When ``y`` is given.
        """
        self._check_is_fitted()
        X, Y = self._check_prediction_views(X, y, method="transform")
        if _dask.is_dask_array(X):
            variates = self._dask_variates
        else:
            _array_api.check_same_namespace(
                X, self, attribute="x_weights_", method="transform"
            )
            variates = self._variates
        Xt = variates(X, x_view=True)
        if Y is None:
            return Xt
        return self._pair_output(Xt, variates(Y, x_view=False), y)

    def score(self, X, y):
        """Mean held-out correlation of the per-frequency canonical pairs.

        Both layers are centered with their own means, Fourier-transformed
        and projected with the fitted weights; for each canonical pair of
        each frequency, the correlation ``Re(Σ ū v) / (‖u‖ ‖v‖)`` is taken on
        the given data, and the correlations of all pairs (``-f`` counting
        like ``f``) are averaged. On the training data this is
        ``similarity_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, height, width, channels) or \
                (n_samples, channels)
            Maps of the first layer.
        y : array-like
            Maps of the second layer, same samples.

        Returns
        -------
        score : float
            Higher means more similar; at most 1. Can be negative on held-out
            data.
        """
        return super().score(X, y)

    # The base class's score path, through these hooks.

    def _check_prediction_views(self, X, y, *, method):
        return self._check_maps(X, y, reset=False, method=method)

    def _score_weights(self):
        return (
            self._solved_weights(self.x_weights_),
            self._solved_weights(self.y_weights_),
        )

    def _score_sums_function(self):
        return functools.partial(fourier_score_sums, grid=self._grid)

    def _moment_sums(self, moments, A, B):
        # By Parseval, a layer's spectral energy is its spatial size times
        # the uncentered sum of squares of its maps.
        grid = self._grid
        return _linalg.sums_from_moments(
            moments.n_samples,
            moments.cxx,
            moments.cyy,
            moments.cxy,
            A,
            B,
            x_norm=math.sqrt(math.prod(grid.x_size) * float(moments.x_sumsq.sum())),
            y_norm=math.sqrt(math.prod(grid.y_size) * float(moments.y_sumsq.sum())),
        )

    def _aggregate(self, r, sums):
        """Mean of the (n_solved, k) pair correlations, ``-f`` counting like ``f``."""
        r = np.asarray(_array_api.to_numpy(r), dtype=np.float64)
        weight = self._grid.multiplicity[:, None] * self._pair_mask()
        total = weight.sum()
        return float((weight * r).sum() / total) if total else 0.0

    def _pair_mask(self):
        """(n_solved, k) mask of actual (unpadded) canonical pairs."""
        pairs = np.asarray(self._pairs_solved)
        return pairs[:, None] > np.arange(self.n_components_)[None, :]
