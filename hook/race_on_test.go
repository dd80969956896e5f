//go:build race

package hook_test

// raceEnabled says the tests run under the race detector, which makes a
// fixture's whole history, sent one delivery at a time, minutes long.
const raceEnabled = true
