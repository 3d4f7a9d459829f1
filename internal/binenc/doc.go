// Package binenc is the byte level shared by raftkv's hand-written binary
// encodings: raft's entries and messages (WAL and transport) and kv's
// requests. Each format keeps its own layout, version byte and error; this
// package only reads and writes the pieces they are made of:
//
//   - unsigned integers as varints (encoding/binary's Uvarint), signed ones
//     as zig-zag varints, so that small numbers take one byte;
//   - byte strings as a varint length followed by the bytes.
//
// A Decoder treats its input as hostile (a damaged disk, a confused peer):
// it never panics, never hands out a length or count the remaining input
// could not hold (so a forged length cannot make a caller allocate
// gigabytes), and remembers the first error, after which every read returns
// zero — so a caller checks Err once, at the end.
package binenc
