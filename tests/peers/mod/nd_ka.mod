: neurodyn peer of channels.KA: Hay et al. (2011) K_Tst.mod (ModelDB 139653), transient K+
: current of Korngreen & Sakmann (2000), shifted by -10 mV; temperature factor 2.3^((celsius - 21)/10).
: Parameters are RANGE variables named as neurodyn's (g_max in S/cm2 = mS/cm2 / 1000).
NEURON {
    SUFFIX nd_ka
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
    hInf
    hTau (ms)
}
STATE { m h }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = g_max*(m^4)*h*(v - ek)
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
    mInf = 1/(1 + exp(-(u + 0)/19))
    mTau = (0.34 + 0.92*exp(-((u + 71)/59)^2))/qt
    hInf = 1/(1 + exp(-(u + 66)/-10))
    hTau = (8 + 49*exp(-((u + 73)/23)^2))/qt
    UNITSON
}
