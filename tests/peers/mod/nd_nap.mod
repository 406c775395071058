: neurodyn peer of channels.NaP: Hay et al. (2011) Nap_Et2.mod (ModelDB 139653), persistent Na+
: current after Magistretti & Alonso (1999); temperature factor 2.3^((celsius - 21)/10).
: Parameters are RANGE variables named as neurodyn's (g_max in S/cm2 = mS/cm2 / 1000).
NEURON {
    SUFFIX nd_nap
    USEION na READ ena WRITE ina
    RANGE g_max, q10, t_ref, ina
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
    ena (mV)
    ina (mA/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}
STATE { m h }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = g_max*m*m*m*h*(v - ena)
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
    LOCAL qt, a, b
    qt = q10^((celsius - t_ref)/10)
    UNITSOFF
    mInf = 1.0/(1 + exp((vm - -52.6)/-4.6))
    : 0.182 (v + 38)/(1 - exp(-(v + 38)/6)) and 0.124 (-v - 38)/(1 - exp(-(-v - 38)/6))
    a = 0.182*vtrap(-(vm + 38), 6)
    b = 0.124*vtrap(vm + 38, 6)
    mTau = 6*(1/(a + b))/qt
    hInf = 1.0/(1 + exp((vm - -48.8)/10))
    : -2.88e-6 (v + 17)/(1 - exp((v + 17)/4.63)) and 6.94e-6 (v + 64.4)/(1 - exp(-(v + 64.4)/2.63))
    a = 2.88e-6*vtrap(vm + 17, 4.63)
    b = 6.94e-6*vtrap(-(vm + 64.4), 2.63)
    hTau = (1/(a + b))/qt
    UNITSON
}
FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
