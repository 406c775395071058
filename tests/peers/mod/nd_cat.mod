: neurodyn peer of channels.CaT: Hay et al. (2011) Ca_LVAst.mod (ModelDB 139653), after
: Avery & Johnston (1996) and Randall & Tsien (1997), shifted by -10 mV; the temperature factor
: 2.3^((celsius - 21)/10) as in the BBP versions (Hay's file fixes celsius = 34).
: Parameters are RANGE variables named as neurodyn's (g_max in S/cm2 = mS/cm2 / 1000).
NEURON {
    SUFFIX nd_cat
    USEION ca READ eca WRITE ica
    RANGE g_max, q10, t_ref, ica
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
    LOCAL qt, u
    qt = q10^((celsius - t_ref)/10)
    UNITSOFF
    u = vm + 10
    mInf = 1.0/(1 + exp((u - -30.0)/-6))
    mTau = (5.0 + 20.0/(1 + exp((u - -25.0)/5)))/qt
    hInf = 1.0/(1 + exp((u - -80.0)/6.4))
    hTau = (20.0 + 50.0/(1 + exp((u - -40.0)/7)))/qt
    UNITSON
}
