"""The conv-layer recipes of sklearn_svcca.conv."""

import numpy as np
import pytest
import scipy.ndimage
from sklearn.model_selection import GroupKFold, cross_val_score

from sklearn_svcca import CCA
from sklearn_svcca.conv import positions_as_samples, resize_maps, spatial_mean_pool


@pytest.fixture
def maps():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4, 5, 3))
    Y = X @ rng.normal(size=(3, 2)) + rng.normal(size=(30, 4, 5, 2))
    return X, Y


def test_positions_as_samples_rows_and_groups(maps):
    X, Y = maps
    X_rows, Y_rows, groups = positions_as_samples(X, Y)
    assert X_rows.shape == (30 * 20, 3) and Y_rows.shape == (30 * 20, 2)
    for row in (0, 7, 21, 599):
        image, pos = divmod(row, 20)
        a, b = divmod(pos, 5)
        np.testing.assert_array_equal(X_rows[row], X[image, a, b])
        np.testing.assert_array_equal(Y_rows[row], Y[image, a, b])
        assert groups[row] == image


def test_group_k_fold_never_splits_an_image(maps):
    X, Y = maps
    X_rows, Y_rows, groups = positions_as_samples(X, Y)
    for train, test in GroupKFold(n_splits=5).split(X_rows, Y_rows, groups):
        assert not set(groups[train]) & set(groups[test])
    scores = cross_val_score(CCA(), X_rows, Y_rows, groups=groups, cv=GroupKFold(3))
    assert scores.shape == (3,) and np.all(scores > 0.3)


def test_positions_as_samples_needs_the_same_spatial_size(maps):
    X, Y = maps
    with pytest.raises(ValueError, match=r"same spatial size.*resize_maps"):
        positions_as_samples(X, Y[:, :3])
    with pytest.raises(ValueError, match=r"X must be an array of shape \(n_samples"):
        positions_as_samples(X[..., 0], Y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        positions_as_samples(X, Y[:10])


def test_spatial_mean_pool(maps):
    X, _ = maps
    np.testing.assert_allclose(spatial_mean_pool(X), X.mean(axis=(1, 2)), atol=1e-15)
    pooled32 = spatial_mean_pool(X.astype(np.float32))
    assert pooled32.dtype == np.float32
    with pytest.raises(ValueError, match="Input X contains NaN"):
        spatial_mean_pool(np.full((2, 2, 2, 1), np.nan))


@pytest.mark.parametrize(
    "shape, size, order",
    [
        ((3, 5, 7, 2), (9, 4), 1),
        ((2, 7, 3, 4), (10, 11), 3),
        ((2, 4, 4, 1), (8, 8), 0),
        ((2, 6, 6, 2), (3, 3), 1),
        ((2, 13, 5, 2), (7, 17), 2),
    ],
)
def test_resize_maps_is_zoom_of_each_map(shape, size, order):
    # The reference zooms every map and channel separately with SciPy.
    X = np.random.RandomState(1).rand(*shape)
    out = resize_maps(X, size, order=order)
    assert out.shape == (shape[0], *size, shape[3])
    for i in range(shape[0]):
        for c in range(shape[3]):
            expected = scipy.ndimage.zoom(
                X[i, :, :, c],
                (size[0] / shape[1], size[1] / shape[2]),
                order=order,
                mode="nearest",
                grid_mode=True,
            )
            np.testing.assert_allclose(out[i, :, :, c], expected, atol=1e-12)


def test_resize_maps_properties():
    X = np.random.RandomState(2).rand(3, 5, 6, 2).astype(np.float32)
    X_copy = X.copy()
    same = resize_maps(X, (5, 6))
    assert same.dtype == np.float32
    np.testing.assert_allclose(same, X, atol=1e-6)
    # Linear interpolation reproduces a linear ramp away from the border.
    ramp = np.broadcast_to(np.arange(6.0), (1, 6, 6)).reshape(1, 6, 6, 1)
    up = resize_maps(ramp, (12, 12))[0, :, :, 0]
    np.testing.assert_allclose(np.diff(up[:, 1:-1], axis=1), 0.5, atol=1e-12)
    np.testing.assert_array_equal(X, X_copy)


def test_resize_maps_rejects_bad_arguments():
    X = np.ones((2, 4, 4, 1))
    with pytest.raises(ValueError, match="size must be a pair of positive ints"):
        resize_maps(X, 8)
    with pytest.raises(ValueError, match="size must be a pair of positive ints"):
        resize_maps(X, (0, 3))
    with pytest.raises(ValueError, match="order must be an int from 0 to 5"):
        resize_maps(X, (8, 8), order=7)
    with pytest.raises(ValueError, match="channels_last"):
        resize_maps(np.ones((2, 4, 4)), (8, 8))
