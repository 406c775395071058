"""Pospischil's cortical cell with an axon initial segment: a two-compartment (soma + AIS) model."""

from __future__ import annotations

from typing import Any, ClassVar

from ..engine.integrators import exponential_update, expstep
from ..params import param
from .pospischil import Pospischil
from .traub_miles import _relaxation

__all__ = ["PospischilAIS"]

#: Chord iterations that place the axon at rest (:meth:`PospischilAIS.rest_state`).
_REST_ITERATIONS = 60


def _coupled_pair(x: tuple[Any, Any], d: tuple[Any, Any], b: tuple[Any, Any, Any, Any],
                  h: Any, xp: Any) -> tuple[Any, Any]:
    r"""Exact update over ``h`` of the affine pair :math:`\dot x = B x + a`, given ``x``, its
    derivative ``d = B x + a`` and ``b = (B11, B12, B21, B22)``: :math:`x + \varphi(B)\, d` with
    :math:`\varphi(\lambda) = (e^{\lambda h} - 1)/\lambda`, evaluated for the 2 x 2 matrix through
    its eigenvalues :math:`m \pm \delta` (real: the off-diagonal couplings are >= 0):
    :math:`\varphi(B) = \bar\varphi\, I + \Delta\varphi\, (B - m I)` with the mean and the divided
    difference of :math:`\varphi` at the two eigenvalues. Below :math:`\delta h = 10^{-6}` the
    divided difference is taken over :math:`m \pm 10^{-6}/h` (its limit, the derivative, to
    ~1e-12 relative); without coupling it is each variable's own exponential update."""
    b11, b12, b21, b22 = b
    m = 0.5 * (b11 + b22)
    half = 0.5 * (b11 - b22)
    delta = xp.sqrt(half * half + b12 * b21)
    delta = xp.maximum(delta, 1e-6 / h)
    f1, f2 = expstep(m + delta, h, xp), expstep(m - delta, h, xp)
    mean, slope = 0.5 * (f1 + f2), (f1 - f2) / (2.0 * delta)
    d1, d2 = d
    return (x[0] + mean * d1 + slope * (half * d1 + b12 * d2),
            x[1] + mean * d2 + slope * (b21 * d1 - half * d2))


def _exp_euler(model: Any, p: Any, s: Any, i_at: Any, dt: Any, xp: Any) -> Any:
    """Exponential Euler with the two potentials solved together: the pair (v, v_a) with the
    gates frozen is affine, and is updated exactly (:func:`_coupled_pair`); every other variable
    as in the generic ``exp_euler``. (The generic scheme would update each potential with the
    other frozen, which oscillates once the coupling is faster than the step.)"""
    i0 = i_at(0.0)
    a, b = model.linearized(p, s, i0, xp)
    cs, ca = model._coupling(p)
    d_v, d_a = a.v + b.v * s.v, a.v_a + b.v_a * s.v_a
    v, v_a = _coupled_pair((s.v, s.v_a), (d_v, d_a), (b.v, cs, ca, b.v_a), dt, xp)
    return exponential_update(model, p, s, i0, s.v, dt, xp, {"v": v, "v_a": v_a}, (a, b))


def _backward_euler(model: Any, p: Any, s: Any, i_at: Any, dt: Any, xp: Any) -> Any:
    """NEURON's fixed-step scheme for two coupled compartments: both potentials by linearised
    backward Euler, solved together (the 2 x 2 system NEURON's tree solver solves for two
    sections), the input at t + dt/2, then every other variable by the exponential update at
    the *new* potentials (``cnexp``)."""
    a, b = model.linearized(p, s, i_at(0.5), xp)
    cs, ca = model._coupling(p)
    # (I - dt B) x_new = x + dt a0 with a0 = a minus the coupling terms that a carries
    r1 = s.v + dt * (a.v - cs * s.v_a)
    r2 = s.v_a + dt * (a.v_a - ca * s.v)
    m11, m12, m21, m22 = 1.0 - dt * b.v, -dt * cs, -dt * ca, 1.0 - dt * b.v_a
    det = m11 * m22 - m12 * m21
    v = (m22 * r1 - m12 * r2) / det
    v_a = (m11 * r2 - m21 * r1) / det
    return exponential_update(model, p, s._replace(v=v, v_a=v_a), i_at(0.5), v, dt, xp,
                              {"v": v, "v_a": v_a})


class PospischilAIS(Pospischil):
    r""":class:`Pospischil`'s cell (the soma, where the potential is recorded and the current
    injected) coupled to an axon initial segment (AIS) that carries its own Na⁺ and delayed
    rectifier K⁺ channels, at a higher density and a lower threshold: a two-compartment model
    in the form of Pinsky & Rinzel (1994),

    .. math::

        C_m \frac{dv}{dt} &= I_{soma}(v, \dots) + \frac{I}{A} + c_s (v_a - v), \qquad
        c_s = G_c / A \\
        C_m \frac{dv_a}{dt} &= -\bar g_{Na,a} m_a^3 h_a (v_a - E_{Na})
            - \bar g_{Kd,a} n_a^4 (v_a - E_K) - g_L (v_a - E_L) + c_a (v - v_a), \qquad
        c_a = G_c / A_a

    where :math:`I_{soma}` is every current of :class:`Pospischil` (its parameters keep their
    meaning), :math:`A` = ``area`` and :math:`A_a` = ``area_ax`` the membrane areas (µm²) and
    :math:`G_c` = ``g_c`` (nS) the axial conductance between the compartments
    (:math:`c` in mS/cm² = 100 G_c[nS] / A[µm²]). The AIS gates m_a, h_a, n_a follow the
    Traub–Miles rates of the soma's Na⁺ and K⁺ currents at :math:`V_T` + ``v_t_ax`` (no
    extension shifts), scaled by the same ``celsius``; the AIS shares :math:`C_m`, the leak and
    the reversal potentials.

    Spikes start in the AIS, where the Na⁺ current is dense and activates at lower potentials,
    and reach the soma through the axial conductance: the somatic spike then rises abruptly from
    a potential set by the AIS (the "kink" at spike onset of cortical neurones), and the soma's
    own currents shape its repolarisation (Brette 2013; Kole & Stuart 2012). With ``g_c = 0`` the
    soma is :class:`Pospischil` exactly; with a coupling much faster than the membrane
    (:math:`c_a` of hundreds per ms) the AIS follows the soma within microseconds and acts as a
    second Na⁺/K⁺ population of the soma, with its own threshold and without the soma's slow
    inactivation (``z``, ``y``).

    Numerics: ``exp_euler`` (the default) and ``backward_euler`` solve the two potentials
    together (a 2 x 2 affine system: exactly over the step, or by backward Euler as NEURON does
    for two sections); a fast coupling (:math:`c_a \Delta t \gg 1`) is then stable. Units: v in
    mV, t in ms, conductance densities in mS/cm², ``g_c`` in nS, areas in µm²; the input as
    :class:`Pospischil` (µA/cm² of the soma).

    Reference
    ---------
    Pinsky PF, Rinzel J (1994) Intrinsic and network rhythmogenesis in a reduced Traub model for
    CA3 neurons. J Comput Neurosci 1:39–60. doi:10.1007/BF00962717
    Brette R (2013) Sharpness of spike initiation in neurons explained by compartmentalization.
    PLoS Comput Biol 9:e1003338. doi:10.1371/journal.pcbi.1003338
    Kole MHP, Stuart GJ (2012) Signal processing in the axon initial segment. Neuron
    73:235–247. doi:10.1016/j.neuron.2012.01.007
    Pospischil M et al. (2008) Biol Cybern 99:427–441 (the somatic currents; see
    :class:`Pospischil`, whose references this class's citation includes).

    .. code-block:: bibtex

        @article{pinsky1994intrinsic,
          author = {Pinsky, Paul F. and Rinzel, John},
          title = {Intrinsic and network rhythmogenesis in a reduced {Traub} model for
                   {CA3} neurons},
          journal = {Journal of Computational Neuroscience}, volume = {1}, pages = {39--60},
          year = {1994}, doi = {10.1007/BF00962717}}
        @article{brette2013sharpness,
          author = {Brette, Romain},
          title = {Sharpness of spike initiation in neurons explained by compartmentalization},
          journal = {PLoS Computational Biology}, volume = {9}, pages = {e1003338},
          year = {2013}, doi = {10.1371/journal.pcbi.1003338}}
        @article{kole2012signal,
          author = {Kole, Maarten H. P. and Stuart, Greg J.},
          title = {Signal processing in the axon initial segment},
          journal = {Neuron}, volume = {73}, pages = {235--247}, year = {2012},
          doi = {10.1016/j.neuron.2012.01.007}}
    """

    state_vars: ClassVar[dict[str, str]] = {**Pospischil.state_vars, "v_a": "mV", "m_a": "1",
                                            "h_a": "1", "n_a": "1"}
    methods: ClassVar[dict[str, Any]] = {"exp_euler": _exp_euler,
                                         "backward_euler": _backward_euler}

    g_c: float = param(10.0, unit="nS", bounds=(0.0, None),
                       doc="axial conductance between soma and AIS (0: the soma alone)")
    area_ax: float = param(400.0, unit="um2", bounds=(0.0, None), inclusive=(False, True),
                           doc="membrane area of the AIS compartment")
    g_na_ax: float = param(120.0, unit="mS/cm2", bounds=(0.0, None),
                           doc="peak Na+ conductance density of the AIS")
    g_kd_ax: float = param(20.0, unit="mS/cm2", bounds=(0.0, None),
                           doc="peak delayed-rectifier K+ conductance density of the AIS")
    v_t_ax: float = param(-5.0, unit="mV", bounds=(-50.0, 50.0),
                          doc="V_T of the AIS rates relative to the soma's v_t (negative: the "
                              "AIS fires at lower potentials)")

    # ------------------------------------------------------------------ maths
    def _coupling(self, p: Any) -> tuple[Any, Any]:
        """``(c_s, c_a)``: the axial conductance per membrane capacitance of the soma and of the
        AIS (1/ms); 100 converts nS/µm² to mS/cm²."""
        return 100.0 * p.g_c / (p.area * p.c_m), 100.0 * p.g_c / (p.area_ax * p.c_m)

    def _axon_gating(self, p: Any, v_a: Any, xp: Any) -> tuple[tuple[Any, Any], ...]:
        """``(x_inf, 1/tau)`` of m_a, h_a, n_a at the AIS potential ``v_a`` (1/ms)."""
        return _relaxation(v_a, p.v_t + p.v_t_ax, xp.power(3.0, (p.celsius - 36.0) / 10.0), xp)

    def _axon_conductances(self, p: Any, m_a: Any, h_a: Any, n_a: Any) -> tuple[Any, Any]:
        return p.g_na_ax * m_a**3 * h_a, p.g_kd_ax * n_a**4

    def linearized(self, p: Any, s: Any, i_ext: Any, xp: Any) -> tuple[Any, Any]:
        a, b = self._soma_linearized(p, s, i_ext, xp)
        cs, ca = self._coupling(p)
        a["v"] = a["v"] + cs * s.v_a
        b["v"] = b["v"] - cs
        g_na, g_k = self._axon_conductances(p, s.m_a, s.h_a, s.n_a)
        inv_c = 1.0 / p.c_m
        a["v_a"] = (g_na * p.e_na + g_k * p.e_k + p.g_l * p.e_l) * inv_c + ca * s.v
        b["v_a"] = -(g_na + g_k + p.g_l) * inv_c - ca
        for name, (x, k) in zip(("m_a", "h_a", "n_a"), self._axon_gating(p, s.v_a, xp)):
            a[name], b[name] = k * x, -k
        return self.State(**a), self.State(**b)

    def rest_state(self, p: Any, v: Any, xp: Any) -> Any:
        """The state at rest with the soma at ``v`` (mV) and no current into the AIS: the AIS
        potential where its ionic current balances the axial current from the soma, found by
        chord iterations :math:`v_a \\leftarrow (c_a v + \\sum_x g_x(v_a) E_x)/(c_a + \\sum_x
        g_x(v_a))` (a weighted mean of the soma's potential and the reversal potentials),
        the AIS gates at steady state there."""
        g_c = self._coupling(p)[1] * p.c_m  # mS/cm2 of the AIS
        v_a = v + 0.0 * g_c
        for _ in range(_REST_ITERATIONS):
            (mi, _), (hi, _), (ni, _) = self._axon_gating(p, v_a, xp)
            g_na, g_k = self._axon_conductances(p, mi, hi, ni)
            v_a = ((g_c * v + g_na * p.e_na + g_k * p.e_k + p.g_l * p.e_l)
                   / (g_c + g_na + g_k + p.g_l))
        (mi, _), (hi, _), (ni, _) = self._axon_gating(p, v_a, xp)
        soma = self._soma_rest(p, v, xp)
        return self.State(**soma, v_a=v_a + 0.0 * soma["v"], m_a=mi, h_a=hi, n_a=ni)

    def membrane_current(self, p: Any, s: Any, xp: Any) -> dict[str, Any]:
        """The soma's current densities (as :class:`Pospischil`), the AIS's (``i_na_ax``,
        ``i_kd_ax``, ``i_l_ax``; µA/cm² of the AIS) and the axial current leaving the soma
        (``i_axial``; µA/cm² of the soma, positive when the AIS is below the soma)."""
        g_na, g_k = self._axon_conductances(p, s.m_a, s.h_a, s.n_a)
        cs, _ = self._coupling(p)
        return {**super().membrane_current(p, s, xp),
                "i_na_ax": g_na * (s.v_a - p.e_na), "i_kd_ax": g_k * (s.v_a - p.e_k),
                "i_l_ax": p.g_l * (s.v_a - p.e_l), "i_axial": cs * p.c_m * (s.v - s.v_a)}
