"""plot_step_error: error-against-step curves (matplotlib imported only when drawing)."""
