// Package domain holds the nouns and rules of the decision ledger: the
// events of the v1 catalogue, the commands people issue, the roles that
// authorise them, and the pure decider functions Decide and Evolve that
// turn a command into events and events into state.
//
// domain imports only the standard library and ulid. It reads no clock
// (callers inject "now"), does no I/O and draws no randomness: event ids
// are derived from the command id, so a retried command yields the same
// events.
package domain
