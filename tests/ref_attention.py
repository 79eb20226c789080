#!/usr/bin/python3
"""ref_attention.py: an independent float64 numpy recomputation of an attnlab JSON trace
(self-attention, or encoder-decoder attention with "format": "attnlab-cross"); validates
the schema and checks every derived quantity against the file.

Usage: ref_attention.py TRACE.json
Exit status: 0 when everything matches, 1 on a schema error or any mismatch, 2 when the
file cannot be read or parsed as strict JSON.
"""
import json
import math
import sys

import numpy as np

ATOL = 1e-5
RTOL = 1e-4

TOP_KEYS = ["format", "version", "tokens", "config", "a", "pe", "x", "mask", "heads",
            "concat", "Wo", "output", "empty_rows"]
# a trace exported with --layers L > 0 ends with one more key
BLOCK_TOP = "blocks"
LAYER_KEYS = ["in", "attn_out", "res1", "norm1", "pre", "hidden", "mlp_out", "res2", "out",
              "gamma1", "beta1", "gamma2", "beta2", "W1", "b1", "W2", "b2"]
CONFIG_KEYS = ["n", "d_model", "heads", "d_head", "d_att", "score", "mask", "posenc", "norm",
               "temperature", "seed", "weights", "inputs", "scale", "grid_w"]
HEAD_KEYS = ["Wq", "Wk", "Wv", "q", "k", "v", "scores", "scaled", "weights", "out",
             "entropy", "max_weight", "empty_rows"]


class SchemaError(Exception):
    pass


def strict_pairs(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise SchemaError("duplicate key in object: %r" % keys)
    return dict(pairs)


def reject_constant(name):
    raise ValueError("non-JSON number %s" % name)


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # strict: invalid UTF-8 is an error
    return json.loads(text, object_pairs_hook=strict_pairs, parse_constant=reject_constant)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def matrix(obj, key, rows, cols, where):
    if key not in obj:
        raise SchemaError("%s: missing key %r" % (where, key))
    m = obj[key]
    if not isinstance(m, list) or len(m) != rows:
        raise SchemaError("%s.%s: expected %d rows, got %s" %
                          (where, key, rows, len(m) if isinstance(m, list) else type(m).__name__))
    for r, row in enumerate(m):
        if not isinstance(row, list) or len(row) != cols:
            raise SchemaError("%s.%s row %d: expected %d numbers" % (where, key, r, cols))
        for v in row:
            if not is_number(v):
                raise SchemaError("%s.%s row %d: %r is not a number" % (where, key, r, v))
    return np.array(m, dtype=np.float64).reshape(rows, cols)


def vector(obj, key, n, where):
    if key not in obj:
        raise SchemaError("%s: missing key %r" % (where, key))
    v = obj[key]
    if not isinstance(v, list) or len(v) != n or not all(is_number(x) for x in v):
        raise SchemaError("%s.%s: expected %d numbers" % (where, key, n))
    return np.array(v, dtype=np.float64).reshape(n)


def integer(obj, key, where, lo=None):
    v = obj.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or (lo is not None and v < lo):
        raise SchemaError("%s.%s: expected an integer%s, got %r" %
                          (where, key, "" if lo is None else " >= %d" % lo, v))
    return v


def choice(obj, key, allowed, where):
    v = obj.get(key)
    if v not in allowed:
        raise SchemaError("%s.%s: %r is not one of %s" % (where, key, v, "/".join(allowed)))
    return v


def sinusoidal(n, d):
    pe = np.zeros((n, d))
    p = np.arange(n, dtype=np.float64)
    for m in range(d):
        two_i = m - (m % 2)
        angle = p / (10000.0 ** (two_i / d))
        pe[:, m] = np.sin(angle) if m % 2 == 0 else np.cos(angle)
    return pe


def sinusoidal_2d(n, d, grid_w):
    """Row encoding in the first d//2 dimensions, column encoding in the rest."""
    pe = np.zeros((n, d))
    dr = d // 2
    rows = sinusoidal(n // grid_w + 1, dr) if dr else None
    cols = sinusoidal(grid_w, d - dr)
    for p in range(n):
        if dr:
            pe[p, :dr] = rows[p // grid_w]
        pe[p, dr:] = cols[p % grid_w]
    return pe


def mask_from_config(spec, n, json_mask, grid_w=0):
    """The allowed-matrix (bool n x n) the mask spec describes; problems are SchemaErrors."""
    qi = np.arange(n)[:, None]
    kj = np.arange(n)[None, :]
    if spec.startswith("conv:"):
        k = int(spec.split(":", 1)[1])
        gw = grid_w if grid_w > 0 else n
        half = k // 2
        return (np.abs(qi // gw - kj // gw) <= half) & (np.abs(qi % gw - kj % gw) <= half)
    if spec == "none":
        return np.ones((n, n), dtype=bool)
    if spec == "causal":
        return kj <= qi
    if spec.startswith("window:"):
        w = int(spec.split(":", 1)[1])
        if w < 0:
            raise SchemaError("config.mask: negative window %d" % w)
        return np.abs(qi - kj) <= w
    if spec.startswith("padding:"):
        p = int(spec.split(":", 1)[1])
        if not 0 <= p <= n:
            raise SchemaError("config.mask: padding %d outside 0..%d" % (p, n))
        return np.broadcast_to(kj < n - p, (n, n)).copy()
    if spec in ("graph", "custom"):
        if not np.all((json_mask == 0) | (json_mask == 1)):
            raise SchemaError("mask: values other than 0 and 1")
        m = json_mask == 1
        if spec == "graph":
            if not np.array_equal(m, m.T):
                raise SchemaError("mask: a graph mask must be symmetric")
            if not np.all(np.diag(m)):
                raise SchemaError("mask: a graph mask must allow every token to see itself")
        return m
    raise SchemaError("config.mask: unknown mask %r" % spec)


def normalise(scaled, allowed, temperature, norm):
    """weights, empty-row flags: softmax or ReLU over the allowed keys of each row."""
    n = scaled.shape[0]
    w = np.zeros_like(scaled)
    empty = np.zeros(n, dtype=bool)
    for i in range(n):
        keys = np.nonzero(allowed[i])[0]
        if keys.size == 0:
            empty[i] = True
            continue
        z = scaled[i, keys] / temperature
        if norm == "softmax":
            e = np.exp(z - z.max())
            w[i, keys] = e / e.sum()
        else:
            r = np.maximum(z, 0.0)
            s = r.sum()
            if s > 0.0:
                w[i, keys] = r / s
            else:
                empty[i] = True
    return w, empty


def entropy(w):
    out = np.zeros(w.shape[0])
    for i in range(w.shape[0]):
        p = w[i][w[i] > 0]
        out[i] = -np.sum(p * np.log(p))
    return out


class Checker:
    def __init__(self):
        self.failures = []

    def compare(self, name, got, want):
        got = np.asarray(got, dtype=np.float64)
        want = np.asarray(want, dtype=np.float64)
        if got.shape != want.shape:
            print("%-12s shape %s, expected %s  MISMATCH" % (name, got.shape, want.shape))
            self.failures.append(name)
            return
        diff = np.abs(got - want)
        bad = diff > ATOL + RTOL * np.abs(want)
        worst = float(diff.max()) if diff.size else 0.0
        if bad.any():
            at = tuple(int(x) for x in np.argwhere(bad)[0])
            print("%-12s max abs diff %.3e  MISMATCH at %s: file %.9g, reference %.9g" %
                  (name, worst, at, got[at], want[at]))
            self.failures.append(name)
        else:
            print("%-12s max abs diff %.3e  ok" % (name, worst))

    def equal(self, name, got, want):
        if got == want:
            print("%-12s equal  ok" % name)
        else:
            print("%-12s %r, expected %r  MISMATCH" % (name, got, want))
            self.failures.append(name)


def check(doc):
    if not isinstance(doc, dict):
        raise SchemaError("the top level is not an object")
    keys = list(doc.keys())
    if keys != TOP_KEYS and keys != TOP_KEYS + [BLOCK_TOP]:
        raise SchemaError("top-level keys are %s, expected %s in that order" % (keys, TOP_KEYS))
    if doc["format"] != "attnlab-trace" or doc["version"] != 1:
        raise SchemaError("format/version is %r/%r" % (doc["format"], doc["version"]))
    cfg = doc["config"]
    if not isinstance(cfg, dict) or list(cfg.keys()) != CONFIG_KEYS:
        raise SchemaError("config keys are %s, expected %s" %
                          (list(cfg.keys()) if isinstance(cfg, dict) else cfg, CONFIG_KEYS))
    n = integer(cfg, "n", "config", 1)
    dm = integer(cfg, "d_model", "config", 1)
    H = integer(cfg, "heads", "config", 1)
    dh = integer(cfg, "d_head", "config", 1)
    da = integer(cfg, "d_att", "config", 1)
    score = choice(cfg, "score", ("dot", "scaled", "additive"), "config")
    posenc = choice(cfg, "posenc", ("none", "sinusoidal", "learned", "2d"), "config")
    grid_w = integer(cfg, "grid_w", "config", 0)
    norm = choice(cfg, "norm", ("softmax", "relu"), "config")
    choice(cfg, "weights", ("random", "identity", "picture", "explicit"), "config")
    choice(cfg, "inputs", ("hashed", "explicit", "features"), "config")
    integer(cfg, "seed", "config", 0)
    if not isinstance(cfg["mask"], str):
        raise SchemaError("config.mask is not a string")
    temperature = cfg["temperature"]
    if not is_number(temperature) or not temperature > 0:
        raise SchemaError("config.temperature %r is not a positive number" % temperature)
    if not is_number(cfg["scale"]):
        raise SchemaError("config.scale is not a number")

    tokens = doc["tokens"]
    if not isinstance(tokens, list) or len(tokens) != n or not all(isinstance(t, str) for t in tokens):
        raise SchemaError("tokens: expected %d strings" % n)

    a = matrix(doc, "a", n, dm, "trace")
    pe_file = matrix(doc, "pe", n, dm, "trace")
    x_file = matrix(doc, "x", n, dm, "trace")
    mask_file = matrix(doc, "mask", n, n, "trace")
    heads = doc["heads"]
    if not isinstance(heads, list) or len(heads) != H:
        raise SchemaError("heads: expected %d objects" % H)
    want_head_keys = set(HEAD_KEYS) | ({"Wa", "va"} if score == "additive" else set())
    parsed = []
    for h, hd in enumerate(heads):
        where = "heads[%d]" % h
        if not isinstance(hd, dict) or set(hd.keys()) != want_head_keys:
            raise SchemaError("%s keys are %s, expected %s" %
                              (where, sorted(hd.keys()) if isinstance(hd, dict) else hd,
                               sorted(want_head_keys)))
        p = {k: matrix(hd, k, dm, dh, where) for k in ("Wq", "Wk", "Wv")}
        for k in ("q", "k", "v", "out"):
            p[k] = matrix(hd, k, n, dh, where)
        for k in ("scores", "scaled", "weights"):
            p[k] = matrix(hd, k, n, n, where)
        p["entropy"] = vector(hd, "entropy", n, where)
        p["max_weight"] = vector(hd, "max_weight", n, where)
        er = hd["empty_rows"]
        if not isinstance(er, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                               and 0 <= i < n for i in er) \
                or er != sorted(set(er)):
            raise SchemaError("%s.empty_rows: expected increasing row indices in 0..%d" % (where, n - 1))
        p["empty_rows"] = er
        if score == "additive":
            p["Wa"] = matrix(hd, "Wa", 2 * dh, da, where)
            p["va"] = vector(hd, "va", da, where)
        parsed.append(p)
    concat_file = matrix(doc, "concat", n, H * dh, "trace")
    wo = matrix(doc, "Wo", H * dh, dm, "trace")
    output_file = matrix(doc, "output", n, dm, "trace")
    total_empty = integer(doc, "empty_rows", "trace", 0)

    allowed = mask_from_config(cfg["mask"], n, mask_file, grid_w)

    # ---- the recomputation, float64 throughout
    c = Checker()
    if posenc == "sinusoidal" or (posenc == "2d" and grid_w == 0):
        pe = sinusoidal(n, dm)
    elif posenc == "2d":
        pe = sinusoidal_2d(n, dm, grid_w)
    elif posenc == "learned":
        pe = pe_file.copy()
    else:
        pe = np.zeros((n, dm))
    x = a + pe
    scale = 1.0 / math.sqrt(dh) if score == "scaled" else 1.0
    c.compare("scale", cfg["scale"], scale)
    c.compare("pe", pe_file, pe)
    c.compare("x", x_file, x)
    c.compare("mask", mask_file, allowed.astype(np.float64))

    per = {k: [] for k in ("q", "k", "v", "scores", "scaled", "weights", "out",
                           "entropy", "max_weight")}
    outs = []
    empty_total = 0
    empty_ok = True
    for h, p in enumerate(parsed):
        q = x @ p["Wq"]
        k = x @ p["Wk"]
        v = x @ p["Wv"]
        if score == "additive":
            scores = np.zeros((n, n))
            for i in range(n):
                pairs = np.concatenate([np.repeat(q[i][None, :], n, axis=0), k], axis=1)
                scores[i] = np.tanh(pairs @ p["Wa"]) @ p["va"]
        else:
            scores = q @ k.T
        scaled = scores * scale
        w, empty = normalise(scaled, allowed, float(temperature), norm)
        out = w @ v
        outs.append(out)
        ref = {"q": q, "k": k, "v": v, "scores": scores, "scaled": scaled, "weights": w,
               "out": out, "entropy": entropy(w), "max_weight": w.max(axis=1)}
        for key in per:
            per[key].append((p[key], ref[key]))
        want_empty = [int(i) for i in np.nonzero(empty)[0]]
        empty_total += len(want_empty)
        if p["empty_rows"] != want_empty:
            print("head %d empty_rows %s, expected %s" % (h + 1, p["empty_rows"], want_empty))
            empty_ok = False
    for key, pairs in per.items():
        c.compare(key, np.stack([g for g, _ in pairs]), np.stack([r for _, r in pairs]))
    if empty_ok:
        print("%-12s equal  ok" % "empty_rows")
    else:
        c.failures.append("empty_rows")
    c.equal("total empty", total_empty, empty_total)
    concat = np.concatenate(outs, axis=1)
    c.compare("concat", concat_file, concat)
    c.compare("output", output_file, concat @ wo)
    if BLOCK_TOP in doc:
        check_blocks(c, doc[BLOCK_TOP], n, dm, x, output_file)
    return c.failures


def layer_norm(v, gamma, beta, eps):
    mu = v.mean(axis=1, keepdims=True)
    var = ((v - mu) ** 2).mean(axis=1, keepdims=True)
    return gamma * (v - mu) / np.sqrt(var + eps) + beta


def check_blocks(c, bl, n, dm, x, attn_output):
    """Each layer: res1 = in + attn_out, norm1 = LN(res1), pre = norm1 W1 + b1,
    hidden = relu(pre), mlp_out = hidden W2 + b2, res2 = norm1 + mlp_out, out = LN(res2).
    Layer 0 reads x and the attention output above; layer l + 1 reads layer l's out."""
    if not isinstance(bl, dict) or list(bl.keys()) != ["layers", "d_ff", "eps", "layer"]:
        raise SchemaError("blocks keys are %s, expected layers, d_ff, eps, layer" %
                          (list(bl.keys()) if isinstance(bl, dict) else bl))
    L = integer(bl, "layers", "blocks", 1)
    ff = integer(bl, "d_ff", "blocks", 1)
    eps = bl["eps"]
    if not is_number(eps) or not eps > 0:
        raise SchemaError("blocks.eps %r is not a positive number" % eps)
    layers = bl["layer"]
    if not isinstance(layers, list) or len(layers) != L:
        raise SchemaError("blocks.layer: expected %d objects" % L)
    prev_out = None
    for l, ly in enumerate(layers):
        where = "blocks.layer[%d]" % l
        if not isinstance(ly, dict) or list(ly.keys()) != LAYER_KEYS:
            raise SchemaError("%s keys are %s, expected %s" %
                              (where, list(ly.keys()) if isinstance(ly, dict) else ly, LAYER_KEYS))
        m = {}
        for k in ("in", "attn_out", "res1", "norm1", "mlp_out", "res2", "out"):
            m[k] = matrix(ly, k, n, dm, where)
        for k in ("pre", "hidden"):
            m[k] = matrix(ly, k, n, ff, where)
        for k in ("gamma1", "beta1", "gamma2", "beta2", "b2"):
            m[k] = vector(ly, k, dm, where)
        m["b1"] = vector(ly, "b1", ff, where)
        m["W1"] = matrix(ly, "W1", dm, ff, where)
        m["W2"] = matrix(ly, "W2", ff, dm, where)
        tag = "L%d " % (l + 1)
        if l == 0:
            c.compare(tag + "in", m["in"], x)
            c.compare(tag + "attn_out", m["attn_out"], attn_output)
        else:
            c.compare(tag + "in", m["in"], prev_out)
        res1 = m["in"] + m["attn_out"]
        norm1 = layer_norm(res1, m["gamma1"], m["beta1"], float(eps))
        pre = norm1 @ m["W1"] + m["b1"]
        hidden = np.maximum(pre, 0.0)
        mlp_out = hidden @ m["W2"] + m["b2"]
        res2 = norm1 + mlp_out
        out = layer_norm(res2, m["gamma2"], m["beta2"], float(eps))
        for k, want in (("res1", res1), ("norm1", norm1), ("pre", pre), ("hidden", hidden),
                        ("mlp_out", mlp_out), ("res2", res2), ("out", out)):
            c.compare(tag + k, m[k], want)
        prev_out = m["out"]


CROSS_TOP = ["format", "version", "source", "target", "config", "src", "tgt", "scores",
             "weights", "context", "fixed"]
CROSS_PARAMS = {"dot": [], "general": ["W"], "additive": ["W_src", "W_tgt", "v", "src_proj", "tgt_proj"]}


def check_cross(doc):
    """Encoder-decoder attention: every score, weight, context vector and the fixed vector
    recomputed from the states and parameters in the file."""
    cfg = doc.get("config")
    if not isinstance(cfg, dict):
        raise SchemaError("config is not an object")
    score = choice(cfg, "score", list(CROSS_PARAMS), "config")
    keys = list(doc.keys())
    if keys != CROSS_TOP + CROSS_PARAMS[score]:
        raise SchemaError("keys are %s, expected %s" % (keys, CROSS_TOP + CROSS_PARAMS[score]))
    if doc["format"] != "attnlab-cross" or doc["version"] != 1:
        raise SchemaError("format/version is %r/%r" % (doc["format"], doc["version"]))
    ns = integer(cfg, "n_src", "config", 1)
    nt = integer(cfg, "n_tgt", "config", 1)
    d = integer(cfg, "d", "config", 1)
    da = integer(cfg, "d_att", "config", 0)
    for side, n in (("source", ns), ("target", nt)):
        w = doc[side]
        if w is not None and (not isinstance(w, list) or len(w) != n or not all(isinstance(x, str) for x in w)):
            raise SchemaError("%s is not %d words" % (side, n))
    c = Checker()
    src = matrix(doc, "src", ns, d, "")
    tgt = matrix(doc, "tgt", nt, d, "")
    if score == "dot":
        scores = tgt @ src.T
    elif score == "general":
        W = matrix(doc, "W", d, d, "")
        scores = (tgt @ W) @ src.T
    else:
        Ws = matrix(doc, "W_src", d, da, "")
        Wt = matrix(doc, "W_tgt", d, da, "")
        v = vector(doc, "v", da, "")
        sp = src @ Ws
        tp = tgt @ Wt
        c.compare("src_proj", matrix(doc, "src_proj", ns, da, ""), sp)
        c.compare("tgt_proj", matrix(doc, "tgt_proj", nt, da, ""), tp)
        scores = np.tanh(sp[None, :, :] + tp[:, None, :]) @ v
    c.compare("scores", matrix(doc, "scores", nt, ns, ""), scores)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = e / e.sum(axis=1, keepdims=True)
    c.compare("weights", matrix(doc, "weights", nt, ns, ""), weights)
    c.compare("context", matrix(doc, "context", nt, d, ""), weights @ src)
    c.compare("fixed", vector(doc, "fixed", d, ""), src[ns - 1])
    return c.failures


def main(argv):
    if len(argv) != 2:
        print("usage: ref_attention.py TRACE.json", file=sys.stderr)
        return 2
    try:
        doc = load(argv[1])
    except (OSError, UnicodeDecodeError, ValueError, SchemaError) as e:
        print("%s: cannot read: %s" % (argv[1], e), file=sys.stderr)
        return 2
    try:
        failures = check_cross(doc) if isinstance(doc, dict) and doc.get("format") == "attnlab-cross" else check(doc)
    except (SchemaError, ValueError) as e:
        print("schema: %s  MISMATCH" % e)
        return 1
    if failures:
        print("MISMATCH in: %s" % ", ".join(failures))
        return 1
    print("all quantities match")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
