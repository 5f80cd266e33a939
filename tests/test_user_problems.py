"""Problems a user writes from scratch, with the public API only, solved at a tiny budget.

Each problem has a closed-form solution u*, a residual at ONE point written with the
operators, and conditions of its own kind; it is trained for 300 Adam + 400 L-BFGS
steps on a (16, 16) tanh network in float64 and its relative L2 error must fall below
about 2-3 times the value measured when this file was written (stated per problem).
Together they cover the domains (Disk, Annulus, an L-shaped Polygon, Box3D, space-time),
the conditions (Dirichlet, Neumann, Robin, Periodic, Initial), a system of two fields,
user-supplied collocation points and a field defined only up to a constant.

Compiling the training steps takes most of each solve's time (measured: 1 + 1 steps
cost about as much CPU time as 300 + 100), so the 400 L-BFGS steps that make the
errors small cost little. The three slowest solves are marked ``slow``.
"""

import time

import jax.numpy as jnp
import numpy as np
import pytest

import pinn

BUDGET = dict(steps=300, lbfgs_steps=400, eval_every=0, log_every=100, seed=0)


def solve(problem, *, n_interior, n_boundary=200, resolution=None):
    """Train the tiny network; the relative L2 error (overall, per field) on the
    problem's evaluation grid, fields up to a constant compared with their means
    removed, and under ``"raw"`` the same error with nothing removed."""
    model = pinn.MLP.for_problem(problem, hidden=(16, 16), activation="tanh", dtype="float64", key=0)
    wall, cpu = time.perf_counter(), time.process_time()
    result = pinn.solve(problem, model, n_interior=n_interior, n_boundary=n_boundary, **BUDGET)
    points, values = problem.evaluation_data(resolution)
    prediction = result.predict(points)
    report = pinn.evaluate.error_report(prediction, values, problem.fields, problem.up_to_constant)
    report["raw"] = pinn.evaluate.error_report(prediction, values, problem.fields)["rel_l2"]
    print(
        f"{problem.name}: rel L2 {report['rel_l2']:.3e} {report['rel_l2_per_field']} (raw {report['raw']:.3e}) "
        f"in {time.perf_counter() - wall:.1f} s ({time.process_time() - cpu:.1f} s CPU)"
    )
    return report


def outward_radial(x, center=(0.0, 0.0)):
    d = x - jnp.asarray(center)
    return d / jnp.linalg.norm(d)


# -- a disk with a Robin condition --------------------------------------------------------
def test_disk_poisson_with_robin_boundary():
    """-lap u = f on the unit disk, u + 0.5 du/dn = g on the circle; u* = sin x + cos y + x y."""

    def exact(x):
        return jnp.sin(x[0]) + jnp.cos(x[1]) + x[0] * x[1]

    def residual(u, x):
        return -pinn.laplacian(u)(x) + pinn.laplacian(exact)(x)

    def robin_value(x):
        return exact(x) + 0.5 * pinn.grad(exact)(x) @ outward_radial(x)

    disk = pinn.Disk((0.0, 0.0), 1.0)
    problem = pinn.Problem(
        disk, residual, [pinn.Robin(on=disk.boundary, alpha=1.0, beta=0.5, value=robin_value)], exact=exact, name="disk_robin"
    )
    report = solve(problem, n_interior=400, resolution=61)
    assert report["rel_l2"] < 1.5e-4  # measured 5.3e-5


# -- an annulus: Dirichlet outside, Neumann inside ------------------------------------------
@pytest.mark.slow
def test_annulus_laplace_with_dirichlet_and_neumann():
    """lap u = 0 on 0.5 <= r <= 1; u* = log r + x (harmonic): u = u* on r = 1, du/dn = g on r = 0.5."""

    def exact(x):
        return jnp.log(jnp.linalg.norm(x)) + x[0]

    def residual(u, x):
        return pinn.laplacian(u)(x)

    ring = pinn.Annulus((0.0, 0.0), 0.5, 1.0)
    outer = ring.boundary.where(lambda x: np.hypot(x[0], x[1]) > 0.75)
    inner = ring.boundary.where(lambda x: np.hypot(x[0], x[1]) < 0.75)
    # the outward normal of the ring on its inner circle points to the centre
    flux = pinn.Neumann(on=inner, value=lambda x: pinn.grad(exact)(x) @ -outward_radial(x))
    problem = pinn.Problem(ring, residual, [pinn.Dirichlet(on=outer, value=exact), flux], exact=exact, name="annulus_laplace")
    report = solve(problem, n_interior=400, resolution=61)
    assert report["rel_l2"] < 2e-2  # measured 7.9e-3


# -- an L-shaped polygon, with points added at its re-entrant corner -------------------------
def test_l_shape_poisson_with_points_at_the_corner():
    """-lap u = f on [0,1]^2 minus (1/2,1]^2, u = u* on the boundary; u* = exp(x) sin(y) + x^2."""

    def exact(x):
        return jnp.exp(x[0]) * jnp.sin(x[1]) + x[0] ** 2

    def residual(u, x):
        return -pinn.laplacian(u)(x) - (-2.0)

    lshape = pinn.Polygon([(0.0, 0.0), (1.0, 0.0), (1.0, 0.5), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0)])
    corner = np.array([0.5, 0.5])
    rings = [corner + r * np.array([np.cos(t), np.sin(t)]) for r in (0.01, 0.03, 0.1) for t in np.linspace(0.5 * np.pi, 2 * np.pi, 12)]
    problem = pinn.Problem(
        lshape, residual, [pinn.Dirichlet(on=lshape.boundary, value=exact)], exact=exact, extra_points=np.array(rings), name="l_shape"
    )
    report = solve(problem, n_interior=400, resolution=61)
    assert report["rel_l2"] < 3e-3  # measured 1.24e-3


# -- a 3-D box ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_box3d_poisson_with_dirichlet():
    """-lap u = 3 u* on [0,1]^3, u = u* on the faces; u* = sin x sin y sin z + 1."""

    def exact(x):
        return jnp.prod(jnp.sin(x)) + 1.0

    def residual(u, x):
        return -pinn.laplacian(u)(x) - 3.0 * (exact(x) - 1.0)

    box = pinn.Box3D((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    problem = pinn.Problem(box, residual, [pinn.Dirichlet(on=box.boundary, value=exact)], exact=exact, name="box3d_poisson")
    report = solve(problem, n_interior=800, n_boundary=400, resolution=15)
    assert report["rel_l2"] < 2e-3  # measured 8.5e-4


# -- space-time: heat equation, periodic in x, from an initial state --------------------------
def test_heat_equation_periodic_in_space_from_an_initial_state():
    """u_t = k u_xx on [0,1] x [0,1], periodic in x; u* = exp(-4 pi^2 k t) sin(2 pi x) + 0.5."""
    k = 0.02

    def exact(x):
        return jnp.exp(-4 * jnp.pi**2 * k * x[1]) * jnp.sin(2 * jnp.pi * x[0]) + 0.5

    def heat(u, x, kappa):
        return pinn.partial(u, 1)(x) - kappa * pinn.hessian(u)(x)[0, 0]

    domain = pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0)
    conditions = [pinn.Periodic(axis=0, derivative=True), pinn.Initial(value=exact)]
    problem = pinn.Problem(domain, heat, conditions, params={"kappa": k}, exact=exact, name="heat_periodic")
    report = solve(problem, n_interior=400, resolution=41)
    assert report["rel_l2"] < 3e-3  # measured 1.32e-3


# -- a system of two fields --------------------------------------------------------------------
@pytest.mark.slow
def test_coupled_system_of_two_fields():
    """-lap u + v = f, -lap v - u = g on a rectangle, (u, v) = (u*, v*) on its boundary."""

    def exact(x):
        return jnp.stack([jnp.sin(x[0]) * jnp.exp(x[1]), jnp.cos(x[0] + x[1])])

    def system(u, x):
        lap = pinn.laplacian(u)(x)  # (2,): the Laplacian of each field
        lap_exact = pinn.laplacian(exact)(x)
        w, w_exact = u(x), exact(x)
        return jnp.stack([-lap[0] + w[1], -lap[1] - w[0]]) - jnp.stack([-lap_exact[0] + w_exact[1], -lap_exact[1] - w_exact[0]])

    rect = pinn.Rectangle((0.0, 0.0), (1.0, 0.5))
    problem = pinn.Problem(
        rect, system, [pinn.Dirichlet(on=rect.boundary, value=exact)], exact=exact, fields=("u", "v"), name="coupled_pair"
    )
    report = solve(problem, n_interior=400, resolution=61)
    assert report["rel_l2"] < 6e-3  # measured 2.53e-3
    assert report["rel_l2_per_field"]["u"] < 6e-3  # measured 2.26e-3
    assert report["rel_l2_per_field"]["v"] < 7e-3  # measured 2.75e-3


# -- Neumann only: the solution is defined up to a constant -------------------------------------
def test_neumann_only_poisson_is_scored_up_to_a_constant():
    """-lap p = f on the unit disk with dp/dn = g on its whole rim: p* + c solves it for
    every c, so p is scored with the means removed (``up_to_constant``)."""

    def exact(x):
        return jnp.cos(2.0 * x[0]) * jnp.sin(x[1]) + 0.3 * x[0] ** 2 + 10.0

    def residual(u, x):
        return -pinn.laplacian(u)(x) + pinn.laplacian(exact)(x)

    disk = pinn.Disk((0.0, 0.0), 1.0)
    flux = pinn.Neumann(on=disk.boundary, value=lambda x: pinn.grad(exact)(x) @ outward_radial(x))
    problem = pinn.Problem(disk, residual, [flux], exact=exact, fields=("p",), up_to_constant=("p",), name="neumann_only")
    report = solve(problem, n_interior=400, resolution=61)
    assert report["rel_l2"] < 1.5e-3  # measured 4.9e-4
    # Nothing fixes the constant: the network keeps the one it started near (about 0),
    # 10 away from p*'s, and scored raw that is the whole error.
    assert report["raw"] > 0.5  # measured 1.08
