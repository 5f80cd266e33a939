"""The DeepXDE side of benchmarks/peers/run.py (PyTorch backend, float64).

Imported only by ``run.py --side deepxde`` after :func:`benchmarks.peers.run.require_peers`;
DeepXDE and PyTorch are imported inside :func:`run`, never at module import.

Each problem is written the way DeepXDE's examples write it (``dde.data.PDE``, derivatives
through ``dde.grad``), on pinn's points, weights and initial network
(:func:`benchmarks.peers.pinn_side.setup`).
"""

from __future__ import annotations

import math
import os
import time

import numpy as np

from benchmarks.peers.pinn_side import COLUMNS, setup


def _pde_and_bcs(name: str, s: dict, dde, torch):
    """(pde(x, y), [bcs in pinn's term order]) for problem ``name`` on pinn's batch ``s``."""
    problem, batch = s["problem"], s["batch"]
    pi = math.pi
    sin, cos = torch.sin, torch.cos
    if name == "poisson2d":
        amplitude = problem.params["amplitude"]

        def pde(x, y):
            lap = dde.grad.hessian(y, x, i=0, j=0) + dde.grad.hessian(y, x, i=1, j=1)
            source = 2 * pi**2 * amplitude * sin(pi * x[:, 0:1]) * sin(pi * x[:, 1:2])
            return -lap - source

        xb = batch["dirichlet"]["x"]
        return pde, [dde.icbc.PointSetBC(xb, np.zeros((len(xb), 1)))]

    if name == "heat1d":
        a = problem.params["a"]

        def pde(x, y):
            return dde.grad.jacobian(y, x, i=0, j=1) - a * dde.grad.hessian(y, x, i=0, j=0)

        xb, x0 = batch["dirichlet"]["x"], batch["initial"]["x"]
        return pde, [
            dde.icbc.PointSetBC(xb, np.zeros((len(xb), 1))),
            dde.icbc.PointSetBC(x0, np.sin(np.pi * x0[:, 0:1])),
        ]

    if name == "elasticity_plate":
        lam, mu, Q = (problem.params[k] for k in ("lam", "mu", "Q"))

        def strains(x, y):
            exx = dde.grad.jacobian(y, x, i=0, j=0)
            eyy = dde.grad.jacobian(y, x, i=1, j=1)
            exy = 0.5 * (dde.grad.jacobian(y, x, i=0, j=1) + dde.grad.jacobian(y, x, i=1, j=0))
            return exx, eyy, exy

        def pde(x, y):
            # Navier-Cauchy in displacement form: div σ(u) + f, with f = -div σ(u*) of the
            # manufactured u* = (cos 2πx sin πy, sin πx Q y⁴/4) written out (Haghighat et al.).
            ux_xx = dde.grad.hessian(y, x, component=0, i=0, j=0)
            ux_yy = dde.grad.hessian(y, x, component=0, i=1, j=1)
            ux_xy = dde.grad.hessian(y, x, component=0, i=0, j=1)
            uy_xx = dde.grad.hessian(y, x, component=1, i=0, j=0)
            uy_yy = dde.grad.hessian(y, x, component=1, i=1, j=1)
            uy_xy = dde.grad.hessian(y, x, component=1, i=0, j=1)
            div_x = (lam + 2 * mu) * ux_xx + lam * uy_xy + mu * (ux_yy + uy_xy)
            div_y = mu * (ux_xy + uy_xx) + lam * ux_xy + (lam + 2 * mu) * uy_yy
            X, Y = x[:, 0:1], x[:, 1:2]
            fx = -(
                (lam + 2 * mu) * (-4 * pi**2 * cos(2 * pi * X) * sin(pi * Y))
                + lam * pi * cos(pi * X) * Q * Y**3
                + mu * (-(pi**2) * cos(2 * pi * X) * sin(pi * Y) + pi * cos(pi * X) * Q * Y**3)
            )
            fy = -(
                mu * (-2 * pi**2 * sin(2 * pi * X) * cos(pi * Y) - pi**2 * sin(pi * X) * Q * Y**4 / 4)
                + lam * (-2 * pi**2 * sin(2 * pi * X) * cos(pi * Y))
                + (lam + 2 * mu) * 3 * Q * Y**2 * sin(pi * X)
            )
            return [div_x + fx, div_y + fy]

        def sxx(x, y, X):
            exx, eyy, _ = strains(x, y)
            return (lam + 2 * mu) * exx + lam * eyy

        def syy(x, y, X):
            exx, eyy, _ = strains(x, y)
            return lam * exx + (lam + 2 * mu) * eyy

        x1, x2, x3, x4 = (batch[t]["x"] for t in ("ux_fixed", "uy_fixed", "sxx_free", "syy_load"))
        return pde, [
            dde.icbc.PointSetBC(x1, np.zeros((len(x1), 1)), component=0),
            dde.icbc.PointSetBC(x2, np.zeros((len(x2), 1)), component=1),
            dde.icbc.PointSetOperatorBC(x3, np.zeros((len(x3), 1)), sxx),
            dde.icbc.PointSetOperatorBC(x4, (lam + 2 * mu) * Q * np.sin(np.pi * x4[:, 0:1]), syy),
        ]
    raise ValueError(f"no DeepXDE version of problem {name!r}")


def run(name: str, max_seconds: float, eval_every: int, threads: int = 1) -> dict:
    """Train problem ``name`` with DeepXDE; one JSON record like the pinn side's.

    ``threads``: PyTorch's intra-op threads (0: its default, one per core). One is much the
    faster on a loaded 2-core machine: measured under load average 11, 80 ms per Adam step
    of ``poisson2d`` with one thread, about 1 s with PyTorch's default two (its OpenMP
    threads wait on each other).
    """
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    import deepxde as dde
    import torch

    if threads:
        torch.set_num_threads(threads)
    # PyTorch imports parts of itself on the first optimizer it builds (seconds); done here,
    # outside DeepXDE's timed training.
    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    torch.optim.LBFGS([torch.nn.Parameter(torch.zeros(1))])

    if dde.backend.backend_name != "pytorch":
        raise SystemExit(f"DeepXDE runs on {dde.backend.backend_name!r}; set DDE_BACKEND=pytorch")
    dde.config.set_default_float("float64")
    torch.set_default_dtype(torch.float64)
    s = setup(name)
    config, phases, batch, weights = s["config"], s["phases"], s["batch"], s["describe"]["weights"]
    pde, bcs = _pde_and_bcs(name, s, dde, torch)
    n_out = len(s["problem"].fields)
    # Loss terms in DeepXDE's order: the PDE's components (each its own mean square: their
    # sum is pinn's mean of the squared residual norm), then the conditions in pinn's order.
    loss_weights = [weights["pde"]] * (n_out if name == "elasticity_plate" else 1)
    loss_weights += [w for term, w in weights.items() if term != "pde"]
    assert len(loss_weights) == (n_out if name == "elasticity_plate" else 1) + len(bcs)

    lower, upper = s["bounds"]
    geom = dde.geometry.Rectangle(lower.tolist(), upper.tolist())
    data = dde.data.PDE(geom, pde, bcs, num_domain=0, num_boundary=0, anchors=batch["pde"]["x"])

    widths = [len(lower), *s["describe"]["hidden"], n_out]
    net = dde.nn.FNN(widths, "tanh", "Glorot normal")
    with torch.no_grad():  # pinn's initial weights: the same network from the same start
        for linear, (kernel, bias) in zip(net.linears, s["layers"]):
            linear.weight.copy_(torch.as_tensor(kernel.T))
            linear.bias.copy_(torch.as_tensor(bias))
    lo, span = torch.as_tensor(lower), torch.as_tensor(upper - lower)
    net.apply_feature_transform(lambda x: 2.0 * (x - lo) / span - 1.0)  # pinn's input scaling
    model = dde.Model(data, net)

    points, values = s["eval"]
    eval_x = torch.as_tensor(points)
    ref_norm = float(np.linalg.norm(values))
    rows: list[list] = []
    clock = {"start": 0.0, "excluded": 0.0, "cpu_start": 0.0, "cpu_excluded": 0.0}

    def elapsed() -> float:
        return time.perf_counter() - clock["start"] - clock["excluded"]

    def cpu_elapsed() -> float:
        return time.process_time() - clock["cpu_start"] - clock["cpu_excluded"]

    def measure(step: int) -> None:
        seconds, cpu = elapsed(), cpu_elapsed()
        t, c = time.perf_counter(), time.process_time()
        with torch.no_grad():
            pred = net(eval_x).numpy().reshape(values.shape)
        rows.append([int(step), round(seconds, 3), round(cpu, 3), float(np.linalg.norm(pred - values) / ref_norm)])
        clock["excluded"] += time.perf_counter() - t
        clock["cpu_excluded"] += time.process_time() - c

    class Recorder(dde.callbacks.Callback):
        def on_epoch_end(self):
            step = self.model.train_state.step
            if step % eval_every == 0 or self.model.opt_name == "L-BFGS":
                measure(step)
            if elapsed() > max_seconds:
                self.model.stop_training = True

    adam_steps, lbfgs_steps = phases[0].steps, phases[1].steps
    # The L-BFGS of DeepXDE's examples: its own defaults, iterations counted as pinn's are.
    dde.optimizers.config.set_LBFGS_options(maxiter=lbfgs_steps)
    dde.optimizers.config.LBFGS_options["iter_per_step"] = eval_every
    dde.optimizers.config.LBFGS_options["fun_per_step"] = int(1.25 * eval_every)
    gamma = config.final_lr_ratio ** (1.0 / adam_steps)

    load = os.getloadavg()[0]
    clock["start"], clock["cpu_start"] = time.perf_counter(), time.process_time()
    measure(0)
    model.compile("adam", lr=config.lr, decay=("exponential", gamma), loss_weights=loss_weights)
    model.train(iterations=adam_steps, display_every=1000, verbose=0, callbacks=[Recorder()])
    adam_done = model.train_state.step
    lbfgs_done = 0
    if not model.stop_training:
        model.compile("L-BFGS", loss_weights=loss_weights)
        model.train(display_every=1000, verbose=0, callbacks=[Recorder()])
        lbfgs_done = model.train_state.step - adam_done
    if rows[-1][0] != model.train_state.step:
        measure(model.train_state.step)
    train_seconds, cpu_seconds = elapsed(), cpu_elapsed()
    return {
        "engine": "deepxde",
        "phases_text": f"adam:{adam_done},lbfgs:{lbfgs_done}",
        "rel_l2": rows[-1][-1],
        "train_seconds": round(train_seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "stopped_by_time": bool(model.stop_training),
        "load_average_before": round(load, 2),
        "torch_threads": torch.get_num_threads(),
        "lbfgs_options": {k: v for k, v in dde.optimizers.config.LBFGS_options.items()},
        "curve": {"columns": list(COLUMNS), "rows": rows},
    }
