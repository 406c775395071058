"""AdEx firing patterns of Naud et al. (2008), classified from the ISIs by the rules below."""

import numpy as np
import pytest

import neurodyn as nd
from neurodyn.analysis import isi

pytestmark = pytest.mark.validation


def _isis(name, dt=0.01, method="exp_euler"):
    pre = nd.models.AdEx.presets[name]
    r = nd.simulate(nd.models.AdEx.preset(name), pre.t_stop, dt, stimulus=pre.stimulus(),
                    method=method, record=())
    return r.spike_times(), isi(r.spike_times())


def _aperiodic(d, tol=0.1):
    """No period p <= 4 repeats the ISI sequence within tol of the mean ISI."""
    m = np.mean(d)
    return all(np.mean(np.abs(d[p:] - d[:-p])) > tol * m for p in range(1, 5))


RULES = {
    # tonic: regular from the start: ISIs after the first vary < 5%, no initial burst
    "tonic": lambda st, d: len(d) >= 10 and np.std(d[1:]) / np.mean(d[1:]) < 0.05
    and d[0] > 0.8 * d[-1],
    # adapting: no burst, ISIs lengthen monotonically to >= 3x the first
    "adapting": lambda st, d: d[0] > 5.0 and np.all(np.diff(d) > -0.02 * d[1:]) and d[-1] > 3 * d[0],
    # initial burst: >= 2 ISIs < 10 ms at onset, then only long ISIs (> 4x the first)
    "initial_burst": lambda st, d: np.all(d[:2] < 10.0) and np.all(d[2:] > 4 * d[0]),
    # regular bursting: short (< 10 ms) and long (> 50 ms) ISIs alternate, >= 3 of each
    "regular_bursting": lambda st, d: np.sum(d < 10) >= 3 and np.sum(d > 50) >= 3
    and not np.any((d[:-1] > 50) & (d[1:] > 50)),
    # delayed accelerating: first spike late (> 20 ms after onset), ISIs shorten
    "delayed_accelerating": lambda st, d: st[0] > 20.0 and d[-1] < 0.8 * d[0],
    # irregular: variable (CV > 0.3) and aperiodic ISIs
    "irregular": lambda st, d: np.std(d[3:]) / np.mean(d[3:]) > 0.3 and _aperiodic(d[3:]),
    # bonus classes of the corrected presets
    "delayed_regular_bursting": lambda st, d: st[0] > 20.0 and np.sum(d > 40) >= 3
    and np.sum(d < 10) >= 6,
    "transient": lambda st, d: 1 <= len(st) <= 3 and st[-1] < 100.0,
}


@pytest.mark.parametrize("name", list(RULES))
def test_naud_2008_pattern(name):
    st, d = _isis(name)
    assert RULES[name](st, d), f"{name}: first spike {st[:1]}, ISIs {np.round(d[:12], 2)}"


def test_patterns_are_specific():
    """Each rule accepts its own pattern and rejects the others (the rules discriminate)."""
    trains = {name: _isis(name) for name in ["tonic", "adapting", "initial_burst",
                                             "regular_bursting", "delayed_accelerating",
                                             "irregular"]}
    for rule_name, rule in RULES.items():
        if rule_name not in trains:
            continue
        accepted = [n for n, (st, d) in trains.items() if len(d) > 4 and rule(st, d)]
        assert accepted == [rule_name], f"rule {rule_name} accepts {accepted}"
