package httpapi

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/query"
)

// Metrics are the ledger's Prometheus metrics, in their own registry.
type Metrics struct {
	reg          *prometheus.Registry
	events       *prometheus.CounterVec
	refusals     *prometheus.CounterVec
	conflicts    prometheus.Counter
	decisionTime prometheus.Histogram
	httpDuration *prometheus.HistogramVec
	viewCache    *prometheus.CounterVec
	lagOnce      sync.Once
}

// NewMetrics registers the ledger's metrics and the Go and process
// collectors in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ledger_events_total",
		Help: "Events recorded in the ledger, by product and type (counted from the stream, so writes from every edge count)."},
		[]string{"product", "type"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ledger_decisions_refused_total",
		Help: "Decisions refused, by error kind (invalid, unauthorized, wrong state, conflict, ...)."}, []string{"kind"})
	m.conflicts = prometheus.NewCounter(prometheus.CounterOpts{Name: "ledger_conflicts_total",
		Help: "Decisions refused because another decision changed what they were about first."})
	m.decisionTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ledger_request_decision_seconds",
		Help:    "Business time from a request's submission to its first decision (accept, reject or defer).",
		Buckets: []float64{3600, 4 * 3600, 24 * 3600, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400}})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ledger_http_request_duration_seconds",
		Help: "HTTP request latency by route and status (server-sent event streams count their whole life).", Buckets: prometheus.DefBuckets},
		[]string{"route", "code"})
	m.viewCache = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ledger_http_view_answers_total",
		Help: "Answers of the backlog, roadmap and requests views for now, by view and whether the encoded answer was kept from an earlier request at the same position (hit) or built (miss)."},
		[]string{"view", "cache"})
	m.reg.MustRegister(m.events, m.refusals, m.conflicts, m.decisionTime, m.httpDuration, m.viewCache,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the metrics live, for tests and other collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Commander wraps c so that its refusals are counted, whichever edge sent
// the decision: give the wrapper to the NATS service and the HTTP server
// alike.
func (m *Metrics) Commander(c Commander) Commander { return countingCommander{c, m} }

type countingCommander struct {
	Commander
	m *Metrics
}

func (c countingCommander) Do(ctx context.Context, r command.Request) (command.Output, error) {
	out, err := c.Commander.Do(ctx, r)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			c.m.refusals.WithLabelValues(de.Kind.String()).Inc()
		}
		if errors.Is(err, domain.ErrConflict) {
			c.m.conflicts.Inc()
		}
	}
	return out, err
}

// watchLag adds the projection lag gauge, read from v at each scrape.
func (m *Metrics) watchLag(v Viewer) {
	m.lagOnce.Do(func() { m.reg.MustRegister(lagCollector{v}) })
}

type lagCollector struct{ v Viewer }

var lagDesc = prometheus.NewDesc("ledger_projection_lag_events",
	"Stream sequence of a product's last event minus the last sequence its live projections applied.", []string{"product"}, nil)

func (lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc }

func (c lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := c.v.View(ctx, query.ViewProducts, query.Options{})
	if err != nil {
		return
	}
	for _, p := range v.(query.Products).Products {
		head, applied, err := c.v.Head(ctx, p)
		if err != nil {
			continue
		}
		lag := 0.0
		if head > applied {
			lag = float64(head - applied)
		}
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, lag, p)
	}
}

// ProductPoll is how often Watch looks for new products.
const ProductPoll = 2 * time.Second

// Watch follows every product's events until ctx ends, counting them by
// type and timing each request's first decision. It returns nil then.
func (s *Server) Watch(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	seen := map[string]bool{}
	tick := time.NewTicker(ProductPoll)
	defer tick.Stop()
	for {
		if v, err := s.cfg.Views.View(ctx, query.ViewProducts, query.Options{}); err == nil {
			ps := v.(query.Products).Products
			sort.Strings(ps)
			for _, p := range ps {
				if seen[p] {
					continue
				}
				seen[p] = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.count(ctx, p)
				}()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (s *Server) count(ctx context.Context, product string) {
	submitted := map[string]time.Time{}
	err := s.cfg.Views.Follow(ctx, product, 0, func(r query.LogEntry) error {
		s.metrics.events.WithLabelValues(product, r.Type).Inc()
		if r.Aggregate.Kind != domain.KindRequest {
			return nil
		}
		// Time to decision: from a request's submission to the PO's
		// first decision on it (accepted, rejected or deferred).
		spec, _ := domain.SpecOf(r.Type)
		switch {
		case spec.Creates:
			submitted[r.Aggregate.ID] = r.OccurredAt
		case spec.Role == domain.RolePO:
			if at, ok := submitted[r.Aggregate.ID]; ok {
				s.metrics.decisionTime.Observe(r.OccurredAt.Sub(at).Seconds())
				delete(submitted, r.Aggregate.ID)
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.logf("http metrics: following %q: %v", product, err)
	}
}
