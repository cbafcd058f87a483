"""Activation memory: what autograd keeps from the forward pass for the backward pass.

The accounting is Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
Transformer Models" (arXiv:2205.05198), section 4.1: per transformer layer, with 16-bit
activations and 1-byte dropout masks,

    attention  11·s·b·h + 5·a·s²·b     MLP  19·s·b·h     two norms  4·s·b·h
    layer      s·b·h·(34 + 5·a·s/h)                       (eq. 1, no tensor parallelism)

and with full recomputation (activation checkpointing of every layer) only each layer's input,
2·s·b·h, is kept, plus one layer's activations while it is recomputed in the backward pass.

We keep the paper's terms but not its constants, because they assume more than is true here:
- element sizes: 4 bytes in fp32. On a CPU, torch's autocast runs the attention core and the
  norms in fp32 even in bf16, and its dropout keeps a mask in its input's dtype, not 1 byte
  (both measured with autograd's saved tensors on MiniLM; GPUs follow the paper);
- the MLP width f (the paper has 4h; Llama has 2.69h and a gated MLP: 3 f-sized tensors);
- grouped-query attention (K and V narrower than Q), no dropout (Llama), no embedding norm;
- which weights train: a matmul keeps its input only to compute its weight's gradient, so a
  frozen linear keeps nothing, and a LoRA adapter keeps its own (dropped-out) input. Frozen
  (head-only) training keeps nothing inside the backbone at all.
Not counted: the classification head's tensors (per sequence, not per token: negligible).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """What the activation terms need from a config (`day3.estimate.shapes.shape_of`)."""

    hidden: int  # h
    ffn: int  # f: the MLP's inner width
    heads: int  # a
    kv_heads: int  # key/value heads (GQA: fewer than a)
    head_dim: int
    layers: int  # encoder (or decoder-only) layers
    decoder_layers: int  # T5's decoder layers (self- and cross-attention); 0 otherwise
    vocab: int
    gated: bool  # gated MLP (SwiGLU, gated-GeLU)
    hidden_dropout: bool
    attention_dropout: bool
    embed_norm: bool  # a LayerNorm right after the embeddings (BERT family)
    lm_head: bool  # the model ends in logits over the vocabulary (causal or seq2seq LM)


@dataclass(frozen=True)
class Sizes:
    """Bytes per element of what autograd keeps."""

    act: int  # e: matmul and activation-function inputs, in the compute dtype
    attn: int  # Q, K, V and the s×s scores, as the attention kernel holds them
    norm: int  # a norm's input: the residual stream
    mask_hidden: int  # dropout masks after a matmul
    mask_attn: int  # the attention-probability dropout mask
    mask_norm: int  # dropout masks on a norm's output (embeddings, LoRA's input dropout)


def element_sizes(precision: str, on_gpu: bool) -> Sizes:
    """fp32: 4 bytes everywhere. 16-bit on a GPU: the paper's 2 bytes and 1-byte (bool)
    masks. 16-bit on a CPU (autocast): attention and norms stay fp32, masks take their input's
    dtype (torch's CPU dropout multiplies by a float mask) — measured on MiniLM."""
    if precision == "fp32":
        e, a, n = 4, 4, 4
    elif on_gpu:
        e, a, n = 2, 2, 2
    else:
        e, a, n = 2, 4, 4
    if on_gpu:
        return Sizes(e, a, n, 1, 1, 1)
    return Sizes(e, a, n, e, a, n)


@dataclass(frozen=True)
class LayerBytes:
    per_token: float  # bytes per token (times s·b)
    per_score: float  # bytes per attention score (times a·s²·b)

    def total(self, batch: int, seq: int, heads: int) -> float:
        return batch * seq * self.per_token + heads * seq * seq * batch * self.per_score

    def __add__(self, other: LayerBytes) -> LayerBytes:
        return LayerBytes(self.per_token + other.per_token, self.per_score + other.per_score)


def attention_block(sh: Shape, z: Sizes, trains: bool, fused: bool) -> LayerBytes:
    """One attention sublayer: its norm, Q/K/V, the scores, the output projection, dropout.
    Under autocast with an fp32 residual stream each of q, k, v casts its own 16-bit copy of
    the input, so a training QKV keeps three (measured); otherwise one shared input."""
    h, q = sh.hidden, sh.heads * sh.head_dim
    kv = sh.kv_heads * sh.head_dim
    tok = z.norm * h + z.attn * (q + 2 * kv)
    if trains:
        tok += z.act * h * (3 if z.norm > z.act else 1) + z.act * q
    if sh.hidden_dropout:
        tok += z.mask_hidden * h
    score = 0 if fused else z.attn + (z.mask_attn + z.attn if sh.attention_dropout else 0)
    return LayerBytes(tok, score)


def mlp_block(sh: Shape, z: Sizes, trains: bool) -> LayerBytes:
    """One MLP sublayer: its norm, the activation function's input (gated: gate, up and the
    activated gate), the input of each matmul whose weight trains, dropout."""
    h, f = sh.hidden, sh.ffn
    tok = z.norm * h + (3 if sh.gated else 1) * z.act * f
    if trains:
        tok += z.act * h + z.act * f
    if sh.hidden_dropout:
        tok += z.mask_hidden * h
    return LayerBytes(tok, 0)


def layer_bytes(sh: Shape, z: Sizes, trains: bool, fused: bool, cross: bool) -> LayerBytes:
    """One transformer layer; `cross`: a T5 decoder layer (self- and cross-attention)."""
    attention = attention_block(sh, z, trains, fused)
    layer = attention + mlp_block(sh, z, trains)
    return layer + attention if cross else layer


def adapter_bytes(adapter_inputs: list[int], rank: int, z: Sizes) -> float:
    """Per token, over every LoRA adapter: its input dropout's mask and the (cast) dropped-out
    input lora_A multiplies, and lora_A's r-wide output that lora_B multiplies."""
    return sum((z.mask_norm + z.act) * d + z.act * rank for d in adapter_inputs)


def edge_bytes(sh: Shape, z: Sizes, embeddings_train: bool, head_trains: bool) -> float:
    """Per token, outside the layers: the embedding norm's input and dropout mask (only when
    the embeddings train), and for a language model the logits (kept for the output) plus
    their fp32 log-softmax the loss keeps, and the LM head's input when it trains."""
    tok = 0.0
    if embeddings_train:
        tok += (z.norm * sh.hidden if sh.embed_norm else 0) + (
            z.mask_norm * sh.hidden if sh.hidden_dropout else 0
        )
        tok *= 2 if sh.decoder_layers else 1  # T5 embeds the encoder and the decoder input
    if sh.lm_head:
        tok += z.act * sh.vocab + 4 * sh.vocab + (z.act * sh.hidden if head_trains else 0)
    return tok


@dataclass(frozen=True)
class Activations:
    none: float  # bytes, no recomputation
    full_recompute: float  # bytes, every layer checkpointed
    one_layer: float  # the largest layer's activations (what recomputing one layer keeps)
    per_layer: LayerBytes  # an encoder layer's coefficients, for the printed formula
    formula: str


def forward_working_set(sh: Shape, z: Sizes, batch: int, seq: int) -> float:
    """A frozen layer runs without autograd keeping anything, so only its own tensors are alive,
    one sublayer at a time: attention (Q, K, V, the norm's input and output, the raw scores
    beside their softmax and dropout) or the MLP (its f-wide tensors)."""
    q, kv, h = sh.heads * sh.head_dim, sh.kv_heads * sh.head_dim, sh.hidden
    score = 2 * z.attn + (z.mask_attn + z.attn if sh.attention_dropout else 0)
    attention = batch * seq * (z.attn * (q + 2 * kv) + 2 * z.norm * h)
    attention += sh.heads * seq * seq * batch * score
    mlp = batch * seq * ((3 if sh.gated else 2) * z.act * sh.ffn + 2 * z.norm * h)
    return max(attention, mlp)


def activation_bytes(
    sh: Shape,
    z: Sizes,
    method: str,
    batch: int,
    seq: int,
    fused: bool = False,
    adapter_inputs: tuple[int, ...] = (),
    rank: int = 0,
) -> Activations:
    """Activations of one training step for `method` (full, lora, frozen); seq2seq models use
    `seq` for the encoder and the decoder. Frozen keeps only the head's tensors, plus one
    layer's forward tensors while it runs (`forward_working_set`)."""
    enc = layer_bytes(sh, z, method == "full", fused, cross=False)
    dec = layer_bytes(sh, z, method == "full", fused, cross=True)
    one_layer = enc.total(batch, seq, sh.heads)
    if sh.decoder_layers:
        one_layer = max(one_layer, dec.total(batch, seq, sh.heads))
    head_trains = method in ("full", "frozen")
    edges = batch * seq * edge_bytes(sh, z, method == "full", head_trains and sh.lm_head)
    if method == "frozen":
        value = edges + forward_working_set(sh, z, batch, seq)
        return Activations(value, value, one_layer, enc, "frozen backbone: head + one layer")
    layers = sh.layers * enc.total(batch, seq, sh.heads)
    layers += sh.decoder_layers * dec.total(batch, seq, sh.heads)
    adapters = batch * seq * adapter_bytes(list(adapter_inputs), rank, z)
    inputs = batch * seq * z.norm * sh.hidden * (sh.layers + sh.decoder_layers)
    formula = (
        f"L·s·b·h·({enc.per_token / sh.hidden:.4g}) + L·a·s²·b·({enc.per_score:g})"
        f"{' + adapters' if adapters else ''} + embeddings/logits"
    )
    return Activations(
        none=layers + adapters + edges,
        full_recompute=inputs + one_layer + edges,
        one_layer=one_layer,
        per_layer=enc,
        formula=formula,
    )


def korthikanti(sh: Shape, batch: int, seq: int) -> float:
    """The paper's own number (eq. 1 summed over layers, 16-bit, every weight training), for
    comparison with ours."""
    h, a = sh.hidden, sh.heads
    per_layer = seq * batch * h * (34 + 5 * a * seq / h)
    return (sh.layers + sh.decoder_layers) * per_layer
