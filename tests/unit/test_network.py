"""Networks: connectors, delays on the grid, exact event-driven delivery, input checks."""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import ParameterError, UnitError
from neurodyn.network import (
    AllToAll,
    DistanceProbability,
    FixedInDegree,
    FixedOutDegree,
    FixedProbability,
    FromList,
    FromMatrix,
    Network,
    Normal,
    OneToOne,
    PoissonSource,
    Population,
    Projection,
    SpikeSource,
    Uniform,
)
from neurodyn.network.delivery import compact, pack
from neurodyn.synapses import Exp

RNG = np.random.default_rng


# ---------------------------------------------------------------------- connectors
def test_fixed_probability_is_binomial_and_excludes_autapses():
    n, p = 2000, 0.02
    pre, post = FixedProbability(p=p, autapses=False).connect(n, n, RNG(0), autapse_shift=0)
    expected = n * (n - 1) * p
    assert abs(pre.size - expected) < 5 * np.sqrt(expected * (1 - p))
    assert not np.any(pre == post)
    flat = pre * n + post
    assert np.all(np.diff(flat) > 0)  # sorted, no multapses
    # the in-degree distribution is binomial(n - 1, p): mean and variance within 5 %
    indeg = np.bincount(post, minlength=n)
    assert indeg.mean() == pytest.approx((n - 1) * p, rel=0.05)
    assert indeg.var() == pytest.approx((n - 1) * p * (1 - p), rel=0.15)


def test_fixed_probability_edges_and_seeds():
    assert FixedProbability(p=0.0).connect(10, 10, RNG(0))[0].size == 0
    assert FixedProbability(p=1.0).connect(10, 7, RNG(0))[0].size == 70
    a = FixedProbability(p=0.1).connect(300, 300, RNG(5))
    b = FixedProbability(p=0.1).connect(300, 300, RNG(5))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_fixed_degrees_are_exact_and_distinct():
    pre, post = FixedInDegree(k=30, autapses=False).connect(200, 200, RNG(1), autapse_shift=0)
    assert np.all(np.bincount(post, minlength=200) == 30) and not np.any(pre == post)
    assert len(set(zip(pre.tolist(), post.tolist()))) == pre.size
    pre, post = FixedOutDegree(k=12).connect(50, 80, RNG(2))
    assert np.all(np.bincount(pre, minlength=50) == 12)
    assert len(set(zip(pre.tolist(), post.tolist()))) == pre.size
    with pytest.raises(ParameterError, match="k must be <= 10"):
        FixedInDegree(k=11).connect(10, 5, RNG(0))


def test_all_to_all_one_to_one_lists_and_matrices():
    pre, post = AllToAll(autapses=False).connect(4, 4, RNG(0), autapse_shift=0)
    assert pre.size == 12 and not np.any(pre == post)
    pre, post = OneToOne().connect(5, 5, RNG(0))
    assert np.array_equal(pre, post)
    with pytest.raises(ParameterError, match="OneToOne needs populations of the same size; got 5"):
        OneToOne().connect(5, 6, RNG(0))
    pre, post = FromList(pre=[2, 0], post=[1, 3]).connect(3, 4, RNG(0))
    assert pre.tolist() == [2, 0] and post.tolist() == [1, 3]
    with pytest.raises(ParameterError, match=r"post indices must lie in \[0, 3\]"):
        FromList(pre=[0], post=[4]).connect(3, 4, RNG(0))
    m = np.array([[0, 2.0], [3.0, 0]])
    pre, post, w = FromMatrix(matrix=m, weights=True).pairs_and_values(2, 2)
    assert pre.tolist() == [0, 1] and post.tolist() == [1, 0] and w.tolist() == [2.0, 3.0]


def test_distance_probability_follows_the_profile():
    rng = RNG(3)
    pos = np.c_[rng.uniform(0, 1000, 1500), rng.uniform(0, 1000, 1500), np.zeros(1500)]
    con = DistanceProbability(p0=0.5, scale=100.0, profile="gaussian")
    pre, post = con.connect(1500, 1500, RNG(4), None, pos, pos)
    d = np.linalg.norm(pos[pre] - pos[post], axis=1)
    all_d = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    expected = (0.5 * np.exp(-0.5 * (all_d / 100.0) ** 2)).sum()
    assert abs(pre.size - expected) < 5 * np.sqrt(expected)
    assert d.max() < 600.0
    with pytest.raises(ParameterError, match="needs positions"):
        con.connect(3, 3, RNG(0))


# ---------------------------------------------------------------------- compaction
@pytest.mark.parametrize("n, frac", [(1, 1.0), (63, 0.3), (64, 0.5), (65, 0.01), (4000, 0.004),
                                     (4000, 0.9)])
def test_spike_compaction_matches_nonzero(n, frac):
    import jax.numpy as jnp

    sp = RNG(n).random(n) < frac
    pk = pack(jnp.asarray(sp))
    k = int(sp.sum())
    idx = np.asarray(compact(pk, jnp.arange(k + 5, dtype=jnp.int32)))
    assert int(pk.total) == k
    assert np.array_equal(idx[:k], np.nonzero(sp)[0]) and np.all(idx[k:] == n)


@pytest.mark.parametrize("frac", [0.0, 0.002, 0.3, 1.0])
def test_spike_records_decode_to_every_spike_in_time_then_neuron_order(frac):
    """decode_words (one-bit words by their exponent, the others unpacked) against
    np.nonzero of the unpacked spike matrix, including bit 63 and all-ones words."""
    from neurodyn.network.simulate import decode_words

    steps, n = 50, 200
    sp = RNG(7).random((steps, n)) < frac
    sp[3, 63] = sp[4, 64:128] = True  # a lone top bit; a full word
    nw = -(-n // 64)
    padded = np.zeros((steps, nw * 64), bool)
    padded[:, :n] = sp
    words = np.packbits(padded.reshape(steps, nw, 64), axis=2,
                        bitorder="little").view(np.uint64)[..., 0]
    st, ids = decode_words(words)
    ref_st, ref_ids = np.nonzero(sp)
    assert np.array_equal(st, ref_st) and np.array_equal(ids, ref_ids)


# ---------------------------------------------------------------------- delays and delivery
@pytest.mark.parametrize("delay", [0.1, 1.5, 10.0])
def test_a_spike_arrives_exactly_at_t_plus_delay(delay):
    src = SpikeSource("src", times=[[5.0]])
    post = Population("post", nd.models.LIF(), 1)
    net = Network([src, post], [Projection(src, post, OneToOne(), Exp(tau=5.0, mode="current"),
                                           weight="10 pA", delay=delay, receptor="x")])
    r = nd.simulate(net, 30.0, 0.1, record={"post": {"g_x": [0]}})
    g = r.trace("post", "g_x")[0]
    first = np.nonzero(g)[0][0]
    assert r.spikes["src"].times.tolist() == [5.0]
    assert r.t[first] == pytest.approx(5.0 + delay, abs=1e-9)
    assert g[first] == 10.0
    np.testing.assert_allclose(g[first:first + 50], 10.0 * np.exp(-np.arange(50) * 0.1 / 5.0),
                               rtol=1e-12)


def test_delays_round_to_the_nearest_step_and_must_be_at_least_dt():
    src = SpikeSource("src", times=[[2.0]])
    post = Population("post", nd.models.LIF(), 1)
    proj = Projection(src, post, OneToOne(), Exp(mode="current"), weight=1.0, delay=0.26)
    r = nd.simulate(Network([src, post], [proj]), 5.0, 0.1, record={"post": {"g_exp_cur": [0]}})
    assert r.t[np.nonzero(r.trace("post", "g_exp_cur")[0])[0][0]] == pytest.approx(2.3)
    bad = Projection(src, post, OneToOne(), Exp(mode="current"), weight=1.0, delay=0.05)
    with pytest.raises(ParameterError, match=r"delay must be >= dt \(0.1 ms\); got a minimum of 0.05 ms"):
        nd.simulate(Network([src, post], [bad]), 5.0, 0.1)


def test_every_spike_is_delivered_when_all_neurons_fire_in_one_step():
    """1000 sources fire in the same step (more than any fixed bucket): the target receives the
    sum of all weights, exactly."""
    n = 1000
    src = SpikeSource("src", times=[[1.0]] * n)
    post = Population("post", nd.models.LIF(), 3)
    w = np.arange(1, 3 * n + 1, dtype=float) * 1e-3
    proj = Projection(src, post, AllToAll(), Exp(tau=5.0, mode="current"), weight=w, receptor="x")
    r = nd.simulate(Network([src, post], [proj]), 3.0, 0.1, record={"post": {"g_x": [0, 1, 2]}})
    g = r.trace("post", "g_x")
    at = np.argmin(np.abs(r.t - 1.1))
    expected = w.reshape(n, 3).sum(axis=0)
    np.testing.assert_allclose(g[:, at], expected, rtol=1e-12)
    assert np.all(g[:, :at] == 0)


def test_poisson_source_rate_and_reproducibility():
    src = PoissonSource("poisson", 500, rate="20 Hz")
    post = Population("post", nd.models.LIF(), 1)
    net = Network([src, post], [Projection(src, post, AllToAll(), Exp(), weight="0.1 nS")])
    r1 = nd.simulate(net, 1000.0, 0.1, seed=3)
    r2 = nd.simulate(net, 1000.0, 0.1, seed=3)
    r3 = nd.simulate(net, 1000.0, 0.1, seed=4)
    n = r1.spikes["poisson"].times.size
    assert abs(n - 500 * 20) < 5 * np.sqrt(500 * 20)
    assert np.array_equal(r1.spikes["poisson"].times, r2.spikes["poisson"].times)
    assert not np.array_equal(r1.spikes["poisson"].times, r3.spikes["poisson"].times)
    assert r1.rate("poisson") == pytest.approx(20.0, rel=0.05)


def test_weights_and_delays_from_distributions_with_units():
    src = SpikeSource("src", times=[[1.0]] * 200)
    post = Population("post", nd.models.LIF(), 200)
    proj = Projection(src, post, OneToOne(), Exp(), weight=Uniform("1 nS", "2 nS"),
                      delay=Normal("2 ms", "0.5 ms", clip=(0.1, None)))
    bn = nd.network.build(Network([src, post], [proj]), 0.1, seed=1)
    w = np.asarray(bn.tables["src"].weights)[:200, 0]
    assert 1.0 <= w.min() and w.max() < 2.0
    assert bn.rows > 20 and bn.tables["src"].delays is not None


# ---------------------------------------------------------------------- bad input
def test_bad_network_input_gives_clear_errors():
    lif = nd.models.LIF()
    a, b = Population("a", lif, 10), Population("b", lif, 12)
    with pytest.raises(ParameterError, match=r"FixedProbability.p must be in \[0, 1\]; got 1.5"):
        FixedProbability(p=1.5)
    with pytest.raises(ParameterError, match="OneToOne needs populations of the same size"):
        nd.simulate(Network([a, b], [Projection(a, b, OneToOne(), Exp())]), 1.0, 0.1)
    neg = Projection(a, b, AllToAll(), Exp(e_rev=-80.0), weight=Normal("1 nS", "5 nS"))
    with pytest.raises(ParameterError, match="conductance weights must be >= 0 nS"):
        nd.simulate(Network([a, b], [neg]), 1.0, 0.1)
    with pytest.raises(ParameterError, match="not in the network"):
        Network([a], [Projection(a, b, AllToAll(), Exp())])
    with pytest.raises(ParameterError, match="spike sources can only be presynaptic"):
        Projection(a, SpikeSource("s", times=[[1.0]]), AllToAll(), Exp())
    with pytest.raises(ParameterError, match="cannot drive it"):
        izh = Population("izh", nd.models.Izhikevich(), 3)
        Network([a, izh], [Projection(a, izh, AllToAll(), Exp())])
    with pytest.raises(ParameterError, match=r"init\['g_x'\] is neither a state variable"):
        c = Population("c", lif, 10, init={"g_x": 1.0})
        nd.simulate(Network([c]), 1.0, 0.1)
    with pytest.raises(UnitError, match=r"weight must be a conductance \(unit nS\); got 1.0 mV"):
        Projection(a, b, AllToAll(), Exp(), weight="1 mV").build(RNG(0), 0.1)


def test_views_and_receptors():
    lif = nd.models.LIF()
    p = Population("p", lif, 100)
    v = p[20:50]
    assert v.size == 30 and v.name == "p[20:50]"
    assert p[20:50][5:10].start == 25
    with pytest.raises(ParameterError, match="contiguous slice"):
        p[::2]
    e = Projection(p[:80], p, FixedProbability(p=0.1), Exp(tau=5, e_rev=0))
    i = Projection(p[80:], p, FixedProbability(p=0.1), Exp(tau=10, e_rev=-80))
    assert e.receptor_name() == "exp_e" and i.receptor_name() == "exp_i"
    with pytest.raises(ParameterError, match="different synapses"):
        Network([p], [e, Projection(p, p, AllToAll(), Exp(tau=3, e_rev=0))])


# ---------------------------------------------------------------------- batches
def _small_coba(n=400, seed=2):
    rng = RNG(seed)
    lif = nd.models.LIF()
    p = Population("P", lif, n, init={"v": -60 + rng.standard_normal(n) * 5 - 5,
                                      "g_e": (rng.standard_normal(n) * 1.5 + 4) * 10,
                                      "g_i": (rng.standard_normal(n) * 12 + 20) * 10})
    ne = int(0.8 * n)
    return Network([p], [
        Projection(p[:ne], p, FixedProbability(p=0.2), Exp(tau=5, e_rev=0), weight="6 nS",
                   receptor="e", label="exc"),
        Projection(p[ne:], p, FixedProbability(p=0.2), Exp(tau=10, e_rev=-80), weight="67 nS",
                   receptor="i", label="inh")])


def test_a_batch_reproduces_the_runs_one_by_one():
    net = _small_coba()
    batch = {"exc.weight_scale": [1.0, 1.5, 2.0], "P.v_th": [-50.0, -52.0, -51.0]}
    rs = nd.simulate(net, 200.0, 0.1, method="euler", seed=3, batch=batch,
                     record={"P": {"v": [0, 7], "g_e": [3]}})
    assert len(rs) == 3
    for k, r in enumerate(rs):
        assert r.provenance["batch"] == {key: float(v[k]) for key, v in batch.items()}
        pops = [Population("P", net.populations[0].model.replace(v_th=batch["P.v_th"][k]), 400,
                           init=net.populations[0].init)]
        projs = [Projection(pops[0][:320], pops[0], pr.connector, pr.synapse,
                            weight=f"{6 * batch['exc.weight_scale'][k]} nS" if j == 0 else pr.weight,
                            receptor=pr.receptor) if j == 0 else
                 Projection(pops[0][320:], pops[0], pr.connector, pr.synapse, weight=pr.weight,
                            receptor=pr.receptor)
                 for j, pr in enumerate(net.projections)]
        one = nd.simulate(Network(pops, projs), 200.0, 0.1, method="euler", seed=3,
                          record={"P": {"v": [0, 7], "g_e": [3]}})
        assert one.spikes["P"].times.size > 30
        np.testing.assert_array_equal(r.spikes["P"].times, one.spikes["P"].times)
        np.testing.assert_array_equal(r.spikes["P"].ids, one.spikes["P"].ids)
        np.testing.assert_allclose(r.trace("P", "v"), one.trace("P", "v"), rtol=1e-12)
        np.testing.assert_allclose(r.trace("P", "g_e"), one.trace("P", "g_e"), rtol=1e-12)
    assert rs[0].rate("P") < rs[1].rate("P")  # weaker excitation fires less


def test_bad_batches_are_rejected():
    net = _small_coba(100)
    with pytest.raises(ParameterError, match="same number of values"):
        nd.simulate(net, 10.0, 0.1, batch={"exc.weight_scale": [1, 2], "P.v_th": [-50.0]})
    with pytest.raises(ParameterError, match="no projection is labelled 'foo'"):
        nd.simulate(net, 10.0, 0.1, batch={"foo.weight_scale": [1, 2]})
    with pytest.raises(ParameterError, match=r"LIF\.g_l must be > 0 nS"):
        nd.simulate(net, 10.0, 0.1, batch={"P.g_l": [10.0, -1.0]})


def test_stdp_weights_are_recorded_over_time():
    from neurodyn.plasticity import STDP

    src = SpikeSource("pre", times=[[5.0, 30.0]] * 3)
    post = Population("post", nd.models.LIF(), 2,
                      stimulus=nd.stimuli.Step(amplitude=1e6, start=9.9, stop=10.0))
    proj = Projection(src, post, AllToAll(), Exp(mode="current"), weight=1.0, label="ff",
                      plasticity=STDP(A_plus=0.1, A_minus=0.1, w_max=5.0))
    r = nd.simulate(Network([src, post], [proj]), 50.0, 0.1,
                    record={"weights": {"ff": [0, 5]}, "post": ["v"]})
    w = r.traces["weights"]["ff"]
    assert w.shape == (2, 500) and np.all(w[:, 0] == 1.0)
    changed = np.nonzero(np.any(np.diff(w, axis=1) != 0, axis=0))[0] + 1
    # weights change at the spike times only: post at 10 ms (potentiation), pre at 30 ms
    np.testing.assert_allclose(r.t[changed], [10.0, 30.0], atol=1e-9)
    np.testing.assert_allclose(r.weights["ff"][[0, 5]], w[:, -1])
    with pytest.raises(ParameterError, match="no STDP projection labelled 'x'"):
        nd.simulate(Network([src, post], [proj]), 5.0, 0.1, record={"weights": {"x": [0]}})


def test_stored_kernels_are_reused_by_a_new_process_with_identical_results(tmp_path):
    """A second process loads the compiled chunk stored by the first (no tracing) and gets the
    same spikes."""
    import json
    import os
    import subprocess
    import sys

    code = """
import json, time
import numpy as np, neurodyn as nd
from neurodyn.network import brette2007 as B
net, st = B.cuba(seed=2, n=400, p=0.1)
r = nd.simulate(net, 200.0, st["dt"], method=st["method"], seed=2)
print(json.dumps({"n": int(r.spikes["P"].times.size), "sum": float(r.spikes["P"].times.sum()),
                  "first": r.stats["first_chunk_s"]}))
"""
    env = {**os.environ, "NEURODYN_CACHE_DIR": str(tmp_path)}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    runs = [json.loads(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                      capture_output=True, text=True).stdout.splitlines()[-1])
            for _ in range(2)]
    assert list((tmp_path / "neurodyn-kernels").glob("*.pkl"))
    assert runs[0]["n"] == runs[1]["n"] > 0 and runs[0]["sum"] == runs[1]["sum"]
    assert runs[1]["first"] < runs[0]["first"]  # loaded, not compiled


def test_review_fixes():
    """Poisson sources draw independently; kernels are keyed by population names; equal synapse
    descriptions share a receptor; duplicate labels, two spikes of one train in one step,
    record_dt not dividing t_stop and a mismatched `built` seed are rejected."""
    lif = nd.models.LIF()
    a, b = PoissonSource("a", 20, rate="50 Hz"), PoissonSource("b", 20, rate="50 Hz")
    post = Population("post", lif, 1)
    net = Network([a, b, post], [Projection(a, post, AllToAll(), Exp(), weight="0.1 nS"),
                                 Projection(b, post, AllToAll(), Exp(), weight="0.1 nS")])
    r = nd.simulate(net, 200.0, 0.1, seed=1)
    assert not np.array_equal(r.spikes["a"].times, r.spikes["b"].times)
    # same shapes, populations in a different order: different kernels, correct delivery
    s1 = SpikeSource("s1", times=[[2.0]])
    s2 = SpikeSource("s2", times=[[20.0]])
    p = Population("p", lif, 1)
    first = {}
    for order in ((s1, s2), (s2, s1)):
        n_ = Network([*order, p], [Projection(order[0], p, OneToOne(), Exp(mode="current"),
                                              weight=1.0, receptor="x")])
        rr = nd.simulate(n_, 30.0, 0.1, record={"p": {"g_x": [0]}})
        first[order[0].name] = rr.t[np.nonzero(rr.trace("p", "g_x")[0])[0][0]]
    assert first == pytest.approx({"s1": 2.1, "s2": 20.1})
    # two separately built, equal synapses onto one receptor
    Network([a, post], [Projection(a, post, AllToAll(), Exp(tau=5, e_rev=0), receptor="e"),
                        Projection(a, post, AllToAll(), Exp(tau=5, e_rev=0), receptor="e")])
    with pytest.raises(ParameterError, match="labels must be unique"):
        Network([a, post], [Projection(a, post, AllToAll(), Exp(), label="x"),
                            Projection(a, post, AllToAll(), Exp(), label="x")])
    twice = SpikeSource("t", times=[[5.11, 5.15]])
    with pytest.raises(ParameterError, match="two spikes in one step"):
        nd.simulate(Network([twice, post], [Projection(twice, post, AllToAll(), Exp())]), 10.0,
                    0.1)
    with pytest.raises(ParameterError, match=r"record_dt .* must divide t_stop"):
        nd.simulate(net, 10.0, 0.1, record={"post": ["v"]}, record_dt=0.3)
    bn = nd.network.build(net, 0.1, seed=1)
    with pytest.raises(ParameterError, match="seed"):
        nd.network.simulate_network(net, 10.0, 0.1, built=bn, seed=2)


def test_batches_with_gap_junctions_and_per_neuron_stimuli():
    from neurodyn.network import GapJunctions

    lif = nd.models.LIF(v_th=-55.0)
    p = Population("p", lif, 2, stimulus=nd.stimuli.Step(amplitude=np.array([300.0, 0.0])))
    net = Network([p], [GapJunctions(p[0:1], p[1:2], OneToOne(), weight="5 nS")])
    rs = nd.simulate(net, 100.0, 0.1, batch={"p.g_l": [10.0, 12.0]}, record={"p": ["v"]})
    for k, g_l in enumerate((10.0, 12.0)):
        p1 = Population("p", lif.replace(g_l=g_l), 2,
                        stimulus=nd.stimuli.Step(amplitude=np.array([300.0, 0.0])))
        one = nd.simulate(Network([p1], [GapJunctions(p1[0:1], p1[1:2], OneToOne(),
                                                      weight="5 nS")]), 100.0, 0.1)
        np.testing.assert_array_equal(rs[k].spikes["p"].times, one.spikes["p"].times)
        np.testing.assert_array_equal(rs[k].spikes["p"].ids, one.spikes["p"].ids)
    assert rs[0].spikes["p"].times.size > 0
