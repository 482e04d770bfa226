"""The project's own tooling, shared by tests/, bench/ and cluster/: servers on loopback, the dead-code list."""
