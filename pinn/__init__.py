"""pinn: physics-informed neural networks in JAX.

Write a residual for one point with the operators, give it a domain and conditions,
train a smooth-activation network, read its error::

    problem = pinn.Problem(domain, residual, conditions, exact=exact)
    model = pinn.MLP.for_problem(problem, hidden=(64,) * 4, activation="tanh")
    result = pinn.solve(problem, model, steps=5000, lbfgs_steps=500)
    result.rel_l2
"""

from pinn.activations import Activation, activation_names, get_activation
from pinn.batch import sample_batch
from pinn.conditions import (
    BoundaryResidual,
    Condition,
    Data,
    Dirichlet,
    Initial,
    InitialVelocity,
    Neumann,
    Periodic,
    Robin,
)
from pinn.curvature import CurvatureWarning, activation_properties, warn_if_curvature_blind
from pinn.evaluate import relative_l2
from pinn.geometry import Annulus, Box, Box3D, Disk, Domain, Interval, Polygon, Rectangle, SpaceTime, TimeInterval
from pinn.losses import make_loss_terms
from pinn.nn import MLP, pure_apply
from pinn.operators import DERIVATIVE_ENGINES, Field, divergence, grad, hessian, jacobian, laplacian, partial, taylor
from pinn.problem import Problem, Reference
from pinn.sampling import SAMPLERS, unit_points
from pinn.train import NonFiniteLossWarning, Result, TrainConfig, check_resumable, solve

__version__ = "0.1.0"

__all__ = [
    "Activation", "activation_names", "activation_properties", "get_activation",
    "sample_batch",
    "BoundaryResidual", "Condition", "Data", "Dirichlet", "Initial", "InitialVelocity", "Neumann", "Periodic", "Robin",
    "CurvatureWarning", "warn_if_curvature_blind",
    "relative_l2",
    "Annulus", "Box", "Box3D", "Disk", "Domain", "Interval", "Polygon", "Rectangle", "SpaceTime", "TimeInterval",
    "make_loss_terms",
    "MLP", "pure_apply",
    "DERIVATIVE_ENGINES", "Field", "divergence", "grad", "hessian", "jacobian", "laplacian", "partial", "taylor",
    "Problem", "Reference",
    "SAMPLERS", "unit_points",
    "NonFiniteLossWarning", "Result", "TrainConfig", "check_resumable", "solve",
]
