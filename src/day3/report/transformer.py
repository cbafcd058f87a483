"""The morning recap's figures: the transformer, shown with the kit's own encoder.

The embedded all-MiniLM-L6-v2 (offline) reads one review: its tokens, what its attention
heads look at, where its input embeddings put words, how context changes a word's vector
layer by layer, and the sentence similarity it was trained for (the skill that fine-tuning
can make it forget).
"""

from __future__ import annotations

import numpy as np

from day3.report.sections import COMPUTED, Section, Sink, table

REVIEW = "The acting was not bad at all, and the ending moved me."
QUERY = "bad"  # the word whose attention and context the figures follow
WORDS = {
    "positive": ("good", "great", "wonderful", "excellent", "brilliant", "enjoyable"),
    "negative": ("bad", "awful", "terrible", "boring", "dull", "disappointing"),
    "film": ("film", "movie", "actor", "plot", "scene", "director"),
    "function": ("the", "and", "of", "was", "not", "very"),
}
CONTEXTS = (
    ("bad", "The acting was not bad at all."),
    ("bad", "A really bad film."),
    ("good", "A really good film."),
)
SENTENCES = (
    "A warm, funny and moving film.",
    "I loved every minute of it.",
    "A dull, lifeless and tedious mess.",
    "I hated every minute of it.",
    "The train leaves at seven.",
    "Stocks fell sharply on Monday.",
)

NAMES = (
    "figures/minilm_attention.png",
    "figures/minilm_query_attention.png",
    "figures/minilm_embeddings.png",
    "figures/minilm_context.png",
    "figures/minilm_similarity.png",
    "tables/minilm_tokens.md",
    "tables/minilm_config.md",
    "numbers/minilm.params.txt",
    "numbers/minilm.layers.txt",
)


def _load():
    from transformers import AutoModel, AutoTokenizer

    from day3.models.catalogue import resolve_model
    from day3.models.loading import from_pretrained

    path = resolve_model("minilm").path  # embedded, sha256-verified
    model = from_pretrained(
        AutoModel, path, attn_implementation="eager", use_safetensors=True, trust_remote_code=False
    )
    return model.eval(), AutoTokenizer.from_pretrained(path, trust_remote_code=False)


def _forward(model, tokenizer, text: str):
    import torch

    enc = tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        out = model(**enc, output_attentions=True, output_hidden_states=True)
    tokens = tokenizer.convert_ids_to_tokens(enc["input_ids"][0])
    return enc["input_ids"][0].tolist(), tokens, out


def make(found, inputs, sink: Sink) -> None:
    model, tokenizer = _load()
    ids, tokens, out = _forward(model, tokenizer, REVIEW)
    attentions = np.stack([a[0].float().numpy() for a in out.attentions])  # layer, head, q, k
    _attention_grid(attentions, tokens, sink.figure("figures/minilm_attention.png"))
    _query_attention(attentions, tokens, sink.figure("figures/minilm_query_attention.png"))
    _embeddings(model, tokenizer, sink.figure("figures/minilm_embeddings.png"))
    _context(model, tokenizer, sink.figure("figures/minilm_context.png"))
    _similarity(model, tokenizer, sink.figure("figures/minilm_similarity.png"))
    sink.text("tables/minilm_tokens.md", table(["token", *tokens], [["id", *map(str, ids)]]))
    c = model.config
    total = sum(p.numel() for p in model.parameters())
    embed = sum(p.numel() for n, p in model.named_parameters() if n.startswith("embeddings."))
    layer = sum(p.numel() for n, p in model.named_parameters() if n.startswith("encoder.layer.0."))
    rows = [
        ["architecture", f"{type(model).__name__} (encoder only, {c.model_type})"],
        ["layers", str(c.num_hidden_layers)],
        ["hidden size d", str(c.hidden_size)],
        [
            "attention heads",
            f"{c.num_attention_heads}, each {c.hidden_size // c.num_attention_heads} wide",
        ],
        ["feed-forward size", f"{c.intermediate_size} ({c.hidden_act})"],
        ["vocabulary (WordPiece)", f"{c.vocab_size:,} tokens"],
        ["positions", f"{c.max_position_embeddings:,} (learned)"],
        ["parameters", f"{total:,} (embeddings {embed:,}; each layer {layer:,})"],
    ]
    sink.text("tables/minilm_config.md", table(["all-MiniLM-L6-v2", "value"], rows))
    sink.text("numbers/minilm.params.txt", f"{total / 1e6:.1f}M")
    sink.text("numbers/minilm.layers.txt", str(c.num_hidden_layers))


def _focused_heads(att: np.ndarray, k: int = 4) -> list[int]:
    """The k heads of one layer whose attention is most focused (lowest mean entropy)."""
    entropy = -(att * np.log(att + 1e-9)).sum(-1).mean(-1)
    return sorted(np.argsort(entropy)[:k].tolist())


def _attention_grid(att: np.ndarray, tokens: list[str], path) -> None:
    from day3.core.plots import new_figure, save_figure

    last = att.shape[0] - 1
    fig, axes = new_figure(2, 4, figsize=(15, 7.6))
    for row, layer in enumerate((0, last)):
        for col, head in enumerate(_focused_heads(att[layer])):
            ax = axes[row][col]
            ax.imshow(att[layer, head], cmap="viridis", vmin=0, vmax=1)
            ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=7)
            ax.set_yticks(range(len(tokens)), tokens, fontsize=7)
            ax.set_title(f"layer {layer + 1}, head {head + 1}", fontsize=9)
    fig.suptitle("attention: each row is a token, its weights over the tokens it reads (sum 1)")
    save_figure(fig, path)


def _query_attention(att: np.ndarray, tokens: list[str], path) -> None:
    from day3.core.plots import new_figure, save_figure

    q = tokens.index(QUERY)
    weights = att[:, :, q, 1:-1].mean(axis=1)  # layer, word: the mean over the heads
    # [CLS] and [SEP] soak up most weight (a resting place for heads with nothing to do):
    # left out, each layer's weights over the words are rescaled to sum to 1.
    weights = weights / weights.sum(axis=1, keepdims=True)
    words = tokens[1:-1]
    fig, ax = new_figure(figsize=(10, 3.8))
    image = ax.imshow(weights, cmap="magma", aspect="auto")
    fig.colorbar(image, ax=ax, fraction=0.03)
    ax.set_xticks(range(len(words)), words, rotation=60, ha="right")
    ax.set_yticks(range(len(weights)), [f"layer {i + 1}" for i in range(len(weights))])
    ax.set_title(f"where '{QUERY}' looks, layer by layer (mean over heads; [CLS], [SEP] left out)")
    save_figure(fig, path)


def _embeddings(model, tokenizer, path) -> None:
    from day3.core.plots import new_figure, save_figure

    table_ = model.embeddings.word_embeddings.weight.detach().float().numpy()
    vocab = tokenizer.get_vocab()
    words = [(w, group) for group, ws in WORDS.items() for w in ws if w in vocab]  # whole words
    vectors = np.stack([table_[tokenizer.convert_tokens_to_ids(w)] for w, _ in words])
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T  # the two directions along which these words differ most
    fig, ax = new_figure(figsize=(7.5, 5.5))
    for group in WORDS:
        idx = [i for i, (_, g) in enumerate(words) if g == group]
        ax.scatter(xy[idx, 0], xy[idx, 1], label=group, s=40)
        for i in idx:
            ax.annotate(words[i][0], xy[i], textcoords="offset points", xytext=(4, 3), fontsize=9)
    ax.set_title("input token embeddings (before any attention), projected to 2-D (PCA)")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def _context(model, tokenizer, path) -> None:
    from day3.core.plots import new_figure, save_figure

    states = []
    for word, text in CONTEXTS:
        _, tokens, out = _forward(model, tokenizer, text)
        i = tokens.index(word)
        states.append(np.stack([h[0, i].float().numpy() for h in out.hidden_states]))

    def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))

    layers = np.arange(len(states[0]))
    fig, ax = new_figure(figsize=(7.5, 4))
    pairs = ((0, 1), (1, 2), (0, 2))
    for a, b in pairs:
        (wa, ta), (wb, tb) = CONTEXTS[a], CONTEXTS[b]
        label = f"'{wa}' in \"{ta}\" vs '{wb}' in \"{tb}\""
        ax.plot(layers, cos(states[a], states[b]), marker="o", label=label)
    ax.set_xticks(layers, ["input\n(token + position)", *[f"layer {i}" for i in layers[1:]]])
    ax.set_ylabel("cosine of the word's vectors")
    ax.set_ylim(0, 1.05)
    ax.set_title("context changes a word's vector, layer by layer")
    ax.legend(fontsize="x-small", loc="lower left")
    ax.grid(alpha=0.3)
    save_figure(fig, path)


def _similarity(model, tokenizer, path) -> None:
    from day3.classifier.similarity import encode
    from day3.core.plots import new_figure, save_figure

    emb = encode(model, tokenizer, list(SENTENCES))
    sim = emb @ emb.T
    fig, ax = new_figure(figsize=(8, 6))
    ax.imshow(sim, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(SENTENCES)), SENTENCES, rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(SENTENCES)), SENTENCES, fontsize=8)
    for (i, j), v in np.ndenumerate(sim):
        ax.text(
            j,
            i,
            f"{v:.2f}",
            ha="center",
            va="center",
            fontsize=8,
            color="black" if v > 0.6 else "white",
        )
    ax.set_title("sentence embeddings (mean-pooled, cosine): what MiniLM was trained for")
    save_figure(fig, path)


SECTION = Section(
    key="transformer",
    what="the transformer, with the embedded MiniLM on a review (tokens, attention, embeddings)",
    command="nothing: the embedded MiniLM ships with the kit",
    names=NAMES,
    find=lambda inputs: COMPUTED,
    make=make,
)
