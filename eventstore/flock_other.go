//go:build !unix

package eventstore

import (
	"errors"
	"os"
)

// flock is not implemented on this platform: without it two processes could
// open one data directory and corrupt it, so embedded mode is refused.
func flock(*os.File) error {
	return errors.New("embedded mode needs file locking, which this platform lacks: connect to a server with --nats")
}

func funlock(*os.File) error { return nil }

// processAlive cannot tell here; embedded mode is refused anyway.
func processAlive(int) bool { return true }
