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
                      hessp=lambda x, p: fdcore.hvp(None, x, p, grad=rosen_der))
    assert result.success
    np.testing.assert_allclose(result.x, np.ones(5), atol=1e-6)


# --- fdcore.compat.scipy as scipy.optimize's finite-difference backend --------------------------

def _optimize_modules():
    import importlib

    from fdcore.compat import scipy as compat

    return {name: importlib.import_module(name) for name in compat._SCIPY_MODULES}


def test_backend_gives_scipys_iterates_and_restores_scipy_exactly():
    """minimize(jac='3-point' / '2-point') and least_squares under the backend: the same iterates,
    bit for bit (the dense stencils give SciPy's numbers), fdcore's approx_derivative doing the
    differences; on exit every module holds SciPy's own function again."""
    from scipy.optimize import least_squares

    from fdcore.compat import scipy as compat

    originals = {name: module.approx_derivative for name, module in _optimize_modules().items()}
    x0 = np.array([-1.2, 1.0, -1.2, 1.0, 0.5])
    runs = [lambda: minimize(rosen, x0, jac="3-point", method="BFGS"),
            lambda: minimize(rosen, x0, jac="2-point", method="L-BFGS-B"),
            lambda: least_squares(lambda p: np.array([10 * (p[1] - p[0] ** 2), 1 - p[0]]), [-1.2, 1.0])]
    plain = [run() for run in runs]
    with compat.backend():
        assert all(m.approx_derivative is compat.approx_derivative for m in _optimize_modules().values())
        routed = [run() for run in runs]
    for a, b in zip(plain, routed):
        np.testing.assert_array_equal(a.x, b.x)
        assert a.nfev == b.nfev
    assert {name: m.approx_derivative for name, m in _optimize_modules().items()} == originals


def test_backend_exit_on_error_and_nesting():
    from fdcore.compat import scipy as compat

    originals = {name: m.approx_derivative for name, m in _optimize_modules().items()}
    try:
        with compat.backend():
            with compat.backend():  # nested: the inner exit leaves the outer one installed
                pass
            assert all(m.approx_derivative is compat.approx_derivative for m in _optimize_modules().values())
            raise KeyError("boom")
    except KeyError:
        pass
    assert {name: m.approx_derivative for name, m in _optimize_modules().items()} == originals
    compat.install()
    compat.install()  # idempotent
    compat.uninstall()
    assert {name: m.approx_derivative for name, m in _optimize_modules().items()} == originals
