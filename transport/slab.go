package transport

// slabBlock is the size of the blocks small frame payloads are carved from.
const slabBlock = 64 << 10

// slab hands out fresh, never-reused byte slices for incoming messages.
//
// A decoded raft.Message aliases the bytes it was decoded from (its entries'
// Data point into them), so every frame needs memory of its own that lives
// as long as the message does. Allocating each frame separately would cost
// one allocation per message; instead small payloads are cut one after the
// other from a 64 KiB block, and a new block is allocated when the current
// one is used up. The garbage collector frees a block once no message
// points into it. The price is that one long-lived entry keeps its whole
// block alive, which is why large payloads get their own allocation.
type slab struct {
	free []byte // the unused tail of the current block
}

func (s *slab) alloc(n int) []byte {
	if n > slabBlock/4 {
		return make([]byte, n)
	}
	if len(s.free) < n {
		s.free = make([]byte, slabBlock)
	}
	// The three-index slice caps the result at n, so an append by its
	// owner reallocates instead of writing over the next message.
	b := s.free[:n:n]
	s.free = s.free[n:]
	return b
}
