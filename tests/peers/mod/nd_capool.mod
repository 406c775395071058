: neurodyn peer of channels.CaPool: Hay et al. (2011) CaDynamics_E2.mod (ModelDB 139653),
: a shell of depth `depth` with first-order removal towards minCai (after Destexhe et al. 1994).
: Parameters are RANGE variables named as neurodyn's (Hay: minCai = min_cai).
NEURON {
    SUFFIX nd_capool
    USEION ca READ ica WRITE cai
    RANGE gamma, decay, depth, min_cai
}
UNITS {
    (mV) = (millivolt)
    (mA) = (milliamp)
    FARADAY = (faraday) (coulombs)
    (molar) = (1/liter)
    (mM) = (millimolar)
    (um) = (micron)
}
PARAMETER {
    gamma = 0.05
    decay = 80 (ms)
    depth = 0.1 (um)
    min_cai = 1e-4 (mM)
}
ASSIGNED { ica (mA/cm2) }
STATE { cai (mM) }
BREAKPOINT { SOLVE states METHOD cnexp }
DERIVATIVE states {
    cai' = -(10000)*(ica*gamma/(2*FARADAY*depth)) - (cai - min_cai)/decay
}
