"""The network of ``argn``: per column, a softmax head over the embeddings of the columns before it.

Every token gets an embedding; a row is the concatenation of its columns' embeddings. Column
``i``'s head is a small MLP on the first ``i`` embeddings (the first column's head is its
marginal logits). Training computes every head on a batch; sampling runs column by column over
all rows together. Torch is passed in, never imported at module level.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["build_network", "nll", "sample_tokens"]


def build_network(
    torch: Any,
    vocab: list[int],
    embedding: int,
    hidden: int,
    tokens: Any = None,
    positions: list[Any] | None = None,
) -> Any:
    """The module: ``embed``, ``first`` (logits of column 0), ``hidden`` and ``output`` layers.

    With training ``tokens``, every head starts out predicting its column's marginal. With
    ``positions`` (per column, the value order of its first tokens in [0, 1], or None), those
    tokens' embeddings start as smooth waves of their position, so that neighbouring bins start
    alike and a head learns a trend in a number without learning every bin on its own.
    """
    nn = torch.nn
    net = nn.Module()
    net.embed = nn.Embedding(max(sum(vocab), 1), embedding)
    net.first = nn.Parameter(torch.zeros(vocab[0] if vocab else 1))
    net.hidden = nn.ModuleList(nn.Linear(i * embedding, hidden) for i in range(1, len(vocab)))
    net.output = nn.ModuleList(nn.Linear(hidden, size) for size in vocab[1:])
    offsets = torch.tensor([0, *vocab], dtype=torch.long).cumsum(0)[: len(vocab)]
    if tokens is not None:  # start every head at its column's marginal: far quicker to learn
        with torch.no_grad():
            for i, size in enumerate(vocab):
                counts = torch.bincount(tokens[:, i], minlength=size)[:size].double()
                log_p = torch.log((counts + 0.5) / (counts.sum() + 0.5 * size)).float()
                (net.first if i == 0 else net.output[i - 1].bias).copy_(log_p)
    if positions is not None:
        with torch.no_grad():
            waves = torch.arange(1, embedding + 1, dtype=torch.float64) * math.pi
            for i, where in enumerate(positions):
                if where is not None and len(where):
                    start = int(offsets[i])
                    wave = torch.cos(torch.from_numpy(where)[:, None] * waves[None, :])
                    net.embed.weight[start : start + len(where)] = wave.float()
    net.register_buffer("offsets", offsets, persistent=False)
    net.embedding_dim, net.vocab = embedding, list(vocab)
    return net


def _logits(torch: Any, net: Any, i: int, x: Any, dropout: float) -> Any:
    """Column ``i``'s logits from the concatenated embeddings ``x`` of the columns before it."""
    h = torch.relu(net.hidden[i - 1](x))
    return net.output[i - 1](torch.nn.functional.dropout(h, dropout, net.training))


def nll(torch: Any, net: Any, tokens: Any, dropout: float = 0.0) -> Any:
    """Negative log-likelihood of the rows, summed over columns, averaged over rows."""
    f = torch.nn.functional
    rows, columns = tokens.shape
    first = net.first.expand(rows, -1)
    loss = f.cross_entropy(first, tokens[:, 0], reduction="sum")
    if columns > 1:
        x = net.embed(tokens[:, :-1] + net.offsets[:-1]).reshape(rows, -1)
        x = f.dropout(x, dropout, net.training)  # once for every head: far cheaper
        width = net.embedding_dim
        for i in range(1, columns):
            logits = _logits(torch, net, i, x[:, : i * width], dropout)
            loss = loss + f.cross_entropy(logits, tokens[:, i], reduction="sum")
    return loss / rows


def _draw(
    torch: Any,
    logits: Any,
    temperature: float,
    generator: Any,
    weight: Any = None,
    stratified: bool = False,
) -> Any:
    """One category per row from ``logits`` (rows x levels), by the inverse of the CDF.

    With ``weight`` (a share per level), level probabilities are multiplied by it first; the
    second result is then each row's total kept probability (else None). ``stratified`` (for
    logits that are the same on every row): the rows' uniforms are one from each of ``n`` equal
    strata, assigned to rows in random order, so each level is drawn ``n p`` times give or
    take one or two instead of with multinomial noise; each row's draw alone still has the
    level probabilities.
    """
    if temperature != 1.0:
        logits = logits / temperature
    probabilities = torch.softmax(logits, dim=1)
    kept = None
    if weight is not None:
        probabilities = probabilities * weight
        kept = probabilities.sum(dim=1)
    cumulative = probabilities.cumsum_(dim=1)
    n = len(logits)
    u = torch.rand((n, 1), generator=generator, dtype=torch.float64)
    if stratified:
        strata = torch.randperm(n, generator=generator, dtype=torch.float64).unsqueeze(1)
        u = (strata + u) / n
    u = u.to(cumulative.dtype).mul_(cumulative[:, -1:])
    choice = torch.searchsorted(cumulative, u, right=True)[:, 0].clamp_(max=logits.shape[1] - 1)
    if weight is not None:  # never a level of weight 0 (a draw at the top edge of the CDF)
        allowed = weight > 0
        top = int(torch.nonzero(allowed)[-1]) if bool(allowed.any()) else 0
        choice = torch.where(allowed[choice], choice, torch.full_like(choice, top))
    return choice, kept


def _tables(torch: Any, net: Any) -> list[Any]:
    """Per head ``i >= 1``: each earlier token's contribution to the head's first layer.

    Row ``offsets[j] + t`` of table ``i`` is ``W_i[:, block j] @ embed(t)``, so the first layer
    of a sampled row is a sum of table rows (an ``embedding_bag``) instead of a matrix product.
    """
    width = net.embedding_dim
    pieces = net.embed.weight[: sum(net.vocab)].split(net.vocab)  # each column's embeddings
    return [
        torch.cat([pieces[j] @ layer.weight[:, j * width : (j + 1) * width].T for j in range(i)])
        for i, layer in enumerate(net.hidden, start=1)
    ]


def sample_tokens(
    torch: Any,
    net: Any,
    n: int,
    generator: Any,
    temperature: float,
    weights: dict[int, Any] | None = None,
    prefix: Any = None,
    stop: int | None = None,
) -> tuple[Any, Any]:
    """``n`` rows of tokens drawn column by column (no gradients; call under ``no_grad``).

    ``weights`` (token column -> a share per token) restrict the columns they name; the second
    result is each row's log probability of meeting them given its earlier columns (zeros
    without weights), the importance weight that makes the rows a draw from the condition.
    ``prefix`` (``n`` x ``k`` tokens) gives each row's first ``k`` columns, and the draw goes on
    from there; columns from ``stop`` on are not drawn (left 0).
    """
    f = torch.nn.functional
    columns = len(net.offsets)
    tables = _tables(torch, net)
    tokens = torch.zeros((n, columns), dtype=torch.long)
    shifted = torch.zeros((n, columns), dtype=torch.long)  # tokens + offsets: table rows
    log_weight = torch.zeros(n, dtype=torch.float64)
    start = 0
    if prefix is not None:
        start = prefix.shape[1]
        tokens[:, :start] = prefix
        shifted[:, :start] = prefix + net.offsets[:start]
    for i in range(start, columns if stop is None else min(stop, columns)):
        if i == 0:
            logits = net.first.expand(n, -1)
        else:
            h = f.embedding_bag(shifted[:, :i], tables[i - 1], mode="sum")
            h.add_(net.hidden[i - 1].bias).relu_()
            logits = net.output[i - 1](h)
        weight = None if weights is None else weights.get(i)
        # the first column's logits are the same on every row: its draws are stratified
        choice, kept = _draw(torch, logits, temperature, generator, weight, stratified=i == 0)
        if kept is not None:
            log_weight += torch.log(kept.double())
        tokens[:, i] = choice
        shifted[:, i] = choice + net.offsets[i]
    return tokens, log_weight
