package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/decisionledger/ledger/query"
)

// viewFlags are a view's options as a command's flags, one per option of
// the catalogue (query.Catalogue): its name in kebab case, its
// documentation as the help, its type as the flag's. The option that
// names the view's subject (why's id) is the positional argument.
type viewFlags struct {
	view *query.View
	fs   *pflag.FlagSet
	// skip are options the command gives flags of its own to.
	skip map[string]bool
	csv  bool
}

// bindView registers the flags of the view's options on fs, but those
// named in skip, and --csv when the view has a CSV form.
func bindView(name string, fs *pflag.FlagSet, skip ...string) *viewFlags {
	v, ok := query.Lookup(name)
	if !ok {
		panic("ledger: no view " + name)
	}
	f := &viewFlags{view: v, fs: fs, skip: map[string]bool{}}
	for _, s := range skip {
		f.skip[s] = true
	}
	for _, p := range v.Params {
		if p.Hidden || p.Subject || f.skip[p.Name] {
			continue
		}
		help := flagHelp(p)
		switch p.Kind() {
		case query.KindList:
			fs.StringArray(p.Flag(), nil, help)
		case query.KindBool:
			fs.Bool(p.Flag(), false, help)
		case query.KindNumber:
			fs.Uint64(p.Flag(), 0, help)
		default:
			fs.String(p.Flag(), "", help)
		}
	}
	if v.HasCSV() {
		fs.BoolVar(&f.csv, "csv", false, "print CSV (RFC 4180) with a header row")
	}
	return f
}

// flagHelp is an option's documentation, with the values it takes.
func flagHelp(p query.Param) string {
	if p.Kind() != query.KindBool && len(p.Values) > 0 {
		return p.Doc + ": " + strings.Join(p.Values, ", ")
	}
	return p.Doc
}

// options reads the flags the user gave, and the subject from args, into
// the view's options; a required one missing is a usage error.
func (f *viewFlags) options(args []string) (query.Options, error) {
	var o query.Options
	for _, p := range f.view.Params {
		var vals []string
		switch fl := f.fs.Lookup(p.Flag()); {
		case p.Subject:
			vals = args[:min(1, len(args))]
		case p.Hidden || f.skip[p.Name] || fl == nil || !fl.Changed:
			continue
		case p.Kind() == query.KindList:
			vals, _ = f.fs.GetStringArray(p.Flag())
		default:
			vals = []string{fl.Value.String()}
		}
		for _, v := range vals {
			if !p.Valid(v) {
				return o, usagef("%s", p.Refusal("--"+p.Flag(), v))
			}
			if err := p.Set(&o, v); err != nil {
				return o, usagef("--%s: %s", p.Flag(), strings.TrimPrefix(err.Error(), p.Name+" "))
			}
		}
	}
	for _, p := range f.view.Params {
		if p.Required && !p.Subject && p.Get(o) == nil {
			return o, usagef("%s needs --%s: %s", f.view.Name, p.Flag(), p.Doc)
		}
	}
	return o, nil
}

// viewAnnotation marks the command of a view with the view's name.
const viewAnnotation = "ledger/view"

// viewSpec is a command that prints one view.
type viewSpec[A any] struct {
	view                      string
	use, short, long, example string
	args                      cobra.PositionalArgs
	// skip are options given flags of the command's own (audit export's
	// --from and --to).
	skip []string
	// text prints the answer for people; jsonLines, when set, prints it
	// with --json one element per line instead of one document.
	text      func(a *app, v A, o query.Options) error
	jsonLines func(a *app, v A) error
	// stream, when set, prints a list without --limit page after page
	// as the pages come (first tells the first page): the log, which
	// can be any length.
	stream func(a *app, page A, o query.Options, first bool) error
}

// viewCommand is the command of a view: its flags from the catalogue,
// --json and (when the view has one) --csv.
func viewCommand[A any](a *app, spec viewSpec[A]) *cobra.Command {
	c := &cobra.Command{Use: spec.use, Short: spec.short, Long: spec.long, Example: spec.example, Args: spec.args,
		Annotations: map[string]string{viewAnnotation: spec.view}}
	if c.Args == nil {
		c.Args = cobra.NoArgs
	}
	f := bindView(spec.view, c.Flags(), spec.skip...)
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if f.csv && a.jsonOut {
			return usagef("--csv and --json exclude each other: choose one")
		}
		o, err := f.options(args)
		if err != nil {
			return err
		}
		a.asOfText = asOfLabel(o.AsOf)
		if spec.stream != nil && o.Limit == 0 && !f.csv {
			first := true
			var v A
			return a.pages(cmd.Context(), spec.view, o, &v, func(page any) error {
				err := spec.stream(a, page.(A), o, first)
				first = false
				return err
			})
		}
		var v A
		if err := a.view(cmd.Context(), spec.view, o, &v); err != nil {
			return err
		}
		defer a.printNext(v)
		switch {
		case f.csv:
			header, rows, err := f.view.CSV(v)
			if err != nil {
				return err
			}
			if err := query.WriteCSV(a.stdout, false, header, rows); err != nil {
				return err
			}
			a.printWarnings(warningsOf(v))
			return nil
		case a.jsonOut && spec.jsonLines != nil:
			if err := spec.jsonLines(a, v); err != nil {
				return err
			}
			a.printWarnings(warningsOf(v))
			return nil
		case a.jsonOut:
			return a.printJSON(v)
		}
		return spec.text(a, v, o)
	}
	return c
}

// printNext says, when an answer is one page of a longer list, how to
// ask for the next.
func (a *app) printNext(v any) {
	if p, ok := query.PageOf(v); ok && p.Next != "" {
		fmt.Fprintf(a.stderr, "more: --after %s\n", p.Next)
	}
}

// warningsOf returns the warnings of an answer with a Meta.
func warningsOf(v any) []string {
	if m, ok := query.MetaOf(v); ok {
		return m.Warnings
	}
	return nil
}
