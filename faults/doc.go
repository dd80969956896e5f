// Package faults holds the ledger's fault tests: what an acknowledged
// decision survives, tried against the real thing. Its tests build the
// ledger binary and kill -9 "ledger serve" under concurrent writers (the
// crash test), run 16 writer processes at once with and without serve,
// stop the stream leader of a 3-node cluster under continuous writes, fill
// the disk under serve, and check what a client says when serve dies
// mid-write.
//
// The package has no code besides this comment: it is tests, in their own
// package so that they can drive the binary and every layer (eventstore,
// command, query, service) together without any of those importing
// another. Production code must never import it.
//
// The default run is short (about 25 s: 3 kills, 16 writers of 2
// rounds, one leader stop, one full disk). Longer runs are behind
// environment variables:
//
//	LEDGER_SOAK=1 go test ./faults -run 'TestCrash$' -v -timeout 60m   # 200 kills
//	LEDGER_SOAK_KILLS=N   another number of kills
//	LEDGER_SOAK=1 go test ./faults -run Concurrent -v                 # 48 writers x 5 rounds
//	LEDGER_WRITERS=N LEDGER_ROUNDS=M   other numbers of writers and rounds
//
// -short skips every test here: they start processes, clusters or mounts.
// TestDiskFull needs root to mount a 16 MB tmpfs and skips, saying so,
// where it cannot.
package faults
