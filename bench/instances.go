package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/decisionledger/ledger/eventstore"
	"github.com/decisionledger/ledger/service"
)

// Instances is a NATS server with JetStream (fsync on every write) in
// this process, and N "ledger serve --nats URL" processes of their own
// on it: how users scale the service, one product's writes owned by one
// instance at a time. Writers send item.add requests to the service as
// any NATS client would.
type Instances struct {
	ns    *server.Server
	nc    *nats.Conn
	procs []*instance
	dir   string
	added atomic.Int64
}

// instance is one running serve process.
type instance struct {
	cmd  *exec.Cmd
	id   string        // its instance id, the value of the leases it holds (under mu)
	done chan struct{} // closed when it has exited
	mu   sync.Mutex
	log  bytes.Buffer // its output, for the error when it fails
}

func (p *instance) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.TrimSpace(p.log.String())
}

// StartInstances starts a NATS server with JetStream on a free local port,
// its store in dir (which the caller removes afterwards), and n serve
// processes on it, each run as ledger (the binary and any arguments
// before the command's) with a data directory of its own under dir, and
// returns once every one has registered its service.
func StartInstances(ctx context.Context, ledger []string, n int, dir string) (_ *Instances, err error) {
	if len(ledger) == 0 {
		return nil, errors.New("bench: no ledger binary to run serve --nats with")
	}
	in := &Instances{dir: dir}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	// The server the rows ask for: outside the serve processes,
	// a plain nats-server as a deployment's, with the ledger's durability.
	in.ns, err = server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: filepath.Join(dir, "nats"), SyncAlways: true, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, fmt.Errorf("bench: NATS server for the instances: %w", err)
	}
	go in.ns.Start()
	if !in.ns.ReadyForConnections(30 * time.Second) {
		return nil, errors.New("bench: the instances' NATS server did not start within 30 s")
	}
	for i := range n {
		p, err := startInstance(ctx, ledger, in.ns.ClientURL(), filepath.Join(dir, fmt.Sprintf("instance-%d", i)))
		if p != nil {
			in.procs = append(in.procs, p)
		}
		if err != nil {
			return nil, err
		}
	}
	if in.nc, err = nats.Connect(in.ns.ClientURL()); err != nil {
		return nil, err
	}
	return in, nil
}

// startInstance starts one serve --nats url on dataDir and waits for its
// service.
func startInstance(ctx context.Context, ledger []string, url, dataDir string) (*instance, error) {
	args := append(slices.Clone(ledger[1:]), "--data", dataDir, "--nats", url, "serve", "--http", "off")
	cmd := exec.Command(ledger[0], args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &instance{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = writerFunc(func(b []byte) (int, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.log.Write(b)
	})
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", strings.Join(cmd.Args, " "), err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if rest, ok := strings.CutPrefix(line, "instance "); ok {
				p.mu.Lock()
				p.id = strings.TrimSuffix(strings.Fields(rest + " ")[0], ":")
				p.mu.Unlock()
			}
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
	select {
	case <-ready:
		return p, nil
	case <-p.done:
		return p, fmt.Errorf("bench: %s exited before its service started: %s", strings.Join(cmd.Args, " "), p.output())
	case <-ctx.Done():
		return p, ctx.Err()
	case <-time.After(60 * time.Second):
		return p, fmt.Errorf("bench: %s did not start its service within 60 s: %s", strings.Join(cmd.Args, " "), p.output())
	}
}

// Len is how many serve processes run.
func (in *Instances) Len() int { return len(in.procs) }

// URL is the NATS server's client URL.
func (in *Instances) URL() string { return in.ns.ClientURL() }

// Close stops the serve processes (SIGTERM, then SIGKILL after 10 s)
// and the server.
func (in *Instances) Close() {
	for _, p := range in.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range in.procs {
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	in.procs = nil
	if in.nc != nil {
		in.nc.Close()
	}
	if in.ns != nil {
		in.ns.Shutdown()
		in.ns.WaitForShutdown()
	}
}

// ServeCPU is the CPU time, user and system, the serve processes have
// used so far (0 where the system does not say).
func (in *Instances) ServeCPU() time.Duration {
	var d time.Duration
	for _, c := range in.ProcessCPU() {
		d += c
	}
	return d
}

// ProcessCPU is the CPU time of each serve process so far, in the order
// they started.
func (in *Instances) ProcessCPU() []time.Duration {
	out := make([]time.Duration, len(in.procs))
	for i, p := range in.procs {
		out[i] = processCPU(p.cmd.Process.Pid)
	}
	return out
}

// Do sends one request to the service, as the nats CLI's req does, and
// reads the answer's error header and no more.
func (in *Instances) Do(ctx context.Context, body string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	msg, err := in.nc.RequestWithContext(ctx, service.CommandSubject, []byte(body))
	if err != nil {
		return fmt.Errorf("bench: a request to %d instance(s): %w", len(in.procs), err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		return fmt.Errorf("bench: a request to %d instance(s): %s %s", len(in.procs), code, msg.Header.Get(micro.ErrorHeader))
	}
	return nil
}

// CreateProducts creates the products (pm pam, po olga).
func (in *Instances) CreateProducts(ctx context.Context, products []string) error {
	for _, p := range products {
		if err := in.Do(ctx, fmt.Sprintf(`{"action":"product.create","product":%q,"actor":"pam","args":{"name":"Bench","pm":"pam","po":"olga"}}`, p)); err != nil {
			return err
		}
	}
	return nil
}

// Add makes n decisions, item.add of new items, by Writers writers at
// once, the k-th going to products[k % len(products)].
func (in *Instances) Add(ctx context.Context, n int, products []string) error {
	var wg sync.WaitGroup
	errs := make([]error, Writers)
	for w := range Writers {
		wg.Go(func() {
			for i := w; i < n && errs[w] == nil; i += Writers {
				k := in.added.Add(1)
				errs[w] = in.Do(ctx, fmt.Sprintf(`{"action":"item.add","product":%q,"actor":"olga","args":{"id":"I-%d","title":"Bench item"}}`,
					products[int(k)%len(products)], k))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Owned says, for each serve process in the order they started, how
// many of products it holds the lease of.
func (in *Instances) Owned(ctx context.Context, products []string) ([]int, error) {
	js, err := jetstream.New(in.nc)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, eventstore.OwnersBucket)
	if err != nil {
		return nil, fmt.Errorf("bench: the owners' bucket: %w", err)
	}
	owned := make([]int, len(in.procs))
	for _, p := range products {
		e, err := kv.Get(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("bench: the owner of %s: %w", p, err)
		}
		for i, proc := range in.procs {
			proc.mu.Lock()
			id := proc.id
			proc.mu.Unlock()
			if id == string(e.Value()) {
				owned[i]++
			}
		}
	}
	return owned, nil
}

// Warm makes Writers decisions per instance over products, so that every
// instance has taken or learnt the owner of every product.
func (in *Instances) Warm(ctx context.Context, products []string) error {
	return in.Add(ctx, Writers*len(in.procs)*len(products), products)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// DefaultInstanceDecisions is how many decisions each side of an
// instances row makes.
const DefaultInstanceDecisions = 1600

// instances measures issue 20's multi-instance rows on a NATS server of
// their own, outside the serve processes: one serve --nats instance and
// three, each set on a server of its own (their services would share one
// queue group on a single server), both running throughout, and Writers
// writers adding items through the service, in alternating blocks of
// Writers times 10 on one instance and on three:
//
//   - instances-1p: every decision to one product, which one instance
//     writes while the others send it on to that one;
//   - instances-3p: decisions spread over three products.
//
// The note of each says the CPU per decision of the serve processes on
// each side and of this process (the servers and the writers).
func (r *runner) instances() error {
	rows := []struct {
		name, label, target string
		want                float64
		products            []string
	}{
		{"instances-1p", fmt.Sprintf("3 serve --nats instances vs 1, %d writers, one product", Writers), "≥ 0.9", 0.9, []string{"solo"}},
		{"instances-3p", fmt.Sprintf("3 serve --nats instances vs 1, %d writers, 3 products", Writers), "≥ 1.0", 1.0, []string{"spread1", "spread2", "spread3"}},
	}
	skip := func(why string) error {
		for _, row := range rows {
			r.rep.set(row.name, row.label, Figure{Unit: "ev/s", Target: row.target, Skipped: true, Note: why})
		}
		return nil
	}
	switch {
	case r.opt.SkipInstances:
		return skip("not measured (--instances=false)")
	case len(r.opt.ServeCommand) == 0:
		return skip("not measured: no ledger binary to run serve --nats with")
	}
	dir := r.opt.Dir + "-instances"
	defer os.RemoveAll(dir)
	one, err := StartInstances(r.ctx, r.opt.ServeCommand, 1, filepath.Join(dir, "one"))
	if err != nil {
		return err
	}
	defer one.Close()
	three, err := StartInstances(r.ctx, r.opt.ServeCommand, 3, filepath.Join(dir, "three"))
	if err != nil {
		return err
	}
	defer three.Close()
	for _, row := range rows {
		for _, in := range []*Instances{one, three} {
			if err := in.CreateProducts(r.ctx, row.products); err != nil {
				return err
			}
			if err := in.Warm(r.ctx, row.products); err != nil {
				return err
			}
		}
		// Each side's CPU over its own blocks: the other side's serve
		// processes are idle meanwhile.
		// Each side's CPU over its own blocks: the other side's serve
		// processes are idle meanwhile.
		type cpu struct {
			serve []time.Duration // by process
			self  time.Duration
		}
		used := [2]cpu{{serve: make([]time.Duration, one.Len())}, {serve: make([]time.Duration, three.Len())}}
		side := func(in *Instances, c *cpu) func(int) error {
			return func(n int) error {
				s0, p0 := in.ProcessCPU(), selfCPU()
				err := in.Add(r.ctx, n, row.products)
				for i, s1 := range in.ProcessCPU() {
					c.serve[i] += s1 - s0[i]
				}
				c.self += selfCPU() - p0
				return err
			}
		}
		block := min(Writers*10, r.opt.InstanceDecisions)
		l, w, n, err := alternate(r.opt.InstanceDecisions, block, side(three, &used[1]), side(one, &used[0]))
		if err != nil {
			return err
		}
		owned, err := three.Owned(r.ctx, row.products)
		if err != nil {
			return err
		}
		owners := 0
		for _, k := range owned {
			owners += min(k, 1)
		}
		ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(n+min(block, 20)) }
		var serve [2]time.Duration
		each := make([]string, three.Len())
		for i := range used {
			for k, d := range used[i].serve {
				serve[i] += d
				if i == 1 {
					each[k] = fmt.Sprintf("%.2f (owns %d)", ms(d), owned[k])
				}
			}
		}
		r.progressf("%s %d decisions each  3 instances %.0f/s  1 instance %.0f/s", row.name, n, l, w)
		r.rep.set(row.name, row.label, Figure{Ledger: l, Raw: w, Ratio: l / w, Unit: "ev/s", Target: row.target, Met: metPtr(l/w >= row.want),
			Note: fmt.Sprintf("%d goroutines requesting item.add of new items over %d product(s) from the service of 3 ledger serve --nats processes (ledger) vs of 1 (raw column), "+
				"each set on a NATS server of its own in the bench process (fsync on every write), alternating blocks of %d; the product(s) owned by %d of the 3 instances; "+
				"CPU per decision: serve processes %.2f ms with 3 (each: %s), %.2f ms with 1; the bench process (NATS servers, writers) %.2f ms with 3, %.2f ms with 1",
				Writers, len(row.products), block, owners, ms(serve[1]), strings.Join(each, ", "), ms(serve[0]), ms(used[1].self), ms(used[0].self))})
	}
	return nil
}
