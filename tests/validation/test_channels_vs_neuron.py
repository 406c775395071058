"""The channel library against NEURON running NMODL transcriptions of the same mod files.

The peers are ``tests/peers/mod/nd_<name>.mod`` (SUFFIX ``nd_<name>``, so they do not clash with
mechanisms of the same name elsewhere): independent NMODL transcriptions of Hay et al. (2011)'s
``Ih``, ``Ca_LVAst``, ``Ca_HVA``, ``CaDynamics_E2``, ``SK_E2``, ``Im``, ``Nap_Et2``, ``K_Tst``
(ModelDB 139653) and of NEURON's ``cagk`` (the BK channel), with their parameters exposed as RANGE
variables named as neurodyn's (conductances in S/cm²). They are compiled once per session with
``nrnivmodl`` into a temporary directory (the tests are skipped with the reason if that fails).

Set-up: one compartment, ``L = diam = 20`` µm, ``cm = 1`` µF/cm², ``pas`` with ``g = 1e-8`` S/cm²
plus the mechanism(s), fixed step ``dt = 0.025`` ms.

(a) Steady states: after ``h.finitialize(V)`` for V = -100, -99, ..., +40 mV (which includes the
    removable singularities at -38, -27 and -17 mV) and -64.4 mV, NEURON's state variables equal
    ``init_state`` within 1e-12 (absolute), at 22 and 34 °C; the Ca2+-dependent channels sit
    with an HVA channel and the pool, for several ``cai0_ca_ion`` (the pool starts there).

(b) Voltage clamp -80 -> -20 -> +20 -> -60 mV (50 ms each, 200 ms): an ``SEClamp`` with
    ``rs = 1e-9`` MΩ whose level is set before every step holds ``v`` within 1e-6 mV of the
    protocol. NEURON's *recorded* ``v`` sequence drives a pure NumPy loop over neurodyn's maths
    in NEURON's fixed-step order:

    1. ion reversal potentials: ``eca`` of an ion whose ``cai`` a pool writes is recomputed from
       the current ``cai`` by the Nernst equation (``ion_cur``, before any current);
    2. currents (and their sum ``ica``) at the old voltage with the old states (``nrn_cur``);
    3. voltage solve (NEURON's v is read back);
    4. states advanced with the new voltage (``nrn_state``, ``cnexp``), mechanism by mechanism in
       NEURON's execution order ``memb_order_``: the mechanism types in registration order
       (built-ins, then the loaded mod files as nrnivmodl registered them, alphabetically by
       file name), except that every mechanism that WRITEs an ion concentration (nocmodl emits
       ``nrn_writes_conc(type)`` for it) is moved ahead of all other membrane mechanisms, just
       after the ions (``nrn_writes_conc`` in NEURON's ``init.cpp``). So the Ca2+ pool is advanced
       first, with the ``ica`` summed in step 2, and every mechanism that reads ``cai`` (SK, BK,
       whatever its file name) sees the concentration the pool has *just* written. Ion
       concentrations are shared memory: each mechanism copies ``cai`` from the ion when its
       ``nrn_state`` starts and the pool writes it back when its own ends.

    The value a recorded current variable holds after step n is the one computed in step 2 of
    that step (at ``v[n-1]`` and the states of step n-1); after ``finitialize`` it is the current
    at the initial state.

    Acceptance: states agree within 1e-9 relative (``atol`` 1e-15 for states near 0); currents
    (NEURON mA/cm² × 1000 = µA/cm²) within 1e-9 of the trace's peak |i| (plus 1e-12 µA/cm²):
    1e-9 mA/cm² per mA/cm² of peak current.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip(
    "neuron",
    reason="NEURON is not installed (pip install neuron); the channel peer comparison needs it",
)

from neuron import h

from neurodyn.channels import MECHANISMS as _ALL
from neurodyn.channels import nernst
from neurodyn.math import numpy_math as xp

# hh and pas are NEURON's own built-ins (validated against them in test_cable_vs_neuron.py);
# the others are compared with their NMODL transcriptions in tests/peers/mod
MECHANISMS = {k: v for k, v in _ALL.items() if k not in ("hh", "pas")}

pytestmark = [pytest.mark.validation, pytest.mark.requires_neuron]

MOD_DIR = Path(__file__).resolve().parents[1] / "peers" / "mod"
DT = 0.025  # ms
PROTOCOL = [(-80.0, 50.0), (-20.0, 50.0), (20.0, 50.0), (-60.0, 50.0)]  # (mV, ms)
V_GRID = [*np.arange(-100.0, 41.0, 1.0).tolist(), -64.4]
CAI0_GRID = [5e-5, 2e-4, 5e-4, 2e-3]  # mM (cai0_ca_ion)
CELSIUS = [22.0, 34.0]

STATE_ATOL_INIT = 1e-12
STATE_RTOL, STATE_ATOL = 1e-9, 1e-15
CURRENT_RTOL, CURRENT_ATOL = 1e-9, 1e-12  # relative to the trace's peak |i|; uA/cm2
CLAMP_TOL = 1e-6  # mV

#: the peers name their (RANGE) parameters as neurodyn does; conductances in S/cm2 there
UNIT_FACTOR = {"mS/cm2": 1e-3}

#: NEURON variable of each mechanism's current (mA/cm2), by neurodyn ion
CURRENT_VAR = {"nonspecific": "i", "ca": "ica", "k": "ik", "na": "ina"}

#: conductances used in the clamp runs (mS/cm2): large enough for currents of a few uA/cm2
G_CLAMP = {"ih": 1.0, "cat": 2.0, "cahva": 1.0, "im": 1.0, "nap": 1.0, "ka": 10.0,
           "sk": 1.0, "bk": 10.0}

#: non-default parameters in some clamp runs (checks that every parameter reaches the maths)
NON_DEFAULT = {"ih": {"e_rev": -40.0}, "ka": {"q10": 3.0, "t_ref": 22.0}}




@contextmanager
def _neuron_globals(celsius: float, cai0: float = 5e-5):
    saved = {"celsius": h.celsius, "dt": h.dt, "cai0": h.cai0_ca_ion}
    cv = h.CVode()
    active = cv.active()
    try:
        cv.active(0)
        h.celsius = celsius
        h.dt = DT
        h.cai0_ca_ion = cai0
        yield
    finally:
        cv.active(active)
        h.celsius = saved["celsius"]
        h.dt = saved["dt"]
        h.cai0_ca_ion = saved["cai0"]


def _section(mechs: dict):
    """One compartment with pas and the given neurodyn mechanisms (their NEURON peers)."""
    sec = h.Section(name="nd_channel_test")
    sec.L = sec.diam = 20.0
    sec.nseg = 1
    sec.cm = 1.0
    sec.insert("pas")
    sec.g_pas = 1e-8
    sec.e_pas = -70.0
    seg = sec(0.5)
    for name, mech in mechs.items():
        sec.insert(f"nd_{name}")
        peer = getattr(seg, f"nd_{name}")
        for pname, value in mech.params().items():
            setattr(peer, pname, value * UNIT_FACTOR.get(mech.param_specs()[pname].unit, 1.0))
    return sec, seg


def _env(seg, celsius: float) -> dict:
    env = {"celsius": celsius}
    for ion, var in (("na", "ena"), ("k", "ek"), ("ca", "eca")):
        try:
            env[f"e_{ion}"] = getattr(seg, var)
        except (NameError, AttributeError):
            pass
    try:
        env["cai"], env["cao"] = seg.cai, seg.cao
    except (NameError, AttributeError):
        pass
    return env


# --------------------------------------------------------------------------- (a) steady states
def _channel_cases():
    return [n for n in sorted(MECHANISMS) if n != "capool"]


@pytest.mark.parametrize("celsius", CELSIUS)
@pytest.mark.parametrize("name", _channel_cases())
def test_steady_states_match_neuron(nrn_mechanisms, name, celsius):
    mech = MECHANISMS[name](g_max=G_CLAMP[name])
    p = mech.param_values()
    cai_values = CAI0_GRID if "cai" in mech.reads else [5e-5]
    worst = 0.0
    for cai0 in cai_values:
        with _neuron_globals(celsius, cai0):
            # Ca2+-dependent channels sit with a Ca2+ channel and the pool, as in a cell
            mechs = ({"cahva": MECHANISMS["cahva"](), "capool": MECHANISMS["capool"](), name: mech}
                     if "cai" in mech.reads else {name: mech})
            sec, seg = _section(mechs)
            peer = getattr(seg, f"nd_{name}")
            for v in V_GRID:
                h.finitialize(v)
                assert seg.v == v
                env = _env(seg, celsius)
                ours = mech.init_state(p, np.float64(v), env, xp)
                theirs = [getattr(peer, s) for s in mech.states]
                err = max(abs(float(a) - b) for a, b in zip(ours, theirs))
                worst = max(worst, err)
                assert err <= STATE_ATOL_INIT, (name, celsius, cai0, v, ours, theirs)
            del peer, seg, sec
    print(f"{name} at {celsius} degC: max |init_state - NEURON| = {worst:.2e}")


def test_pool_initial_state_is_cai0(nrn_mechanisms):
    pool = MECHANISMS["capool"]()
    for cai0 in CAI0_GRID:
        with _neuron_globals(34.0, cai0):
            sec, seg = _section({"cahva": MECHANISMS["cahva"](), "capool": pool})
            h.finitialize(-65.0)
            (cai,) = pool.init_state(pool.param_values(), -65.0, _env(seg, 34.0), xp)
            assert seg.cai == cai0 and cai == cai0
            # and the Nernst potential NEURON initialises eca with
            assert seg.eca == pytest.approx(float(nernst(cai0, seg.cao, 2, 34.0, xp)), rel=1e-14)
            del seg, sec


def test_neuron_constants_and_nernst(nrn_mechanisms):
    from neurodyn.channels import FARADAY, GAS_CONSTANT

    assert h.FARADAY == FARADAY and h.R == GAS_CONSTANT
    for ci, co, z, celsius in [(5e-5, 2.0, 2, 34.0), (10.0, 140.0, 1, 6.3), (140.0, 5.0, 1, 37.0),
                               (1e-3, 2.0, 2, 22.0), (0.0, 2.0, 2, 34.0), (1e-4, 0.0, 2, 34.0)]:
        with _neuron_globals(celsius):
            ref = h.nernst(ci, co, z)
        assert float(nernst(np.float64(ci), np.float64(co), z, celsius, xp)) == pytest.approx(
            ref, rel=1e-14)


# --------------------------------------------------------------------------- (b) voltage clamp
def _protocol() -> np.ndarray:
    """Prescribed v at t_n = n*dt, n = 0..N (the level of the step that ends at t_n)."""
    levels = [np.full(round(dur / DT), v) for v, dur in PROTOCOL]
    v = np.concatenate(levels)
    return np.concatenate([[PROTOCOL[0][0]], v])


def _run_neuron_clamp(mechs: dict, celsius: float) -> dict:
    """NEURON's v, states, per-mechanism currents, ica and eca after finitialize and every step."""
    vp = _protocol()
    with _neuron_globals(celsius):
        _sec, seg = _section(mechs)  # _sec keeps the section alive
        clamp = h.SEClamp(seg)
        clamp.rs = 1e-9  # MOhm
        clamp.dur1 = 1e9
        clamp.amp1 = vp[0]
        peers = {n: getattr(seg, f"nd_{n}") for n in mechs}
        has_ca = any("ca" in m.currents_carried or "cai" in m.provides for m in mechs.values())
        rec: dict = {"v": [], "eca": [], "ica": []}
        for n, m in mechs.items():
            for s in m.states:
                rec[(n, s)] = []
            for ion in m.currents_carried:
                rec[(n, ion)] = []

        def record():
            rec["v"].append(seg.v)
            if has_ca:
                rec["eca"].append(seg.eca)
                rec["ica"].append(seg.ica)
            for n, m in mechs.items():
                for s in m.states:  # an ion concentration a pool writes belongs to the ion
                    rec[(n, s)].append(getattr(seg if s in m.provides else peers[n], s))
                for ion in m.currents_carried:
                    rec[(n, ion)].append(getattr(peers[n], CURRENT_VAR[ion]))

        h.finitialize(vp[0])
        env0 = _env(seg, celsius)
        record()
        for k in range(1, vp.size):
            clamp.amp1 = vp[k]
            h.fadvance()
            record()

    out = {k: np.asarray(x) for k, x in rec.items()}
    out["env0"] = env0
    return out


def _run_neurodyn_clamp(mechs: dict, v: np.ndarray, env0: dict, order: list[str]) -> dict:
    """Pure NumPy loop over neurodyn's maths in NEURON's fixed-step order (module docstring)."""
    params = {n: m.param_values() for n, m in mechs.items()}
    pool = [n for n, m in mechs.items() if "cai" in m.provides]
    nernst_eca = bool(pool)
    celsius = env0["celsius"]
    cai = env0.get("cai", 5e-5)
    env = dict(env0)

    def currents(states, vv, e):
        cur, ica = {}, 0.0
        for n, m in mechs.items():
            for ion, (i, _g) in m.currents(params[n], states[n], vv, e, xp).items():
                cur[(n, ion)] = i
                if ion == "ca":
                    ica = ica + i
        return cur, ica

    states = {n: m.init_state(params[n], v[0], {**env, "ica": 0.0}, xp) for n, m in mechs.items()}
    rec: dict = {"eca": [], "ica": []}

    def record(states, cur, e, ica):
        rec["eca"].append(e.get("e_ca", np.nan))
        rec["ica"].append(ica)
        for n, m in mechs.items():
            for s, x in zip(m.states, states[n]):
                rec.setdefault((n, s), []).append(x)
        for key, i in cur.items():
            rec.setdefault(key, []).append(i)

    cur, ica = currents(states, v[0], env)
    record(states, cur, env, ica)
    for k in range(1, v.size):
        # 1. reversal potentials (ion_cur)
        if nernst_eca:
            env["e_ca"] = nernst(cai, env["cao"], 2, celsius, xp)
        # 2. currents at the old voltage, old states (nrn_cur)
        cur, ica = currents(states, v[k - 1], env)
        # 4. states with the new voltage, in NEURON's mechanism order (nrn_state)
        env_s = {**env, "ica": ica, "cai": cai}
        for n in order:
            states[n] = mechs[n].advance(params[n], states[n], v[k], env_s, DT, xp)
            if n in pool:
                cai = states[n][0]
                env_s["cai"] = cai
        env["cai"] = cai
        record(states, cur, env, ica)
    return {k: np.asarray(x, dtype=float) for k, x in rec.items()}


def _compare(name: str, mechs: dict, nrn: dict, ours: dict) -> dict:
    report = {}
    for n, m in mechs.items():
        for s in m.states:
            a, b = ours[(n, s)], nrn[(n, s)]
            err = np.max(np.abs(a - b) / np.maximum(np.abs(b), STATE_ATOL / STATE_RTOL))
            report[f"{n}.{s}"] = err
            np.testing.assert_allclose(a, b, rtol=STATE_RTOL, atol=STATE_ATOL,
                                       err_msg=f"{name}: state {n}.{s}")
        for ion in m.currents_carried:
            a, b = ours[(n, ion)], 1000.0 * nrn[(n, ion)]  # mA/cm2 -> uA/cm2
            scale = np.max(np.abs(b))
            assert scale > 1e-3, f"{name}: {n} carries no current worth testing ({scale} uA/cm2)"
            err = np.max(np.abs(a - b)) / scale
            report[f"{n}.i_{ion}"] = err
            assert np.max(np.abs(a - b)) <= CURRENT_RTOL * scale + CURRENT_ATOL, (
                f"{name}: current {n}.{ion}: max error {np.max(np.abs(a - b)):.3e} uA/cm2, "
                f"peak {scale:.3e} uA/cm2")
    return report


@pytest.mark.parametrize("celsius", CELSIUS)
@pytest.mark.parametrize("name", ["ih", "cat", "cahva", "im", "nap", "ka"])
def test_voltage_clamp_matches_neuron(nrn_mechanisms, name, celsius):
    mechs = {name: MECHANISMS[name](g_max=G_CLAMP[name], **NON_DEFAULT.get(name, {}))}
    nrn = _run_neuron_clamp(mechs, celsius)
    vp = _protocol()
    clamp_err = np.max(np.abs(nrn["v"][1:] - vp[1:]))
    assert clamp_err < CLAMP_TOL
    ours = _run_neurodyn_clamp(mechs, nrn["v"], nrn["env0"], list(mechs))
    report = _compare(name, mechs, nrn, ours)
    print(f"{name} at {celsius} degC, clamp error {clamp_err:.1e} mV, max relative errors: "
          + ", ".join(f"{k} {v:.1e}" for k, v in report.items()))


@pytest.mark.parametrize("celsius", CELSIUS)
def test_calcium_system_matches_neuron(nrn_mechanisms, celsius):
    """HVA + T-type channels fill the pool; SK and BK read its cai; eca follows Nernst."""
    mechs = {
        "cahva": MECHANISMS["cahva"](g_max=G_CLAMP["cahva"]),
        "cat": MECHANISMS["cat"](g_max=G_CLAMP["cat"]),
        "capool": MECHANISMS["capool"](gamma=0.05, decay=80.0, depth=0.1, min_cai=1e-4),
        "sk": MECHANISMS["sk"](g_max=G_CLAMP["sk"], kd=4e-4, hill=4.5, tau_z=2.0),
        "bk": MECHANISMS["bk"](g_max=G_CLAMP["bk"]),
    }
    # NEURON's nrn_state order: the concentration writer first, then the rest by type index
    # (here nd_bk is registered before nd_capool and nd_sk after it; both see the new cai)
    order = sorted(mechs, key=lambda n: (not mechs[n].provides, nrn_mechanisms.index(f"nd_{n}")))
    assert order[0] == "capool"
    assert nrn_mechanisms.index("nd_bk") < nrn_mechanisms.index("nd_capool") < nrn_mechanisms.index(
        "nd_sk")
    nrn = _run_neuron_clamp(mechs, celsius)
    assert np.max(np.abs(nrn["v"][1:] - _protocol()[1:])) < CLAMP_TOL
    ours = _run_neurodyn_clamp(mechs, nrn["v"], nrn["env0"], order)
    report = _compare("ca system", mechs, nrn, ours)
    np.testing.assert_allclose(ours["eca"], nrn["eca"], rtol=1e-12)
    ica_scale = np.max(np.abs(nrn["ica"]))
    assert np.max(np.abs(ours["ica"] - 1000.0 * nrn["ica"])) <= 1000.0 * CURRENT_RTOL * ica_scale
    # the protocol drives the pool well above rest and SK open
    assert np.max(nrn[("capool", "cai")]) > 5e-4 and np.max(nrn[("sk", "z")]) > 0.5
    print(f"ca system at {celsius} degC, max relative errors: "
          + ", ".join(f"{k} {v:.1e}" for k, v in report.items()))
    assert math.isfinite(sum(report.values()))
