package emulator_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cogpass/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

const benchUsers = 100_000

func benchServer(b *testing.B) *emulator.Server {
	b.Helper()
	srv := emulator.New(emulator.Options{}) // quotas off
	if err := srv.CreatePool(emulator.PoolConfig{ID: poolID}); err != nil {
		b.Fatal(err)
	}
	if err := srv.SeedUsers(poolID, benchUsers); err != nil {
		b.Fatal(err)
	}
	return srv
}

// BenchmarkServeAdminSetUserPassword: calls/s the emulator serves with
// quotas off, through the SDK over loopback HTTP (client and server share
// the machine), each call for a different user.
func BenchmarkServeAdminSetUserPassword(b *testing.B) {
	srv := benchServer(b)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	api := newClient(hs.URL)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)%benchUsers + 1
			_, err := api.AdminSetUserPassword(b.Context(), &cip.AdminSetUserPasswordInput{
				UserPoolId: aws.String(poolID), Username: aws.String(fmt.Sprintf("user%06d", i)),
				Password: aws.String(goodPW), Permanent: true})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}

// BenchmarkHandlerAdminSetUserPassword: the handler alone, without HTTP
// transport or SDK.
func BenchmarkHandlerAdminSetUserPassword(b *testing.B) {
	srv := benchServer(b)
	var n atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		w := httptest.NewRecorder()
		for pb.Next() {
			i := n.Add(1)%benchUsers + 1
			body := fmt.Sprintf(`{"UserPoolId":%q,"Username":"user%06d","Password":%q,"Permanent":true}`, poolID, i, goodPW)
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminSetUserPassword")
			w.Body.Reset()
			srv.ServeHTTP(w, req)
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
}

// BenchmarkSeedUsers reports the heap a seeded user costs, to keep a
// million users comfortable.
func BenchmarkSeedUsers(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		srv := emulator.New(emulator.Options{})
		if err := srv.CreatePool(emulator.PoolConfig{ID: poolID}); err != nil {
			b.Fatal(err)
		}
		if err := srv.SeedUsers(poolID, n); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/user")
		runtime.KeepAlive(srv)
	}
}
