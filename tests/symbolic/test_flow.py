"""The derived overlap ODE against independent references."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from fixedpoints.codegen import compile_flow
from fixedpoints.models import load_model
from fixedpoints.symbolic import derive
from tests.helpers import WeightSpace

# small instances of every preset (free parameters set)
CASES = {
    "multi-index": ({"k": 3, "n": 2, "beta": 0.2, "target": "He3+0.5*He4", "d": 4}, {}),
    "multi-index-square": (
        {"k": 2, "n": 2, "beta": 0.3, "target": "He2+He3", "loss": "square", "d": 4},
        {},
    ),
    "quadratic": ({"d": 4, "m": 2, "teacher_eigenvalues": "3,2,1,0"}, {}),
    "relu-teacher": ({"d": 3, "k": 3}, {}),
    "linear-two-layer": ({"singular_values": "3,2,1", "width": 2}, {}),
    "relu-two-layer": ({"d": 3, "teacher_coefficients": "1,-0.5", "width": 2}, {}),
    "soft-committee": ({"k": 2, "m": 2, "T": 1.5}, {}),
    "soft-committee-tanh": ({"k": 2, "m": 1, "activation": "tanh", "d": 3}, {}),
    "mean-field-relu": ({"d": 3, "particles": 2, "target": "odd-linear"}, {}),
    "mean-field-relu-norm": (
        {"d": 3, "d_H": 2, "particles": 2, "target": "norm-subspace", "teacher_particles": 4},
        {},
    ),
}


def _preset(case):
    return case.rsplit("-square", 1)[0].rsplit("-tanh", 1)[0].rsplit("-norm", 1)[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_derive_overlap_ode_matches_weight_space_flow(case):
    settings, params = CASES[case]
    model = load_model(_preset(case), settings)
    system = compile_flow(derive(model))
    ws = WeightSpace(model, params, seed=1)
    t_eval = np.array([0.0, 0.25, 0.5])
    weights = ws.flow(0.5, t_eval)
    x0 = ws.overlaps(ws.x0, system.names)
    sol = solve_ivp(
        lambda t, x: system.vector_field(x, params),
        (0, 0.5),
        x0,
        t_eval=t_eval,
        rtol=1e-11,
        atol=1e-12,
        method="DOP853",
    )
    assert sol.success
    mapped = np.stack([ws.overlaps(weights[:, i], system.names) for i in range(len(t_eval))], 1)
    assert np.max(np.abs(mapped - sol.y)) < 1e-6
    # and the flow moved: the comparison is not trivial
    assert np.max(np.abs(sol.y[:, -1] - sol.y[:, 0])) > 1e-3
    # loss in overlaps equals the loss evaluated on W
    assert abs(float(system.loss(x0, params)) - ws.loss(ws.x0)) < 1e-10 or model.student.spherical


def test_derive_multi_index_single_neuron_matches_closed_form():
    """Şimşek et al. 2025: dm_j/dt = Σ_l (G_jl − m_j m_l) φ'(m_l), φ(t) = Σ_p c_p² p! t^p."""
    k = 3
    flow = derive(load_model("multi-index", {"k": k, "n": 1, "target": "He3+0.5*He4"}))
    beta = sp.Symbol("beta", real=True)
    m = [sp.Symbol(f"M_1{j + 1}", real=True) for j in range(k)]
    t = sp.Symbol("t")
    phi = 6 * t**3 + sp.Rational(1, 4) * 24 * t**4  # c3² 3! t³ + c4² 4! t⁴
    dphi = sp.diff(phi, t)
    G = [[1 if i == j else beta for j in range(k)] for i in range(k)]
    for j in range(k):
        ref = sum((G[j][l] - m[j] * m[l]) * dphi.subs(t, m[l]) for l in range(k))
        assert sp.expand(flow.equation(f"M_1{j + 1}") - ref) == 0
    assert sp.expand(flow.loss + sum(phi.subs(t, mj) for mj in m)) == 0


def _I3(C):
    """Saad & Solla (1995), Phys. Rev. E 52, 4225, eq. (A?): for g(x) = erf(x/√2) and a Gaussian
    triple with covariance C, I3 = <g'(u) v g(w)> =
    (2/π) / sqrt(Λ3) · (C23 (1 + C11) − C12 C13) / (1 + C11),  Λ3 = (1 + C11)(1 + C33) − C13²."""
    lam3 = (1 + C[0][0]) * (1 + C[2][2]) - C[0][2] ** 2
    return 2 / sp.pi / sp.sqrt(lam3) * (C[1][2] * (1 + C[0][0]) - C[0][1] * C[0][2]) / (1 + C[0][0])


def test_derive_soft_committee_matches_saad_solla():
    """Saad & Solla (1995) gradient-flow ODEs (η → 0 limit of their eqs. (9)–(10), time η·α):
    dR_in/dt = Σ_m I3(i,n,m) − Σ_j I3(i,n,j);  dQ_ik/dt = Σ_m [I3(i,k,m) + I3(k,i,m)]
    − Σ_j [I3(i,k,j) + I3(k,i,j)], with student fields x_i, teacher fields y_n."""
    k = m = 2
    flow = derive(load_model("soft-committee", {"k": k, "m": m}))
    Q = [
        [sp.Symbol(f"Q_{min(i, j) + 1}{max(i, j) + 1}", real=True) for j in range(k)]
        for i in range(k)
    ]
    R = [[sp.Symbol(f"M_{i + 1}{n + 1}", real=True) for n in range(m)] for i in range(k)]
    T = [[1 if n == p else 0 for p in range(m)] for n in range(m)]

    def cov(fields):  # fields: ('x', i) or ('y', n)
        def c(f, g):
            if f[0] == "x" and g[0] == "x":
                return Q[f[1]][g[1]]
            if f[0] == "y" and g[0] == "y":
                return T[f[1]][g[1]]
            return R[f[1]][g[1]] if f[0] == "x" else R[g[1]][f[1]]

        return [[c(f, g) for g in fields] for f in fields]

    def I3(a, b, c):
        return _I3(cov([a, b, c]))

    rng = np.random.default_rng(3)
    for _ in range(3):
        pt = {
            s: float(v)
            for s, v in zip(flow.variables, rng.uniform(0.1, 0.5, flow.dimension), strict=True)
        }
        for i in range(k):
            pt[Q[i][i]] = 1.0 + i * 0.3
        for i in range(k):
            for n in range(m):
                ref = sum(I3(("x", i), ("y", n), ("y", p)) for p in range(m)) - sum(
                    I3(("x", i), ("y", n), ("x", j)) for j in range(k)
                )
                got = flow.equation(f"M_{i + 1}{n + 1}")
                assert abs(float((got - ref).subs(pt))) < 1e-12
            for j in range(i, k):
                ref = sum(
                    I3(("x", i), ("x", j), ("y", p)) + I3(("x", j), ("x", i), ("y", p))
                    for p in range(m)
                )
                ref -= sum(
                    I3(("x", i), ("x", j), ("x", l)) + I3(("x", j), ("x", i), ("x", l))
                    for l in range(k)
                )
                got = flow.equation(f"Q_{i + 1}{j + 1}")
                assert abs(float((got - ref).subs(pt))) < 1e-12


def test_derive_keeps_unset_parameters_symbolic():
    flow = derive(load_model("multi-index", {"k": 2, "n": 1}))
    assert [str(p) for p in flow.parameters] == ["beta"]
    assert any(e.has(sp.Symbol("beta", real=True)) for e in flow.equations)


def test_derive_assembled_gradients_match_sympy_differentiation():
    """S and H are assembled from kernel derivatives; compare dM/dt = -(S M + H T) through the
    loss gradient computed by plain sympy.diff at a random point (free neurons, T = I)."""
    model = load_model("soft-committee", {"k": 2, "m": 2})
    flow = derive(model)
    M = sp.Matrix(2, 2, lambda i, r: sp.Symbol(f"M_{i + 1}{r + 1}", real=True))
    Qs = {(i, j): sp.Symbol(f"Q_{i + 1}{j + 1}", real=True) for i in range(2) for j in range(i, 2)}
    Q = sp.Matrix(2, 2, lambda i, j: Qs[(min(i, j), max(i, j))])
    S = sp.Matrix(2, 2, lambda i, j: (2 if i == j else 1) * sp.diff(flow.loss, Q[i, j]))
    H = sp.Matrix(2, 2, lambda i, r: sp.diff(flow.loss, M[i, r]))
    Mdot = -(S * M + H)
    pt = {v: 0.2 + 0.1 * n for n, v in enumerate(flow.variables)}
    pt[Q[0, 0]], pt[Q[1, 1]] = 1.1, 0.9
    for i in range(2):
        for r in range(2):
            diff = (flow.equation(f"M_{i + 1}{r + 1}") - Mdot[i, r]).subs(pt)
            assert abs(float(diff)) < 1e-12
