package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The ledger binary, built once for the package's tests.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// ledgerBinary builds cmd/ledger into a temporary directory the first time
// a test asks for it. It is shared by the package's tests (t.TempDir would
// build it again for each one), and removed by TestMain.
func ledgerBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "ledger-faults-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ledger")
		cmd := exec.Command("go", "build", "-o", binPath, "../cmd/ledger")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// result is what one ledger process did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// runLedger runs the ledger binary with args and returns its exit code
// and output; it fails the test only when the process cannot be run.
func runLedger(t testing.TB, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ledgerBinary(t), args...)
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else {
		require.NoError(t, err, "running ledger %v", args)
	}
	return r
}

// cleanEnv is the environment without the ledger's own variables, so that
// a developer's LEDGER_NATS or LEDGER_DATA cannot redirect a test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		// LEDGER_NATS_DEBUG=1 shows the servers' logs when a test fails.
		if !strings.HasPrefix(kv, "LEDGER_") || strings.HasPrefix(kv, "LEDGER_NATS_DEBUG=") {
			env = append(env, kv)
		}
	}
	return env
}

// serveProc is a running "ledger serve".
type serveProc struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has exited
	mu   sync.Mutex
	log  bytes.Buffer // its stdout and stderr
}

// startServe starts "ledger serve" on dir with its listeners (NATS, HTTP) on free ports
// and returns once its service is registered. extra are more flags.
func startServe(t testing.TB, dir string, extra ...string) *serveProc {
	t.Helper()
	args := append([]string{"--data", dir, "serve", "--nats-listen", "127.0.0.1:0", "--http", "127.0.0.1:0"}, extra...)
	urls := make(chan string, 1)
	p := launchServe(t, args, "serve", func(line string) {
		if u, ok := strings.CutPrefix(line, "NATS clients: "); ok {
			urls <- strings.Fields(u)[0]
		}
	})
	select {
	case p.url = <-urls:
	default:
		require.FailNow(t, "serve did not say where it listens", "%s", p.output())
	}
	return p
}

// launchServe runs the ledger binary with args (a serve), keeps its
// output, hands each line of its stdout to onLine, and returns once it
// says its NATS service runs; it fails the test, naming the process as
// what, if the process exits first or takes over 60 s. The process is
// killed when the test ends.
func launchServe(t testing.TB, args []string, what string, onLine func(line string)) *serveProc {
	t.Helper()
	cmd := exec.Command(ledgerBinary(t), args...)
	cmd.Env = cleanEnv()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p := &serveProc{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.log.Write(b)
	})
	require.NoError(t, cmd.Start())
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			onLine(line)
			if strings.HasPrefix(line, "NATS service ") {
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	select {
	case <-ready:
	case <-p.done:
		require.FailNow(t, what+" exited before its service started", "%s", p.output())
	case <-time.After(60 * time.Second):
		p.kill()
		require.FailNow(t, what+"'s service did not start within 60 s", "%s", p.output())
	}
	return p
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (p *serveProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProc) stop(t testing.TB) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
		require.FailNow(t, "serve did not stop within 30 s of SIGTERM", "%s", p.output())
	}
}

func (p *serveProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// logEntry is one line of "ledger log --json": the fields the checks use.
type logEntry struct {
	Seq       uint64 `json:"seq"`
	ID        string `json:"id"`
	Type      string `json:"type"`
	CommandID string `json:"commandId"`
	Aggregate struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"aggregate"`
}

// readLog reads every event of product through "ledger log --json".
func readLog(t testing.TB, dir, product string) []logEntry {
	t.Helper()
	r := runLedger(t, "--data", dir, "-p", product, "log", "--json")
	require.Equal(t, 0, r.code, "ledger log: %s", r)
	var out []logEntry
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	for dec.More() {
		var e logEntry
		require.NoError(t, dec.Decode(&e))
		out = append(out, e)
	}
	return out
}

// checkExactlyOnce requires that every acknowledged command id appears in
// entries exactly once, and that no command id or event id appears twice;
// it returns how many acknowledged commands it checked.
func checkExactlyOnce(t testing.TB, entries []logEntry, acked map[string]bool) int {
	t.Helper()
	byCmd := map[string]int{}
	byID := map[string]int{}
	for _, e := range entries {
		byCmd[e.CommandID]++
		byID[e.ID]++
	}
	for id, n := range byID {
		require.Equal(t, 1, n, "event %s is stored %d times", id, n)
	}
	for cmd, n := range byCmd {
		require.LessOrEqual(t, n, 1, "command %s is recorded %d times", cmd, n)
	}
	for cmd := range acked {
		require.Equal(t, 1, byCmd[cmd], "acknowledged command %s is recorded %d times", cmd, byCmd[cmd])
	}
	return len(acked)
}

// jsonUnmarshal decodes s into v.
func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
