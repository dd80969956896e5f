package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
)

// Figure is one path's measurement: the ledger's figure, the raw
// baseline's, and their ratio, oriented so that higher is better
// (throughput over throughput, or the raw time over the ledger's).
type Figure struct {
	Ledger float64 `json:"ledger"`
	Raw    float64 `json:"raw"`
	Ratio  float64 `json:"ratio"`
	// Unit is the unit of Ledger and Raw: "ev/s", "ms", "s", "MiB", "B".
	Unit string `json:"unit"`
	// Target is what the issue asks of the figure, Met whether this run
	// met it (nil when there is no target or it applies at another size).
	Target string `json:"target,omitempty"`
	Met    *bool  `json:"met,omitempty"`
	// Note says what was measured, or why nothing was.
	Note string `json:"note,omitempty"`
	// Skipped is set when the path was not measured.
	Skipped bool `json:"skipped,omitempty"`
}

// Machine describes where the bench ran.
type Machine struct {
	OS    string `json:"os"`
	Arch  string `json:"arch"`
	CPUs  int    `json:"cpus"`
	Model string `json:"model,omitempty"`
	Go    string `json:"go"`
}

func thisMachine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Report is a bench run: every path's figure, by name, in Order.
type Report struct {
	Events   int               `json:"events"`
	Products int               `json:"products"`
	Machine  Machine           `json:"machine"`
	Seconds  float64           `json:"seconds"`
	Paths    map[string]Figure `json:"paths"`
	Order    []string          `json:"-"`
	labels   map[string]string
}

func (r *Report) set(name, label string, f Figure) {
	if r.Paths == nil {
		r.Paths, r.labels = map[string]Figure{}, map[string]string{}
	}
	if _, ok := r.Paths[name]; !ok {
		r.Order = append(r.Order, name)
	}
	r.Paths[name], r.labels[name] = f, label
}

// WriteTable prints the report as a table.
func (r Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "ledger bench: %d events over %d products, %d CPUs (%s), %s, %.0f s\n\n",
		r.Events, r.Products, r.Machine.CPUs, r.Machine.Model, r.Machine.Go, r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "path\tledger\traw\tratio\ttarget\tmet\t")
	for _, name := range r.Order {
		f := r.Paths[name]
		label := r.labels[name]
		if label == "" {
			label = name
		}
		if f.Skipped {
			fmt.Fprintf(tw, "%s\t%s\t\t\t%s\t\t\n", label, f.Note, f.Target)
			continue
		}
		met := ""
		if f.Met != nil {
			met = map[bool]string{true: "yes", false: "NO"}[*f.Met]
		}
		raw, ratio := "–", "–"
		if f.Raw != 0 {
			raw = num(f.Raw, f.Unit)
		}
		if f.Ratio != 0 {
			ratio = fmt.Sprintf("%.2f", f.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", label, num(f.Ledger, f.Unit), raw, ratio, f.Target, met)
	}
	return tw.Flush()
}

// WriteJSON prints the report as one JSON line.
func (r Report) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func num(v float64, unit string) string {
	switch {
	case unit == "B" && v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case unit == "B":
		return fmt.Sprintf("%.0f B", v)
	case v >= 1000:
		return fmt.Sprintf("%.1fk %s", v/1000, unit)
	case v >= 10:
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

func metPtr(ok bool) *bool { return &ok }
