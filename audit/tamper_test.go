package audit

import (
	"bytes"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/decisionledger/ledger/eventstore/eventstoretest"
	"github.com/decisionledger/ledger/stored"
)

// TestTamperDetected writes the demo history, signs a checkpoint of it
// (kept as a file, as an auditor would, and published with its leaf
// hashes), then rewrites the LEDGER stream behind the ledger's back in
// each way an intruder with access to the account or the files could, and
// verifies: each change fails, naming the first bad sequence.
func TestTamperDetected(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	orig := readRaws(t, s)
	require.Len(t, orig, eventstoretest.DemoEvents)

	signed, cp, err := SignNow(ctx, s, key)
	require.NoError(t, err)
	require.Equal(t, int64(eventstoretest.DemoEvents), cp.Size)
	records := readRecordsOf(t, s)
	kept := CheckpointFile{Source: "kept.txt", Signed: signed}

	// A message an intruder adds: a valid-looking event with a new id.
	extra := withHeader(orig[118], stored.HeaderMsgID, "01KINSERTEDEVENTXXXXXXXXXX")
	extra.Data = bytes.Replace(extra.Data, []byte(orig[118].Header[stored.HeaderMsgID][0]), []byte("01KINSERTEDEVENTXXXXXXXXXX"), 1)

	edited := slices.Clone(orig)
	// Backdate decision 42, the kind of edit an auditor fears.
	edited[41].Data = bytes.Replace(orig[41].Data, []byte(`"occurredAt":"2026-`), []byte(`"occurredAt":"2025-`), 1)
	require.NotEqual(t, orig[41].Data, edited[41].Data, "the edit changes event 42")

	retyped := slices.Clone(orig)
	retyped[9] = withHeader(orig[9], stored.HeaderType, "RequestAccepted")

	swapped := slices.Clone(orig)
	swapped[49], swapped[50] = orig[50], orig[49]

	cases := []struct {
		name     string
		msgs     []stored.Raw
		remove   []uint64
		wipe     bool // the intruder also deletes the published leaf hashes
		files    []CheckpointFile
		firstBad uint64
		kind     string
		msg      string
	}{
		{name: "OKUntouched", msgs: orig},
		{name: "OKAppendedAfterCheckpoint", msgs: append(slices.Clone(orig), extra)},
		{name: "ErrEditedPayload", msgs: edited, firstBad: 42, kind: ProblemChanged, msg: "the event at sequence 42 is not the one checkpoint"},
		{name: "ErrEditedHeader", msgs: retyped, firstBad: 10, kind: ProblemChanged},
		{name: "ErrRemovedRenumbered", msgs: slices.Delete(slices.Clone(orig), 99, 100), firstBad: 100, kind: ProblemChanged},
		{name: "ErrRemovedGap", msgs: orig, remove: []uint64{77}, firstBad: 77, kind: ProblemRemoved, msg: "sequence 77 is missing from the stream"},
		{name: "ErrRemovedLast", msgs: orig, remove: []uint64{eventstoretest.DemoEvents}, firstBad: eventstoretest.DemoEvents, kind: ProblemRemoved},
		{name: "ErrRemovedFirstTwo", msgs: orig, remove: []uint64{1, 2}, firstBad: 1, kind: ProblemRemoved, msg: "sequences 1 to 2 are missing"},
		{name: "ErrSwapped", msgs: swapped, firstBad: 50, kind: ProblemChanged},
		{name: "ErrInserted", msgs: slices.Insert(slices.Clone(orig), 119, extra), firstBad: 120, kind: ProblemChanged},
		{name: "ErrTruncated", msgs: orig[:150], firstBad: 151, kind: ProblemTruncated, msg: "sequences 151 to 163 were removed"},
		{name: "ErrEditedAndLeavesWiped", msgs: edited, wipe: true, firstBad: 1, kind: ProblemChanged, msg: "between sequences 1 and 163"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, eventstoretest.ReplaceLedger(ctx, s, tc.msgs, tc.remove...))
			if tc.wipe {
				require.NoError(t, eventstoretest.ReplaceCheckpoints(ctx, s, nil))
				t.Cleanup(func() { require.NoError(t, eventstoretest.ReplaceCheckpoints(ctx, s, records)) })
			}
			var progress uint64
			rep, err := Verify(ctx, s, VerifyOptions{
				Verifiers:   []note.Verifier{verifier},
				Checkpoints: append([]CheckpointFile{kept}, tc.files...),
				Progress:    func(done, total uint64) { progress = total },
			})
			require.NoError(t, err)
			assert.Equal(t, uint64(rep.Size), progress, "progress reaches the stream's end")
			if tc.firstBad == 0 {
				require.NoError(t, rep.Err(), "problems: %+v", rep.Problems)
				assert.Empty(t, rep.Problems)
				return
			}
			require.Error(t, rep.Err())
			var te *TamperError
			require.ErrorAs(t, rep.Err(), &te)
			assert.Equal(t, tc.firstBad, rep.FirstBad(), "first bad sequence; problems: %+v", rep.Problems)
			assert.Equal(t, tc.kind, te.Kind)
			assert.Contains(t, rep.Err().Error(), "sequence")
			if tc.msg != "" {
				assert.Contains(t, rep.Err().Error(), tc.msg)
			}
			assert.NotContains(t, rep.Err().Error(), "\n")
		})
	}

	// The ledger restored, it verifies again: the rewrites above were the
	// only cause of the failures.
	require.NoError(t, eventstoretest.ReplaceLedger(ctx, s, orig))
	rep, err := Verify(ctx, s, VerifyOptions{Verifiers: []note.Verifier{verifier}, Checkpoints: []CheckpointFile{kept}})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	require.Len(t, rep.Checkpoints, 2, "the kept file and the published copy")
	for _, c := range rep.Checkpoints {
		assert.True(t, c.OK, "%+v", c)
	}
}

// TestTamperLocatedBetweenCheckpoints: with the leaf hashes gone, a change
// is located between the last checkpoint the stream still matches and the
// first it does not.
func TestTamperLocatedBetweenCheckpoints(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	orig := readRaws(t, s)
	tree := treeOf(orig)
	files := []CheckpointFile{
		{Source: "q1.txt", Signed: signTree(t, key, tree, 100)},
		{Source: "q2.txt", Signed: signTree(t, key, tree, eventstoretest.DemoEvents)},
	}
	edited := slices.Clone(orig)
	edited[119].Data = append(slices.Clone(orig[119].Data), ' ')
	require.NoError(t, eventstoretest.ReplaceLedger(ctx, s, edited))

	rep, err := Verify(ctx, s, VerifyOptions{Verifiers: []note.Verifier{verifier}, Checkpoints: files})
	require.NoError(t, err)
	var te *TamperError
	require.ErrorAs(t, rep.Err(), &te)
	assert.Equal(t, uint64(101), te.Seq)
	assert.Equal(t, uint64(eventstoretest.DemoEvents), te.To)
	assert.Contains(t, te.Error(), "between sequences 101 and 163")
	assert.True(t, rep.Checkpoints[0].OK, "the stream still matches q1")
	assert.False(t, rep.Checkpoints[1].OK)
}

// TestForgedAndInconsistentCheckpoints: checkpoints that are not signed by
// the ledger's key, or that cannot both describe one history, fail
// verification of an untouched ledger.
func TestForgedAndInconsistentCheckpoints(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	otherKey, _ := testKey(t, DefaultOrigin)
	orig := readRaws(t, s)
	tree := treeOf(orig)
	good := signTree(t, key, tree, eventstoretest.DemoEvents)

	// A history in which event 42 says something else, signed with the
	// ledger's own key (a stolen key, or an operator rewriting history).
	other := slices.Clone(orig)
	other[41].Data = append(slices.Clone(orig[41].Data), ' ')
	otherTree := treeOf(other)

	edited := bytes.Replace(good, []byte("\n163\n"), []byte("\n162\n"), 1)
	require.NotEqual(t, good, edited)

	cases := []struct {
		name  string
		files []CheckpointFile
		kind  string
		msg   string
	}{
		{"OK", []CheckpointFile{{Source: "good", Signed: good}}, "", ""},
		{"ErrOtherKey", []CheckpointFile{{Source: "good", Signed: good}, {Source: "forged", Signed: signTree(t, otherKey, tree, eventstoretest.DemoEvents)}}, ProblemSignature, "forged: checkpoint signature not valid: not signed by key"},
		{"ErrEditedText", []CheckpointFile{{Source: "edited", Signed: edited}}, ProblemSignature, "does not match the text"},
		{"ErrGarbage", []CheckpointFile{{Source: "garbage", Signed: []byte("hello\n")}}, ProblemSignature, "malformed"},
		{"ErrSameSizeDisagree", []CheckpointFile{{Source: "good", Signed: good}, {Source: "other", Signed: signTree(t, key, otherTree, eventstoretest.DemoEvents)}}, ProblemInconsistent, "cover the same 163 events with different roots"},
		{"ErrNotAPrefix", []CheckpointFile{{Source: "other", Signed: signTree(t, key, otherTree, 120)}, {Source: "good", Signed: good}}, ProblemInconsistent, "checkpoint other (size 120) is not a prefix of checkpoint good (size 163)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Verify(ctx, s, VerifyOptions{Verifiers: []note.Verifier{verifier}, Checkpoints: tc.files})
			require.NoError(t, err)
			if tc.kind == "" {
				require.NoError(t, rep.Err())
				return
			}
			require.Error(t, rep.Err())
			var found bool
			for _, p := range rep.Problems {
				if p.Kind == tc.kind {
					found = true
					assert.Contains(t, p.Msg, tc.msg)
				}
			}
			assert.True(t, found, "a %s problem among %+v", tc.kind, rep.Problems)
		})
	}
}

func TestVerifyNeedsACheckpoint(t *testing.T) {
	s := eventstoretest.Demo(t)
	_, verifier := testKey(t, DefaultOrigin)
	rep, err := Verify(eventstoretest.Context(t), s, VerifyOptions{Verifiers: []note.Verifier{verifier}})
	require.NoError(t, err)
	assert.ErrorIs(t, rep.Err(), ErrNoCheckpoint)
}

// TestVerifyWarnsAboutNonEvents: a message that is not a ledger event is in
// the tree like any other, and reported.
func TestVerifyWarnsAboutNonEvents(t *testing.T) {
	ctx := eventstoretest.Context(t)
	s := eventstoretest.Demo(t)
	key, verifier := testKey(t, DefaultOrigin)
	orig := readRaws(t, s)
	junk := stored.Raw{Subject: "ledger.checkout.item.JUNK", Data: []byte("not json"),
		Header: map[string][]string{stored.HeaderMsgID: {"junk-1"}}}
	require.NoError(t, eventstoretest.ReplaceLedger(ctx, s, append(slices.Clone(orig), junk)))
	_, _, err := SignNow(ctx, s, key)
	require.NoError(t, err)
	rep, err := Verify(ctx, s, VerifyOptions{Verifiers: []note.Verifier{verifier}})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
	require.Len(t, rep.Warnings, 1)
	assert.Equal(t, uint64(eventstoretest.DemoEvents+1), rep.Warnings[0].Seq)
	assert.Contains(t, rep.Warnings[0].Msg, "not a ledger event: 8 bytes of text that is not JSON", "the validating fold's own reason")
}
