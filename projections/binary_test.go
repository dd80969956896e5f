package projections

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binaryFold is one of the states with a binary snapshot.
type binaryFold interface {
	AppendBinary([]byte) ([]byte, error)
	UnmarshalBinary([]byte) error
	MarshalSnapshot() ([]byte, error)
}

// binaryProjection is one of the folds with a binary snapshot.
type binaryProjection interface {
	Projection
	binaryFold
}

// stateOf is the state a fold's snapshot holds.
func stateOf(p binaryFold) any {
	switch x := p.(type) {
	case *Backlog:
		return x.snapshotState()
	case *Roadmap:
		return x.st
	case *Requests:
		return x.st
	case *Gate:
		return *x
	}
	panic(fmt.Sprintf("no state for %T", p))
}

// roundTrip restores p's binary snapshot into fresh and requires the same
// state, the same JSON snapshot and the same bytes when written again.
func roundTrip(t *testing.T, p, fresh binaryFold) {
	t.Helper()
	b, err := p.AppendBinary(nil)
	require.NoError(t, err)
	require.NoError(t, fresh.UnmarshalBinary(b))
	if _, ok := p.(*Gate); !ok {
		assert.Equal(t, stateOf(p), stateOf(fresh), "%T: the same state", p)
	}
	want, err := p.MarshalSnapshot()
	require.NoError(t, err)
	got, err := fresh.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "%T: the same JSON snapshot", p)
	again, err := fresh.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, b, again, "%T: the same bytes again", p)
}

// TestBinaryRandomHistories cuts random histories at many points,
// restores each fold from its binary snapshot there, folds the rest into
// both and requires the restored fold to end where the uninterrupted
// one does.
func TestBinaryRandomHistories(t *testing.T) {
	for seed := int64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint("Seed", seed), func(t *testing.T) {
			m := &model{r: rand.New(rand.NewSource(seed)), b: newBuilder(), status: map[string]Status{},
				period: map[string]string{}, dropped: map[string]bool{}, reqStatus: map[string]RequestStatus{},
				churn: map[string]int{}}
			m.b.product()
			for len(m.b.events) < 400 {
				m.step()
			}
			events := m.b.events
			for _, cut := range []int{0, 1, 37, len(events) / 2, len(events) - 1, len(events)} {
				for _, mk := range []func() binaryProjection{
					func() binaryProjection { return NewBacklog() },
					func() binaryProjection { return NewRoadmap() },
					func() binaryProjection { return NewRequests() },
				} {
					whole, head, resumed := mk(), mk(), mk()
					applyAll(whole, events)
					applyAll(head, events[:cut])
					roundTrip(t, head, resumed)
					applyAll(resumed, events)
					want, err := whole.MarshalSnapshot()
					require.NoError(t, err)
					got, err := resumed.MarshalSnapshot()
					require.NoError(t, err)
					require.Equal(t, string(want), string(got), "%T resumed at %d of %d", whole, cut, len(events))
				}
			}
			g := NewGate()
			for _, e := range events {
				g.Admit(e)
			}
			roundTrip(t, g, NewGate())
		})
	}
}

// fill sets every field of v, recursively, to a value that is not the
// zero value and differs from its neighbours': two elements in each
// slice, two entries in each map. A field a codec forgets then fails
// TestBinaryEveryField.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Int, reflect.Int64:
		if v.Type() == reflect.TypeFor[time.Duration]() {
			v.SetInt(int64(*n) * int64(time.Second))
			return
		}
		v.SetInt(int64(*n))
	case reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n)
			fill(e, n)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 1, 10, 0, *n, *n, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	default:
		panic(fmt.Sprintf("fill: a %s field: teach fill, and the binary codec, about it", v.Type()))
	}
}

// TestBinaryEveryField fills every field of every state the binary
// snapshots hold, nil and empty slices and maps aside, and requires a
// round trip to give it back: a field added to a state and not to its
// codec fails here (then bump CodecVersion too).
func TestBinaryEveryField(t *testing.T) {
	n := 0
	b := NewBacklog()
	fill(reflect.ValueOf(&b.st).Elem(), &n)
	r := NewRoadmap()
	fill(reflect.ValueOf(&r.st).Elem(), &n)
	q := NewRequests()
	fill(reflect.ValueOf(&q.st).Elem(), &n)
	for _, p := range []binaryFold{b, r, q} {
		fresh := reflect.New(reflect.TypeOf(p).Elem()).Interface().(binaryFold)
		bin, err := p.AppendBinary(nil)
		require.NoError(t, err)
		require.NoError(t, fresh.UnmarshalBinary(bin))
		assert.Equal(t, stateOf(p), stateOf(fresh), "%T", p)
	}

	g := NewGate()
	g.count = 7
	fill(reflect.ValueOf(&g.list).Elem(), &n)
	bin, err := g.AppendBinary(nil)
	require.NoError(t, err)
	fresh := NewGate()
	require.NoError(t, fresh.UnmarshalBinary(bin))
	assert.Equal(t, *g, *fresh)

	// Nil and empty come back as they were.
	b.st.Items["s1"] = nil
	for _, it := range b.st.Items {
		if it != nil {
			it.LastDecision.Overrides = []Override{}
			it.Score.Inputs = nil
		}
	}
	b.st.Open, b.st.Closed = nil, []string{}
	again := NewBacklog()
	bin, err = b.AppendBinary(nil)
	require.NoError(t, err)
	require.NoError(t, again.UnmarshalBinary(bin))
	assert.Equal(t, stateOf(b), stateOf(again))
}

// TestBinaryRefused: a binary snapshot of another fold or codec version
// fails with ErrSnapshotVersion, a cut or padded one with an error, and
// neither changes the fold.
func TestBinaryRefused(t *testing.T) {
	m := &model{r: rand.New(rand.NewSource(3)), b: newBuilder(), status: map[string]Status{},
		period: map[string]string{}, dropped: map[string]bool{}, reqStatus: map[string]RequestStatus{},
		churn: map[string]int{}}
	m.b.product()
	for len(m.b.events) < 200 {
		m.step()
	}
	for _, p := range []binaryProjection{NewBacklog(), NewRoadmap(), NewRequests()} {
		applyAll(p, m.b.events)
		bin, err := p.AppendBinary(nil)
		require.NoError(t, err)
		before, err := p.MarshalSnapshot()
		require.NoError(t, err)

		e := newEnc(nil)
		e.header("backlog/0")
		require.ErrorIs(t, p.UnmarshalBinary(e.b), ErrSnapshotVersion, "%T", p)
		e = newEnc(nil)
		e.str(p.(interface{ Version() string }).Version())
		e.str("bin/0")
		require.ErrorIs(t, p.UnmarshalBinary(e.b), ErrSnapshotVersion, "%T", p)
		for i := range len(bin) {
			require.Error(t, p.UnmarshalBinary(bin[:i]), "%T cut at %d of %d", p, i, len(bin))
		}
		require.Error(t, p.UnmarshalBinary(append(append([]byte{}, bin...), 0)), "%T with a byte left over", p)
		for i := range len(bin) {
			flipped := append([]byte{}, bin...)
			flipped[i] ^= 0xff
			_ = NewBacklog().UnmarshalBinary(flipped) // may decode to another state; must not panic
		}
		after, err := p.MarshalSnapshot()
		require.NoError(t, err)
		assert.Equal(t, string(before), string(after), "%T: a refused snapshot leaves the fold as it was", p)
	}
}
