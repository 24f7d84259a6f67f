"""sklearn_svcca.torch: streamed results equal similarity_matrix on recorded data.

Every streamed number is checked against the in-memory path on the
activations recorded from the same model (and one pair against the
independent reference in tests/reference.py). Estimators use solver="gram"
where the in-memory fit could switch a near-singular pair to the exact QR
route, which a stream cannot take.
"""

import copy
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn_svcca import (  # noqa: E402
    CCA,
    CKA,
    PWCCA,
    SVCCA,
    FourierCCA,
    Procrustes,
    SimilarityMatrixResult,
    similarity_matrix,
)
from sklearn_svcca.torch import (  # noqa: E402
    class_sensitivity,
    compare_checkpoints,
    compare_models,
    record_activations,
)

import reference  # noqa: E402

ATOL = 1e-10
DENSE_ESTIMATORS = [
    CCA(solver="gram"),
    SVCCA(0.95),
    PWCCA(solver="gram"),
    CKA(),
    Procrustes(),
]


def _cnn(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 5, 3),
        torch.nn.Flatten(),
        torch.nn.Linear(5 * 4 * 4, 6),
        torch.nn.Tanh(),
    )


@pytest.fixture(scope="module")
def images():
    return torch.from_numpy(
        np.random.RandomState(0).normal(size=(1500, 2, 8, 8))
    ).float()


def _pooled(acts):
    # float64 before pooling, as compare_models pools on the device.
    return {
        k: v.astype(np.float64).mean(axis=(1, 2)) if v.ndim == 4 else v
        for k, v in acts.items()
    }


def _flat(acts):
    return {k: v.astype(np.float64).reshape(len(v), -1) for k, v in acts.items()}


def _as64(acts):
    return {k: v.astype(np.float64) for k, v in acts.items()}


LAYERS_A, LAYERS_B = ["1", "2", "5"], ["0", "4"]


@pytest.mark.parametrize("estimator", DENSE_ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("conv, reduce", [("pool", _pooled), ("flatten", _flat)])
def test_two_models_equal_similarity_matrix(images, estimator, conv, reduce):
    a, b = _cnn(0), _cnn(1)
    result = compare_models(
        a,
        b,
        images,
        layers_a=LAYERS_A,
        layers_b=LAYERS_B,
        estimator=estimator,
        conv=conv,
        batch_size=200,
    )
    expected = similarity_matrix(
        reduce(record_activations(a, images, LAYERS_A)),
        reduce(record_activations(b, images, LAYERS_B)),
        estimator=estimator,
    )
    assert isinstance(result, SimilarityMatrixResult)
    assert result.labels_a == LAYERS_A and result.labels_b == LAYERS_B
    np.testing.assert_allclose(result.similarities, expected.similarities, atol=ATOL)
    assert result.symmetric is False


@pytest.mark.parametrize("estimator", DENSE_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_one_model_with_itself(images, estimator):
    a = _cnn(0)
    result = compare_models(a, None, images, layers_a=LAYERS_A, estimator=estimator)
    expected = similarity_matrix(
        _pooled(record_activations(a, images, LAYERS_A)), estimator=estimator
    )
    np.testing.assert_allclose(result.similarities, expected.similarities, atol=ATOL)
    assert result.symmetric == expected.symmetric


def test_fourier_streams_spectral_moments(images):
    a, b = _cnn(0), _cnn(1)
    est = FourierCCA(solver="gram")
    result = compare_models(
        a, b, images, layers_a=LAYERS_A, layers_b=LAYERS_B, conv="fourier",
        estimator=est, batch_size=300,
    )  # fmt: skip
    expected = similarity_matrix(
        _as64(record_activations(a, images, LAYERS_A)),
        _as64(record_activations(b, images, LAYERS_B)),
        estimator=est,
    )
    np.testing.assert_allclose(result.similarities, expected.similarities, atol=ATOL)
    # One model with itself, every ordered pair (FourierCCA is not mirrored).
    same = compare_models(a, None, images, layers_a=LAYERS_A, conv="fourier")
    expected = similarity_matrix(
        _as64(record_activations(a, images, LAYERS_A)), estimator=FourierCCA()
    )
    np.testing.assert_allclose(same.similarities, expected.similarities, atol=ATOL)


def test_list_of_estimators_one_pass(images):
    a, b = _cnn(0), _cnn(1)
    calls = []
    a.register_forward_hook(lambda *args: calls.append(1))
    results = compare_models(
        a, b, images, layers_a=LAYERS_A, layers_b=LAYERS_B,
        estimator=[PWCCA(solver="gram"), SVCCA()], batch_size=500,
    )  # fmt: skip
    assert list(results) == ["PWCCA", "SVCCA"]
    assert len(calls) == 3  # one forward pass per batch, for both measures
    for est, result in zip(
        [PWCCA(solver="gram"), SVCCA()], results.values(), strict=True
    ):
        single = compare_models(
            a, b, images, layers_a=LAYERS_A, layers_b=LAYERS_B, estimator=est
        )
        np.testing.assert_allclose(result.similarities, single.similarities, atol=ATOL)


def test_one_pair_against_reference(images):
    """The streamed CCA of one pair against tests/reference.py (QR, in memory)."""
    a, b = _cnn(0), _cnn(1)
    result = compare_models(
        a, b, images, layers_a=["5"], layers_b=["5"], estimator=CCA()
    )
    x = record_activations(a, images, ["5"])["5"].astype(np.float64)
    y = record_activations(b, images, ["5"])["5"].astype(np.float64)
    np.testing.assert_allclose(
        result.similarities[0, 0], np.mean(reference.cca(x, y)[0]), atol=1e-10
    )


class _Encoder(torch.nn.Module):
    """A Hugging Face-style model: keyword inputs, tuple and dict outputs."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = torch.nn.Embedding(20, 8)
        self.mix = torch.nn.Linear(8, 8)
        self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, input_ids, attention_mask=None):
        h = torch.tanh(self.mix(self.embed(input_ids)))
        pad = None if attention_mask is None else attention_mask == 0
        h2, _ = self.attn(h, h, h, key_padding_mask=pad)  # a tuple output
        return {"logits": self.head(h2.mean(dim=1)), "hidden": h2}


def _token_batches(rng, n_batches=6, size=50, length=7):
    batches = []
    for _ in range(n_batches):
        ids = torch.from_numpy(rng.randint(1, 20, size=(size, length)))
        lengths = rng.randint(2, length + 1, size=size)
        mask = torch.from_numpy(
            (np.arange(length)[None] < lengths[:, None]).astype(int)
        )
        batches.append({"input_ids": ids * mask, "attention_mask": mask})
    return batches


def _reduce_tokens(acts, masks, tokens):
    out = {}
    for name, v in acts.items():
        v = v.astype(np.float64)
        if tokens == "flatten":
            out[name] = v[masks]
        elif tokens == "mean":
            out[name] = (v * masks[:, :, None]).sum(1) / masks.sum(1)[:, None]
        else:
            last = masks.shape[1] - 1 - np.argmax(masks[:, ::-1], axis=1)
            out[name] = v[np.arange(len(v)), last]
    return out


@pytest.mark.parametrize("tokens", ["mean", "last", "flatten"])
def test_token_sequences_with_attention_mask(tokens):
    rng = np.random.RandomState(0)
    batches = _token_batches(rng)
    model = _Encoder()
    layers = ["mix", "attn"]
    result = compare_models(
        model, None, batches, layers_a=layers, estimator=CCA(solver="gram"),
        tokens=tokens,
    )  # fmt: skip
    acts = record_activations(model, batches, layers)
    assert acts["attn"].shape == (300, 7, 8)  # the first tensor of the tuple
    masks = np.concatenate([b["attention_mask"].numpy() for b in batches]).astype(bool)
    expected = similarity_matrix(
        _reduce_tokens(acts, masks, tokens), estimator=CCA(solver="gram")
    )
    np.testing.assert_allclose(result.similarities, expected.similarities, atol=ATOL)


def test_output_selector_and_dict_outputs():
    batches = _token_batches(np.random.RandomState(1))
    model = _Encoder()
    # The model's own output is a dict: the root module "" is not a layer,
    # but output= selects from a submodule's tuple output.
    acts = record_activations(model, batches, ["attn"], output=1)
    assert acts["attn"].shape == (300, 7, 7)  # the attention weights
    logits = record_activations(model, batches, ["head"])["head"]
    assert logits.shape == (300, 3)


def test_cross_validation_matches_manual_loop(images):
    a, b = _cnn(0), _cnn(1)
    for est in (PWCCA(solver="gram"), SVCCA(0.95), CKA()):
        result = compare_models(
            a, b, images, layers_a=LAYERS_A, layers_b=LAYERS_B, estimator=est,
            cv=3, batch_size=128,
        )  # fmt: skip
        xa = _pooled(record_activations(a, images, LAYERS_A))
        xb = _pooled(record_activations(b, images, LAYERS_B))
        fold = np.arange(len(images)) % 3
        expected = np.zeros((3, 2))
        for i, la in enumerate(LAYERS_A):
            for j, lb in enumerate(LAYERS_B):
                scores = []
                for f in range(3):
                    train, test = fold != f, fold == f
                    fitted = copy.deepcopy(est).fit(xa[la][train], xb[lb][train])
                    scores.append(fitted.score(xa[la][test], xb[lb][test]))
                expected[i, j] = np.mean(scores)
        np.testing.assert_allclose(result.similarities, expected, atol=ATOL)


def test_cross_validation_fourier(images):
    a, b = _cnn(0), _cnn(1)
    est = FourierCCA(solver="gram")
    result = compare_models(
        a, b, images, layers_a=["1"], layers_b=["2"], conv="fourier",
        estimator=est, cv=2,
    )  # fmt: skip
    xa = record_activations(a, images, ["1"])["1"].astype(np.float64)
    xb = record_activations(b, images, ["2"])["2"].astype(np.float64)
    fold = np.arange(len(images)) % 2
    scores = [
        copy.deepcopy(est)
        .fit(xa[fold != f], xb[fold != f])
        .score(xa[fold == f], xb[fold == f])
        for f in range(2)
    ]
    np.testing.assert_allclose(result.similarities[0, 0], np.mean(scores), atol=ATOL)


def test_inputs_dataloader_tuples_and_numpy(images):
    a = _cnn(0)
    labels = torch.zeros(len(images))
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(images, labels), batch_size=100
    )
    kwargs = dict(layers_a=LAYERS_A, estimator=CCA())
    expected = compare_models(a, None, images, **kwargs).similarities
    for inputs in (loader, list(loader), images.numpy(), iter(list(loader))):
        got = compare_models(a, None, inputs, **kwargs).similarities
        np.testing.assert_allclose(got, expected, atol=ATOL)


def test_record_activations_layouts(images):
    a = _cnn(0)
    last = record_activations(a, images[:10], ["0", "4"])
    first = record_activations(
        a, images[:10], ["0"], data_format="channels_first", as_tensors=True
    )
    assert last["0"].shape == (10, 6, 6, 4) and last["4"].shape == (10, 6)
    assert torch.is_tensor(first["0"]) and first["0"].shape == (10, 4, 6, 6)
    np.testing.assert_array_equal(last["0"], first["0"].permute(0, 2, 3, 1).numpy())
    # Conv1d maps (N, C, L) are maps of height 1.
    conv1d = torch.nn.Sequential(torch.nn.Conv1d(3, 4, 2))
    acts = record_activations(conv1d, torch.randn(5, 3, 6), ["0"])
    assert acts["0"].shape == (5, 1, 5, 4)


def test_layer_selection_glob_callable_and_close_matches(images):
    a = _cnn(0)
    model = torch.nn.Sequential()
    model.add_module("features", a)
    got = compare_models(model, None, images[:300], layers_a="features.[12]")
    assert got.labels_a == ["features.1", "features.2"]
    got = compare_models(
        model,
        None,
        images[:300],
        layers_a=lambda name, m: isinstance(m, torch.nn.Conv2d),
        estimator=CCA(),
    )
    assert got.labels_a == ["features.0", "features.2"]
    default = compare_models(a, None, images, estimator=CCA())
    assert default.labels_a == ["0", "1", "2", "3", "4", "5"]
    with pytest.raises(ValueError, match=r"no module 'featres.1'.*'features.1'"):
        compare_models(model, None, images, layers_a=["featres.1"])
    with pytest.raises(ValueError, match=r"no module 'nothing'.*named_modules"):
        record_activations(model, images, "nothing")


class _Skipping(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.used = torch.nn.Linear(4, 3)
        self.unused = torch.nn.Linear(4, 3)
        self.drop = torch.nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.used(x))


def test_errors_never_fired_and_disagreeing_counts():
    x = torch.randn(100, 4)
    with pytest.raises(ValueError, match=r"\['unused'\].*never ran"):
        compare_models(_Skipping(), None, x, layers_a=["used", "unused"])
    batches = _token_batches(np.random.RandomState(0))
    encoder = _Encoder().train()
    with pytest.raises(ValueError, match="different numbers of samples"):
        # Tokens as samples against one row per sequence.
        compare_models(
            encoder, None, batches, layers_a=["mix", "head"], tokens="flatten"
        )
    # Raised between batches: the hooks are gone and the mode is back already.
    assert encoder.training and not encoder.mix._forward_hooks


class _Failing(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(4, 3)
        self.drop = torch.nn.Dropout(0.5)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("boom")
        return self.drop(self.layer(x))


def test_hooks_removed_and_mode_restored_after_an_exception():
    model = _Failing()
    model.train()
    model.drop.eval()  # a mixed mode must come back as it was
    x = torch.randn(100, 4)
    with pytest.raises(RuntimeError, match="boom"):
        compare_models(model, None, x, layers_a=["layer"], batch_size=10)
    assert model.training and not model.drop.training and model.layer.training
    assert not model.layer._forward_hooks and not model._forward_hooks
    assert torch.is_grad_enabled()
    # And on success: eval inside, the mode restored after.
    seen = []
    model.calls = 10
    model.layer.register_forward_hook(lambda m, i, o: seen.append(m.training))
    compare_models(model, None, x, layers_a=["layer"], estimator=CCA())
    assert seen and not any(seen) and model.training


def test_checkpoints_equal_manual_comparison(images, tmp_path):
    model = _cnn(0)
    states = []
    for _ in range(3):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.3 * torch.randn_like(p))
        states.append(copy.deepcopy(model.state_dict()))
    path = tmp_path / "last.pt"
    torch.save(states[-1], path)
    before = copy.deepcopy(model.state_dict())
    est = SVCCA(0.95)
    layers = ["1", "5"]
    checkpoints = {"s0": states[0], "s1": states[1], "s2": str(path)}
    result = compare_checkpoints(model, checkpoints, images, layers, estimator=est)
    assert result.labels_a == layers and result.labels_b == ["s0", "s1", "s2"]
    # The model passed in is left as it was.
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k])
    expected = np.empty((2, 3))
    ref_acts = _pooled(record_activations(_loaded(states[-1]), images, layers))
    for t, state in enumerate(states):
        acts = _pooled(record_activations(_loaded(state), images, layers))
        for i, name in enumerate(layers):
            expected[i, t] = (
                copy.deepcopy(est).fit(acts[name], ref_acts[name]).similarity_
            )
    np.testing.assert_allclose(result.similarities, expected, atol=ATOL)
    np.testing.assert_allclose(result.similarities[:, -1], 1.0, atol=1e-8)
    first = compare_checkpoints(
        model, checkpoints, images, layers, estimator=est, reference="s0"
    )
    np.testing.assert_allclose(first.similarities[:, 0], 1.0, atol=1e-8)
    by_step = {10: states[0], 20: states[1], 30: states[2]}
    keyed = compare_checkpoints(model, by_step, images, layers, reference=20)
    np.testing.assert_allclose(keyed.similarities[:, 1], 1.0, atol=1e-8)
    same = compare_models(model, model, images, layers_a=layers, estimator=CCA())
    np.testing.assert_allclose(np.diag(same.similarities), 1.0, atol=1e-8)
    with pytest.raises(TypeError, match="one-shot iterator"):
        compare_checkpoints(model, states, iter([images]), layers)
    with pytest.raises(ValueError, match="reference=5"):
        compare_checkpoints(model, states, images, layers, reference=5)


def _loaded(state):
    model = _cnn(0)
    model.load_state_dict(state)
    return model


def test_class_sensitivity_equals_layer_against_each_logit(images):
    model = _cnn(0)
    est = CCA(solver="gram")
    result = class_sensitivity(
        model, images, ["1", "4"], logits="4", estimator=est, classes=list("abcdef")
    )
    assert result.labels_b == list("abcdef")
    acts = record_activations(model, images, ["1", "4"])
    logits = acts["4"].astype(np.float64)
    for c in range(6):
        # A conv map against one logit: FourierCCA's DC term = the pooled map.
        fourier = FourierCCA(solver="gram").fit(
            acts["1"].astype(np.float64), logits[:, c]
        )
        np.testing.assert_allclose(
            result.similarities[0, c], fourier.similarity_, atol=ATOL
        )
        dense = copy.deepcopy(est).fit(logits, logits[:, c]).similarity_
        np.testing.assert_allclose(result.similarities[1, c], dense, atol=ATOL)
    with pytest.raises(ValueError, match="classes has 2 names"):
        class_sensitivity(model, images, ["1"], logits="4", classes=["a", "b"])


def test_argument_errors(images):
    a = _cnn(0)
    with pytest.raises(ValueError, match="conv must be one of"):
        compare_models(a, None, images, conv="max")
    with pytest.raises(ValueError, match="conv='fourier' compares every pair"):
        compare_models(a, None, images, conv="fourier", estimator=CCA())
    with pytest.raises(TypeError, match="cannot be fitted from streamed moments"):
        from sklearn.cross_decomposition import PLSCanonical

        compare_models(a, None, images, estimator=PLSCanonical())
    with pytest.raises(ValueError, match="needs every sample at once"):
        compare_models(a, None, images, estimator=CKA(kernel="rbf"))
    with pytest.raises(ValueError, match=r"cv is not available.*Procrustes"):
        compare_models(a, None, images, layers_a=["5"], estimator=Procrustes(), cv=2)
    with pytest.raises(ValueError, match="cv must be None or an int"):
        compare_models(a, None, images, cv=1)
    with pytest.raises(ValueError, match="no batch"):
        compare_models(a, None, [], layers_a=["0"])
    with pytest.raises(ValueError, match="constant"):
        dead = torch.nn.Sequential(torch.nn.Linear(2 * 8 * 8, 3), torch.nn.ReLU())
        with torch.no_grad():
            dead[0].bias.fill_(-1e6)
        compare_models(dead, None, images.reshape(len(images), -1), layers_a=["1"])


def test_progress_bar_on_request(images, capsys):
    compare_models(
        _cnn(0), None, images, layers_a=["5"], estimator=CCA(), progress=True
    )
    assert "batches" in capsys.readouterr().err


def test_readme_pytorch_snippet_runs(images):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    (code,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", readme, re.S)
        if "sklearn_svcca.torch" in block
    ]

    def net(seed):
        torch.manual_seed(seed)
        model = torch.nn.Sequential()
        model.add_module("layer1", torch.nn.Conv2d(2, 4, 3))
        model.add_module("relu", torch.nn.ReLU())
        model.add_module("layer2", torch.nn.Conv2d(4, 4, 3))
        return model

    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(images, torch.zeros(len(images))),
        batch_size=256,
    )
    namespace = {"net_a": net(0), "net_b": net(1), "loader": loader}
    exec(compile(code, "README.md", "exec"), namespace)
    result = namespace["results"]["PWCCA"]
    assert result.labels_a == ["layer1", "layer2"]
    assert result.similarities.shape == (2, 2)


def test_import_sklearn_svcca_does_not_import_torch():
    code = "import sys, sklearn_svcca; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_memory_does_not_grow_with_the_number_of_samples():
    """50000 samples of four 1024-wide layers: 800 MB of float32 activations.

    Measured in a fresh process by its peak resident set size, before and
    after the run (tracemalloc does not see torch's allocations). The streamed
    run needs its moments (a few 1024² float64 blocks) and one batch.
    """
    code = textwrap.dedent(
        """
        import resource, torch
        from sklearn_svcca import SVCCA
        from sklearn_svcca.torch import compare_models
        torch.manual_seed(0)
        torch.set_num_threads(2)
        width, n = 1024, 50_000
        def net():
            return torch.nn.Sequential(
                torch.nn.Linear(16, width), torch.nn.Linear(width, width)
            )
        a, b = net(), net()
        inputs = torch.randn(n, 16)
        # SVCCA(10): cheap fits; the memory is that of the stream.
        est = SVCCA(10)
        compare_models(a, b, inputs[:2048], estimator=est, batch_size=1024)  # warm up
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        compare_models(a, b, inputs, estimator=est, batch_size=1024)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) * 1024)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    growth = int(out.stdout.strip())
    activations = 50_000 * 4 * 1024 * 4
    # Measured: 44 MB of growth (allocator noise) for 800 MB of activations;
    # the whole run peaks about 270 MB above the bare process.
    assert growth < activations / 4, (growth, activations)


def test_displays_from_checkpoints_and_model(images):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_svcca import ClassSensitivityDisplay, LearningDynamicsDisplay

    model = _cnn(0)
    states = {"first": copy.deepcopy(model.state_dict())}
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    states["last"] = copy.deepcopy(model.state_dict())
    est = SVCCA(0.95)
    display = LearningDynamicsDisplay.from_checkpoints(
        model, states, images, ["1", "5"], estimator=est
    )
    expected = compare_checkpoints(model, states, images, ["1", "5"], estimator=est)
    np.testing.assert_array_equal(display.im_.get_array(), expected.similarities)
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["first", "last"]
    assert display.ax_.get_xlabel() == "checkpoint"
    display = ClassSensitivityDisplay.from_model(
        model, images, ["1", "5"], logits="4", classes=list("abcdef")
    )
    assert display.im_.get_array().shape == (2, 6)
    assert display.ax_.get_xlabel() == "class"
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == list("abcdef")
    plt.close("all")


def test_pair_moments_on_torch_tensors_equal_numpy_moments():
    """The device path (torch tensors, as on a GPU) of the streamed moments."""
    from sklearn_svcca import _linalg

    rng = np.random.RandomState(0)
    x = rng.normal(size=(301, 5)) * 10 + 1e3  # a large mean: Chan's merge matters
    y = rng.normal(size=(301, 3)) + x[:, :3]
    pairs = [(0, 0), (1, 1), (0, 1)]
    total = None
    for rows in np.array_split(np.arange(301), 7):
        batch = _linalg.pair_moments(
            [torch.from_numpy(x[rows]), torch.from_numpy(y[rows])], pairs
        )
        assert torch.is_tensor(batch.products[0, 1])
        total = batch if total is None else _linalg.merge_pair_moments(total, batch)
    expected = _linalg.compute_moments(x, y)
    got = _linalg.moments_of_pair(total, 0, 1)
    assert got.n_samples == 301
    for name in ("x_mean", "y_mean", "cxx", "cyy", "cxy"):
        np.testing.assert_allclose(
            getattr(got, name).numpy(), getattr(expected, name), rtol=1e-12, atol=1e-9
        )
