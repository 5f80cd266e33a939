"""pinn: physics-informed neural networks in JAX.

Write a residual for one point with the operators, give it a domain and conditions,
train a smooth-activation network, read its error::

    problem = pinn.Problem(domain, residual, conditions, exact=exact)
    model = pinn.MLP.for_problem(problem, hidden=(64,) * 4, activation="tanh")   # or any nnx.Module
    result = pinn.solve(problem, model, phases=[pinn.Phase("adam", 5000), pinn.Phase("lbfgs", 500)])
    result.rel_l2, result.learned
"""

from pinn.activations import Activation, activation_names, get_activation
from pinn.adf import distance_function, hard_dirichlet
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
from pinn.export import export_result
from pinn.geometry import Annulus, Box, Box3D, Disk, Domain, Interval, Polygon, Rectangle, SpaceTime, TimeInterval
from pinn.config import TrainConfig
from pinn.losses import make_loss_terms, make_residual_vector
from pinn.mesh import MeshDomain, read_mesh
from pinn.networks import (
    NETWORKS,
    EmbeddedMLP,
    FactorizedMLP,
    FourierFeatureMLP,
    GatedMLP,
    ModifiedMLP,
    PeriodicMLP,
    PirateNet,
    network_from_config,
)
from pinn.nn import MLP, field_apply, pure_apply
from pinn.operators import (
    DERIVATIVE_ENGINES,
    contract_hessian,
    current_engine,
    derivative_engine,
    divergence,
    grad,
    hessian,
    jacobian,
    laplacian,
    partial,
    taylor,
)
from pinn.parameters import Parameter
from pinn.phases import MethodSpec, Phase, method_names, parse_phases, register_method
from pinn.problem import Problem, Reference
from pinn.result import Result, load_run
from pinn.sampling import SAMPLERS, unit_points
from pinn.state import TrainState
from pinn.train import NonFiniteLossWarning, check_resumable, solve

__version__ = "0.1.0"

__all__ = [
    "Activation", "activation_names", "activation_properties", "get_activation",
    "distance_function", "hard_dirichlet",
    "sample_batch",
    "BoundaryResidual", "Condition", "Data", "Dirichlet", "Initial", "InitialVelocity", "Neumann", "Periodic", "Robin",
    "CurvatureWarning", "warn_if_curvature_blind",
    "relative_l2",
    "export_result",
    "MeshDomain", "read_mesh",
    "Annulus", "Box", "Box3D", "Disk", "Domain", "Interval", "Polygon", "Rectangle", "SpaceTime", "TimeInterval",
    "TrainConfig",
    "make_loss_terms", "make_residual_vector",
    "MLP", "field_apply", "pure_apply",
    "NETWORKS", "EmbeddedMLP", "FactorizedMLP", "FourierFeatureMLP", "GatedMLP", "ModifiedMLP", "PeriodicMLP",
    "PirateNet", "network_from_config",
    "DERIVATIVE_ENGINES", "contract_hessian", "current_engine", "derivative_engine", "divergence", "grad", "hessian",
    "jacobian", "laplacian", "partial", "taylor",
    "Parameter",
    "MethodSpec", "Phase", "method_names", "parse_phases", "register_method",
    "Problem", "Reference",
    "Result", "load_run",
    "SAMPLERS", "unit_points",
    "TrainState",
    "NonFiniteLossWarning", "check_resumable", "solve",
]
