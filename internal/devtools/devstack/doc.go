// Package devstack starts and stops the local infrastructure on loopback:
// PostgreSQL, Redis, the Temporal dev server (or the Temporal server on that
// PostgreSQL, with its Web UI server), Prometheus and Jaeger as child
// processes, and a Kafka-protocol broker (kfake) in process. ProcessesFile
// tells other tools which processes a running stack is made of.
//
// Two callers use it: `orderflow dev` (fixed default ports, data under .data/
// that survives restarts) and the integration tests (free ports, temporary
// directories, torn down at the end). Every child runs in its own process
// group, so a Ctrl-C in the terminal reaches only the orchestrator, which
// stops the servers in order; and every child is killed by the kernel if the
// orchestrator dies, so no server outlives it.
package devstack
