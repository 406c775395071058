: neurodyn peer of channels.CaHVA: Hay et al. (2011) Ca_HVA.mod (ModelDB 139653), kinetics of
: Reuveni, Friedman, Amitai & Gutnick (1993); no temperature factor, as in the original.
: Parameters are RANGE variables named as neurodyn's (g_max in S/cm2 = mS/cm2 / 1000).
NEURON {
    SUFFIX nd_cahva
    USEION ca READ eca WRITE ica
    RANGE g_max, ica
}
UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}
PARAMETER {
    g_max = 0.00001 (S/cm2)
}
ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}
STATE { m h }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = g_max*m*m*h*(v - eca)
}
DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
    h' = (hInf - h)/hTau
}
INITIAL {
    rates(v)
    m = mInf
    h = hInf
}
PROCEDURE rates(vm (mV)) {
    LOCAL a, b
    UNITSOFF
    a = 0.055*vtrap(-27 - vm, 3.8)
    b = 0.94*exp((-75 - vm)/17)
    mInf = a/(a + b)
    mTau = 1/(a + b)
    a = 0.000457*exp((-13 - vm)/50)
    b = 0.0065/(exp((-vm - 15)/28) + 1)
    hInf = a/(a + b)
    hTau = 1/(a + b)
    UNITSON
}
FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
