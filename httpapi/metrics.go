package httpapi

import (
	"context"
	"errors"
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
	refusals     *prometheus.CounterVec
	conflicts    prometheus.Counter
	httpDuration *prometheus.HistogramVec
	viewCache    *prometheus.CounterVec
	viewsOnce    sync.Once
}

// NewMetrics registers the ledger's metrics and the Go and process
// collectors in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ledger_decisions_refused_total",
		Help: "Decisions refused, by error kind (invalid, unauthorized, wrong state, conflict, ...)."}, []string{"kind"})
	m.conflicts = prometheus.NewCounter(prometheus.CounterOpts{Name: "ledger_conflicts_total",
		Help: "Decisions refused because another decision changed what they were about first."})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ledger_http_request_duration_seconds",
		Help: "HTTP request latency by route and status (server-sent event streams count their whole life).", Buckets: prometheus.DefBuckets},
		[]string{"route", "code"})
	m.viewCache = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ledger_http_view_answers_total",
		Help: "Answers of the backlog, roadmap and requests views for now, by view and whether the encoded answer was kept from an earlier request at the same position (hit) or built (miss)."},
		[]string{"view", "cache"})
	m.reg.MustRegister(m.refusals, m.conflicts, m.httpDuration, m.viewCache,
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

// watchViews adds the metrics read from v's views at each scrape: the
// projection lag, the events by type and the first-decision waits (the
// metrics view, answered from the live projections).
func (m *Metrics) watchViews(v Viewer) {
	m.viewsOnce.Do(func() { m.reg.MustRegister(viewCollector{v}) })
}

type viewCollector struct{ v Viewer }

var (
	lagDesc = prometheus.NewDesc("ledger_projection_lag_events",
		"Stream sequence of a product's last event minus the last sequence its live projections applied.", []string{"product"}, nil)
	eventsDesc = prometheus.NewDesc("ledger_events_total",
		"Events recorded in the ledger, by product and type (counted from the stream, so writes from every edge count).", []string{"product", "type"}, nil)
	decisionTimeDesc = prometheus.NewDesc("ledger_request_decision_seconds",
		"Business time from a request's submission to its first decision (accept, reject or defer).", nil, nil)
)

func (viewCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- lagDesc
	ch <- eventsDesc
	ch <- decisionTimeDesc
}

// scrapeTimeout bounds what one scrape asks of the views: a product
// whose figures are not live yet (and would be folded from its stream)
// is left out of that scrape rather than holding it.
const scrapeTimeout = 2 * time.Second

func (c viewCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	v, err := c.v.View(ctx, query.ViewProducts, query.Options{})
	if err != nil {
		return
	}
	var waits query.WaitDistribution
	buckets := map[float64]uint64{}
	for _, p := range v.(query.Products).Products {
		if head, applied, err := c.v.Head(ctx, p); err == nil {
			lag := 0.0
			if head > applied {
				lag = float64(head - applied)
			}
			ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, lag, p)
		}
		mv, err := c.v.View(ctx, query.ViewMetrics, query.Options{Product: p})
		if err != nil {
			continue
		}
		m := mv.(query.Metrics)
		for ty, n := range m.Types {
			ch <- prometheus.MustNewConstMetric(eventsDesc, prometheus.CounterValue, float64(n), p, ty)
		}
		waits.Count += m.Waits.Count
		waits.SumSeconds += m.Waits.SumSeconds
		for _, b := range m.Waits.Buckets {
			buckets[b.LeSeconds] += b.Count
		}
	}
	for _, le := range query.WaitBuckets {
		buckets[le] += 0 // every bound, also before any request waited
	}
	ch <- prometheus.MustNewConstHistogram(decisionTimeDesc, uint64(waits.Count), waits.SumSeconds, buckets)
}
