"""The pipeline of a scan: discovery, parsing, the project and its services, the engine, suppression."""
