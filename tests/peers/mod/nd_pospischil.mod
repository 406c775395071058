: neurodyn peer of models.Pospischil: the Na+, delayed-rectifier K+, M, T-type Ca2+ and L-type
: Ca2+ currents of Pospischil et al. (2008) Biol Cybern 99:427 (rates at 36 degC, as published),
: in one mechanism with fixed reversal potentials; NEURON's celsius scales the rates as in
: ModelDB 123623 (Q10 3 for Na/Kd from 36 degC, 2.3 for M, 3 for T inactivation from 24 degC). Parameters are RANGE variables named as
: neurodyn's (conductances in S/cm2 = mS/cm2 / 1000). The leak is NEURON's pas.
: neurodyn's extensions are here too: the D-current, the Na+ inactivation shift v_sh, the K+
: activation shift v_sk, the Ca2+-activated K+ (AHP) current with its submembrane Ca2+ shell
: (state ca, mM, filled by the T- and L-currents), and the inward rectifier (instantaneous
: activation).
NEURON {
    SUFFIX nd_pospischil
    NONSPECIFIC_CURRENT i
    RANGE g_na, g_kd, g_m, g_t, g_cal, g_d, e_na, e_k, e_ca, v_t, tau_max, v_x, v_sh, tau_d, i
    RANGE v_sk, g_ahp, k_ahp, tau_ca, depth_ca, ca_rest, g_kir, v_kir, k_kir
}
UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}
PARAMETER {
    g_na = 0.05 (S/cm2)
    g_kd = 0.005 (S/cm2)
    g_m = 7e-5 (S/cm2)
    g_t = 0 (S/cm2)
    g_cal = 0 (S/cm2)
    g_d = 0 (S/cm2)
    e_na = 50 (mV)
    e_k = -100 (mV)
    e_ca = 120 (mV)
    v_t = -55 (mV)
    tau_max = 1000 (ms)
    v_x = 2 (mV)
    v_sh = 0 (mV)
    v_sk = 0 (mV)
    tau_d = 150 (ms)
    g_ahp = 0 (S/cm2)
    k_ahp = 1e-3 (1)
    tau_ca = 80 (ms)
    depth_ca = 1 (1)
    ca_rest = 5e-5 (1)
    g_kir = 0 (S/cm2)
    v_kir = -82 (mV)
    k_kir = 13 (mV)
}
ASSIGNED {
    v (mV)
    celsius (degC)
    i (mA/cm2)
    sinf kinf
    minf hinf ninf pinf uinf qinf rinf ainf binf
    mtau (ms) htau (ms) ntau (ms) ptau (ms) utau (ms) qtau (ms) rtau (ms)
}
STATE { m h n p u q r ad bd ca }
BREAKPOINT {
    SOLVE states METHOD cnexp
    i = g_na*m*m*m*h*(v - e_na) + (g_kd*n*n*n*n + g_d*ad*ad*ad*bd + g_m*p
        + g_ahp*ca/(ca + k_ahp) + g_kir*kinf)*(v - e_k)
        + (g_t*sinf*sinf*u + g_cal*q*q*r)*(v - e_ca)
}
DERIVATIVE states {
    rates(v)
    : first, so that the Ca2+ current uses the gates of the step's start (as neurodyn does);
    : 1e4 converts mA/cm2 over um to mM/ms; 96485.33212331001 C/mol is neurodyn's Faraday
    ca' = -1e4*(g_t*sinf*sinf*u + g_cal*q*q*r)*(v - e_ca)/(2*96485.33212331001*depth_ca)
          - (ca - ca_rest)/tau_ca
    m' = (minf - m)/mtau
    h' = (hinf - h)/htau
    n' = (ninf - n)/ntau
    p' = (pinf - p)/ptau
    u' = (uinf - u)/utau
    q' = (qinf - q)/qtau
    r' = (rinf - r)/rtau
    ad' = (ainf - ad)/2
    bd' = (binf - bd)/tau_d
}
INITIAL {
    rates(v)
    m = minf
    h = hinf
    n = ninf
    p = pinf
    u = uinf
    q = qinf
    r = rinf
    ad = ainf
    bd = binf
    : the Ca2+ shell at rest: influx and removal balance
    ca = ca_rest - 1e4*(g_t*sinf*sinf*u + g_cal*q*q*r)*(v - e_ca)*tau_ca/(2*96485.33212331001*depth_ca)
}
FUNCTION efun(x, y) {
    : x / (exp(x/y) - 1), y at x = 0
    if (fabs(x/y) < 1e-6) {
        efun = y*(1 - x/(2*y))
    } else {
        efun = x/(exp(x/y) - 1)
    }
}
PROCEDURE rates(vm (mV)) {
    LOCAL a, b, w, z, qt
    UNITSOFF
    qt = 3^((celsius - 36)/10)
    w = vm - v_t
    a = 0.32*efun(13 - w, 4)
    b = 0.28*efun(w - 40, 5)
    minf = a/(a + b)
    mtau = 1/(a + b)/qt
    a = 0.128*exp((17 - (w - v_sh))/18)
    b = 4/(1 + exp((40 - (w - v_sh))/5))
    hinf = a/(a + b)
    htau = 1/(a + b)/qt
    a = 0.032*efun(15 - (w - v_sk), 5)
    b = 0.5*exp((10 - (w - v_sk))/40)
    ninf = a/(a + b)
    ntau = 1/(a + b)/qt
    pinf = 1/(1 + exp(-(vm + 35)/10))
    ptau = tau_max/(3.3*exp((vm + 35)/20) + exp(-(vm + 35)/20))/(2.3^((celsius - 36)/10))
    z = vm + v_x
    : T activation is instantaneous; as in ModelDB 123623 (it.mod) it is computed with the
    : gates, so NEURON's numerical di/dv treats it as part of the conductance
    sinf = 1/(1 + exp(-(z + 57)/6.2))
    uinf = 1/(1 + exp((z + 81)/4))
    utau = (30.8 + (211.4 + exp((z + 113.2)/5))/(1 + exp((z + 84)/3.2)))/(3^((celsius - 24)/10))
    a = 0.055*efun(-27 - vm, 3.8)
    b = 0.94*exp((-75 - vm)/17)
    qinf = a/(a + b)
    qtau = 1/(a + b)
    a = 0.000457*exp((-13 - vm)/50)
    b = 0.0065/(exp((-15 - vm)/28) + 1)
    rinf = a/(a + b)
    rtau = 1/(a + b)
    : D-current (Golomb et al. 2007) and the Na+ inactivation shift v_sh: neurodyn extensions
    ainf = 1/(1 + exp(-(vm + 50)/20))
    binf = 1/(1 + exp((vm + 70)/6))
    : inward rectifier (Steephen & Manchanda 2009), instantaneous like sinf
    kinf = 1/(1 + exp((vm - v_kir)/k_kir))
    UNITSON
}
