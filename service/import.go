package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
)

// The subjects of an import. An import of at most MaxRequest bytes is
// one request on ImportSubject. A larger one is uploaded: a request on
// UploadSubject opens it, naming its size, and the service instance that
// answers names the subject of its own (UploadSubject + "." + its
// instance id) to which the parts go, in order, each answered before the
// next is sent; the answer to the part that completes the upload is the
// import's. All of them lie under ledgerapi.>, the only subjects the
// clients' account reaches.
const (
	ImportSubject = Prefix + ".import"
	UploadSubject = Prefix + ".import.upload"
)

// The headers of an upload's part: the upload it belongs to, and its
// number (0 for the first).
const (
	UploadHeader = "Ledger-Upload"
	PartHeader   = "Ledger-Part"
)

// UploadIdle is how long the service keeps an upload whose next part
// does not come: then it is dropped, and its memory freed.
const UploadIdle = time.Minute

// Importer records imports; *command.Handler is one.
type Importer interface {
	// Import reads an export and records what the product does not hold
	// yet, returning once it is durable. Errors are *domain.Error values
	// where the input is at fault. Safe for concurrent use.
	Import(ctx context.Context, r command.ImportRequest) (command.ImportSummary, error)
}

// ImportBody is an import as the service reads it, on ImportSubject or as
// the bytes of an upload: the map file and the export files as base64
// (standard, padded: as encoding/json writes bytes), so that any export,
// JSON or JSON lines, arrives byte for byte.
type ImportBody struct {
	// Format is the tracker's export format: bugzilla, github, jira.
	Format string `json:"format"`
	// Product receives the history.
	Product string `json:"product"`
	// Map is the map file, base64; empty for the format's defaults.
	Map string `json:"map,omitempty"`
	// URL is the tracker's base address, for links (the CLI's --url).
	URL string `json:"url,omitempty"`
	// Files are the export files, each base64.
	Files []string `json:"files"`
	// DryRun answers the summary and writes nothing.
	DryRun bool `json:"dryRun,omitempty"`
}

// UploadOpen is the body of a request on UploadSubject.
type UploadOpen struct {
	// Size is the size in bytes of the ImportBody to upload.
	Size int `json:"size"`
}

// Upload answers the opening of an upload and each part but the last.
type Upload struct {
	// Upload names the upload, in every part's Ledger-Upload header.
	Upload string `json:"upload"`
	// Subject is where the parts go: this service instance's own.
	Subject string `json:"subject"`
	// Size is the upload's size; Received, the bytes received so far.
	Size     int `json:"size"`
	Received int `json:"received"`
	// Part is the most bytes one part may carry.
	Part int `json:"part"`
}

// EncodeImport is the body that asks for r.
func EncodeImport(r command.ImportRequest) ImportBody {
	b := ImportBody{Format: r.Format, Product: r.Product, URL: r.URL, DryRun: r.DryRun, Files: make([]string, len(r.Files))}
	if len(r.Map) > 0 {
		b.Map = base64.StdEncoding.EncodeToString(r.Map)
	}
	for i, f := range r.Files {
		b.Files[i] = base64.StdEncoding.EncodeToString(f)
	}
	return b
}

// DecodeImport reads an import body strictly: unknown fields, values of
// the wrong type and text that is not base64 are KindMalformed errors
// naming the field.
func DecodeImport(data []byte) (command.ImportRequest, error) {
	var b ImportBody
	if len(strings.TrimSpace(string(data))) == 0 {
		return command.ImportRequest{}, domain.Malformed("", "the import is empty: send {\"format\",\"product\",\"map\",\"url\",\"files\",\"dryRun\"} with the map and the export files as base64")
	}
	if err := domain.DecodeStrict(data, &b, "the import", func(name string) string {
		return fmt.Sprintf("unknown field %q: an import has format, product, map, url, files and dryRun", name)
	}); err != nil {
		return command.ImportRequest{}, err
	}
	r := command.ImportRequest{Format: b.Format, Product: b.Product, URL: b.URL, DryRun: b.DryRun, Files: make([][]byte, len(b.Files))}
	var err error
	if b.Map != "" {
		if r.Map, err = base64.StdEncoding.DecodeString(b.Map); err != nil {
			return command.ImportRequest{}, domain.Malformed("map", "map is not base64 (%s): send the map file's bytes as standard base64, as \"base64 -w0 map.json\" writes them", err.Error())
		}
	}
	for i, f := range b.Files {
		if r.Files[i], err = base64.StdEncoding.DecodeString(f); err != nil {
			return command.ImportRequest{}, domain.Malformed("files", "files[%d] is not base64 (%s): send each export file's bytes as standard base64, as \"base64 -w0 bugs.jsonl\" writes them", i, err.Error())
		}
	}
	return r, nil
}

// importOne answers an import sent in one request.
func (s *Service) importOne(ctx context.Context, req micro.Request) (any, error) {
	relay, err := s.relay(req)
	if err != nil {
		return nil, err
	}
	return s.doImport(ctx, req.Data(), relay)
}

func (s *Service) doImport(ctx context.Context, data []byte, relay string) (any, error) {
	if s.imp == nil {
		return nil, domain.Invalid("", "this ledger service takes no imports")
	}
	r, err := DecodeImport(data)
	if err != nil {
		return nil, err
	}
	r.RelayedBy = relay
	return s.imp.Import(ctx, r)
}

// relay checks that the caller may record the decisions of others, and
// returns who relays them (access.Relay).
func (s *Service) relay(req micro.Request) (string, error) {
	caller, err := s.caller(req)
	if err != nil || s.opt.Access == nil {
		return "", err
	}
	return access.Relay(caller, "import")
}

// uploads are the uploads open on this service instance.
type uploads struct {
	mu   sync.Mutex
	open map[string]*upload
	held int // bytes the open uploads may grow to
}

// upload is one import arriving in parts.
type upload struct {
	id     string
	sender string // who opened it: only they may send its parts
	size   int

	mu    sync.Mutex
	data  []byte
	next  int // the part expected
	last  int // the size of the last part received, to answer its resending
	timer *time.Timer
	done  bool // complete, expired or refused: no part is taken any more
}

// openUpload answers a request on UploadSubject: it reserves the size
// the upload declares, within the service's bound, and names where its
// parts go.
func (s *Service) openUpload(_ context.Context, req micro.Request) (any, error) {
	if _, err := s.relay(req); err != nil {
		return nil, err
	}
	var o UploadOpen
	if err := domain.DecodeStrict(req.Data(), &o, "the upload", func(name string) string {
		return fmt.Sprintf("unknown field %q: an upload is opened with {\"size\":N}, the bytes of the import to come", name)
	}); err != nil {
		return nil, err
	}
	switch {
	case o.Size <= 0:
		return nil, domain.Malformed("size", "size must be the import's size in bytes, not %d", o.Size)
	case o.Size > command.MaxImport:
		return nil, tooLargeImport(o.Size)
	}
	u := &upload{id: command.NewID(), sender: sender(req), size: o.Size}
	// A part can only find the upload once it is open, and then waits
	// for its timer.
	u.mu.Lock()
	defer u.mu.Unlock()
	s.up.mu.Lock()
	if s.up.held+o.Size > s.opt.MaxUploads {
		held := s.up.held
		s.up.mu.Unlock()
		return nil, domain.Conflict("the ledger service holds %s of other imports being uploaded, and takes at most %s at once: retry when they are done",
			sizeText(int64(held)), sizeText(int64(s.opt.MaxUploads)))
	}
	s.up.held += o.Size
	s.up.open[u.id] = u
	s.up.mu.Unlock()
	u.timer = time.AfterFunc(s.opt.UploadIdle, func() { s.expire(u) })
	return Upload{Upload: u.id, Subject: s.partSubject, Size: o.Size, Part: MaxRequest}, nil
}

// part answers a request on this instance's upload subject: it appends
// the part and acknowledges it, or, for the part that completes the
// upload, runs the import and answers it.
func (s *Service) part(ctx context.Context, req micro.Request) (any, error) {
	id := req.Headers().Get(UploadHeader)
	n, err := strconv.Atoi(req.Headers().Get(PartHeader))
	if err != nil || n < 0 {
		return nil, domain.Malformed(PartHeader, "a part needs the header %s with its number (0 for the first), not %q", PartHeader, req.Headers().Get(PartHeader))
	}
	s.up.mu.Lock()
	u := s.up.open[id]
	s.up.mu.Unlock()
	if u == nil {
		return nil, &domain.Error{Kind: domain.KindNotFound, Field: UploadHeader, Msg: fmt.Sprintf("upload %q is not open on this service instance: it was completed, or dropped after %s without a part; start the import again", id, s.opt.UploadIdle)}
	}
	if sender(req) != u.sender {
		return nil, &domain.Error{Kind: domain.KindUnauthorized, Field: UploadHeader, Msg: fmt.Sprintf("upload %q belongs to another caller: send its parts with the credentials that opened it", id)}
	}
	data := req.Data()
	u.mu.Lock()
	switch {
	case u.done:
		u.mu.Unlock()
		return nil, &domain.Error{Kind: domain.KindNotFound, Field: UploadHeader, Msg: fmt.Sprintf("upload %q is over: start the import again", id)}
	case n == u.next-1 && len(data) == u.last:
		// The answer to this part was lost and it was sent again.
		ack := Upload{Upload: id, Subject: s.partSubject, Size: u.size, Received: len(u.data), Part: MaxRequest}
		u.mu.Unlock()
		return ack, nil
	case n != u.next:
		u.mu.Unlock()
		return nil, domain.Malformed(PartHeader, "part %d of upload %q came, part %d was expected: send the parts in order, each once the previous one is answered", n, id, u.next)
	case len(u.data)+len(data) > u.size:
		u.mu.Unlock()
		s.drop(u)
		return nil, domain.Malformed("size", "upload %q is larger than the %d bytes it was opened with: it is dropped; open it again with its size", id, u.size)
	}
	if u.data == nil {
		// Once, the size declared (and reserved): appends never copy.
		u.data = make([]byte, 0, u.size)
	}
	u.data = append(u.data, data...)
	u.next, u.last = n+1, len(data)
	if len(u.data) < u.size {
		u.timer.Reset(s.opt.UploadIdle)
		ack := Upload{Upload: id, Subject: s.partSubject, Size: u.size, Received: len(u.data), Part: MaxRequest}
		u.mu.Unlock()
		return ack, nil
	}
	u.done = true
	u.timer.Stop()
	doc := u.data
	u.data = nil
	u.mu.Unlock()
	s.up.mu.Lock()
	delete(s.up.open, id)
	s.up.mu.Unlock()
	// The reservation is held until the import is done with the bytes.
	defer s.release(u.size)
	relay, err := s.relay(req)
	if err != nil {
		return nil, err
	}
	return s.doImport(ctx, doc, relay)
}

// expire drops an upload whose next part did not come in time.
func (s *Service) expire(u *upload) {
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return
	}
	u.mu.Unlock()
	s.opt.Logf("ledger service: upload %s dropped: no part for %s", u.id, s.opt.UploadIdle)
	s.drop(u)
}

// drop ends an upload and frees what it held.
func (s *Service) drop(u *upload) {
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return
	}
	u.done, u.data = true, nil
	if u.timer != nil {
		u.timer.Stop()
	}
	u.mu.Unlock()
	s.up.mu.Lock()
	if _, open := s.up.open[u.id]; open {
		delete(s.up.open, u.id)
		s.up.held -= u.size
	}
	s.up.mu.Unlock()
}

func (s *Service) release(n int) {
	s.up.mu.Lock()
	s.up.held -= n
	s.up.mu.Unlock()
}

// dropUploads ends every open upload (the service stops).
func (s *Service) dropUploads() {
	s.up.mu.Lock()
	open := make([]*upload, 0, len(s.up.open))
	for _, u := range s.up.open {
		open = append(open, u)
	}
	s.up.mu.Unlock()
	for _, u := range open {
		s.drop(u)
	}
}

// sender names who sent req, as the NATS server says (its account and
// user), "" for a request from the store's own account.
func sender(req micro.Request) string {
	h := req.Headers().Get(requestInfoHeader)
	if h == "" {
		return ""
	}
	var ri requestInfo
	if err := json.Unmarshal([]byte(h), &ri); err != nil {
		return h // compared as it is: the same sender sends the same
	}
	return ri.Account + "/" + ri.User
}

func tooLargeImport(n int) error {
	return domain.Invalid("files", "the import is %s as sent (its files in base64), over the %s the ledger service takes in one import: "+
		"split the export into several files and import them in turn (each import records only what is new), or stop \"ledger serve\" and import without it",
		sizeText(int64(n)), sizeText(command.MaxImport))
}
