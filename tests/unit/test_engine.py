"""The engine: batching, no recompiles on new values, chunking, tracing, NaN reports, provenance."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.engine import trace_counts
from neurodyn.errors import ParameterError, SimulationError

HH = nd.models.HodgkinHuxley()
STEP = nd.stimuli.Step(amplitude=10.0, start=5.0, stop=45.0)


def _traces_total():
    return sum(trace_counts().values())


def test_single_run_shapes_and_spikes():
    r = nd.simulate(HH, 50.0, 0.01, stimulus=STEP, record=["v", "m"], record_dt=0.1)
    assert r.t.shape == (501,) and r.t[-1] == pytest.approx(50.0)
    assert r.trace("v").shape == (501,) and r.units == {"v": "mV", "m": "1"}
    st = r.spike_times()
    assert len(st) == r.spike_counts() >= 2
    assert np.all((st > 5.0) & (st < 50.0))
    assert r.ok and r.status is nd.Status.SUCCESS
    with pytest.raises(KeyError, match="was not recorded"):
        r.trace("h")


def test_batch_is_labelled_and_matches_single_runs():
    amps = np.array([0.0, 5.0, 10.0, 15.0])
    rb = nd.simulate(HH, 50.0, 0.01, stimulus=STEP, batch={"stimulus.amplitude": amps})
    assert rb.batch_shape == (4,) and rb.trace("v").shape == (4, 5001)
    assert np.array_equal(rb.batch["stimulus.amplitude"], amps)
    for i, a in enumerate(amps):
        r1 = nd.simulate(HH, 50.0, 0.01, stimulus=STEP.replace(amplitude=a))
        np.testing.assert_allclose(rb.trace("v", i), r1.trace("v"), rtol=0, atol=1e-10)
        np.testing.assert_allclose(rb.spike_times(i), r1.spike_times(), atol=1e-9)
    assert rb.labels(2) == {"stimulus.amplitude": 10.0}


def test_grid_batch_shape():
    b = nd.grid(g_na=[100.0, 120.0], **{"stimulus.amplitude": [5.0, 10.0, 15.0]})
    r = nd.simulate(HH, 20.0, 0.025, stimulus=STEP, batch=b, record=())
    assert r.batch_shape == (2, 3) and r.spike_counts().shape == (2, 3)
    assert r.firing_rates().shape == (2, 3)


def test_changing_values_does_not_recompile():
    kw = dict(stimulus=STEP, record=["v"])
    nd.simulate(HH, 30.0, 0.01, batch={"g_na": np.full(8, 120.0)}, **kw)
    before = _traces_total()
    for g in (100.0, 110.0, 130.0):
        nd.simulate(HH, 30.0, 0.01, batch={"g_na": np.full(8, g), "g_k": np.full(8, 30.0)}, **kw)
        # a different dt with the same number of steps is the same shape
        nd.simulate(HH, 60.0, 0.02, batch={"g_na": np.full(8, g)},
                    **{**kw, "stimulus": STEP.replace(amplitude=g / 10)})
    assert _traces_total() == before, "new parameter values, dt or amplitudes must not retrace"
    # a different batch size is a new shape: one more trace, then cached again
    nd.simulate(HH, 30.0, 0.01, batch={"g_na": np.full(9, 120.0)}, **kw)
    assert _traces_total() == before + 1


def test_durations_do_not_recompile_with_a_pinned_chunk():
    """Chunk buffers come in power-of-two sizes; ``chunk_steps`` pins one for any duration."""
    nd.simulate(HH, 37.0, 0.01, stimulus=STEP, record=["v"], chunk_steps=1024)
    before = _traces_total()
    for t_stop in (10.0, 40.0, 55.5):
        nd.simulate(HH, t_stop, 0.01, stimulus=STEP, record=["v"], chunk_steps=1024)
    assert _traces_total() == before


@pytest.mark.parametrize("chunk", [7, 100, 4096])
def test_chunking_does_not_change_results(chunk):
    noise = nd.stimuli.OUNoise(mean=8.0, sigma=3.0, tau=2.0)
    kw = dict(stimulus=[STEP, noise], record=["v", "n"], record_dt=0.05, seed=5)
    ref = nd.simulate(HH, 50.0, 0.01, **kw)
    r = nd.simulate(HH, 50.0, 0.01, chunk_steps=chunk, **kw)
    np.testing.assert_array_equal(r.trace("v"), ref.trace("v"))
    np.testing.assert_array_equal(r.spike_times(), ref.spike_times())
    assert r.stats["n_chunks"] >= ref.stats["n_chunks"]


def test_spike_block_overflow_falls_back_to_exact_steps():
    """A cell spiking on consecutive steps overflows a spike block; the chunk is re-run per step
    and no spike is lost (compared with per-step output)."""
    lif = nd.models.LIF(t_ref=0.0)
    st = nd.stimuli.Step(amplitude=1e6)  # fires nearly every step
    r = nd.simulate(lif, 5.0, 0.01, stimulus=st, record=(), batch={"g_l": np.array([10.0, 20.0])})
    r1 = nd.simulate(lif, 5.0, 0.01, stimulus=st, record=["v"],
                     batch={"g_l": np.array([10.0, 20.0])})
    assert r.stats["spike_reruns"] >= 1
    np.testing.assert_array_equal(r.spike_counts(), r1.spike_counts())
    assert r.spike_counts().min() > 100


def test_same_seed_same_result_and_provenance():
    kw = dict(stimulus=[STEP, nd.stimuli.OUNoise(sigma=5.0)], seed=11)
    a = nd.simulate(HH, 30.0, 0.01, **kw)
    b = nd.simulate(HH, 30.0, 0.01, **kw)
    assert np.array_equal(a.trace("v"), b.trace("v"))
    p = a.provenance
    for key in ("neurodyn_version", "model", "dt", "method", "seed", "t_stop", "dtype",
                "param_hash", "jax_version"):
        assert key in p
    assert p["model"]["class"] == "HodgkinHuxley" and p["model"]["params"]["g_na"] == 120.0
    assert p["model"]["units"]["g_na"] == "mS/cm2"
    assert p["seed"] == 11 and p["method"] == "exp_euler" and p["dt"] == 0.01
    assert [s["class"] for s in p["stimulus"]] == ["Step", "OUNoise"]


def test_float32_option_close_to_float64():
    r64 = nd.simulate(HH, 50.0, 0.01, stimulus=STEP)
    r32 = nd.simulate(HH, 50.0, 0.01, stimulus=STEP, dtype="float32")
    assert r32.trace("v").dtype == np.float32
    assert len(r32.spike_times()) == len(r64.spike_times())
    np.testing.assert_allclose(r32.spike_times(), r64.spike_times(), atol=0.01)


def test_float32_rates_are_nan_safe_at_the_singularities():
    """alpha_m and alpha_n are 0/0 at v = -40 and -55 mV in the naive form."""
    for v0 in (-40.0, -55.0):
        r = nd.simulate(HH.replace(v_init=v0), 1.0, 0.01, dtype="float32", record="all")
        assert all(np.all(np.isfinite(r.trace(k))) for k in r.traces)


def test_init_override_and_record_all():
    r = nd.simulate(HH, 5.0, 0.01, init={"v": -70.0}, record="all")
    assert r.trace("v")[0] == -70.0 and set(r.traces) == {"v", "m", "h", "n"}


def test_record_input_current():
    r = nd.simulate(HH, 20.0, 0.1, stimulus=STEP, record=["i_ext"])
    assert r.trace("i_ext")[r.t < 5.0].max() == 0.0
    assert np.all(r.trace("i_ext")[(r.t >= 5.0) & (r.t < 20.0)] == 10.0)


def test_nan_blowup_is_reported_with_time_variable_and_fix():
    with pytest.raises(SimulationError) as exc:
        nd.simulate(HH, 100.0, 1.0, stimulus=STEP, method="euler")
    e = exc.value
    msg = str(e)
    assert "NaN/Inf" in msg and "HodgkinHuxley" in msg and "dt = 1 ms" in msg
    assert "reduce dt" in msg and e.variable in ("v", "m", "h", "n") and e.time is not None
    assert f"t = {e.time:g} ms" in msg
    # without throwing: a truncated result whose status says what happened
    r = nd.simulate(HH, 100.0, 1.0, stimulus=STEP, method="euler", throw=False)
    assert r.status is nd.Status.NONFINITE and "NaN/Inf" in r.message


def test_nan_report_names_the_batch_member_and_suspect_parameter():
    c_m = np.array([1.0, 1.0, 1e-4])
    with pytest.raises(SimulationError) as exc:
        nd.simulate(HH, 20.0, 0.05, stimulus=STEP, method="euler", batch={"c_m": c_m})
    assert exc.value.index == 2
    assert "parameter set 2" in str(exc.value) and "c_m = 0.0001" in str(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(t_stop=-5.0), "t_stop must be > 0 ms"),
        (dict(dt=0.0), "dt must be > 0 ms"),
        (dict(t_stop=10.0, dt=0.3), "whole multiple of dt"),
        (dict(method="leapfrog"), "unknown method 'leapfrog'"),
        (dict(record=["q"]), "no state variable 'q'"),
        (dict(batch={"gna": [1.0]}), "unknown path 'gna'"),
        (dict(batch={"g_na": [1.0, 2.0], "g_k": [1.0, 2.0, 3.0]}), "do not broadcast"),
        (dict(dtype="float16"), "dtype must be"),
        (dict(record_dt=0.015), "whole multiple of dt"),
    ],
)
def test_bad_simulate_arguments(kwargs, match):
    args = dict(t_stop=10.0, dt=0.01)
    args.update(kwargs)
    with pytest.raises(ParameterError, match=match):
        nd.simulate(HH, args.pop("t_stop"), args.pop("dt"), stimulus=STEP, **args)


def test_simulate_inside_jit_vmap_and_grad_matches_eager():
    def trace(g_na):
        r = nd.simulate(nd.models.HodgkinHuxley(g_na=g_na), 20.0, 0.01, stimulus=STEP)
        return r.trace("v")

    eager = nd.simulate(HH, 20.0, 0.01, stimulus=STEP).trace("v")
    np.testing.assert_allclose(np.asarray(jax.jit(trace)(120.0)), eager, atol=1e-10)
    vm = jax.vmap(trace)(jnp.array([110.0, 120.0]))
    np.testing.assert_allclose(np.asarray(vm[1]), eager, atol=1e-10)
    g = jax.grad(lambda x: jnp.mean(trace(x)))(120.0)
    assert np.isfinite(g)


def test_traced_spike_times_are_differentiable():
    def first_spike(amp):
        r = nd.simulate(HH, 30.0, 0.01, stimulus=STEP.replace(amplitude=amp))
        return r.spikes.padded(3)[0]

    t0 = first_spike(10.0)
    eager = nd.simulate(HH, 30.0, 0.01, stimulus=STEP).spike_times()[0]
    assert float(t0) == pytest.approx(eager, abs=1e-9)
    d = jax.grad(first_spike)(10.0)
    fd = (first_spike(10.01) - first_spike(9.99)) / 0.02
    assert float(d) < 0 and float(d) == pytest.approx(float(fd), rel=1e-2)


def test_progress_bar_advances(capsys):
    nd.simulate(HH, 200.0, 0.01, stimulus=STEP, chunk_steps=2000, progress=True)
    err = capsys.readouterr().err
    assert "simulate HodgkinHuxley" in err
