: neurodyn peer of channels.BK: NEURON's example cagk.mod (share/examples/nrniv/nmodl), the
: large-conductance Ca2+-activated K+ channel of Moczydlowski & Latorre (1983), Table II, channel A.
: Parameters are RANGE variables named as neurodyn's (g_max in S/cm2 = mS/cm2 / 1000).
NEURON {
    SUFFIX nd_bk
    USEION ca READ cai
    USEION k READ ek WRITE ik
    RANGE g_max, d1, d2, k1, k2, abar, bbar, ik
}
UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (molar) = (1/liter)
    (mM) = (millimolar)
    FARADAY = (faraday) (kilocoulombs)
    R = (k-mole) (joule/degC)
}
PARAMETER {
    g_max = 0.01 (S/cm2)
    d1 = 0.84
    d2 = 1.0
    k1 = 0.18 (mM)
    k2 = 0.011 (mM)
    bbar = 0.28 (/ms)
    abar = 0.48 (/ms)
}
ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
    ek (mV)
    ik (mA/cm2)
    oinf
    tau (ms)
}
STATE { o }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = g_max*o*(v - ek)
}
DERIVATIVE states {
    rate(v, cai)
    o' = (oinf - o)/tau
}
INITIAL {
    rate(v, cai)
    o = oinf
}
FUNCTION alp(vm (mV), ca (mM)) (/ms) {
    alp = abar/(1 + exp1(k1, d1, vm)/ca)
}
FUNCTION bet(vm (mV), ca (mM)) (/ms) {
    bet = bbar/(1 + ca/exp1(k2, d2, vm))
}
FUNCTION exp1(k (mM), d, vm (mV)) (mM) {
    exp1 = k*exp(-2*d*FARADAY*vm/R/(273.15 + celsius))
}
PROCEDURE rate(vm (mV), ca (mM)) {
    LOCAL a
    a = alp(vm, ca)
    tau = 1/(a + bet(vm, ca))
    oinf = a*tau
}
