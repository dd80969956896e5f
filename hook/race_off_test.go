//go:build !race

package hook_test

// raceEnabled says the tests run under the race detector.
const raceEnabled = false
