package command

// LastSeq returns the last stream sequence the handler knows for the
// product (its own writes and what it caught up with), 0 when it holds no
// state for it: a write answered is at or before it, a decision still on
// its way after it. A read model that must reflect this process's writes
// waits for it. It waits for a decision being taken on the product.
func (h *Handler) LastSeq(product string) uint64 {
	h.mu.Lock()
	p, ok := h.products[product]
	h.mu.Unlock()
	if !ok {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stored
}
