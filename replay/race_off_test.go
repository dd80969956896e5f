//go:build !race

package replay_test

// raceEnabled says the tests run under the race detector, which makes
// the long generated histories several times slower.
const raceEnabled = false
