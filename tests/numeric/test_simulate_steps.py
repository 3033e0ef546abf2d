"""Per-run step control of the batched gradient flow (``simulate(..., step="per-run")``): the same
end points as one shared step, each run stopped and recorded at its own time, independent of the
batch it is in."""

from __future__ import annotations

import types

import numpy as np
import pytest

import fixedpoints as fp
from fixedpoints.api.landscapes import model_teacher_vectors
from fixedpoints.codegen import compile_pair_kernels
from fixedpoints.errors import ParameterError
from fixedpoints.numeric.backend import array_backend
from fixedpoints.numeric.initialize import initial_weights
from fixedpoints.numeric.population import PopulationLoss
from fixedpoints.numeric.simulate import StopRule, simulate

STIFF, SOFT = 1000.0, 1.0


class Diagonal:
    r""":math:`\mathcal L(W)=\frac12\sum_{ij}\lambda_jW_{ij}^2` with :math:`\lambda=(1000, 1)`:
    a run whose weights sit in column 0 is stiff, one in column 1 is not;
    :math:`W(t)=W_0e^{-\lambda t}`."""

    xp = np
    kernels = types.SimpleNamespace(spherical=False)
    lam = np.array([STIFF, SOFT])

    def loss(self, W, a=None):
        return 0.5 * np.sum(self.lam * W * W, axis=(-2, -1))

    def gradient(self, W, a=None):
        return self.lam * W, None


def _two_runs():
    W0 = np.zeros((2, 1, 2))
    W0[0, 0, 0] = 1.0  # stiff: gradient 1000 e^{-1000 t}
    W0[1, 0, 1] = 1.0  # soft: gradient e^{-t}
    return W0


def _relu(d=4, runs=6, seed=0):
    model = fp.load_model("relu-teacher", {"d": d})
    kt = compile_pair_kernels(model)
    pop = PopulationLoss(kt, model_teacher_vectors(model, kt.T))
    W0, _ = initial_weights("gaussian", runs, d, d, seed=seed)
    return pop, W0


def test_per_run_steps_reach_the_shared_end_points():
    pop, W0 = _relu()
    stop = StopRule(gradient_tol=0.0, t_max=15.0)
    kw = dict(method="flow", stop=stop, rtol=1e-10, atol=1e-12)
    shared = simulate(pop, W0, **kw)
    per_run = simulate(pop, W0, step="per-run", **kw)
    assert shared.status == per_run.status == ("max-time",) * 6
    np.testing.assert_array_equal(per_run.stop_times, 15.0)
    np.testing.assert_allclose(per_run.W, shared.W, atol=1e-7)
    np.testing.assert_allclose(per_run.final_losses, shared.final_losses, rtol=1e-8, atol=1e-12)
    # each run takes its own steps: never more in total than the batch times the longest
    assert per_run.steps.sum() < per_run.steps.size * per_run.steps.max()


def test_per_run_stop_rule_uses_each_runs_own_time():
    pop, W0 = Diagonal(), _two_runs()
    tol, t_max = 1e-6, 5.0
    stop = StopRule(gradient_tol=tol, t_max=t_max)
    res = simulate(pop, W0, method="flow", stop=stop, step="per-run", integrator="dopri5")
    assert res.status == ("converged", "max-time")
    # the stiff run: the first accepted step with |grad| = 1000 e^{-1000 t} < tol
    t_conv = np.log(STIFF / tol) / STIFF
    assert t_conv <= res.stop_times[0] < 2 * t_conv
    assert res.gradient_norms[0] < tol
    assert res.gradient_norms[0] == pytest.approx(STIFF * abs(res.W[0, 0, 0]), rel=1e-12)
    assert abs(res.W[0, 0, 0] - np.exp(-STIFF * res.stop_times[0])) < 1e-8  # atol 1e-9
    # the soft run lands on t_max exactly, not on the stiff run's clock
    assert res.stop_times[1] == t_max
    np.testing.assert_allclose(res.W[1, 0, 1], np.exp(-t_max), rtol=1e-5)
    np.testing.assert_allclose(res.final_losses[1], 0.5 * np.exp(-2 * t_max), rtol=1e-5)
    assert res.gradient_norms[1] == pytest.approx(np.exp(-t_max), rel=1e-5)
    # and it takes the steps it takes alone: each run is independent of the batch
    alone = simulate(pop, W0[1:], method="flow", stop=stop, step="per-run", integrator="dopri5")
    assert alone.steps[0] == res.steps[1]
    np.testing.assert_array_equal(alone.W[0], res.W[1])
    # with one shared step the soft run is dragged through the stiff run's steps
    shared = simulate(pop, W0, method="flow", stop=stop, integrator="dopri5")
    assert shared.status == res.status and shared.steps[1] > res.steps[1]


def test_per_run_records_are_nominal_times_at_each_runs_first_step_past_them():
    pop, W0 = Diagonal(), _two_runs()
    times = [0.0, 1e-3, 0.1, 1.0, 3.0]
    stop = StopRule(gradient_tol=1e-6, t_max=3.0)
    res = simulate(
        pop, W0, method="flow", stop=stop, step="per-run", integrator="dopri5", record_times=times
    )
    np.testing.assert_array_equal(res.times, times)
    np.testing.assert_allclose(res.losses[:, 0], pop.loss(W0))
    # the stiff run stopped near t = 0.014: its final loss from then on, not before
    assert res.stop_times[0] < 0.1
    np.testing.assert_array_equal(res.losses[0, 2:], res.final_losses[0])
    assert res.losses[0, 1] > res.final_losses[0]
    # the soft run: loss at its first step past tau_j, at most the exact loss at tau_j
    exact = 0.5 * np.exp(-2 * np.array(times))
    assert np.all(res.losses[1] <= exact * (1 + 1e-5))
    assert np.all(res.losses[1, 1:] > exact[1:] * np.exp(-2 * 0.5))  # a step is < 0.5 here
    assert res.losses[1, -1] == res.final_losses[1]
    alone = simulate(
        pop,
        W0[1:],
        method="flow",
        stop=stop,
        step="per-run",
        integrator="dopri5",
        record_times=times,
    )
    np.testing.assert_array_equal(alone.losses[0], res.losses[1])


def test_per_run_plateau_and_step_limits_count_per_run():
    pop, W0 = Diagonal(), _two_runs()
    stop = StopRule(gradient_tol=0.0, t_max=1e3, plateau_tol=1e-3, plateau_window=0.5)
    res = simulate(pop, W0, method="flow", stop=stop, step="per-run", integrator="dopri5")
    assert res.status == ("plateau", "plateau")
    # the stiff run is flat after its first window, the soft one only once e^{-2t} < 1e-3
    assert 0.5 <= res.stop_times[0] < 1.5 and res.stop_times[1] > 3.0
    alone = simulate(pop, W0[1:], method="flow", stop=stop, step="per-run", integrator="dopri5")
    assert alone.stop_times[0] == res.stop_times[1] and alone.status == ("plateau",)
    capped = simulate(
        pop,
        W0,
        method="flow",
        stop=StopRule(gradient_tol=0.0, max_steps=7),
        step="per-run",
        integrator="dopri5",
    )
    assert capped.status == ("max-steps", "max-steps")
    np.testing.assert_array_equal(capped.steps, 7)
    assert capped.stop_times[0] < capped.stop_times[1]  # seven steps each, on its own clock


def test_step_option_is_validated():
    pop, W0 = Diagonal(), _two_runs()
    with pytest.raises(ParameterError, match="`step`"):
        simulate(pop, W0, method="flow", step="each")


def test_per_run_flow_on_the_strict_array_api_matches_numpy():
    model = fp.load_model("relu-teacher", {"d": 4})
    W0, _ = initial_weights("gaussian", 5, 4, 4, seed=1)
    stop = StopRule(gradient_tol=1e-7, t_max=50.0)
    res = {}
    for name in ("numpy", "array-api-strict"):
        be = array_backend(name)
        kt = compile_pair_kernels(model, xp=be.xp)
        pop = PopulationLoss(kt, model_teacher_vectors(model, kt.T), device=be.device)
        res[name] = simulate(pop, be.asarray(W0), method="flow", step="per-run", stop=stop)
    ref, strict = res["numpy"], res["array-api-strict"]
    assert strict.status == ref.status
    np.testing.assert_allclose(strict.W, ref.W, atol=1e-12)
    np.testing.assert_allclose(strict.losses, ref.losses, atol=1e-12)
