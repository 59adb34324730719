package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// With --log-format json every line cogpass writes on stderr is a JSON
// object, for a log collector or a scheduler that parses each line: the
// job's log and summary (slog's JSON handler, printSummaryJSON), and the
// final error line (jsonLogged, printErrorJSON), whose msg is the text the
// plain line would have had after "cogpass: ". Only an error about the
// command line itself found before --log-format could be read, and the
// confirmation prompt on a terminal, stay text.

// jsonLogged is an error of a command run with --log-format json: exitCode
// prints it as a JSON line, not as "cogpass: ...".
type jsonLogged struct{ Err error }

func (e *jsonLogged) Error() string { return e.Err.Error() }
func (e *jsonLogged) Unwrap() error { return e.Err }

// inLogFormat marks err for a JSON final line when format is json.
func inLogFormat(format string, err error) error {
	if err == nil || format != "json" {
		return err
	}
	return &jsonLogged{Err: err}
}

// logFormatArg is the --log-format args ask for, read before the flags
// are parsed, so that an error in them is a JSON line too when they ask
// for JSON ("" when they do not say, or stop before it).
func logFormatArg(args []string) string {
	format := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "log-format" {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			i++
			value = args[i]
		}
		format = value
	}
	return format
}

// printErrorJSON writes the final error line as one JSON object with the
// keys of slog's JSON handler and the exit code: {"time":...,
// "level":"ERROR","msg":"...","exit":2}. A message of several lines (a
// hint, the short usage) stays one line, its breaks escaped.
func printErrorJSON(w io.Writer, err error, code int) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(struct {
		Time  string `json:"time"`
		Level string `json:"level"`
		Msg   string `json:"msg"`
		Exit  int    `json:"exit"`
	}{time.Now().Format(time.RFC3339Nano), "ERROR", err.Error(), code})
	io.WriteString(w, b.String())
}

// printLine writes a line cogpass prints outside its log (an export's
// final line, a summary it could not write): as is, or, with format json,
// as one JSON object whose msg is the line's text, with attrs.
func printLine(w io.Writer, format string, level slog.Level, text string, attrs ...any) {
	if format != "json" {
		fmt.Fprintln(w, text)
		return
	}
	slog.New(slog.NewJSONHandler(w, nil)).Log(context.Background(), level, text, attrs...)
}
