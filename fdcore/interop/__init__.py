"""Adapters that check other frameworks' derivatives with fdcore: `fdcore.interop.jax`."""
