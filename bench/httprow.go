package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// httpReaders is how many clients read the backlog at once.
const httpReaders = 32

// httpSpell is how long each side of the HTTP row is measured, per rep.
const httpSpell = 1500 * time.Millisecond

// staticPath serves the raw side of the HTTP row, beside the API on the
// same server: bytes taken from the API's own answer, written as they are.
const staticPath = "/bench/static.json"

// http measures GET /api/v1/products/{p}/backlog, served by the API from
// the running service's live projections, with httpReaders concurrent
// keep-alive clients, against a static JSON response of the same bytes
// from the same server, in alternating spells, best of Reps each.
func (r *runner) http(sv *serving) error {
	api := sv.http
	var static atomic.Pointer[[]byte]
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+staticPath, func(w http.ResponseWriter, _ *http.Request) {
		b := *static.Load()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
	})
	mux.Handle("/", api.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()

	base := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: httpReaders, MaxIdleConnsPerHost: httpReaders, DisableCompression: true}}
	defer client.CloseIdleConnections()
	p := r.products()[0]
	backlog := base + "/api/v1/products/" + p + "/backlog"
	body, err := get(r.ctx, client, backlog)
	if err != nil {
		return err
	}
	static.Store(&body)

	var ledger, raw float64 // requests per second, best spell
	for i := range r.opt.Reps {
		sides := []struct {
			url  string
			best *float64
		}{{backlog, &ledger}, {base + staticPath, &raw}}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, s := range sides {
			rate, err := hammer(r.ctx, client, s.url, len(body))
			if err != nil {
				return err
			}
			*s.best = max(*s.best, rate)
		}
		r.progressf("http    %d/%d  ledger %.0f req/s  static %.0f req/s (%d KiB each, %d readers)",
			i+1, r.opt.Reps, ledger, raw, len(body)>>10, httpReaders)
	}
	r.rep.set("http", "backlog over HTTP, 32 readers", Figure{Ledger: ledger, Raw: raw, Ratio: ledger / raw, Unit: "req/s",
		Target: "≥ 0.5", Met: metPtr(ledger/raw >= 0.5),
		Note: fmt.Sprintf("GET /api/v1/products/%s/backlog (%d B, %d open items) by %d keep-alive readers vs the same bytes as a static JSON response from the same server; "+
			"the API encodes an answer for now once per position of the product and serves its bytes until the next decision",
			p, len(body), r.openItems(sv, p), httpReaders)})
	return nil
}

// get returns a 200 answer's body.
func get(ctx context.Context, c *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, b)
	}
	return b, err
}

// hammer has httpReaders clients GET url for httpSpell, each answer read
// whole and checked to be size bytes, and returns the answers per second.
func hammer(ctx context.Context, c *http.Client, url string, size int) (float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		n     atomic.Int64
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	fail := func(err error) {
		errMu.Lock()
		if first == nil {
			first = err
		}
		errMu.Unlock()
		cancel()
	}
	start := time.Now()
	deadline := start.Add(httpSpell)
	for range httpReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					fail(err)
					return
				}
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
				got, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch {
				case err != nil:
					fail(err)
					return
				case resp.StatusCode != http.StatusOK:
					fail(fmt.Errorf("GET %s: %s", url, resp.Status))
					return
				case got != int64(size):
					fail(fmt.Errorf("GET %s: %d bytes, not the %d of the first answer", url, got, size))
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return 0, first
	}
	if n.Load() == 0 {
		return 0, errors.New("no answer in the whole spell")
	}
	return float64(n.Load()) / elapsed.Seconds(), nil
}
