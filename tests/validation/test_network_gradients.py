"""Gradients through a network with graded dynamics: HH neurons coupled by a gap junction and a
conductance synapse. jax.grad of a trace loss against central finite differences, and the
differentiable runner against an ordinary run."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.network import (
    GapJunctions,
    Network,
    OneToOne,
    Population,
    Projection,
    differentiable,
)
from neurodyn.synapses import Exp

pytestmark = pytest.mark.validation


def _net():
    hh = nd.models.HodgkinHuxley()
    a = Population("A", hh, 2, stimulus=nd.stimuli.Step(amplitude=np.array([10.0, 0.0]), start=5.0))
    b = Population("B", hh, 1)
    return Network([a, b], [
        GapJunctions(a[0:1], a[1:2], OneToOne(), weight="20 nS"),
        Projection(a[0:1], b, OneToOne(), Exp(tau=3.0, e_rev=0.0), weight="5 nS", delay="1 ms",
                   receptor="e")])


def test_gradients_match_finite_differences():
    run, theta = differentiable(_net(), 40.0, 0.025, record={"A": {"v": [1]}, "B": {"v": [0]}})

    def loss(th):
        out = run(th)
        return jnp.mean(out["A"]["v"]) + jnp.mean(out["B"]["v"])

    grads = jax.grad(loss)(theta)
    checks = [("params", "A", "g_na", 0), ("params", "A", "g_na", 1), ("params", "B", "g_k", 0),
              ("params", "A", "g_l", 1)]
    for _, pop, name, i in checks:
        def shifted(d, pop=pop, name=name, i=i):
            p = theta["params"][pop]
            return {**theta, "params": {**theta["params"],
                                        pop: p._replace(**{name: getattr(p, name).at[i].add(d)})}}

        eps = 1e-4
        fd = (loss(shifted(eps)) - loss(shifted(-eps))) / (2 * eps)
        ad = getattr(grads["params"][pop], name)[i]
        assert abs(fd) > 1e-4
        assert float(ad) == pytest.approx(float(fd), rel=1e-3), (pop, name, i)
    key = next(iter(theta["weights"]))
    w = theta["weights"][key]

    def with_w(d):
        return {**theta, "weights": {**theta["weights"], key: w.at[0, 0].add(d)}}

    fd = (loss(with_w(1e-4)) - loss(with_w(-1e-4))) / 2e-4
    assert float(grads["weights"][key][0, 0]) == pytest.approx(float(fd), rel=1e-3)


def test_differentiable_run_equals_an_ordinary_run():
    net = _net()
    run, theta = differentiable(net, 40.0, 0.025, record={"B": {"v": [0], "g_e": [0]}})
    out = run(theta)
    r = nd.simulate(net, 40.0, 0.025, record={"B": {"v": [0], "g_e": [0]}})
    np.testing.assert_allclose(np.asarray(out["B"]["v"]), r.trace("B", "v"), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(out["B"]["g_e"]), r.trace("B", "g_e"), rtol=1e-12,
                               atol=1e-12)
    assert r.spikes["A"].times.size > 0 and r.trace("B", "g_e").max() > 0
