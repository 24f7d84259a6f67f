"""FourierCCA: exactness, agreement with independent implementations, invariances.

The references (``tests/reference.py``) are written from the math with plain
NumPy (full ``np.fft.fft2``, the paper's frequency selection with
``fftfreq``, and CCA as the singular values of ``Qaᴴ Qb`` for SVD bases of
the centered views), one frequency at a time; they share no code with the
library.
"""

import itertools
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score

from sklearn_svcca import CCA, FourierCCA
from sklearn_svcca._fourier import frequency_grid
from sklearn_svcca.exceptions import ConditioningWarning, SampleSizeWarning

from reference import complex_cca as reference_cca
from reference import fourier as reference_fourier

# ---------------------------------------------------------------------- data


def all_shifts(maps):
    """Every circular shift of every map: a translation-invariant dataset."""
    h, w = maps.shape[1:3]
    return np.concatenate(
        [np.roll(maps, (a, b), axis=(1, 2)) for a in range(h) for b in range(w)]
    )


def conv_layer(X, channels, rng, noise=0.5):
    """A translation-equivariant map of X: 3x3 circular conv, tanh, noise."""
    kernel = rng.normal(size=(3, 3, X.shape[-1], channels))
    out = sum(
        np.roll(X, (a - 1, b - 1), axis=(1, 2)) @ kernel[a, b]
        for a in range(3)
        for b in range(3)
    )
    return np.tanh(out) + noise * rng.normal(size=out.shape)


def translation_invariant_pair(rng, n_images, size, cx, cy):
    X = rng.normal(size=(n_images, *size, cx))
    Y = conv_layer(X, cy, rng)
    return all_shifts(X), all_shifts(Y)


def fit_quietly(est, X, Y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        return est.fit(X, Y)


# ----------------------------------------------------------------- exactness


@pytest.mark.parametrize(
    "size, cx, cy, n_images",
    [((4, 4), 3, 3, 20), ((3, 5), 2, 3, 30), ((4, 6), 3, 2, 20), ((5, 2), 2, 2, 30)],
)
@pytest.mark.filterwarnings("ignore::sklearn_svcca.exceptions.DataFormatWarning")
def test_translation_invariant_data_gives_flattened_cca(size, cx, cy, n_images):
    # Every circular shift of every image: the covariance of the flattened
    # layer commutes with shifts, the unitary DFT block-diagonalises it, and
    # CCA is invariant to unitary maps of each view, so the union of the
    # per-frequency coefficients is plain CCA of the flattened layers.
    rng = np.random.RandomState(0)
    X, Y = translation_invariant_pair(rng, n_images, size, cx, cy)
    n = X.shape[0]
    fcca = FourierCCA().fit(X, Y)
    flat_x, flat_y = X.reshape(n, -1), Y.reshape(n, -1)
    expected = reference_cca(flat_x, flat_y)
    assert fcca.canonical_correlations_.shape == (size[0] * size[1] * min(cx, cy),)
    np.testing.assert_allclose(fcca.canonical_correlations_, expected, atol=1e-8)
    np.testing.assert_allclose(
        fcca.canonical_correlations_,
        CCA().fit(flat_x, flat_y).canonical_correlations_,
        atol=1e-8,
    )
    assert fcca.x_rank_ == np.linalg.matrix_rank(flat_x - flat_x.mean(0))


def test_translation_invariant_with_dead_and_duplicated_channels():
    # Rank deficiency at every frequency (a duplicated channel), a channel
    # that is constant everywhere (a dead ReLU: zero at every frequency, up to
    # FFT rounding), one that is constant over space but varies across
    # images (non-zero at DC only), and a dependent one with a large mean
    # (its rounding reaches every frequency).
    rng = np.random.RandomState(1)
    Xb = rng.normal(size=(25, 4, 4, 5))
    Yb = conv_layer(Xb, 3, rng)
    Xb[..., 1] = 0.7
    Xb[..., 2] = rng.normal(size=(25, 1, 1))
    Xb[..., 4] = 1e5 + Xb[..., 0] + Xb[..., 3]
    Yb = np.concatenate([Yb, Yb[..., :1]], axis=-1)
    X, Y = all_shifts(Xb), all_shifts(Yb)
    n = X.shape[0]
    flat = CCA().fit(X.reshape(n, -1), Y.reshape(n, -1))
    for solver in ("auto", "gram", "qr"):
        fcca = FourierCCA(solver=solver).fit(X, Y)
        assert np.all(np.isfinite(fcca.frequency_correlations_))
        expected = reference_cca(X.reshape(n, -1), Y.reshape(n, -1))
        # X has rank 2 per non-DC frequency and 3 at DC: 2 * 16 + 1.
        assert fcca.x_rank_ == 33 == flat.x_rank_
        np.testing.assert_allclose(
            fcca.canonical_correlations_, flat.canonical_correlations_, atol=1e-8
        )
        assert fcca.canonical_correlations_.shape == expected.shape
        np.testing.assert_allclose(fcca.canonical_correlations_, expected, atol=1e-8)
        assert np.all(np.isfinite(fcca.transform(X)))


# --------------------------------------------- per-frequency reference


@pytest.mark.parametrize(
    "x_shape, y_shape",
    [
        ((6, 6, 3), (6, 6, 3)),
        ((8, 8, 3), (6, 6, 4)),  # different sizes, even smaller size
        ((7, 5, 3), (4, 6, 2)),  # non-square, mixed parities
        ((5, 8, 2), (5, 7, 3)),
        ((2, 3, 2), (2, 3, 2)),
        ((1, 1, 3), (4, 4, 2)),  # a dense layer against a conv layer: DC only
    ],
)
def test_matches_per_frequency_reference(x_shape, y_shape):
    rng = np.random.RandomState(2)
    n = 150
    X = rng.normal(size=(n, *x_shape))
    Y = rng.normal(size=(n, *y_shape))
    Y[..., 0] += np.resize(X[..., 0], (n, *y_shape[:2]))
    fcca = fit_quietly(FourierCCA(), X, Y)
    expected = reference_fourier(X, Y)
    assert fcca.frequency_correlations_.shape == expected.shape
    np.testing.assert_allclose(fcca.frequency_correlations_, expected, atol=1e-10)
    # Descending per frequency, in [0, 1], and the union sorted.
    freq = fcca.frequency_correlations_
    assert np.all(np.diff(freq, axis=-1) <= 1e-15)
    assert freq.min() >= 0 and freq.max() <= 1
    np.testing.assert_allclose(
        fcca.canonical_correlations_, np.sort(freq.ravel())[::-1], atol=1e-15
    )


def test_agrees_with_compat_fourier_ccas():
    # sklearn_svcca.compat.fourier_ccas is the original recipe's interface,
    # implemented separately (one get_cca_similarity per frequency).
    from sklearn_svcca.compat import fourier_ccas

    rng = np.random.RandomState(22)
    X = rng.normal(size=(200, 8, 6, 3))
    Y = rng.normal(size=(200, 5, 7, 4))
    Y[:, :, :6, :3] += X[:, :5, :6, :3]
    fcca = FourierCCA().fit(X, Y)
    records = fourier_ccas(X, Y)
    assert len(records) == 5 * 6
    for record in records:
        i, j = record["location"]
        coef = np.sort(record["cca_coef1"])[::-1]
        np.testing.assert_allclose(
            fcca.frequency_correlations_[i, j, : coef.shape[0]], coef, atol=1e-10
        )


def test_only_half_the_frequencies_are_solved():
    # Real input: the problem at -f is the conjugate of the one at f.
    assert frequency_grid((16, 16), (16, 16)).n_solved == (256 + 4) // 2
    assert frequency_grid((5, 5), (5, 5)).n_solved == (25 + 1) // 2
    assert frequency_grid((16, 15), (16, 15)).n_solved == (240 + 2) // 2
    # 8x8 against 6x6: the -3 row and column of the grid have no partner.
    assert frequency_grid((8, 8), (6, 6)).n_solved == 1 + 12 + 11


def test_conjugate_frequencies_have_equal_correlations_and_conjugate_weights():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(200, 4, 6, 3))
    Y = X[..., :2] ** 2 + rng.normal(size=(200, 4, 6, 2))
    fcca = FourierCCA().fit(X, Y)
    H, W = 4, 6
    for i in range(H):
        for j in range(W):
            mi, mj = (-i) % H, (-j) % W
            np.testing.assert_allclose(
                fcca.frequency_correlations_[i, j],
                fcca.frequency_correlations_[mi, mj],
                atol=1e-12,
            )
            np.testing.assert_allclose(
                fcca.x_weights_[i, j], np.conj(fcca.x_weights_[mi, mj]), atol=1e-12
            )
    # DC and Nyquist problems are real.
    for i, j in [(0, 0), (2, 0), (0, 3), (2, 3)]:
        assert not np.any(fcca.x_weights_[i, j].imag)


def test_dc_frequency_is_cca_of_mean_pooled_layers():
    # The DC coefficient is the spatial sum of each channel.
    rng = np.random.RandomState(4)
    X = rng.normal(size=(300, 5, 6, 4))
    Y = rng.normal(size=(300, 3, 4, 3)) + X[:, :3, :4, :3]
    fcca = FourierCCA().fit(X, Y)
    pooled = CCA().fit(X.mean(axis=(1, 2)), Y.mean(axis=(1, 2)))
    np.testing.assert_allclose(
        fcca.frequency_correlations_[0, 0], pooled.canonical_correlations_, atol=1e-10
    )
    # A 1-D y is a 1x1 map with one channel: only DC is compared.
    y = Y[:, 0, 0, 0] + X[..., 0].sum(axis=(1, 2))
    single = FourierCCA().fit(X, y)
    assert single.frequency_correlations_.shape == (1, 1, 1)
    expected = CCA().fit(X.sum(axis=(1, 2)), y).canonical_correlations_
    np.testing.assert_allclose(single.canonical_correlations_, expected, atol=1e-10)


# ------------------------------------------------------ dense input is CCA


def _dense_cases(rng):
    X = rng.normal(size=(300, 6))
    Y = X[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(300, 4))
    yield X, Y
    # Dead and duplicated neurons.
    Xd = X.copy()
    Xd[:, 1] = 3.0
    Xd[:, 4] = 2 * Xd[:, 0]
    yield Xd, Y
    # A dependent neuron with a large mean: its rounding, relative to its
    # spread, is 1e5 times eps, which the rank tolerance must absorb.
    Xm = X.copy()
    Xm[:, 3] = 1e5 + X[:, 0] + X[:, 1]
    yield Xm, Y


@pytest.mark.parametrize("case", [0, 1, 2])
def test_dense_input_equals_cca(case):
    X, Y = list(_dense_cases(np.random.RandomState(5)))[case]
    fcca = FourierCCA().fit(X, Y)
    cca = CCA().fit(X, Y)
    assert fcca.solver_ == cca.solver_
    assert (fcca.x_rank_, fcca.y_rank_) == (cca.x_rank_, cca.y_rank_)
    np.testing.assert_allclose(
        fcca.canonical_correlations_, cca.canonical_correlations_, atol=1e-12
    )
    assert fcca.similarity_ == pytest.approx(cca.similarity_, abs=1e-12)
    k = cca.n_components_
    np.testing.assert_allclose(fcca.transform(X)[:, :k], cca.transform(X), atol=1e-10)
    np.testing.assert_allclose(fcca.x_weights_[0, 0, :, :k], cca.x_weights_, atol=1e-10)
    X_new, Y_new = list(_dense_cases(np.random.RandomState(6)))[case]
    assert fcca.score(X_new, Y_new) == pytest.approx(cca.score(X_new, Y_new), abs=1e-12)


def test_dense_input_equals_cca_on_trained_networks(digits_activations):
    X, Y = digits_activations["h1"]
    fcca = FourierCCA().fit(X, Y)
    cca = CCA().fit(X, Y)
    np.testing.assert_allclose(
        fcca.canonical_correlations_, cca.canonical_correlations_, atol=1e-10
    )
    assert fcca.score(X, Y) == pytest.approx(cca.score(X, Y), abs=1e-10)


# ------------------------------------------------------------ invariances

_SHAPES = st.sampled_from(
    [((4, 4, 2), (4, 4, 3)), ((3, 5, 3), (3, 5, 2)), ((4, 6, 2), (3, 4, 2))]
)


def _random_pair(seed, shapes, n=120):
    rng = np.random.RandomState(seed)
    (xs, ys) = shapes
    X = rng.normal(size=(n, *xs))
    Y = rng.normal(size=(n, *ys))
    Y[..., 0] += np.resize(X[..., 0] ** 2, (n, *ys[:2]))
    return rng, X, Y


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), shapes=_SHAPES)
def test_invariant_to_invertible_channel_maps_and_fixed_offsets(seed, shapes):
    # CCA at each frequency is invariant to x -> A x (A invertible, the same
    # at every position, so the same at every frequency); an offset map b
    # common to all samples is removed by centering.
    rng, X, Y = _random_pair(seed, shapes)
    c = X.shape[-1]
    Q = np.linalg.qr(rng.normal(size=(c, c)))[0]
    A = Q * rng.uniform(0.5, 2.0, size=c)
    b = rng.normal(size=X.shape[1:])
    ref = fit_quietly(FourierCCA(), X, Y).frequency_correlations_
    moved = fit_quietly(FourierCCA(), X @ A + b, Y).frequency_correlations_
    np.testing.assert_allclose(moved, ref, atol=1e-8)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    shapes=_SHAPES,
    shift=st.tuples(st.integers(0, 5), st.integers(0, 5)),
)
def test_invariant_to_circular_shifts_of_one_layer(seed, shapes, shift):
    # A circular shift multiplies each DFT coefficient by a unit phase.
    _, X, Y = _random_pair(seed, shapes)
    ref = fit_quietly(FourierCCA(), X, Y).frequency_correlations_
    shifted = np.roll(X, shift, axis=(1, 2))
    moved = fit_quietly(FourierCCA(), shifted, Y).frequency_correlations_
    np.testing.assert_allclose(moved, ref, atol=1e-8)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), shapes=_SHAPES)
def test_symmetric_in_the_two_layers(seed, shapes):
    _, X, Y = _random_pair(seed, shapes)
    xy = fit_quietly(FourierCCA(), X, Y).frequency_correlations_
    yx = fit_quietly(FourierCCA(), Y, X).frequency_correlations_
    np.testing.assert_allclose(xy, yx, atol=1e-8)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), shapes=_SHAPES)
def test_invariant_to_sample_order_and_duplicated_samples(seed, shapes):
    rng, X, Y = _random_pair(seed, shapes)
    ref = fit_quietly(FourierCCA(), X, Y)
    perm = rng.permutation(X.shape[0])
    permuted = fit_quietly(FourierCCA(), X[perm], Y[perm])
    doubled = fit_quietly(FourierCCA(), np.concatenate([X, X]), np.concatenate([Y, Y]))
    for other in (permuted, doubled):
        np.testing.assert_allclose(
            other.frequency_correlations_, ref.frequency_correlations_, atol=1e-8
        )
    assert np.all(ref.canonical_correlations_ >= 0)
    assert np.all(ref.canonical_correlations_ <= 1)
    assert np.all(np.diff(ref.canonical_correlations_) <= 0)


def test_identical_layers_correlate_perfectly_at_every_frequency():
    rng = np.random.RandomState(7)
    X = rng.normal(size=(100, 4, 4, 3))
    A = rng.normal(size=(3, 3))
    fcca = FourierCCA().fit(X, X @ A)
    np.testing.assert_allclose(fcca.frequency_correlations_, 1.0, atol=1e-10)


# ------------------------------------------------------- transform, score


def test_transform_gives_canonical_variates_on_translation_invariant_data():
    # Re z - Im z per frequency: on translation-invariant data the columns
    # are uncorrelated with unit variance, and column j of X's output
    # correlates with column j of y's exactly as frequency_correlations_.
    rng = np.random.RandomState(8)
    X, Y = translation_invariant_pair(rng, 20, (4, 5), 3, 2)
    fcca = FourierCCA().fit(X, Y)
    U, V = fcca.transform(X, Y)
    assert U.shape == V.shape == (X.shape[0], 4 * 5 * 2)
    for T in (U, V):
        np.testing.assert_allclose(
            np.cov(T, rowvar=False), np.eye(T.shape[1]), atol=1e-8
        )
    r = np.array([np.corrcoef(U[:, j], V[:, j])[0, 1] for j in range(U.shape[1])])
    np.testing.assert_allclose(r, fcca.frequency_correlations_.ravel(), atol=1e-8)


def test_transform_layout_and_dtype():
    rng = np.random.RandomState(9)
    X = rng.normal(size=(120, 4, 6, 3))
    Y = rng.normal(size=(120, 3, 4, 2)) + X[:, :3, :4, :2]
    fcca = FourierCCA(n_components=1).fit(X, Y)
    out = fcca.transform(X)
    assert out.shape == (120, 3 * 4 * 1)
    assert out.dtype == np.float64
    # Column (i * W + j) * k + l holds Re z - Im z of pair l at frequency
    # (i, j), z computed here from the public weights and NumPy's fft2.
    F = np.fft.fft2(X - fcca.x_mean_, axes=(1, 2))
    rows = [0, 1, 3]  # frequencies 0, 1, -1 of the 4-high map
    cols = [0, 1, 4, 5]  # frequencies 0, 1, -2, -1 of the 6-wide map
    z = np.einsum("nijc,ijck->nijk", F[:, rows][:, :, cols], fcca.x_weights_)
    np.testing.assert_allclose(out, (z.real - z.imag).reshape(120, -1), atol=1e-10)
    out32 = fcca.transform(X.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out, atol=1e-4)
    names = fcca.get_feature_names_out()
    assert names.shape == (12,) and names[0] == "fouriercca0"


def test_score_on_training_data_is_the_similarity():
    rng = np.random.RandomState(10)
    X = rng.normal(size=(200, 6, 6, 3))
    Y = rng.normal(size=(200, 4, 5, 3)) + X[:, :4, :5]
    fcca = FourierCCA().fit(X, Y)
    assert fcca.score(X, Y) == pytest.approx(fcca.similarity_, abs=1e-12)
    assert fcca.similarity_ == pytest.approx(fcca.canonical_correlations_.mean())


def test_held_out_score_removes_chance_correlation():
    # Independent layers: per-frequency in-sample correlations are inflated
    # by chance, held-out ones are centered on 0.
    rng = np.random.RandomState(11)
    X = rng.normal(size=(400, 4, 4, 6))
    Y = rng.normal(size=(400, 4, 4, 6))
    in_sample = FourierCCA().fit(X, Y).similarity_
    held_out = cross_val_score(FourierCCA(), X, Y, cv=5).mean()
    assert in_sample > 0.08
    assert abs(held_out) < 0.03


def test_held_out_score_detects_shared_signal():
    rng = np.random.RandomState(12)
    X = rng.normal(size=(400, 4, 4, 4))
    Y = X @ rng.normal(size=(4, 4)) + rng.normal(size=X.shape)
    held_out = cross_val_score(FourierCCA(), X, Y, cv=5)
    assert held_out.mean() > 0.5


# ------------------------------------------------------------- streaming


@pytest.mark.parametrize(
    "x_shape, y_shape", [((4, 4, 3), (4, 4, 2)), ((5, 6, 2), (4, 4, 3))]
)
def test_partial_fit_equals_fit_on_the_concatenation(x_shape, y_shape):
    rng = np.random.RandomState(13)
    X = rng.normal(size=(200, *x_shape)) + 5.0
    Y = rng.normal(size=(200, *y_shape))
    Y[..., 0] += np.resize(X[..., 0], (200, *y_shape[:2]))
    full = FourierCCA(solver="gram").fit(X, Y)
    stream = FourierCCA()
    bounds = [0, 1, 2, 40, 41, 130, 200]
    for lo, hi in itertools.pairwise(bounds):
        stream.partial_fit(X[lo:hi], Y[lo:hi])
    assert stream.n_samples_seen_ == 200
    for name in (
        "frequency_correlations_",
        "canonical_correlations_",
        "x_weights_",
        "y_weights_",
        "x_mean_",
        "y_mean_",
    ):
        np.testing.assert_allclose(
            getattr(stream, name), getattr(full, name), atol=1e-9
        )
    assert stream.score(X, Y) == pytest.approx(full.score(X, Y), abs=1e-10)


def test_partial_fit_before_enough_samples_and_with_other_shapes():
    rng = np.random.RandomState(14)
    X = rng.normal(size=(10, 4, 4, 2))
    Y = rng.normal(size=(10, 4, 4, 2))
    est = FourierCCA().partial_fit(X[:1], Y[:1])
    with pytest.raises(NotFittedError, match="1 sample"):
        est.transform(X)
    with pytest.raises(ValueError, match=r"maps of shape \(4, 4, 2\)"):
        est.partial_fit(X[:, :3], Y)
    with pytest.raises(ValueError, match="solver='qr'"):
        FourierCCA(solver="qr").partial_fit(X, Y)


# ----------------------------------------------------- exact route, rank


def test_exact_route_is_taken_only_where_needed():
    # Channel 1 duplicates channel 0 except for a per-image constant: every
    # frequency but DC is rank-deficient, DC is not.
    rng = np.random.RandomState(15)
    X = rng.normal(size=(150, 4, 4, 3))
    X[..., 1] = X[..., 0] + rng.normal(size=(150, 1, 1))
    Y = rng.normal(size=(150, 4, 4, 3)) + X
    fcca = FourierCCA().fit(X, Y)
    assert fcca.solver_ == "mixed"
    np.testing.assert_allclose(
        fcca.frequency_correlations_, reference_fourier(X, Y), atol=1e-8
    )
    assert fcca.x_rank_ == 3 + 15 * 2
    assert FourierCCA(solver="qr").fit(X, Y).solver_ == "qr"


def test_gram_route_warns_when_ill_conditioned():
    rng = np.random.RandomState(16)
    X = rng.normal(size=(200, 4, 4, 3))
    X[..., 1] = X[..., 0] + 1e-5 * rng.normal(size=(200, 4, 4))
    Y = rng.normal(size=(200, 4, 4, 2)) + X[..., :2]
    with pytest.warns(ConditioningWarning, match="ill-conditioned"):
        FourierCCA(solver="gram").fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConditioningWarning)
        exact = FourierCCA().fit(X, Y)
    np.testing.assert_allclose(
        exact.frequency_correlations_, reference_fourier(X, Y), atol=1e-8
    )


def test_float32_input_is_computed_in_float64():
    rng = np.random.RandomState(17)
    X = rng.normal(size=(200, 4, 4, 3)).astype(np.float32) + 10
    Y = (X[..., :2] + rng.normal(size=(200, 4, 4, 2))).astype(np.float32)
    single = FourierCCA().fit(X, Y)
    double = FourierCCA().fit(X.astype(np.float64), Y.astype(np.float64))
    np.testing.assert_allclose(
        single.frequency_correlations_, double.frequency_correlations_, atol=1e-12
    )


def test_large_maps_need_no_flattened_covariance():
    # h*w*c = 32768: a flattened covariance would need 8 GiB.
    rng = np.random.RandomState(18)
    X = rng.normal(size=(40, 64, 64, 8)).astype(np.float32)
    Y = X[..., :4] + rng.normal(size=(40, 64, 64, 4)).astype(np.float32)
    fcca = FourierCCA().fit(X, Y)
    assert fcca.frequency_correlations_.shape == (64, 64, 4)
    assert np.all(np.isfinite(fcca.frequency_correlations_))


# ------------------------------------------------------------ bad input


# (shape of X, shape of y, the one named in the error); tests/test_dask.py
# checks that Dask input gets the same errors.
WRONG_NDIM_CASES = [
    ((20, 4, 4), (20, 4, 4, 2), "X"),
    ((20, 4, 4, 2, 1), (20, 4, 4, 2), "X"),
    ((20, 4, 4, 2), (20, 4, 4), "y"),
    ((20, 4, 4, 2), (20, 4, 4, 2, 2), "y"),
]


def wrong_ndim_message(name):
    return re.escape(
        f"{name} must be an array of shape (n_samples, height, width, channels)"
    )


@pytest.mark.parametrize("x_shape, y_shape, name", WRONG_NDIM_CASES)
def test_wrong_number_of_dimensions_is_rejected(x_shape, y_shape, name):
    X, Y = np.ones(x_shape), np.ones(y_shape)
    with pytest.raises(ValueError, match=wrong_ndim_message(name)):
        FourierCCA().fit(X, Y)


def test_bad_values_and_lengths_are_rejected():
    rng = np.random.RandomState(19)
    X = rng.normal(size=(30, 4, 4, 2))
    Y = rng.normal(size=(30, 4, 4, 2))
    bad = X.copy()
    bad[3, 1, 1, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        FourierCCA().fit(bad, Y)
    bad = Y.copy()
    bad[0, 0, 0, 1] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        FourierCCA().fit(X, bad)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        FourierCCA().fit(X, Y[:20])
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        FourierCCA().fit(X[:1], Y[:1])
    with pytest.raises(ValueError, match="Complex data not supported"):
        FourierCCA().fit(X + 1j, Y)
    with pytest.raises(ValueError, match="X is constant"):
        FourierCCA().fit(np.ones_like(X), Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        # Huge maps are scaled by a power of two before any product.
        for method in ("fit", "partial_fit"):
            huge = getattr(FourierCCA(), method)(1e200 * X, Y)
            unit = getattr(FourierCCA(), method)(X, Y)
            assert huge.similarity_ == pytest.approx(unit.similarity_, abs=1e-12)
    with pytest.raises(ValueError, match=r"n_components=3 must be at most"):
        FourierCCA(n_components=3).fit(X, Y)
    fcca = FourierCCA().fit(X, Y)
    with pytest.raises(ValueError, match=r"X has maps of shape \(4, 3, 2\)"):
        fcca.transform(X[:, :, :3])
    with pytest.raises(ValueError, match=r"y has maps of shape \(4, 4, 1\)"):
        fcca.score(X, Y[..., :1])
    with pytest.raises(ValueError, match="requires y"):
        fcca.score(X, None)
    with pytest.raises(ValueError, match="at least 2 samples"):
        fcca.score(X[:1], Y[:1])


def test_inputs_are_never_modified():
    rng = np.random.RandomState(20)
    X = rng.normal(size=(60, 4, 4, 3)).astype(np.float32)
    Y = rng.normal(size=(60, 4, 5, 2))
    X_copy, Y_copy = X.copy(), Y.copy()
    X.setflags(write=False)
    Y.setflags(write=False)
    est = FourierCCA().fit(X, Y)
    est.transform(X, Y)
    est.score(X, Y)
    clone(est).partial_fit(X, Y).partial_fit(X, Y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(Y, Y_copy)


def test_validation_sets_no_frequency_grid():
    # The grid is derived from the recorded map shapes, not fitted state set
    # while validating (issue 12).
    rng = np.random.RandomState(21)
    X, Y = rng.normal(size=(40, 3, 4, 2)), rng.normal(size=(40, 3, 2, 2))
    est = FourierCCA()
    est._check_fit_data(X, Y, reset=True)
    assert "_grid" not in vars(est)
    est.fit(X, Y)
    assert "_grid" not in vars(est)
    assert est._grid is frequency_grid((3, 4), (3, 2))
