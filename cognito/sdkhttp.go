// The HTTP client fix every AWS SDK client of cogpass uses, the binary's and
// the tests'.

package cognito

import (
	"bytes"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// OwnBody hands the transport its own copy of the request body. smithy-go
// closes the request body as soon as the response arrives, while net/http's
// write loop may still be reading it; the write loop then closes the
// connection, and a response larger than what is buffered fails with "use
// of closed network connection" (aws/aws-sdk-go-v2#1825, #2737). A fast
// endpoint hits it often; every hit also costs a new connection.
type OwnBody struct{ Client aws.HTTPClient }

// Do sends a copy of r whose body belongs to the transport.
func (o OwnBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return o.Client.Do(r)
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(data))
	c.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	c.ContentLength = int64(len(data))
	return o.Client.Do(c)
}
