// Package snapshot holds Info, the description of a stored projection
// snapshot. It is the shared vocabulary of the code that stores snapshots
// (eventstore) and the code that uses them (replay), so that the store
// satisfies replay's interfaces directly and neither imports the other.
//
// snapshot imports only the standard library.
package snapshot
