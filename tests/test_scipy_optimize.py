"""fdcore as scipy.optimize.minimize's jac=, hess= and hessp= (issue 7, item 6)."""

import numpy as np
from scipy.optimize import minimize, rosen, rosen_der

import fdcore

X0 = np.array([-1.2, 1.0, -1.2, 1.0, 0.5])


def test_bfgs_with_fdcore_gradient_needs_no_more_iterations_than_scipy_3_point():
    reference = minimize(rosen, X0, method="BFGS", jac="3-point")
    result = minimize(rosen, X0, method="BFGS", jac=lambda x: fdcore.gradient(rosen, x))
    assert result.success and reference.success
    assert result.nit <= reference.nit
    np.testing.assert_allclose(result.x, np.ones(5), atol=1e-5)


def test_trust_constr_with_fdcore_gradient_and_hessian_needs_no_more_iterations():
    reference = minimize(rosen, X0, method="trust-constr", jac="3-point")
    result = minimize(rosen, X0, method="trust-constr", jac=lambda x: fdcore.gradient(rosen, x),
                      hess=lambda x: fdcore.hessian(rosen, x))
    assert result.success
    assert result.nit <= reference.nit
    np.testing.assert_allclose(result.x, np.ones(5), atol=1e-5)


def test_hessp_from_the_gradient():
    result = minimize(rosen, X0, method="trust-krylov", jac=rosen_der,
                      hessp=lambda x, p: fdcore.hvp(rosen_der, x, p))
    assert result.success
    np.testing.assert_allclose(result.x, np.ones(5), atol=1e-6)
