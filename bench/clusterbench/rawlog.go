package main

import (
	"encoding/json"
	"os"
)

// rawLog is -out: one JSON object per line, first a "meta" line describing
// the invocation, then one "run" line per measured run, written as soon as
// the run ends so that an interrupted measurement keeps what it measured.
// It appends, so that a second invocation never destroys a first one's
// data; the meta lines tell the invocations apart.
type rawLog struct {
	f   *os.File
	enc *json.Encoder
}

func openRawLog(path string) (*rawLog, error) {
	if path == "" {
		return &rawLog{}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &rawLog{f: f, enc: json.NewEncoder(f)}, nil
}

func (l *rawLog) write(v any) error {
	if l.f == nil {
		return nil
	}
	return l.enc.Encode(v)
}

func (l *rawLog) close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// metaRecord says what was measured with what, so the raw data can be
// read without this invocation's terminal.
type metaRecord struct {
	Kind     string            `json:"kind"` // "meta"
	Started  string            `json:"started"`
	Args     []string          `json:"args"`
	Versions map[string]string `json:"versions"`
	CPUs     int               `json:"cpus"`
	Rows     []string          `json:"rows"`
	Reps     int               `json:"reps"`
	Series   int               `json:"series"`
	Total    int               `json:"total"`
	Settle   string            `json:"settle"`
}
