package domain

import (
	"fmt"
	"maps"
	"slices"
)

// Fold is how a fold dispatches on an event's type: one case per event
// type of the catalogue, either a function that folds an event of that
// type into S, or an explicit skip. A fold that has no case for a type
// does nothing with its events, as a skip does, but Missing names the
// type: every package's catalogue test requires each of its folds to
// miss none, so that a new event type cannot go unnoticed by a fold that
// should have handled it.
//
// A Fold is built once, when its package loads, and is safe for
// concurrent use.
type Fold[S any] struct {
	name  string
	cases map[string]func(S, Event)
	skips map[string]bool
	kinds []AggregateKind
}

// Case is one or more event types' case of a Fold: On, Skip or SkipKinds.
type Case[S any] struct {
	types []string
	kinds []AggregateKind
	fn    func(S, Event)
}

// On is the case of the event type whose payload is P: fn folds an event
// of that type into S, with its payload.
func On[S any, P Payload](fn func(S, Event, P)) Case[S] {
	var zero P
	return Case[S]{types: []string{zero.EventType()}, fn: func(s S, e Event) {
		if p, ok := e.Data.(P); ok {
			fn(s, e, p)
		}
	}}
}

// Skip says that the fold has nothing to do for events of these types.
func Skip[S any](types ...string) Case[S] { return Case[S]{types: types} }

// SkipKinds says that the fold has nothing to do for any event about an
// aggregate of these kinds: a fold of requests skips what happens to
// backlog items, and every type added about one.
func SkipKinds[S any](kinds ...AggregateKind) Case[S] { return Case[S]{kinds: kinds} }

// NewFold builds the fold named name (as Missing reports it) from its
// cases. A type given two cases is a mistake in the fold's declaration:
// it panics when the package loads.
func NewFold[S any](name string, cases ...Case[S]) *Fold[S] {
	f := &Fold[S]{name: name, cases: map[string]func(S, Event){}, skips: map[string]bool{}}
	for _, c := range cases {
		f.kinds = append(f.kinds, c.kinds...)
		for _, t := range c.types {
			if _, dup := f.cases[t]; dup || f.skips[t] {
				panic(fmt.Sprintf("domain: fold %q has two cases for %s", name, t))
			}
			if c.fn == nil {
				f.skips[t] = true
			} else {
				f.cases[t] = c.fn
			}
		}
	}
	return f
}

// Apply folds e into s with the case of its payload's type, and reports
// whether a case (not a skip) folded it.
func (f *Fold[S]) Apply(s S, e Event) bool {
	if e.Data == nil {
		return false
	}
	fn := f.cases[e.Data.EventType()]
	if fn == nil {
		return false
	}
	fn(s, e)
	return true
}

// Handles reports whether the fold has a case that folds events of type
// typ (not a skip).
func (f *Fold[S]) Handles(typ string) bool { return f.cases[typ] != nil }

// Skips reports whether the fold says it has nothing to do for events of
// type typ, by type or by kind.
func (f *Fold[S]) Skips(typ string) bool {
	return f.skips[typ] || slices.Contains(f.kinds, KindOfType(typ))
}

// Name is the fold's name.
func (f *Fold[S]) Name() string { return f.name }

// Missing lists the catalogue's event types the fold has no case for,
// and, after them, the types it has a case for that are not in the
// catalogue (with " (not in the catalogue)" after each): both empty for
// a fold that says what it does with every event type.
func (f *Fold[S]) Missing() []string {
	var out []string
	for _, s := range catalogue.list {
		if !f.Handles(s.Type) && !f.Skips(s.Type) {
			out = append(out, s.Type)
		}
	}
	known := append(slices.Collect(maps.Keys(f.cases)), slices.Collect(maps.Keys(f.skips))...)
	slices.Sort(known)
	for _, t := range known {
		if _, ok := catalogue.byType[t]; !ok {
			out = append(out, t+" (not in the catalogue)")
		}
	}
	return out
}
