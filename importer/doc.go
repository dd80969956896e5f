// Package importer holds what the tracker importers share: the map file
// (who held which role, which priorities order the backlog, which
// resolutions reject, milestone dates), the decision model every format
// maps its changes to (Op), the plan that turns ops into the ordered steps
// the ledger records (ordinary role and product decisions by the PM who
// runs the import, then observations with provenance), Apply, which checks
// those steps against a product's write state and leaves out what is
// recorded already, the summary, text cleaning and actor ids.
//
// One package per tracker format (importer/bugzilla, importer/github,
// importer/jira) reads an export and returns ops. Nothing here does I/O
// beyond reading the map file's bytes, and nothing imports NATS: the CLI
// writes the batches Apply returns.
package importer
