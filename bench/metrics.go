package bench

import "runtime/metrics"

// memoryTotal is the memory the Go runtime has mapped, in bytes.
func memoryTotal() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(s[0].Value.Uint64())
}
