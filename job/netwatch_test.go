package job

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"cogpass/cognito"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A job against an endpoint that accepts connections and never answers, or
// refuses them, says within NetworkWarn that nothing answers and stops,
// resumable (no row is final), after NetworkDown, instead of spending every
// row's attempts (10 x 60 s) on it.
func TestNetworkDownStopsTheJob(t *testing.T) {
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusing := closed.Addr().String()
	closed.Close()

	for name, addr := range map[string]string{"never answers": silent.Addr().String(), "refuses connections": refusing} {
		t.Run(name, func(t *testing.T) {
			api := cip.NewFromConfig(aws.Config{
				Region:      "us-east-1",
				Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
				Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
				HTTPClient:  cognito.OwnBody{Client: &http.Client{Timeout: time.Minute}},
			}, func(o *cip.Options) { o.BaseEndpoint = aws.String("http://" + addr) })
			var logs syncBuffer
			cfg := baseConfig(Reset)
			cfg.Backoff = cognito.Backoff{Base: 5 * time.Millisecond, Cap: 20 * time.Millisecond, MaxAttempts: 1 << 20}
			cfg.NetworkWarn, cfg.NetworkDown, cfg.StopGrace = 100*time.Millisecond, 600*time.Millisecond, 100*time.Millisecond
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			// The old code would spend the minute-long client timeout per
			// attempt: bound the test, not the job.
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Second)
			defer cancel()
			rep := &memReport{}
			_, err := Run(ctx, cfg, api, rowsOf(t, manifest(20)), rep, &memSecrets{})
			var fatal *Fatal
			if !errors.As(err, &fatal) || fatal.Code != CodeNetworkDown {
				t.Fatalf("Run: %v, want a fatal NetworkDown", err)
			}
			if ctx.Err() != nil {
				t.Fatal("the job ran until the test's deadline")
			}
			if !strings.Contains(err.Error(), "no answer from http://"+addr) {
				t.Errorf("error %q does not name the endpoint", err)
			}
			if !strings.Contains(logs.String(), "no answer from http://"+addr) || !strings.Contains(logs.String(), "retrying") {
				t.Errorf("no warning before the stop:\n%s", logs.String())
			}
			if rows := rep.byLine(); len(rows) != 0 {
				t.Errorf("%d report rows, want none (every row is sent again by --resume): %+v", len(rows), rows[0])
			}
		})
	}
}

// An endpoint that answers, even with errors, is not down.
func TestNetworkWatchCountsAnswers(t *testing.T) {
	w := newNetWatch()
	for n := 1; n <= minNetworkFailures; n++ {
		id := w.begin()
		w.end(id, errors.New("dial tcp: connection refused"), true)
		silent, _, failed, _ := w.state(time.Now().Add(time.Minute))
		if n < minNetworkFailures && silent != 0 {
			t.Errorf("after %d refused connections with nothing waiting: silent %v, want 0 (a blip)", n, silent)
		}
		if n == minNetworkFailures && (silent < time.Minute || failed != n) {
			t.Errorf("after %d refused connections: silent %v failed %d", n, silent, failed)
		}
	}
	id := w.begin()
	w.end(id, nil, false)
	if silent, waiting, failed, _ := w.state(time.Now().Add(time.Minute)); silent != 0 || waiting != 0 || failed != 0 {
		t.Errorf("after an answer: silent %v waiting %d failed %d, want all 0", silent, waiting, failed)
	}
	w.begin()
	if silent, waiting, _, _ := w.state(time.Now().Add(time.Minute)); silent < 59*time.Second || waiting != 1 {
		t.Errorf("a call waiting a minute: silent %v waiting %d", silent, waiting)
	}
}
