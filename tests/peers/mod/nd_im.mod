: neurodyn peer of channels.Im: Hay et al. (2011) Im.mod (ModelDB 139653), M-current after
: Adams, Brown & Constanti (1982); temperature factor 2.3^((celsius - 21)/10) (Hay: celsius = 34).
: Parameters are RANGE variables named as neurodyn's (g_max in S/cm2 = mS/cm2 / 1000).
NEURON {
    SUFFIX nd_im
    USEION k READ ek WRITE ik
    RANGE g_max, q10, t_ref, ik
}
UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}
PARAMETER {
    g_max = 0.00001 (S/cm2)
    q10 = 2.3
    t_ref = 21 (degC)
}
ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    mInf
    mTau (ms)
}
STATE { m }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = g_max*m*(v - ek)
}
DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
}
INITIAL {
    rates(v)
    m = mInf
}
PROCEDURE rates(vm (mV)) {
    LOCAL qt, a, b
    qt = q10^((celsius - t_ref)/10)
    UNITSOFF
    a = 3.3e-3*exp(2.5*0.04*(vm - -35))
    b = 3.3e-3*exp(-2.5*0.04*(vm - -35))
    mInf = a/(a + b)
    mTau = (1/(a + b))/qt
    UNITSON
}
