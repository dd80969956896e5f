package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/decisionledger/ledger/access"
	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
)

// Importer records imports; *command.Handler is one.
type Importer interface {
	// Import reads an export and records what the product does not hold
	// yet, returning once it is durable. Refusals are *domain.Error
	// values. Safe for concurrent use.
	Import(ctx context.Context, r command.ImportRequest) (command.ImportSummary, error)
}

// MaxImportBody bounds the body of an import unless Config.MaxImport
// says otherwise, well beyond MaxBody: an export of years of a tracker's
// history is tens of megabytes.
const MaxImportBody = command.MaxImport

// importParams are the query parameters of an import.
var importParams = []string{"format", "dryRun", "url"}

// crossOrigin refuses a browser's request from a page of another site.
var crossOrigin = http.NewCrossOriginProtection()

// serveImport answers POST /api/v1/products/{p}/imports: the export is
// the body (JSON or JSON lines), or the parts "export" (one or more) and
// "map" of a multipart form, as curl -F sends them. The answer is the
// summary: 201 when events were written, 200 when nothing was new (or on
// a dry run).
func (s *Server) serveImport(w http.ResponseWriter, r *http.Request) {
	req, err := s.decodeImport(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.cfg.Imports == nil {
		s.writeError(w, r, domain.Invalid("", "this server takes no imports"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), command.ImportTimeout)
	defer cancel()
	sum, err := s.cfg.Imports.Import(ctx, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if !req.DryRun && sum.Written > 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, sum)
}

// decodeImport checks who sends the import and reads it.
func (s *Server) decodeImport(w http.ResponseWriter, r *http.Request) (command.ImportRequest, error) {
	req := command.ImportRequest{Product: r.PathValue("p")}
	// A form from another site could post an export in local mode, where
	// no token is needed: no browser page but the ledger's own may.
	if err := crossOrigin.Check(r); err != nil {
		return req, &domain.Error{Kind: domain.KindUnauthorized, Field: "Origin",
			Msg: "an import may not come from a page of another site: send it with curl, the ledger CLI or a script of your own"}
	}
	if strings.TrimSpace(r.Header.Get("X-Ledger-Actor")) != "" {
		return req, domain.Malformed("X-Ledger-Actor", "an import names no actor: it records the decisions of the people its export names, with the map's importer as the PM; leave X-Ledger-Actor out")
	}
	if id := identityOf(r); id != nil {
		var err error
		if req.RelayedBy, err = access.Relay(id, "import"); err != nil {
			return req, err
		}
	}
	for name, vals := range r.URL.Query() {
		switch {
		case !oneOf(name, importParams):
			return req, domain.Malformed(name, "unknown parameter %q: an import takes %s", name, strings.Join(importParams, ", "))
		case len(vals) > 1:
			return req, domain.Malformed(name, "parameter %q is given %d times: give it once", name, len(vals))
		case name == "format":
			req.Format = vals[0]
		case name == "url":
			req.URL = vals[0]
		case name == "dryRun":
			b, err := strconv.ParseBool(vals[0])
			if err != nil {
				return req, domain.Malformed(name, "dryRun must be true or false, not %q", vals[0])
			}
			req.DryRun = b
		}
	}
	if req.Format == "" {
		return req, domain.Malformed("format", "say which tracker the export comes from: ?format=%s", strings.Join(command.ImportFormats(), "|"))
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxImport)
	media, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch media {
	case "multipart/form-data":
		if err := s.readImportForm(multipart.NewReader(body, params["boundary"]), &req); err != nil {
			return req, err
		}
	case "application/x-www-form-urlencoded":
		return req, domain.Malformed("Content-Type", "send the export as the body, or as a multipart form with the parts export and map (curl -F export=@bugs.jsonl -F map=@map.json)")
	default:
		b, err := s.readAll(body, "the body")
		if err != nil {
			return req, err
		}
		if len(strings.TrimSpace(string(b))) == 0 {
			return req, domain.Malformed("", "the body is empty: send the export as the body (curl --data-binary @bugs.jsonl), or as a multipart form with the parts export and map")
		}
		req.Files = [][]byte{b}
	}
	return req, nil
}

// readImportForm reads the parts of a multipart import: "export", once or
// more, and "map", at most once.
func (s *Server) readImportForm(mr *multipart.Reader, req *command.ImportRequest) error {
	gotMap := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.formError(err)
		}
		name := p.FormName()
		switch name {
		case "export":
			b, err := s.readAll(p, "an export")
			if err != nil {
				return err
			}
			req.Files = append(req.Files, b)
		case "map":
			if gotMap {
				return domain.Malformed("map", "the part map is given twice: give one map file")
			}
			b, err := s.readAll(p, "the map")
			if err != nil {
				return err
			}
			req.Map, gotMap = b, true
		default:
			return domain.Malformed(name, "unknown part %q: an import's form has the parts export (one or more) and map", name)
		}
	}
	if len(req.Files) == 0 {
		return domain.Malformed("export", "the form has no part export: send the export as -F export=@FILE")
	}
	return nil
}

// readAll reads what is named what, answering 413 when the body is over
// its bound.
func (s *Server) readAll(r io.Reader, what string) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, s.importTooLarge()
		}
		return nil, domain.Malformed("", "cannot read %s: %s", what, err.Error())
	}
	return b, nil
}

func (s *Server) formError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return s.importTooLarge()
	}
	return domain.Malformed("Content-Type", "the multipart form cannot be read (%s): send it as curl -F export=@FILE -F map=@FILE does", err.Error())
}

func (s *Server) importTooLarge() error {
	return &edgeError{status: http.StatusRequestEntityTooLarge, kind: "too large",
		msg: fmt.Sprintf("the import is larger than %s: split the export into several files and import them in turn (each import records only what is new)", bytesText(s.cfg.MaxImport))}
}

// bytesText is a bound for people: "256 MiB", "100 bytes".
func bytesText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
