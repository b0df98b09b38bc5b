"""Gradient and Jacobian checking at scale (check_grad, check_jacobian); uses the public API."""
