package wire

// Message is any request or response of the API. Only this package's types
// implement it (decodeJSON is unexported), so every Message has an encoder
// and a decoder that were written, and tested, against etcd's bytes.
type Message interface {
	// AppendJSON appends the message's JSON, byte for byte as etcd's
	// gateway writes it, and returns the extended buffer. Appending lets a
	// server reuse one buffer per connection: the hot path allocates nothing.
	AppendJSON(b []byte) []byte
	decodeJSON(d *decoder)
}

// Marshal returns the message's JSON in a new buffer.
func Marshal(m Message) []byte { return m.AppendJSON(make([]byte, 0, 128)) }

// Unmarshal decodes one request or response body into m, which should be a
// zero value (fields absent from data are left as they are). It follows etcd:
//
//   - an empty body (or only white space) is {};
//   - only the first JSON value counts: etcd's gateway reads one value and
//     never looks at what follows it;
//   - unknown fields are ignored, null means "not set";
//   - any error is an *Error with code InvalidArgument (HTTP 400) and the
//     words etcd would use, ready to be sent back as it is.
//
// Decoded bytes fields never alias data, but may share one allocation.
func Unmarshal(data []byte, m Message) error {
	start := 0
	for start < len(data) && isSpace(data[start]) {
		start++
	}
	if start == len(data) {
		return nil
	}
	d := decoder{data: data[start:]}
	m.decodeJSON(&d)
	if d.err != nil {
		return d.err
	}
	return nil
}
