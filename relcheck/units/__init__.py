"""Values with units: Kubernetes quantities, durations, image references, ASCII numbers."""
