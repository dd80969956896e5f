package query

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/decisionledger/ledger/domain"
)

// Param is one option of a view as every edge spells it. Name is its
// JSON name in Options, which is also the NATS service's field and the
// HTTP API's query parameter; the CLI's flag is Name in kebab case
// (plannedAsOf is --planned-as-of). Its type is the type of that field
// of Options: text, a repeatable list of text, true or false, or a
// number.
type Param struct {
	Name string
	// Doc says what the option does, for --help and the OpenAPI document.
	Doc string
	// Values lists the values the option takes when they are a closed set.
	Values []string
	// Accept, when set, says whether a value is one of Values written
	// another way (an event type name for its short name), and Other
	// says what those other ways are.
	Accept func(string) bool
	Other  string
	// Subject marks the option that names what the view is about (why's
	// id): a positional argument in the CLI, a segment of the HTTP path.
	Subject bool
	// Required marks an option the view cannot answer without.
	Required bool
	// Hidden keeps the option off the CLI (minSeq: the CLI waits for its
	// own writes by itself).
	Hidden bool

	field int // the index of its field in Options
}

// The kinds of value an option takes, from its field of Options.
const (
	KindText   = "text"
	KindList   = "list" // repeatable text
	KindBool   = "bool"
	KindNumber = "number"
)

// Kind says what the option takes: KindText, KindList, KindBool or
// KindNumber.
func (p Param) Kind() string {
	switch optionsType.Field(p.field).Type.Kind() {
	case reflect.Slice:
		return KindList
	case reflect.Bool:
		return KindBool
	case reflect.Int, reflect.Uint64:
		return KindNumber
	}
	return KindText
}

// Flag is the option's CLI flag, without the dashes.
func (p Param) Flag() string {
	var b strings.Builder
	for _, r := range p.Name {
		if unicode.IsUpper(r) {
			b.WriteByte('-')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Allowed is the values the option takes when they are a closed set (true
// and false for a flag), nil when any text is taken.
func (p Param) Allowed() []string {
	if p.Kind() == KindBool {
		return []string{"true", "false"}
	}
	return p.Values
}

// Valid reports whether the option takes the value: any value when it
// takes any text, else one of Allowed (or one Accept takes).
func (p Param) Valid(value string) bool {
	allowed := p.Allowed()
	return allowed == nil || slices.Contains(allowed, value) || (p.Accept != nil && p.Accept(value))
}

// Refusal says why the value is refused, naming the option as an edge
// spells it (status, --status) and the values it takes.
func (p Param) Refusal(name, value string) string {
	msg := fmt.Sprintf("%s %q is not one of %s", name, value, strings.Join(p.Allowed(), ", "))
	if p.Other != "" {
		msg += ", or " + p.Other
	}
	return msg
}

// Get returns the option's value in o as text, each value of a list
// apart; nil when it is not set.
func (p Param) Get(o Options) []string {
	f := reflect.ValueOf(o).Field(p.field)
	switch p.Kind() {
	case KindList:
		return slices.Clone(f.Interface().([]string))
	case KindBool:
		if f.Bool() {
			return []string{"true"}
		}
	case KindNumber:
		if !f.IsZero() {
			return []string{fmt.Sprint(f.Interface())}
		}
	default:
		if s := f.String(); s != "" {
			return []string{s}
		}
	}
	return nil
}

// Set sets the option in o from text as an edge received it (a list
// option is added to); a value of the wrong type is a KindMalformed
// error naming the option.
func (p Param) Set(o *Options, value string) error {
	f := reflect.ValueOf(o).Elem().Field(p.field)
	switch p.Kind() {
	case KindList:
		f.Set(reflect.Append(f, reflect.ValueOf(value)))
	case KindBool:
		if !p.Valid(value) { // true or false: not 1, not yes, as the document says
			return domain.Malformed(p.Name, "%s", p.Refusal(p.Name, value))
		}
		f.SetBool(value == "true")
	case KindNumber:
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil || (f.Kind() == reflect.Int && n > 1<<31) {
			return domain.Malformed(p.Name, "%s must be a whole number, not %q", p.Name, value)
		}
		if f.Kind() == reflect.Int {
			f.SetInt(int64(n))
		} else {
			f.SetUint(n)
		}
	default:
		f.SetString(value)
	}
	return nil
}

// View describes one view: its name, its options, its answer and the
// forms it takes. Every edge is derived from the catalogue of views (the
// CLI's flags, the NATS service's endpoints, the HTTP API's routes, its
// OpenAPI document, the CSV downloads), so adding a view is adding an
// entry here.
type View struct {
	Name string
	// Doc says what the view answers, in one line.
	Doc string
	// Params are the options the view takes besides the product.
	Params []Param
	// Ledger marks a view of the whole ledger rather than of one product.
	Ledger bool
	// Answer is a zero answer, of the type the view answers with.
	Answer any
	// Cache says that an answer for now is a function of the product's
	// position and its options, and worth keeping while the position
	// holds (the HTTP API keeps the encoded answer).
	Cache bool

	answer func(ctx context.Context, s *Service, o Options) (any, error)
	csv    func(answer any) (header []string, rows [][]string)
	// pages, for a list, says how its pages add up; such a view takes
	// limit and after, and its answer carries a Page.
	pages *pager
}

// Param returns the view's option of that name.
func (v *View) Param(name string) (Param, bool) {
	for _, p := range v.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// HasCSV reports whether the view has a CSV form.
func (v *View) HasCSV() bool { return v.csv != nil }

// CSV returns the header and rows of an answer of the view in its CSV
// form (RFC 4180 through WriteCSV).
func (v *View) CSV(answer any) (header []string, rows [][]string, err error) {
	if v.csv == nil {
		return nil, nil, domain.Malformed("format", "the %s view has no CSV form: CSV is offered for %s", v.Name, strings.Join(csvViews(), ", "))
	}
	header, rows = v.csv(answer)
	if rows == nil {
		rows = [][]string{}
	}
	return header, rows, nil
}

func csvViews() []string {
	var out []string
	for _, v := range catalogue {
		if v.HasCSV() {
			out = append(out, v.Name)
		}
	}
	return out
}

// Check refuses options the view does not take, and values an option
// does not take (a status that is no status), naming the first: both are
// a KindMalformed error, a 400 on the service and the HTTP API, as an
// unknown flag value is a usage error in the CLI.
func (v *View) Check(o Options) error {
	for _, p := range v.Params {
		for _, val := range p.Get(o) {
			if !p.Valid(val) {
				return domain.Malformed(p.Name, "%s", p.Refusal(p.Name, val))
			}
		}
	}
	for i := 0; i < optionsType.NumField(); i++ {
		name := jsonName(optionsType.Field(i))
		if name == "product" {
			continue
		}
		p := Param{Name: name, field: i}
		if p.Get(o) == nil {
			continue
		}
		if _, ok := v.Param(name); !ok {
			return domain.Malformed(name, "the %s view takes no %s", v.Name, name)
		}
	}
	return nil
}

// Lookup returns the view of that name.
func Lookup(name string) (*View, bool) {
	for _, v := range catalogue {
		if v.Name == name {
			return v, true
		}
	}
	return nil, false
}

// Catalogue returns every view, in the order the README documents them.
func Catalogue() []*View { return slices.Clone(catalogue) }

// answerOf adapts a typed answer function to the catalogue.
func answerOf[A any](f func(ctx context.Context, s *Service, o Options) (A, error)) func(context.Context, *Service, Options) (any, error) {
	return func(ctx context.Context, s *Service, o Options) (any, error) { return f(ctx, s, o) }
}

// csvOf adapts a typed CSV form to the catalogue.
func csvOf[A any](f func(A) ([]string, [][]string)) func(any) ([]string, [][]string) {
	return func(v any) ([]string, [][]string) {
		a, ok := v.(A)
		if !ok {
			if p, isPtr := v.(*A); isPtr && p != nil {
				a, ok = *p, true
			}
		}
		if !ok {
			var zero A
			panic(fmt.Sprintf("query: a CSV of %T asked of a %T", zero, v))
		}
		return f(a)
	}
}

// optionsType is the type every view's options are carried in.
var optionsType = reflect.TypeOf(Options{})

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// bind finds each option's field of Options by its name; an option
// without one is a mistake in the catalogue, found when the package
// starts.
func bind(views []*View) []*View {
	fields := map[string]int{}
	for i := 0; i < optionsType.NumField(); i++ {
		fields[jsonName(optionsType.Field(i))] = i
	}
	for _, v := range views {
		if !v.Ledger {
			v.Params = append(v.Params, minSeqParam)
		}
		if v.pages != nil {
			v.Params = append(v.Params, limitParam, afterParam)
		}
		for i, p := range v.Params {
			f, ok := fields[p.Name]
			if !ok {
				panic(fmt.Sprintf("query: option %q of the %s view is no field of Options", p.Name, v.Name))
			}
			v.Params[i].field = f
		}
	}
	return views
}
