"""Fixed-step integration schemes, chosen by name.

Every scheme has the signature ``step(model, p, s, i_at, dt, xp) -> new state`` where
``i_at(theta)`` gives the external input at ``t + theta*dt`` within the step (``theta`` in
[0, 1]) and ``xp`` is the math namespace. Schemes
are written against the model contract only (``derivatives`` / ``linearized``), so every model
gets every scheme. A model can add its own (e.g. a paper's published scheme) through its
``methods`` mapping; those take precedence.

=================  =========================================================  ===============
name               scheme                                                     input evaluated
=================  =========================================================  ===============
``euler``          forward Euler                                              t
``exp_euler``      exponential Euler: exact for variables that are linear     t
                   in themselves (HH gates, the membrane equation with fixed
                   gates), forward Euler for the others; as Brian2's
                   ``exponential_euler``
``backward_euler`` NEURON's default fixed step: the membrane variable by      t + dt/2
                   linearised backward Euler, then the other variables by
                   the exponential update at the *new* voltage (``cnexp``)
``rk4``            classical 4th-order Runge–Kutta                            t, t+dt/2, t+dt
=================  =========================================================  ===============

Adaptive methods (``tsit5``, ``dopri5``, ``kvaerno5``, …) go through diffrax; see
:mod:`neurodyn.engine.adaptive`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["FIXED_STEP", "describe_methods", "exponential_update", "expstep", "resolve"]

Step = Callable[..., Any]


def _axpy(s: Any, d: Any, h: Any) -> Any:
    return type(s)(*(x + h * dx for x, dx in zip(s, d)))


def euler(model: Any, p: Any, s: Any, i_at: Any, dt: Any, xp: Any) -> Any:
    """Forward Euler: ``x += dt * f(x, t)``."""
    return _axpy(s, model.derivatives(p, s, i_at(0.0), xp), dt)


def expstep(b: Any, dt: Any, xp: Any) -> Any:
    """``(exp(b dt) - 1)/b``, equal to ``dt`` at ``b = 0`` (one division, one expm1)."""
    z = b * dt
    small = xp.abs(z) < 1e-5
    b_safe = xp.where(small, 1.0, b)
    return xp.where(small, dt * (1.0 + 0.5 * z), (xp.exp(z) - 1.0) / b_safe)


def exponential_update(model: Any, p: Any, s: Any, i_ext: Any, v: Any, dt: Any, xp: Any,
                       keep: dict[str, Any], linear: tuple[Any, Any] | None = None) -> Any:
    """Exact exponential update of every variable over ``dt`` with the others frozen.

    Gating variables (``model.gate_vars``) use their relaxation form at membrane potential ``v``:
    ``x_inf + (x - x_inf) exp(-k dt)``; the others ``x + (A + B x)(exp(B dt) - 1)/B`` from
    :meth:`linearized` at ``(s, i_ext)`` (``linear``: that ``(A, B)``, when the caller already
    has it). Variables in ``keep`` take the given value. The shared last step of ``exp_euler``,
    ``backward_euler`` and of model schemes that solve some variables otherwise (e.g. coupled
    compartments' potentials).
    """
    gates = dict(zip(model.gate_vars, model.gating(p, v, xp))) if model.gate_vars else {}
    rest = [n for n in s._fields if n not in gates and n not in keep]
    a = b = None
    if rest:
        a, b = linear if linear is not None else model.linearized(p, s, i_ext, xp)
    out = []
    for name, x in zip(s._fields, s):
        if name in keep:
            out.append(keep[name])
        elif name in gates:
            x_inf, k = gates[name]
            out.append(x_inf + (x - x_inf) * xp.exp(-k * dt))
        else:
            ai, bi = getattr(a, name), getattr(b, name)
            out.append(x + (ai + bi * x) * expstep(bi, dt, xp))
    return type(s)(*out)


def exp_euler(model: Any, p: Any, s: Any, i_at: Any, dt: Any, xp: Any) -> Any:
    """Exponential Euler: ``x += (A + B x)(exp(B dt) - 1)/B`` with ``dx/dt = A + B x``."""
    v = getattr(s, model.voltage_var)
    return exponential_update(model, p, s, i_at(0.0), v, dt, xp, {})


def backward_euler(model: Any, p: Any, s: Any, i_at: Any, dt: Any, xp: Any) -> Any:
    """NEURON's fixed-step scheme (staggered): implicit v, then exponential gates at the new v."""
    i_mid = i_at(0.5)
    vname = model.voltage_var
    a, b = model.linearized(p, s, i_mid, xp)
    v_new = (getattr(s, vname) + dt * getattr(a, vname)) / (1.0 - dt * getattr(b, vname))
    s_mid = s._replace(**{vname: v_new})
    return exponential_update(model, p, s_mid, i_mid, v_new, dt, xp, {vname: v_new})


def rk4(model: Any, p: Any, s: Any, i_at: Any, dt: Any, xp: Any) -> Any:
    """Classical fourth-order Runge–Kutta."""
    f = model.derivatives
    i_half = i_at(0.5)
    k1 = f(p, s, i_at(0.0), xp)
    k2 = f(p, _axpy(s, k1, 0.5 * dt), i_half, xp)
    k3 = f(p, _axpy(s, k2, 0.5 * dt), i_half, xp)
    k4 = f(p, _axpy(s, k3, dt), i_at(1.0), xp)
    return type(s)(
        *(x + dt / 6.0 * (a + 2.0 * b + 2.0 * c + d) for x, a, b, c, d in zip(s, k1, k2, k3, k4))
    )


FIXED_STEP: dict[str, Step] = {
    "euler": euler,
    "exp_euler": exp_euler,
    "backward_euler": backward_euler,
    "rk4": rk4,
}

ADAPTIVE = ("tsit5", "dopri5", "dopri8", "kvaerno3", "kvaerno5", "heun_adaptive")


def resolve(model: Any, method: str | None) -> tuple[str, Step | None]:
    """Return ``(name, step function)``; the step is ``None`` for adaptive methods."""
    from ..errors import ParameterError

    name = method or model.default_method
    if name in getattr(model, "methods", {}):
        return name, model.methods[name]
    if name in FIXED_STEP:
        return name, FIXED_STEP[name]
    if name in ADAPTIVE:
        return name, None
    known = [*getattr(model, "methods", {}), *FIXED_STEP, *ADAPTIVE]
    raise ParameterError(
        f"simulate: unknown method {name!r} for {type(model).__name__}. "
        f"Known: {', '.join(known)}. Fix: pick one of those (fixed step: euler, exp_euler, "
        "backward_euler, rk4; adaptive: tsit5, kvaerno5)."
    )


def describe_methods() -> str:
    """One line per method (for ``neurodyn methods`` and docs)."""
    lines = [f"{k:<16} {v.__doc__.strip().splitlines()[0]}" for k, v in FIXED_STEP.items()]
    lines += [f"{k:<16} adaptive step (diffrax), rtol/atol" for k in ADAPTIVE]
    return "\n".join(lines)
