package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/query"
)

// Client calls a ledger service over NATS. Safe for concurrent use.
type Client struct {
	nc *nats.Conn
	// wait bounds each request whose context has no deadline.
	wait time.Duration
}

// NewClient returns a client on nc.
func NewClient(nc *nats.Conn) *Client { return &Client{nc: nc, wait: 10 * time.Second} }

// SetTimeout bounds each request whose context has no deadline (10 s by
// default): each page of Pages, each request of View.
func (c *Client) SetTimeout(d time.Duration) {
	if d > 0 {
		c.wait = d
	}
}

// ErrNoService is returned when no ledger service listens on the NATS
// system: nothing was sent to anyone, so nothing was recorded.
var ErrNoService = errors.New("no ledger service answers on this NATS system")

// UnknownOutcomeError is returned when a command was sent but no answer
// came in time (the service died or is cut off mid-write): it may or may
// not have been recorded. Retrying with the same command id records it
// once.
type UnknownOutcomeError struct {
	CommandID string
	Waited    time.Duration
	Err       error
}

func (e *UnknownOutcomeError) Error() string {
	return fmt.Sprintf("the ledger service did not answer within %s: the outcome of command %s is unknown (it may or may not be recorded); retry with --command-id %s, which records it once", e.Waited.Round(time.Millisecond), e.CommandID, e.CommandID)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// Available reports whether a ledger service answers a discovery ping
// within wait.
func Available(ctx context.Context, nc *nats.Conn, wait time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	msg, err := nc.RequestWithContext(ctx, "$SRV.PING."+Name, nil)
	if err != nil {
		return false
	}
	var ping micro.Ping
	return json.Unmarshal(msg.Data, &ping) == nil && ping.Name == Name
}

// Do sends a command and returns what it recorded. A command without an
// id gets one first, so that an unknown outcome can name it.
func (c *Client) Do(ctx context.Context, r command.Request) (command.Output, error) {
	if r.CommandID == "" {
		r.CommandID = command.NewID()
	}
	var out command.Output
	start := time.Now()
	err := c.call(ctx, CommandSubject, r, &out)
	var timeout *timeoutError
	if errors.As(err, &timeout) {
		return out, &UnknownOutcomeError{CommandID: r.CommandID, Waited: time.Since(start), Err: timeout.err}
	}
	return out, err
}

// View asks for a view and decodes it into out, a pointer to the view's
// type (query.Backlog, *query.Comparison, ...): the answer
// query.Service.View gives. The service answers a list view in pages
// that fit one NATS message each; View follows them until it holds
// o.Limit elements, or the whole list when o.Limit is 0, so that no
// answer depends on the size of a message.
func (c *Client) View(ctx context.Context, name string, o query.Options, out any) error {
	v, ok := query.Lookup(name)
	if !ok || !v.Paged() {
		return c.viewPage(ctx, name, o, out)
	}
	want, got := o.Limit, 0
	for first := true; ; first = false {
		if want > 0 {
			o.Limit = want - got
		}
		page := reflect.New(reflect.TypeOf(out).Elem())
		if err := c.viewPage(ctx, name, o, page.Interface()); err != nil {
			return err
		}
		if first {
			reflect.ValueOf(out).Elem().Set(page.Elem())
		} else if !v.Merge(out, page.Interface()) {
			return fmt.Errorf("ledger service: the %s view's pages do not add up into %T", name, out)
		}
		n, isList := v.Len(page.Interface())
		p, _ := query.PageOf(page.Elem().Interface())
		got += n
		if !isList || n == 0 || p.Next == "" || (want > 0 && got >= want) {
			return nil
		}
		o.After = p.Next
	}
}

// Pages calls fn with each page of a view in turn, from o.After on, at
// most o.Limit elements a page (the service's page when 0), each as the
// service sends it, until the last page or fn's first error: a list of
// any length is read in bounded memory. Each page is a fresh value of the
// type out points to; a view that is no list is one page.
func (c *Client) Pages(ctx context.Context, name string, o query.Options, out any, fn func(page any) error) error {
	for {
		page := reflect.New(reflect.TypeOf(out).Elem())
		if err := c.viewPage(ctx, name, o, page.Interface()); err != nil {
			return err
		}
		if err := fn(page.Elem().Interface()); err != nil {
			return err
		}
		p, isList := query.PageOf(page.Elem().Interface())
		if !isList || p.Next == "" {
			return nil
		}
		o.After = p.Next
	}
}

// viewPage asks for one answer of a view.
func (c *Client) viewPage(ctx context.Context, name string, o query.Options, out any) error {
	err := c.call(ctx, ViewPrefix+name, o, out)
	var timeout *timeoutError
	if errors.As(err, &timeout) {
		return fmt.Errorf("the ledger service did not answer the %s view in time: %w", name, timeout.err)
	}
	return err
}

type timeoutError struct{ err error }

func (e *timeoutError) Error() string { return e.err.Error() }

func (c *Client) call(ctx context.Context, subject string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.send(ctx, &nats.Msg{Subject: subject, Data: b}, out)
}

// send sends a request and decodes its answer into out.
func (c *Client) send(ctx context.Context, m *nats.Msg, out any) error {
	subject := m.Subject
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.wait)
		defer cancel()
	}
	msg, err := c.nc.RequestMsgWithContext(ctx, m)
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return ErrNoService
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, context.Canceled),
		errors.Is(err, nats.ErrConnectionClosed):
		return &timeoutError{err: err}
	case err != nil:
		return fmt.Errorf("ledger service: %w", err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		return decodeError(code, msg.Header.Get(micro.ErrorHeader), msg.Data)
	}
	if err := json.Unmarshal(msg.Data, out); err != nil {
		return fmt.Errorf("ledger service: unreadable reply on %s: %w", subject, err)
	}
	return nil
}

// Import sends an import and returns its summary. An import larger than
// one request is uploaded in parts, each answered before the next is
// sent; more than command.MaxImport bytes (its files in base64) are
// refused before anything is sent.
func (c *Client) Import(ctx context.Context, r command.ImportRequest) (command.ImportSummary, error) {
	var sum command.ImportSummary
	// Counted before encoding: an import over the bound is refused
	// without making a copy of it in base64 first.
	if n := encodedSize(r); n > command.MaxImport {
		return sum, tooLargeImport(n)
	}
	doc, err := json.Marshal(EncodeImport(r))
	if err != nil {
		return sum, err
	}
	if len(doc) > command.MaxImport {
		return sum, tooLargeImport(len(doc))
	}
	start := time.Now()
	part := c.partSize()
	if len(doc) <= part {
		err = c.send(ctx, &nats.Msg{Subject: ImportSubject, Data: doc}, &sum)
	} else {
		err = c.upload(ctx, doc, part, &sum)
	}
	var timeout *timeoutError
	if errors.As(err, &timeout) {
		return sum, fmt.Errorf("the ledger service did not answer the import within %s: it may be recorded in part, in whole or not at all; run the same import again, which records only what is missing: %w",
			time.Since(start).Round(time.Millisecond), timeout.err)
	}
	return sum, err
}

// partSize is the most bytes one request carries: what the service reads
// (MaxRequest), within what this NATS connection may send with headers.
func (c *Client) partSize() int {
	n := MaxRequest
	if limit := int(c.nc.MaxPayload()) - replyRoom; limit > 0 && limit < n {
		n = limit
	}
	return n
}

// upload sends doc in parts of at most part bytes and decodes the
// import's answer, the last part's, into out.
func (c *Client) upload(ctx context.Context, doc []byte, part int, out any) error {
	var up Upload
	if err := c.call(ctx, UploadSubject, UploadOpen{Size: len(doc)}, &up); err != nil {
		return err
	}
	if !strings.HasPrefix(up.Subject, UploadSubject+".") {
		return fmt.Errorf("ledger service: an upload's parts must go to %s.<instance>, not to %q", UploadSubject, up.Subject)
	}
	if up.Part > 0 && up.Part < part {
		part = up.Part
	}
	for i, off := 0, 0; ; i++ {
		end := min(off+part, len(doc))
		m := &nats.Msg{Subject: up.Subject, Data: doc[off:end], Header: nats.Header{}}
		m.Header.Set(UploadHeader, up.Upload)
		m.Header.Set(PartHeader, strconv.Itoa(i))
		if end == len(doc) {
			return c.send(ctx, m, out)
		}
		var ack Upload
		if err := c.send(ctx, m, &ack); err != nil {
			return err
		}
		off = end
	}
}

// encodedSize is about the size of r's ImportBody: its files and map in
// base64, and the rest.
func encodedSize(r command.ImportRequest) int {
	n := 64 + len(r.Format) + len(r.Product) + base64.StdEncoding.EncodedLen(len(r.Map))
	for _, f := range r.Files {
		n += base64.StdEncoding.EncodedLen(len(f)) + 3
	}
	return n
}
