: neurodyn peer of channels.SK: Hay et al. (2011) SK_E2.mod (ModelDB 139653), Ca2+ dependence
: of Koehler et al. (1996).
: Parameters are RANGE variables named as neurodyn's (g_max in S/cm2 = mS/cm2 / 1000).
NEURON {
    SUFFIX nd_sk
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE g_max, tau_z, kd, hill, ik
}
UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
}
PARAMETER {
    g_max = 0.000001 (S/cm2)
    tau_z = 1 (ms)
    kd = 0.00043 (mM)
    hill = 4.8
}
ASSIGNED {
    v (mV)
    ek (mV)
    cai (mM)
    ik (mA/cm2)
    zInf
}
STATE { z }
BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = g_max*z*(v - ek)
}
DERIVATIVE states {
    rates(cai)
    z' = (zInf - z)/tau_z
}
INITIAL {
    rates(cai)
    z = zInf
}
PROCEDURE rates(ca (mM)) {
    LOCAL c
    c = ca
    if (c < 1e-7) {
        c = c + 1e-7
    }
    UNITSOFF
    zInf = 1/(1 + (kd/c)^hill)
    UNITSON
}
