//go:build !linux && !darwin

package eventstore

// freeBytes cannot tell on this platform.
func freeBytes(string) (uint64, bool) { return 0, false }
