"""
==========================================================
A small Transformer encoder: tokens as samples vs the mean
==========================================================

Two tiny Transformer encoders, trained from different seeds on a toy
sequence task, compared layer by layer with
:func:`~sklearn_svcca.torch.compare_models`. The batches are Hugging
Face-style dicts (``input_ids``, ``attention_mask``) passed to the model as
keyword arguments, with sequences of different lengths padded; the padding
tokens are left out using the attention mask.

A layer's output is a sequence ``(n, tokens, features)``. Two questions,
two answers:

- ``tokens="flatten"``: every (non-padding) token is a sample. This
  compares the per-token representations, position by position.
- ``tokens="mean"``: each sequence is one sample, the mean over its tokens.
  This compares what the layer says about the whole sequence -- what a
  mean-pooling classifier reads.

The task: sequences of 6 to 16 tokens from a vocabulary of 12; the label is
whether token 1 occurs more often than token 2. Everything runs on the CPU
in seconds. This example needs PyTorch
(``pip install "sklearn-svcca[torch]"``).
"""

import matplotlib.pyplot as plt
import numpy as np

try:
    import torch
except ImportError as exc:  # the documentation build installs PyTorch
    raise ImportError(
        "This example needs PyTorch: pip install 'sklearn-svcca[torch]'."
    ) from exc

from sklearn_svcca import PWCCA, SimilarityMatrixDisplay
from sklearn_svcca.torch import compare_models

torch.set_num_threads(1)  # small tensors: one thread is fastest
VOCAB, MAX_LEN, WIDTH = 12, 16, 32


def make_batches(n_batches, size, seed):
    """Dict batches of padded token sequences with their masks and labels."""
    rng = np.random.RandomState(seed)
    batches = []
    for _ in range(n_batches):
        lengths = rng.randint(6, MAX_LEN + 1, size=size)
        mask = np.arange(MAX_LEN)[None, :] < lengths[:, None]
        ids = rng.randint(1, VOCAB, size=(size, MAX_LEN)) * mask  # 0 = padding
        label = (ids == 1).sum(1) > (ids == 2).sum(1)
        batches.append(
            {
                "input_ids": torch.tensor(ids),
                "attention_mask": torch.tensor(mask.astype(np.int64)),
                "labels": torch.tensor(label.astype(np.int64)),
            }
        )
    return batches


class Encoder(torch.nn.Module):
    def __init__(self, seed):
        super().__init__()
        torch.manual_seed(seed)
        self.embed = torch.nn.Embedding(VOCAB, WIDTH)
        self.position = torch.nn.Parameter(0.1 * torch.randn(MAX_LEN, WIDTH))
        layer = torch.nn.TransformerEncoderLayer(
            WIDTH, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True
        )
        self.encoder = torch.nn.TransformerEncoder(
            layer, num_layers=2, enable_nested_tensor=False
        )
        self.head = torch.nn.Linear(WIDTH, 2)

    def forward(self, input_ids, attention_mask, labels=None):
        h = self.embed(input_ids) + self.position
        h = self.encoder(h, src_key_padding_mask=attention_mask == 0)
        keep = attention_mask[:, :, None].float()
        return self.head((h * keep).sum(1) / keep.sum(1))


def train(seed, batches, epochs=6):
    model = Encoder(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(epochs):
        for batch in batches:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(**batch), batch["labels"])
            loss.backward()
            optimizer.step()
    return model


train_batches = make_batches(40, 64, seed=0)
test_batches = make_batches(8, 128, seed=1)
model_a, model_b = train(0, train_batches), train(1, train_batches)
for name, model in (("A", model_a), ("B", model_b)):
    model.eval()
    with torch.no_grad():
        correct = sum(
            (model(**b).argmax(1) == b["labels"]).sum().item() for b in test_batches
        )
    print(f"model {name}: test accuracy {correct / (8 * 128):.3f}")

layers = ["embed", "encoder.layers.0", "encoder.layers.1"]

# %%
# Both views of the same layers
# -----------------------------
# ``embed`` is the token embedding alone (before positions are added),
# then come the two encoder layers. The same forward passes could serve
# both options; here each call streams the test batches once.

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
for ax, tokens in zip(axes, ["flatten", "mean"], strict=True):
    result = compare_models(
        model_a, model_b, test_batches, layers_a=layers, layers_b=layers,
        estimator=PWCCA(), tokens=tokens,
    )  # fmt: skip
    SimilarityMatrixDisplay.from_result(result, ax=ax, colorbar=False)
    ax.set(
        title=f'tokens="{tokens}"', xlabel="model B (seed 1)", ylabel="model A (seed 0)"
    )
    plt.setp(ax.get_xticklabels(), rotation=20)
plt.show()

# %%
# The embeddings agree almost perfectly under both views: a token's
# embedding is a fixed vector per token id, so both models' embeddings
# span the same token indicators, and the mean embedding counts them.
# Through the encoder the per-token representations (``"flatten"``) drift
# apart more than the sequence means (``"mean"``): both models are read
# through the mean over tokens by their classifier, so the task constrains
# what the mean carries, while how it is spread over individual tokens is
# left free. Which view is right depends on the question: the
# representation of each token, or of each sequence.
