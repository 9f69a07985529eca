"""Helm charts and kustomize overlays rendered by their own engines, and their objects positioned
at the template, values and resource lines that produced them."""
