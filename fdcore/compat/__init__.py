"""Drop-in interfaces of other libraries backed by fdcore (``fdcore.compat.numdifftools``)."""
