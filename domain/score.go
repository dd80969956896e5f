package domain

import (
	"math"
	"sort"
	"strings"
)

// Frameworks lists the scoring frameworks the ledger knows, with the
// inputs each needs (canonical names). The formulas themselves are the
// projections' business: the ledger stores inputs, never a computed value.
var Frameworks = map[string][]string{
	"RICE": {"reach", "impact", "confidence", "effort"},
	"WSJF": {"bv", "tc", "rr", "size"},
}

// divisors are the inputs each framework's formula divides by.
var divisors = map[string][]string{"RICE": {"effort"}, "WSJF": {"size"}}

// inputAliases maps the long names people write to canonical input names.
var inputAliases = map[string]string{
	"business-value":   "bv",
	"time-criticality": "tc",
	"risk-reduction":   "rr",
	"job-size":         "size",
}

// NormalizeScore validates a score's framework and inputs and returns it
// with an upper-case framework name and canonical input names.
func NormalizeScore(sc Score) (Score, error) {
	fw := strings.ToUpper(strings.TrimSpace(sc.Framework))
	need, ok := Frameworks[fw]
	if !ok {
		return sc, invalid("score", "unknown scoring framework %q: use RICE (reach,impact,confidence,effort) or WSJF (bv,tc,rr,size)", sc.Framework)
	}
	in := make(map[string]float64, len(sc.Inputs))
	for k, v := range sc.Inputs {
		key := strings.ToLower(strings.TrimSpace(k))
		if alias, ok := inputAliases[key]; ok {
			key = alias
		}
		if !contains(need, key) {
			return sc, invalid("score", "%s has no input %q: it takes %s", fw, k, strings.Join(need, ", "))
		}
		if _, dup := in[key]; dup {
			// "reach" and "Reach" (or "bv" and "business-value"): which
			// one counted would depend on the map's order.
			return sc, invalid("score", "%s score gives %s twice: give each input once", fw, key)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return sc, invalid("score", "%s input %s=%v must be a finite number, zero or more", fw, key, v)
		}
		in[key] = v
	}
	var missing []string
	for _, k := range need {
		if _, ok := in[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return sc, invalid("score", "%s score is missing %s", fw, strings.Join(missing, ", "))
	}
	// A formula must have a value: the divisor is not zero, and a
	// confidence is a share from 0 to 1 (0.8 for 80%).
	for _, k := range divisors[fw] {
		if in[k] == 0 {
			return sc, invalid("score", "%s %s must be more than 0: the score divides by it", fw, k)
		}
	}
	if c, ok := in["confidence"]; ok && fw == "RICE" && c > 1 {
		return sc, invalid("score", "RICE confidence %v is more than 100%%: write it as a share from 0 to 1 (0.8 for 80%%)", c)
	}
	return Score{Framework: fw, Inputs: in}, nil
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
