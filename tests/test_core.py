"""The pure numerical core (``sklearn_svcca._linalg``), tested directly.

Behaviour, not internals: every routine is called through its module and
judged by the numbers it returns, against ``reference.py`` (plain SVDs of
the data), direct NumPy computations from the definitions, and invariances.
Results may be arrays of another namespace once the core is written against
the Array API, so they are read through ``np.asarray``.
"""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.utils.extmath import svd_flip

from sklearn_svcca import _linalg

import reference
import synthetic

core_settings = settings(max_examples=30, deadline=None, derandomize=True)


def _a(x):
    return np.asarray(x)


def _direct_moments(X, Y):
    """(n, means, centered cross-products) from the definitions."""
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64)
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    return X.shape[0], X.mean(axis=0), Y.mean(axis=0), Xc.T @ Xc, Yc.T @ Yc, Xc.T @ Yc


# The fields every Moments has after n_samples (the sums of squares are
# optional: None for dense moments).
_PRODUCT_FIELDS = ("x_mean", "y_mean", "cxx", "cyy", "cxy")


def _assert_moments_equal(got, want, rtol):
    assert got.n_samples == want[0]
    for name, w in zip(_PRODUCT_FIELDS, want[1:], strict=True):
        g = _a(getattr(got, name))
        scale = max(float(np.abs(w).max()), 1e-300)
        err = float(np.abs(g - w).max()) / scale
        assert err <= rtol, f"{name}: relative error {err:.1e}"


# --------------------------------------------------------------- moments


@core_settings
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(2, 60),
    offset=st.sampled_from([0.0, 10.0, -1e4]),
    block_rows=st.sampled_from([None, 1, 3, 17]),
)
def test_compute_moments_equals_the_definition(seed, n, offset, block_rows):
    X, Y = synthetic.views(seed, n, 4, 3, offset=offset)
    got = _linalg.compute_moments(X, Y, block_rows=block_rows)
    _assert_moments_equal(got, _direct_moments(X, Y), rtol=1e-12)
    assert_allclose(_a(got.cxx), _a(got.cxx).T, rtol=0, atol=0)  # symmetric


@core_settings
@given(
    seed=st.integers(0, 2**16),
    cuts=st.lists(st.integers(1, 49), max_size=8),
    offset=st.sampled_from([0.0, 1e3, -1e6]),
)
def test_chan_merge_of_any_split_equals_one_pass(seed, cuts, offset):
    # Chan, Golub & LeVeque's update is exact: merging the moments of the
    # parts, in any split, gives the moments of the whole, even far from
    # zero where a naive update of raw sums loses ~log10(offset²) digits.
    n = 50
    X, Y = synthetic.views(seed, n, 4, 3, offset=offset)
    edges = [0, *sorted(set(cuts)), n]
    parts = [
        _linalg.compute_moments(X[a:b], Y[a:b])
        for a, b in itertools.pairwise(edges)
        if b > a
    ]
    merged = parts[0]
    for part in parts[1:]:
        merged = _linalg.merge_moments(merged, part)
    _assert_moments_equal(merged, _direct_moments(X, Y), rtol=1e-10)


def test_merge_is_associative_and_commutative_up_to_rounding():
    X, Y = synthetic.views(1, 90, 5, 4, offset=3.0)
    a, b, c = (
        _linalg.compute_moments(X[s], Y[s])
        for s in (slice(0, 10), slice(10, 41), slice(41, 90))
    )
    left = _linalg.merge_moments(_linalg.merge_moments(a, b), c)
    right = _linalg.merge_moments(a, _linalg.merge_moments(c, b))
    _assert_moments_equal(left, (right.n_samples, *right[1:6]), rtol=1e-13)


@pytest.mark.parametrize("cut", [1, 17, 39])
def test_one_merge_serves_batched_complex_problems(cut):
    # FourierCCA's per-frequency moments go through the same merge: a batch
    # of complex problems (leading axis), with Hermitian cross-products
    # C[t] = Zc[t]ᴴ Wc[t], merged from two parts equals the definition on
    # the whole. to_problems maps a difference of means to the problems'
    # coordinates (here a fixed complex linear map per problem, as the DFT
    # of the mean maps is).
    rng = np.random.RandomState(cut)
    n, t, p, q = 40, 3, 4, 2
    X = rng.normal(size=(n, p)) + 5.0
    Y = rng.normal(size=(n, q)) - 2.0
    Fx = rng.normal(size=(t, p, p)) + 1j * rng.normal(size=(t, p, p))
    Fy = rng.normal(size=(t, q, q)) + 1j * rng.normal(size=(t, q, q))

    def problems(F, A):  # (n, p) data -> (t, n, p) per problem
        return np.einsum("tij,nj->tni", F, A)

    def moments(A, B):
        Zx, Zy = problems(Fx, A), problems(Fy, B)
        Zx = Zx - Zx.mean(axis=1, keepdims=True)
        Zy = Zy - Zy.mean(axis=1, keepdims=True)
        herm = "tni,tnj->tij"
        return _linalg.Moments(
            A.shape[0],
            A.mean(axis=0),
            B.mean(axis=0),
            np.einsum(herm, Zx.conj(), Zx),
            np.einsum(herm, Zy.conj(), Zy),
            np.einsum(herm, Zx.conj(), Zy),
        )

    def to_problems(view, delta):
        return np.einsum("tij,j->ti", Fx if view == 0 else Fy, delta)

    merged = _linalg.merge_moments(
        moments(X[:cut], Y[:cut]), moments(X[cut:], Y[cut:]), to_problems=to_problems
    )
    whole = moments(X, Y)
    assert merged.n_samples == n
    for name in _PRODUCT_FIELDS:
        want = getattr(whole, name)
        assert_allclose(
            getattr(merged, name), want, rtol=1e-12, atol=1e-10 * np.abs(want).max()
        )


_MOMENTS_FIELDS = (*_PRODUCT_FIELDS, "x_sumsq", "y_sumsq")


def _fourier_merge(grid):
    """FourierCCA's merge: merge_moments with the DFT of the mean maps."""
    import functools

    from sklearn_svcca import _fourier

    return functools.partial(
        _linalg.merge_moments,
        to_problems=functools.partial(_fourier._delta_spectrum, grid=grid),
    )


@pytest.mark.parametrize(
    "x_shape, y_shape", [((5, 4, 3), (4, 6, 2)), ((4, 4, 3), (4, 4, 3))]
)
@pytest.mark.parametrize("cut", [1, 17, 39])
def test_merge_of_two_halves_of_a_fourier_stream_is_the_whole(x_shape, y_shape, cut):
    # One moments type: FourierCCA's per-frequency moments (a leading axis
    # of solved frequencies, mean maps as means, the channels' sums of
    # squares) merge with the dense merge given the DFT of the difference of
    # mean maps, and equal the moments of the whole stream in all eight
    # fields; the whole equals the definitions (reference.py).
    from sklearn_svcca import _fourier

    X, Y = synthetic.maps(cut, 40, x_shape, y_shape, offset=(3.0, -50.0))
    grid = _fourier.frequency_grid(X.shape[1:3], Y.shape[1:3])
    a = _fourier.spectral_moments(X[:cut], Y[:cut], grid)
    b = _fourier.spectral_moments(X[cut:], Y[cut:], grid)
    before = [
        {name: np.copy(getattr(m, name)) for name in _MOMENTS_FIELDS} for m in (a, b)
    ]
    merged = _fourier_merge(grid)(a, b)
    whole = _fourier.spectral_moments(X, Y, grid)
    definition = reference.spectral_moments(X, Y, grid.solved)
    assert type(merged) is type(whole) is _linalg.Moments
    assert merged.n_samples == whole.n_samples == definition[0] == 40
    for name, want in zip(_MOMENTS_FIELDS, definition[1:], strict=True):
        scale = np.abs(want).max()
        for got in (getattr(merged, name), getattr(whole, name)):
            assert_allclose(got, want, rtol=1e-12, atol=1e-12 * scale, err_msg=name)
        # Merged and one-pass moments agree to rounding, field by field.
        assert_allclose(
            getattr(merged, name),
            getattr(whole, name),
            rtol=1e-12,
            atol=1e-12 * scale,
            err_msg=name,
        )
    # Neither input is modified.
    for m, saved in zip((a, b), before, strict=True):
        for name in _MOMENTS_FIELDS:
            np.testing.assert_array_equal(getattr(m, name), saved[name])


def test_dense_moments_keep_no_sums_of_squares_through_a_merge():
    X, Y = synthetic.views(3, 30, 4, 3, offset=2.0)
    a = _linalg.compute_moments(X[:12], Y[:12])
    b = _linalg.compute_moments(X[12:], Y[12:])
    merged = _linalg.merge_moments(a, b)
    assert a.x_sumsq is a.y_sumsq is None
    assert merged.x_sumsq is None and merged.y_sumsq is None
    _assert_moments_equal(merged, _direct_moments(X, Y), rtol=1e-12)


def test_merging_moments_with_and_without_sums_of_squares_is_refused():
    # Dense moments (sums of squares derived) and FourierCCA's (stored)
    # cannot be one stream: say so rather than drop the sums.
    X, Y = synthetic.views(4, 20, 3, 2)
    dense = _linalg.compute_moments(X, Y)
    ss = (np.sum(X * X, axis=0), np.sum(Y * Y, axis=0))
    stored = dense._replace(x_sumsq=ss[0], y_sumsq=ss[1])
    for a, b, which in ((dense, stored, "b"), (stored, dense, "a")):
        with pytest.raises(ValueError, match=f"only {which} has sums of squares"):
            _linalg.merge_moments(a, b)
    # Both with: they add.
    both = _linalg.merge_moments(stored, stored)
    assert_allclose(both.x_sumsq, 2 * ss[0], rtol=1e-15)


# ---------------------------------------------------------- constant columns


def test_nonconstant_columns_drops_exactly_constant_columns_at_any_offset():
    rng = np.random.RandomState(0)
    n = 200
    X = np.c_[
        rng.normal(size=n),  # varies
        np.full(n, 1e8),  # dead, huge mean
        np.zeros(n),  # dead at zero
        1e6 + 1e-3 * rng.normal(size=n),  # tiny spread, large mean: varies
        np.full(n, -0.3),  # dead
    ]
    m = _linalg.compute_moments(X, X[:, :1])
    cols = _a(_linalg.nonconstant_columns(_a(m.cxx), _a(m.x_mean), n))
    assert cols.tolist() == [0, 3]


# ------------------------------------------------------------------ bases


def _basis_inputs(X):
    m = _linalg.compute_moments(X, X[:, :1])
    cols = _linalg.nonconstant_columns(_a(m.cxx), _a(m.x_mean), X.shape[0])
    return m, cols


def _reference_scaled_spectrum(X, cols):
    """Singular values of the centered view, columns scaled by their norms."""
    Xk = X[:, cols]
    _, s, _ = reference.orthonormal_basis(Xk / np.linalg.norm(Xk, axis=0))
    return s


@pytest.mark.parametrize("seed", range(3))
def test_gram_and_qr_bases_agree_on_well_conditioned_data(seed):
    X, _ = synthetic.views(seed, 300, 6, 2, offset=4.0)
    m, cols = _basis_inputs(X)
    gram = _linalg.gram_basis(_a(m.cxx), columns=cols, n_samples=300, mean=_a(m.x_mean))
    qr = _linalg.qr_basis(X, _a(m.x_mean), columns=cols)
    s_ref = _reference_scaled_spectrum(X, cols)
    assert gram.rank == qr.rank == 6
    assert_allclose(_a(gram.s), s_ref, rtol=1e-10)
    assert_allclose(_a(qr.s), s_ref, rtol=1e-12)
    assert_allclose(_a(gram.spectrum), s_ref**2, rtol=1e-10)
    assert not gram.needs_exact_route()
    # Both whiten the kept columns: (Xk W)ᵀ (Xk W) = I.
    Xc = X[:, cols] - X[:, cols].mean(axis=0)
    for basis in (gram, qr):
        H = Xc @ _a(basis.whitener())
        assert_allclose(H.T @ H, np.eye(basis.rank), atol=1e-10)


def test_rank_cut_on_exact_duplicates_and_dead_neurons():
    # An exact linear dependency and a dead neuron: both routes find the
    # rank of the data (the reference's), whatever the offsets.
    X, _ = synthetic.views(3, 200, 6, 2, offset=5.0, rank_deficient=True)
    X = np.c_[X, 2.0 * X[:, 0] - 7.0]  # a scaled, shifted duplicate
    m, cols = _basis_inputs(X)
    assert 4 not in _a(cols)  # the dead neuron (column -2 of the views)
    rank = reference.orthonormal_basis(X)[0].shape[1]
    assert rank == 4
    gram = _linalg.gram_basis(_a(m.cxx), columns=cols, n_samples=200, mean=_a(m.x_mean))
    qr = _linalg.qr_basis(X, _a(m.x_mean), columns=cols)
    assert gram.rank == qr.rank == rank
    assert gram.needs_exact_route()  # eigenvalue at rounding level: ask QR


def test_rank_cut_at_the_noise_floor_of_the_stored_precision():
    # A neuron that is the sum of two others, computed and stored in
    # float32: dependent to float32 rounding. Told the data's precision,
    # both routes cut it; told float64's, QR resolves the rounding noise as
    # a direction, while the Gram route cannot see below its own resolution
    # (an eigenvalue ~1e-16 relative) and asks for the exact route.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 4)).astype(np.float32)
    X[:, 3] = X[:, 0] + X[:, 1]
    m, cols = _basis_inputs(X.astype(np.float64))
    eps32 = _linalg.input_eps(X)
    assert eps32 == np.finfo(np.float32).eps
    kwargs = {"columns": cols, "n_samples": 400, "mean": _a(m.x_mean)}
    assert _linalg.gram_basis(_a(m.cxx), eps=eps32, **kwargs).rank == 3
    assert _linalg.qr_basis(X, _a(m.x_mean), columns=cols, eps=eps32).rank == 3
    X64 = X.astype(np.float64)
    assert _linalg.qr_basis(X64, _a(m.x_mean), columns=cols, eps=_linalg.EPS).rank == 4
    gram64 = _linalg.gram_basis(_a(m.cxx), eps=_linalg.EPS, **kwargs)
    assert gram64.rank == 3 and gram64.needs_exact_route()


@core_settings
@given(seed=st.integers(0, 2**16), m=st.integers(1, 6), eps_exp=st.integers(7, 16))
def test_batched_noise_floor_and_rank_cuts_are_the_dense_ones_per_problem(
    seed, m, eps_exp
):
    # One floor and one cut of each route serve both engines: a batch of
    # problems with masked columns gives, problem by problem, what the
    # unbatched call gives on that problem's kept columns alone.
    rng = np.random.RandomState(seed)
    n, eps = 50, 10.0**-eps_exp
    energy = rng.uniform(0.5, 2.0, size=(3, m)) * 10.0 ** rng.randint(-3, 4, (3, m))
    scale = np.sqrt(energy) * rng.uniform(0.5, 2.0, size=(3, m))
    keep = rng.uniform(size=(3, m)) < 0.7
    keep[0] = True
    floors = _a(_linalg.noise_floor(energy, scale, n, eps, keep=keep))
    lam = -np.sort(-(rng.uniform(0, 1, size=(3, m)) ** 8), axis=1) * 1e3
    lam[:, 0] = 1e3
    # An eigenvalue at each side of both thresholds.
    if m > 2:
        lam[:, 1] = floors**2 * (1 + 1e-9)
        lam[:, 2] = floors**2 * (1 - 1e-9)
    kept = keep.sum(axis=1).astype(float)
    above, unresolved = _linalg.gram_rank_cut(lam, kept, n, floors)
    s_above = _linalg.qr_rank_cut(np.sqrt(lam), kept, n, floors)
    for t in range(3):
        cols = np.flatnonzero(keep[t])
        floor = float(_linalg.noise_floor(energy[t, cols], scale[t, cols], n, eps))
        assert floors[t] == pytest.approx(floor, rel=1e-12)
        # The definition, written out.
        want = 0.0
        if cols.size:
            col2 = energy[t, cols] / scale[t, cols] ** 2
            want = 2 * eps * np.sqrt(np.mean(col2)) * (1 + np.sqrt(cols.size / n))
        assert floor == pytest.approx(want, rel=1e-12, abs=0.0)
        a1, u1 = _linalg.gram_rank_cut(lam[t], int(cols.size), n, floor)
        assert _a(a1).tolist() == _a(above)[t].tolist()
        assert _a(u1).tolist() == _a(unresolved)[t].tolist()
        resolved = lam[t, 0] * max(cols.size, np.sqrt(n)) * np.finfo(float).eps
        assert (
            _a(above)[t].tolist() == (lam[t] > max(100 * resolved, floor**2)).tolist()
        )
        tol_qr = np.sqrt(lam[t, 0]) * max(n, cols.size) * np.finfo(float).eps
        s1 = _linalg.qr_rank_cut(np.sqrt(lam[t]), int(cols.size), n, floor)
        assert _a(s1).tolist() == _a(s_above)[t].tolist()
        assert _a(s1).tolist() == (np.sqrt(lam[t]) > max(tol_qr, floor)).tolist()


def test_gram_eigen_of_a_masked_stack_is_the_unbatched_one_per_problem():
    # The Gram route's decomposition is written once: a stack whose
    # problems drop different columns (masked) gives, problem by problem,
    # the eigenvalues and rank cut of one problem restricted to its kept
    # columns (as gram_basis calls it).
    X, _ = synthetic.views(4, 150, 6, 2, offset=3.0, rank_deficient=True)
    X = np.c_[X, X[:, 0] + X[:, 1]]  # an exact dependency
    m = _linalg.compute_moments(X, X[:, :2])
    c, n = _a(m.cxx), X.shape[0]
    ref = np.diag(c) + n * _a(m.x_mean) ** 2
    keep = np.ones((3, 7), dtype=bool)
    keep[1, [2, 4]] = False
    keep[2, 6] = False  # drops the dependency
    stack = _linalg.gram_eigen(
        np.broadcast_to(c, (3, 7, 7)), np.broadcast_to(ref, (3, 7)), n, 1e-7, keep=keep
    )
    for t in range(3):
        cols = np.flatnonzero(keep[t])
        one = _linalg.gram_eigen(c[np.ix_(cols, cols)], ref[cols], n, 1e-7)
        k = cols.size
        assert_allclose(_a(stack[1])[t, :k], _a(one[1]), rtol=1e-10, atol=1e-13)
        assert _a(stack[3])[t].sum() == _a(one[3]).sum()
        assert _a(stack[4])[t].sum() == _a(one[4]).sum()
        # ... and that cut is the data's rank (the reference's SVD).
        rank = reference.orthonormal_basis(X[:, cols])[0].shape[1]
        assert _a(stack[3])[t].sum() == rank


def test_qr_decomposition_of_a_masked_stack_is_the_unbatched_one_per_problem():
    # The QR route's decomposition is written once: a stack whose problems
    # drop different columns (zeroed and masked) gives, problem by problem,
    # the singular values and rank cut of one problem restricted to its
    # kept centered columns (as qr_basis calls it), and both are an SVD of
    # the scaled data, zero-padded to m directions when n < m.
    for n in (150, 5):
        X, _ = synthetic.views(4, n, 6, 2, offset=3.0, rank_deficient=n > 6)
        X = np.c_[X, X[:, 0] + X[:, 1]]  # an exact dependency
        Xc = X - X.mean(axis=0)
        ref = np.sum(X**2, axis=0)
        keep = np.ones((3, 7), dtype=bool)
        keep[1, [2, 4]] = False
        keep[2, 6] = False  # drops the dependency
        Z = Xc * keep[:, None, :]
        d = _linalg.column_scale(np.broadcast_to(ref, (3, 7)), keep)
        Z_before = Z.copy()
        stack = [_a(o) for o in _linalg.qr_decomposition(Z, d, ref, n, 1e-7, keep=keep)]
        assert_allclose(Z, Z_before, rtol=0, atol=0)  # not overwritten
        Q, U, s, V, above = stack
        assert s.shape == (3, 7) and U.shape[-1] == 7 and V.shape == (3, 7, 7)
        for t in range(3):
            cols = np.flatnonzero(keep[t])
            k = cols.size
            one = _linalg.qr_decomposition(Xc[:, cols], d[t, cols], ref[cols], n, 1e-7)
            assert one[2].shape == (k,) and one[3].shape[-1] == k
            assert_allclose(s[t, :k], _a(one[2]), rtol=1e-10, atol=1e-13)
            # The dropped columns add only rounding-size singular values.
            assert np.all(s[t, k:] <= 1e-14 * s[t, 0]) and not above[t, k:].any()
            assert above[t].sum() == _a(one[4]).sum()
            # Q U S Vᴴ is the scaled data, for the stack and the single problem.
            for (q, u, sv, v), z in (
                ((Q[t], U[t], s[t], V[t]), Z[t] / d[t]),
                (
                    (_a(one[0]), _a(one[1]), _a(one[2]), _a(one[3])),
                    Xc[:, cols] / d[t, cols],
                ),
            ):
                assert_allclose((q @ u * sv) @ v.T, z, atol=1e-12)
            # ... and the cut is the data's rank (the reference's SVD).
            rank = reference.orthonormal_basis(X[:, cols])[0].shape[1]
            assert above[t].sum() == rank


# -------------------------------------------------- canonical directions


def _dense_solution(X, Y, route):
    mom = _linalg.compute_moments(X, Y)
    n = X.shape[0]
    cx = _linalg.nonconstant_columns(_a(mom.cxx), _a(mom.x_mean), n)
    cy = _linalg.nonconstant_columns(_a(mom.cyy), _a(mom.y_mean), n)
    if route == "gram":
        bx = _linalg.gram_basis(
            _a(mom.cxx), columns=cx, n_samples=n, mean=_a(mom.x_mean)
        )
        by = _linalg.gram_basis(
            _a(mom.cyy), columns=cy, n_samples=n, mean=_a(mom.y_mean)
        )
    else:
        bx = _linalg.qr_basis(X, _a(mom.x_mean), columns=cx)
        by = _linalg.qr_basis(Y, _a(mom.y_mean), columns=cy)
    pairs = _linalg.canonical_directions(bx, by, _a(mom.cxy))
    assert pairs.n_pairs == min(bx.rank, by.rank)
    out = (
        pairs.rho,
        pairs.A,
        pairs.B,
        _linalg.variate_inner(bx, pairs.P, _a(mom.cxx)),
        _linalg.variate_inner(by, pairs.T, _a(mom.cyy)),
    )
    return (cx, cy, bx, by, mom), tuple(_a(o) for o in out)


@pytest.mark.parametrize("route", ["gram", "qr"])
@pytest.mark.parametrize("seed", range(3))
def test_canonical_directions_match_the_reference(route, seed):
    X, Y = synthetic.views(seed, 250, 5, 4, latent=3, noise=0.7, offset=2.0)
    (cx, cy, *_), (rho, A, B, *_) = _dense_solution(X, Y, route)
    rho_ref, Hx_ref, Hy_ref = reference.cca(X, Y)
    assert_allclose(rho, rho_ref, rtol=0, atol=1e-12)
    assert np.all(np.diff(rho) <= 0) and np.all((rho >= 0) & (rho <= 1))
    # The variates: unit length, pairwise correlations rho, and the
    # reference's up to sign (the correlations are distinct here).
    U = (X[:, cx] - X[:, cx].mean(axis=0)) @ A
    V = (Y[:, cy] - Y[:, cy].mean(axis=0)) @ B
    assert_allclose(U.T @ U, np.eye(4), atol=1e-10)
    assert_allclose(U.T @ V, np.diag(rho), atol=1e-10)
    assert_allclose(np.abs(np.sum(U * Hx_ref, axis=0)), 1.0, atol=1e-9)
    assert_allclose(np.abs(np.sum(V * Hy_ref, axis=0)), 1.0, atol=1e-9)


def test_canonical_directions_on_rank_deficient_views_match_the_reference():
    X, Y = synthetic.views(4, 300, 7, 5, latent=3, offset=1.0, rank_deficient=True)
    rho_ref = reference.cca(X, Y)[0]
    _, (rho, *_) = _dense_solution(X, Y, "qr")
    assert rho.shape == rho_ref.shape == (5,)
    assert_allclose(rho, rho_ref, atol=1e-12)


# ------------------------------------------------------- PWCCA's weights


@pytest.mark.parametrize("route", ["gram", "qr"])
def test_variate_inner_and_projection_weights_match_the_definition(route):
    X, Y = synthetic.views(5, 300, 6, 4, latent=3, offset=-3.0)
    (cx, *_), (rho, A, _, inner_x, _) = _dense_solution(X, Y, route)
    # ⟨h_i, x_j⟩ directly: unit-length variates against centered neurons.
    Xc = X[:, cx] - X[:, cx].mean(axis=0)
    H = Xc @ A
    H /= np.linalg.norm(H, axis=0)
    assert_allclose(np.abs(inner_x), np.abs(Xc.T @ H), rtol=1e-9, atol=1e-9)
    assert_allclose(_a(_linalg.inner_from_data(Xc, H)), Xc.T @ H, atol=1e-9)
    # Morcos et al.'s weights, from the reference's own variates.
    similarity, alpha_ref, _ = reference.pwcca(X, Y)
    alpha = _a(_linalg.projection_weights(inner_x))
    assert_allclose(alpha, alpha_ref, rtol=1e-9)
    assert float(alpha @ rho) == pytest.approx(similarity, abs=1e-12)


def test_inner_products_of_a_shrunk_basis_come_from_the_moments():
    # A shrunk (reg > 0) basis does not factor the data; its inner products
    # are computed from the cross-products and must still be ⟨h_i, x_j⟩.
    X, Y = synthetic.views(6, 200, 5, 3, offset=1.0)
    mom = _linalg.compute_moments(X, Y)
    cols = np.arange(5)
    basis = _linalg.gram_basis(
        _a(mom.cxx), columns=cols, n_samples=200, reg=0.3, mean=_a(mom.x_mean)
    )
    assert not basis.factors_data
    P = np.linalg.qr(np.random.RandomState(0).normal(size=(basis.rank, 3)))[0]
    inner = _a(_linalg.variate_inner(basis, P, _a(mom.cxx)))
    Xc = X - X.mean(axis=0)
    H = Xc @ (_a(basis.whitener()) @ P)
    H /= np.linalg.norm(H, axis=0)
    assert_allclose(inner, Xc.T @ H, atol=1e-9)


def test_projection_weights_of_all_zero_inner_products_are_uniform():
    assert_allclose(_a(_linalg.projection_weights(np.zeros((4, 3)))), 1 / 3)


# --------------------------------------------------------------- Pearson


def test_pearson_columns_with_constant_columns_is_zero_not_nan():
    rng = np.random.RandomState(0)
    U = rng.normal(size=(50, 4))
    V = U + rng.normal(size=(50, 4))
    U[:, 1] = 7.0  # constant variate
    V[:, 3] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division warnings either
        r = _a(_linalg.pearson_columns(U, V))
    expected = [np.corrcoef(U[:, j], V[:, j])[0, 1] for j in (0, 2)]
    assert_allclose(r[[0, 2]], expected, rtol=1e-12)
    assert r[1] == 0.0 and r[3] == 0.0
    # Constant up to rounding (below its tolerance): also 0.
    U[:, 0] = 1e3 + 1e-14 * rng.normal(size=50)
    assert _a(_linalg.pearson_columns(U, V, tol_u=1e-9))[0] == 0.0


# ---------------------------------------- the stacked routines, batch of one


def _stacked_inputs(X, Y):
    mom = _linalg.compute_moments(X, Y)
    n = X.shape[0]
    keep_x = np.ones((1, X.shape[1]), dtype=bool)
    keep_y = np.ones((1, Y.shape[1]), dtype=bool)
    energy_x = _a(np.diag(mom.cxx)) + n * _a(mom.x_mean) ** 2
    energy_y = _a(np.diag(mom.cyy)) + n * _a(mom.y_mean) ** 2
    return mom, n, (keep_x, energy_x), (keep_y, energy_y)


@pytest.mark.parametrize("seed", range(3))
def test_a_batch_of_one_real_problem_gives_the_dense_answer(seed):
    X, Y = synthetic.views(seed, 300, 5, 4, latent=3, offset=2.0)
    mom, n, (kx, ex), (ky, ey) = _stacked_inputs(X, Y)
    sx = _linalg.gram_basis(_a(mom.cxx)[None], n_samples=n, keep=kx, energy=ex)
    sy = _linalg.gram_basis(_a(mom.cyy)[None], n_samples=n, keep=ky, energy=ey)
    assert sx.stacked and sx.V.shape == (1, 5, 5) and sx.s.shape == (1, 5)
    (_, _, bx, by, _), (rho, A, B, *_) = _dense_solution(X, Y, "gram")
    assert _a(sx.rank).tolist() == [bx.rank] and _a(sy.rank).tolist() == [by.rank]
    assert_allclose(_a(sx.spectrum)[0], _a(bx.spectrum), rtol=1e-10)
    rho_s, A_s, B_s, n_pairs = (
        _a(o) for o in _linalg.canonical_directions(sx, sy, _a(mom.cxy)[None])[:4]
    )
    assert n_pairs.tolist() == [4]
    assert_allclose(rho_s[0], rho, atol=1e-12)
    # The same directions up to the sign convention: fixed by svd_flip on
    # the dense side and align_phases on the stacked one.
    A_s, B_s = (_a(o) for o in _linalg.align_phases(A_s, B_s))
    A_d, Bt_d = svd_flip(A.copy(), B.T.copy(), u_based_decision=True)
    assert_allclose(np.real(A_s[0]), A_d, atol=1e-9)
    assert_allclose(np.real(B_s[0]), Bt_d.T, atol=1e-9)
    assert not np.imag(A_s).any()


def test_a_stack_truncates_shrinks_and_whitens_as_its_problems_do():
    # Two problems with different kept columns and ranks, against each
    # problem decomposed alone on its kept columns (one problem, 2-D).
    X = synthetic.views(9, 200, 5, 2, latent=3, rank_deficient=True)[0]
    Xc = X - X.mean(axis=0)
    c = np.stack([Xc.T @ Xc, Xc.T @ Xc])
    keep = np.array([[True] * 5, [True, False, True, True, False]])
    energy = np.sum(X * X, axis=0)
    stack = _linalg.gram_basis(c, n_samples=200, keep=keep, energy=energy)
    stack = stack.truncate(4).shrink(0.25)
    assert stack.V.shape == (2, 5, 4) and stack.stacked
    assert stack.rank[1] < 4  # a padded direction, which shrink must skip
    for t in range(2):
        cols = np.flatnonzero(keep[t])
        one = _linalg.gram_basis(c[t], n_samples=200, columns=cols, energy=energy)
        one = one.truncate(4).shrink(0.25)
        assert stack.rank[t] == one.rank
        r = one.rank
        assert_allclose(_a(stack.s_white)[t, :r], _a(one.s_white), rtol=1e-12)
        assert not _a(stack.s_white)[t, r:].any()
        # The whiteners agree up to each direction's sign, with zero rows
        # for the dropped columns and zero columns beyond the rank.
        W = _a(stack.whitener())[t]
        assert not W[~keep[t]].any() and not W[:, r:].any()
        assert_allclose(np.abs(W[cols, :r]), np.abs(_a(one.whitener())), rtol=1e-9)


def test_a_stacked_qr_basis_of_one_problem_gives_the_dense_answer():
    X, Y = synthetic.views(7, 200, 6, 4, latent=3, offset=1.0, rank_deficient=True)
    _, _, (kx, ex), (ky, ey) = _stacked_inputs(X, Y)
    kx[0, 4] = False  # the dead neuron, as nonconstant_columns says
    sx = _linalg.qr_basis(X[None], keep=kx, energy=ex)
    sy = _linalg.qr_basis(Y[None], keep=ky, energy=ey)
    (_, _, bx, _, _), (rho, *_) = _dense_solution(X, Y, "qr")
    assert _a(sx.rank).tolist() == [bx.rank] == [4]  # 6 - dead - dependent
    rho_s, *_ = _linalg.canonical_directions(sx, sy)
    assert_allclose(_a(rho_s)[0], rho, atol=1e-12)
    assert_allclose(_a(rho_s)[0], reference.cca(X, Y)[0], atol=1e-12)


def _stack_of_two(seed):
    """Two real problems of equal width, the second rank-deficient."""
    views = [
        synthetic.views(seed, 200, 5, 4, latent=3, offset=1.0),
        synthetic.views(seed + 1, 200, 5, 4, latent=3, rank_deficient=True),
    ]
    moments = [_linalg.compute_moments(X, Y) for X, Y in views]
    stack = {
        name: np.stack([_a(getattr(m, name)) for m in moments])
        for name in ("cxx", "cyy", "cxy")
    }
    energy = [
        np.stack([np.diag(_a(c)) + 200 * _a(mean) ** 2 for c, mean in pairs])
        for pairs in (
            [(m.cxx, m.x_mean) for m in moments],
            [(m.cyy, m.y_mean) for m in moments],
        )
    ]
    return views, stack, energy


@pytest.mark.parametrize("exact", [[True, False], [False, True], [True, True]])
def test_solve_on_routes_takes_each_problem_from_its_route(exact):
    views, c, (ex, ey) = _stack_of_two(3)
    keep_x, keep_y = np.ones((2, 5), dtype=bool), np.ones((2, 4), dtype=bool)
    gram = (
        _linalg.gram_basis(c["cxx"], n_samples=200, keep=keep_x, energy=ex),
        _linalg.gram_basis(c["cyy"], n_samples=200, keep=keep_y, energy=ey),
    )
    calls = []

    def qr_bases(rows):
        calls.append(rows.tolist())
        Z = [np.stack([v[i] for i in rows]) for v in zip(*views, strict=True)]
        return (
            _linalg.qr_basis(Z[0], keep=keep_x[rows], energy=ex[rows]),
            _linalg.qr_basis(Z[1], keep=keep_y[rows], energy=ey[rows]),
        )

    pairs, (bx, by) = _linalg.solve_on_routes(gram, np.array(exact), qr_bases, c["cxy"])
    assert calls == [np.flatnonzero(exact).tolist()]
    for t, (X, Y) in enumerate(views):
        rho_ref = reference.cca(X, Y)[0]
        k = rho_ref.shape[0]
        assert pairs.n_pairs[t] == k == min(bx.rank[t], by.rank[t])
        assert_allclose(_a(pairs.rho)[t, :k], rho_ref, atol=1e-10)
        assert not _a(pairs.rho)[t, k:].any()
        # The directions give those correlations on the problem's own data.
        U = (X - X.mean(axis=0)) @ _a(pairs.A)[t, :, :k]
        V = (Y - Y.mean(axis=0)) @ _a(pairs.B)[t, :, :k]
        assert_allclose(U.T @ V, np.diag(rho_ref), atol=1e-9)
        # The merged bases hold the route each problem took.
        assert (bx.Q is not None) == all(exact)
        assert bx.unresolved[t] == 0 or not exact[t]


def test_solve_on_routes_of_one_problem_uses_one_route():
    X, Y = synthetic.views(8, 200, 5, 4, latent=3)
    (cx, cy, bx, by, mom), (rho, *_) = _dense_solution(X, Y, "gram")

    def qr_bases(rows):
        assert rows is None
        return (
            _linalg.qr_basis(X, _a(mom.x_mean), columns=cx),
            _linalg.qr_basis(Y, _a(mom.y_mean), columns=cy),
        )

    for exact in (False, True):
        pairs, bases = _linalg.solve_on_routes((bx, by), exact, qr_bases, _a(mom.cxy))
        assert (bases[0].Q is not None) == exact and pairs.n_pairs == 4
        assert_allclose(_a(pairs.rho), rho, atol=1e-12)


@core_settings
@given(seed=st.integers(0, 2**16), p=st.integers(1, 6), k=st.integers(1, 4))
def test_align_phases_on_real_directions_is_svd_flip(seed, p, k):
    rng = np.random.RandomState(seed)
    A, B = rng.normal(size=(p, k)), rng.normal(size=(p + 1, k))
    A_s, B_s = (_a(o) for o in _linalg.align_phases(A[None], B[None]))
    A_d, Bt_d = svd_flip(A.copy(), B.T.copy(), u_based_decision=True)
    assert_allclose(A_s[0], A_d, rtol=0, atol=0)
    assert_allclose(B_s[0], Bt_d.T, rtol=0, atol=0)
    # One problem (the dense estimators' case): the same function, the same
    # numbers; and complex input with zero imaginary parts, the same up to
    # the rounding of complex division (pivot / |pivot|).
    A_1, B_1 = (_a(o) for o in _linalg.align_phases(A.copy(), B.copy()))
    assert_allclose(A_1, A_d, rtol=0, atol=0)
    assert_allclose(B_1, Bt_d.T, rtol=0, atol=0)
    A_c, B_c = (_a(o) for o in _linalg.align_phases(A + 0j, B + 0j))
    assert_allclose(A_c, A_d, rtol=1e-15, atol=0)
    assert_allclose(B_c, Bt_d.T, rtol=1e-15, atol=0)


def test_align_phases_makes_the_pivot_real_and_keeps_correlations():
    rng = np.random.RandomState(0)
    A = rng.normal(size=(2, 5, 3)) + 1j * rng.normal(size=(2, 5, 3))
    B = rng.normal(size=(2, 4, 3)) + 1j * rng.normal(size=(2, 4, 3))
    A_s, B_s = (_a(o) for o in _linalg.align_phases(A, B))
    pivot = np.take_along_axis(A_s, np.abs(A_s).argmax(axis=1)[:, None], axis=1)
    assert_allclose(np.imag(pivot), 0, atol=1e-15)
    assert np.all(np.real(pivot) > 0)
    # A common phase per pair: Aᴴ M B is unchanged for any M.
    M = rng.normal(size=(5, 4))
    before = np.einsum("tpk,pq,tqk->tk", A.conj(), M, B)
    after = np.einsum("tpk,pq,tqk->tk", A_s.conj(), M, B_s)
    assert_allclose(after, before, atol=1e-12)


def test_pearson_from_sums_equals_pearson_columns_on_real_variates():
    X, Y = synthetic.views(8, 120, 5, 4, latent=3, offset=1.5)
    _, (_, A, B, *_) = _dense_solution(X, Y, "gram")
    U, V = X @ A, Y @ B  # uncentered: both routines center
    U = np.c_[U, np.full(120, 2.0)]  # a constant variate: 0, not NaN
    V = np.c_[V, np.arange(120.0)]
    Uc, Vc = U - U.mean(axis=0), V - V.mean(axis=0)
    sxy = np.sum(Uc * Vc, axis=0)[None]
    sxx = np.sum(Uc * Uc, axis=0)[None]
    syy = np.sum(Vc * Vc, axis=0)[None]
    stacked = _a(_linalg.pearson_from_sums(sxy, sxx, syy, tol_u=1e-9))[0]
    dense = _a(_linalg.pearson_columns(U, V, tol_u=1e-9))
    assert_allclose(stacked, dense, rtol=1e-12, atol=1e-15)
    assert stacked[-1] == 0.0


def test_pearson_from_sums_is_zero_where_undefined_never_nan():
    # Zero or negative (rounding) sums of squares and norms at their
    # tolerance are undefined, so 0; tiny but exact sums are not.
    sxx = np.array([0.0, -1e-30, 4.0, 1e-300, 1.0])
    syy = np.array([1.0, 1.0, 1.0, 1e-300, 1.0])
    sxy = np.array([0.0, 0.0, 1.0, 1e-300, 2.0])
    r = _a(_linalg.pearson_from_sums(sxy, sxx, syy, tol_u=np.r_[0, 0, 2, 0, 0]))
    assert r.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]  # the last one clipped
    # The moments route gives the same numbers as the data route.
    X, Y = synthetic.views(9, 80, 4, 3, latent=2, offset=1.0)
    _, (_, A, B, *_) = _dense_solution(X, Y, "gram")
    A = np.c_[A, np.zeros(4)]  # a variate with no variation
    B = np.c_[B, np.ones(3)]
    r_m, nx, ny = (
        _a(o) for o in _linalg.variate_correlations(A, B, _linalg.compute_moments(X, Y))
    )
    assert_allclose(r_m, _a(_linalg.pearson_columns(X @ A, Y @ B)), atol=1e-12)
    assert r_m[-1] == 0.0 and nx[-1] == 0.0
    assert_allclose(nx, np.linalg.norm((X - X.mean(0)) @ A, axis=0), rtol=1e-10)
    assert_allclose(ny, np.linalg.norm((Y - Y.mean(0)) @ B, axis=0), rtol=1e-10)
