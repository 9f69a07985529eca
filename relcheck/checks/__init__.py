"""Rule implementations, one module per area, bound to their codes with @check."""
