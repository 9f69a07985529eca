"""Text to syntax: YAML, JavaScript/TypeScript, PromQL, Dockerfile, .dockerignore, positions."""
