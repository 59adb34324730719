package main

import (
	"encoding/json"
	"io"
	"time"

	"cogpass/job"
)

// printSummaryJSON writes the end summary as one JSON object on a line, for
// --log-format json: a log collector reads every line of stderr as JSON,
// the summary included. Its fields are --summary-json's, with the time and
// message keys of slog's JSON handler and the paths of the outputs.
func printSummaryJSON(w io.Writer, s *job.Summary, runErr error, reportPath, secretsPath string) error {
	doc := struct {
		Time  string `json:"time"`
		Level string `json:"level"`
		Msg   string `json:"msg"`
		*job.Summary
		Stopped string `json:"stopped,omitempty"`
		Report  string `json:"report"`
		Secrets string `json:"secrets,omitempty"`
	}{Time: time.Now().Format(time.RFC3339Nano), Level: "INFO", Msg: "summary", Summary: s, Report: reportPath, Secrets: secretsPath}
	if runErr != nil {
		doc.Stopped = runErr.Error()
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
