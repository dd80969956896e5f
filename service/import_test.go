package service_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/decisionledger/ledger/command"
	"github.com/decisionledger/ledger/domain"
	"github.com/decisionledger/ledger/importer/importertest"
	"github.com/decisionledger/ledger/service"
)

// The exports the tests send: the importers' own testdata.
var (
	lifecycle = filepath.Join("..", "importer", "bugzilla", "testdata", "lifecycle.json")
	webcompat = filepath.Join("..", "importer", "github", "testdata", "github-webcompat-issues.jsonl")
	ghMap     = filepath.Join("..", "importer", "github", "testdata", "map.json")
	ghData    = filepath.Join("..", "importer", "github", "testdata")
)

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// serveWith runs a service with its own options and returns a client of
// its listener and the service's own connection, in the store's account.
func serveWith(t *testing.T, opt service.Options) (listener, own *nats.Conn) {
	t.Helper()
	s := listening(t)
	h := command.New(s, nil)
	opt.Logf = t.Logf
	svc, err := service.Start(s.Conn(), h, sized{10}, opt)
	require.NoError(t, err)
	t.Cleanup(svc.Stop)
	return client(t, s.ClientURL()), s.Conn()
}

// A small export is one request: the files in base64, as the README's
// nats req example sends them.
func TestImportInOneRequest(t *testing.T) {
	s := serve(t, false)
	nc := client(t, s.url)
	body := `{"format":"bugzilla","product":"shop","files":["` + base64.StdEncoding.EncodeToString(read(t, lifecycle)) + `"],"dryRun":true}`
	msg := request(t, nc, "ledgerapi.v1.import", body)
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var dry command.ImportSummary
	require.NoError(t, json.Unmarshal(msg.Data, &dry))
	assert.Positive(t, dry.Written, "a dry run says what it would write")
	assert.Zero(t, s.handler.LastSeq("shop"), "and writes nothing")

	msg = request(t, nc, "ledgerapi.v1.import", strings.Replace(body, `,"dryRun":true`, "", 1))
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var sum command.ImportSummary
	require.NoError(t, json.Unmarshal(msg.Data, &sum))
	assert.Equal(t, dry, sum, "the dry run's summary is the import's")
	assert.Equal(t, uint64(sum.Written), s.handler.LastSeq("shop"))
}

// An export over 1 MiB (the webcompat sample is 2 MB, 2.7 MB in base64)
// is uploaded in parts; the same import again records nothing.
func TestImportLargerThanOneRequest(t *testing.T) {
	s := serve(t, false)
	c := service.NewClient(client(t, s.url))
	r := command.ImportRequest{Format: "github", Product: "webcompat", Map: read(t, ghMap), Files: [][]byte{read(t, webcompat)}}
	require.Greater(t, len(r.Files[0]), service.MaxRequest)
	ctx := context.Background()
	// The figures importer/github/testdata/summary.py works out on its own.
	want := importertest.WantSummary(t, ghData)
	first, err := c.Import(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, want.Events, first.Written)
	assert.Equal(t, want.OutsideAuthority, first.OutsideAuthority)
	assert.Equal(t, uint64(want.Events), s.handler.LastSeq("webcompat"))

	again, err := c.Import(ctx, r)
	require.NoError(t, err)
	assert.Zero(t, again.Written, "the same import twice records nothing the second time")
	assert.Equal(t, first.Events, again.Events)
	assert.Equal(t, uint64(want.Events), s.handler.LastSeq("webcompat"))
}

func TestImportErrors(t *testing.T) {
	s := serve(t, false)
	nc := client(t, s.url)
	for _, tc := range []struct {
		name, body, code, field, msg string
	}{
		{"ErrEmpty", ``, "400", "", "the import is empty"},
		{"ErrUnknownField", `{"format":"github","product":"p","files":[],"actor":"pam"}`, "400", "actor", "an import has format, product, map, url, files and dryRun"},
		{"ErrNotBase64", `{"format":"github","product":"p","files":["{\"number\":1}"]}`, "400", "files", "files[0] is not base64"},
		{"ErrMapNotBase64", `{"format":"github","product":"p","map":"{}","files":["e30="]}`, "400", "map", "map is not base64"},
		{"ErrUnknownFormat", `{"format":"trac","product":"p","files":["e30="]}`, "400", "format", `unknown import format "trac"`},
		{"ErrNoFiles", `{"format":"github","product":"p","files":[]}`, "400", "files", "at least one github export file"},
		{"ErrExport", `{"format":"github","product":"p","files":["PGlzc3Vlcy8+"]}`, "400", "files", "the github export cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := request(t, nc, "ledgerapi.v1.import", tc.body)
			assert.Equal(t, tc.code, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
			var b service.ErrorBody
			require.NoError(t, json.Unmarshal(msg.Data, &b))
			assert.Equal(t, tc.field, b.Error.Field)
			assert.Contains(t, b.Error.Message, tc.msg)
		})
	}
}

// part sends one part of an upload.
func part(t *testing.T, nc *nats.Conn, subject, upload string, n int, data []byte) *nats.Msg {
	t.Helper()
	m := nats.NewMsg(subject)
	m.Header.Set(service.UploadHeader, upload)
	m.Header.Set(service.PartHeader, strconv.Itoa(n))
	m.Data = data
	msg, err := nc.RequestMsg(m, 10*time.Second)
	require.NoError(t, err)
	return msg
}

func openUpload(t *testing.T, nc *nats.Conn, size int) service.Upload {
	t.Helper()
	msg := request(t, nc, "ledgerapi.v1.import.upload", `{"size":`+strconv.Itoa(size)+`}`)
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var up service.Upload
	require.NoError(t, json.Unmarshal(msg.Data, &up))
	return up
}

// The upload's rules: parts in order, a part sent again after its answer
// was lost is answered again, no more bytes than declared, a bounded
// size, a bounded total held at once, and an upload left without parts
// is dropped.
func TestUploadRules(t *testing.T) {
	nc, _ := serveWith(t, service.Options{MaxUploads: 100, UploadIdle: 2 * time.Second})
	up := openUpload(t, nc, 10)
	assert.True(t, strings.HasPrefix(up.Subject, "ledgerapi.v1.import.upload."), up.Subject)
	assert.Equal(t, service.MaxRequest, up.Part)

	msg := part(t, nc, up.Subject, up.Upload, 1, []byte("ab"))
	assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader), "out of order")
	assert.Contains(t, string(msg.Data), "part 0 was expected")
	msg = part(t, nc, up.Subject, up.Upload, 0, []byte("ab"))
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	var ack service.Upload
	require.NoError(t, json.Unmarshal(msg.Data, &ack))
	assert.Equal(t, 2, ack.Received)
	msg = part(t, nc, up.Subject, up.Upload, 0, []byte("ab"))
	require.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), "a part sent again is answered again: %s", msg.Data)
	require.NoError(t, json.Unmarshal(msg.Data, &ack))
	assert.Equal(t, 2, ack.Received, "and not taken twice")

	msg = request(t, nc, "ledgerapi.v1.import.upload", `{"size":91}`)
	assert.Equal(t, "409", msg.Header.Get(micro.ErrorCodeHeader), "over the bytes held at once")
	assert.Contains(t, string(msg.Data), "retry when they are done")

	msg = part(t, nc, up.Subject, up.Upload, 1, []byte("0123456789"))
	assert.Equal(t, "400", msg.Header.Get(micro.ErrorCodeHeader))
	assert.Contains(t, string(msg.Data), "larger than the 10 bytes it was opened with")
	msg = part(t, nc, up.Subject, up.Upload, 2, []byte("c"))
	assert.Equal(t, "404", msg.Header.Get(micro.ErrorCodeHeader), "dropped: %s", msg.Data)
	openUpload(t, nc, 91) // what it held is free again

	msg = request(t, nc, "ledgerapi.v1.import.upload", `{"size":`+strconv.Itoa(command.MaxImport+1)+`}`)
	assert.Equal(t, "422", msg.Header.Get(micro.ErrorCodeHeader))
	assert.Contains(t, string(msg.Data), "over the 256.0 MiB the ledger service takes in one import")

	idle := openUpload(t, nc, 5)
	require.Eventually(t, func() bool {
		return part(t, nc, idle.Subject, idle.Upload, 0, []byte("a")).Header.Get(micro.ErrorCodeHeader) == "404"
	}, 10*time.Second, 50*time.Millisecond, "an upload without parts is dropped")
}

// The parts of an upload come from whoever opened it: here a client of
// the listener opens it, and a connection of the store's own account
// (whose requests carry no identity) sends a part.
func TestUploadPartsFromAnotherCaller(t *testing.T) {
	nc, own := serveWith(t, service.Options{})
	up := openUpload(t, nc, 10)
	msg := part(t, own, up.Subject, up.Upload, 0, []byte("ab"))
	assert.Equal(t, "403", msg.Header.Get(micro.ErrorCodeHeader), string(msg.Data))
	assert.Contains(t, string(msg.Data), "belongs to another caller")
	msg = part(t, nc, up.Subject, up.Upload, 0, []byte("ab"))
	assert.Empty(t, msg.Header.Get(micro.ErrorCodeHeader), "its opener goes on: %s", msg.Data)
}

func TestImportTooLargeIsRefusedBeforeSending(t *testing.T) {
	nc, _ := serveWith(t, service.Options{})
	_, err := service.NewClient(nc).Import(context.Background(), command.ImportRequest{Format: "github", Product: "p",
		Files: [][]byte{make([]byte, command.MaxImport)}})
	require.Error(t, err)
	assert.Equal(t, domain.KindInvalid, domain.KindOf(err))
	assert.Contains(t, err.Error(), "split the export into several files")
}

// TestNatsCLIImport sends an import with the real nats CLI, as the
// README shows.
func TestNatsCLIImport(t *testing.T) {
	bin, err := exec.LookPath("nats")
	if err != nil {
		t.Skip("the nats CLI is not installed: go install github.com/nats-io/natscli/nats@v0.5.0")
	}
	s := serve(t, false)
	body := `{"format":"bugzilla","product":"shop","files":["` + base64.StdEncoding.EncodeToString(read(t, lifecycle)) + `"]}`
	out, err := exec.Command(bin, "--server", s.url, "req", "ledgerapi.v1.import", body).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), `"written":`)
	assert.Positive(t, s.handler.LastSeq("shop"))
}
