"""The built-in test problems with analytic derivatives (and compiled versions of some); loaded
only when a public name needs them."""
