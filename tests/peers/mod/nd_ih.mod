: neurodyn peer of channels.Ih: Hay et al. (2011) Ih.mod (ModelDB 139653), kinetics of
: Kole, Hallermann & Stuart (2006). Independent transcription for the validation tests.
: Parameters are RANGE variables named as neurodyn's (g_max in S/cm2 = mS/cm2 / 1000).
NEURON {
    SUFFIX nd_ih
    NONSPECIFIC_CURRENT i
    RANGE g_max, e_rev, i
}
UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}
PARAMETER {
    g_max = 0.00001 (S/cm2)
    e_rev = -45.0 (mV)
}
ASSIGNED {
    v (mV)
    i (mA/cm2)
    mInf
    mTau (ms)
}
STATE { m }
BREAKPOINT {
    SOLVE states METHOD cnexp
    i = g_max*m*(v - e_rev)
}
DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
}
INITIAL {
    rates(v)
    m = mInf
}
PROCEDURE rates(v (mV)) {
    LOCAL a, b
    UNITSOFF
    a = 0.001*6.43*vtrap(v + 154.9, 11.9)
    b = 0.001*193*exp(v/33.1)
    mInf = a/(a + b)
    mTau = 1/(a + b)
    UNITSON
}
FUNCTION vtrap(x, y) {
    : x/(exp(x/y) - 1), limit y at x = 0
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
