package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/orderflow/orderflow/api"
	"github.com/orderflow/orderflow/internal/domain/notifications"
	"github.com/orderflow/orderflow/internal/domain/orders"
	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
	"github.com/orderflow/orderflow/workflows"
)

// An order's histories, read as the cluster's operators and a Web UI
// without the codec read them, hold none of the customer's data: not the
// email, not the phone, not the payment token, in the inputs, the approval
// update, the memo, the children's inputs, the local activities' results or
// a provider's error message. Every payload is encrypted but the search
// attributes and the headers (a request ID, a trace context), which the
// codec never sees. Through the codec server an admin reads them all, and
// so does the CLI with the README's flags.
func TestHistoriesHoldNoCustomerDataInClear(t *testing.T) {
	email, phone, token := newEmail("encrypted"), invalidPhone, "tok_visa"
	// The customer prefers SMS at a number Twilio refuses, so the history
	// also holds a provider's error about that number, then the email.
	c := newCustomer(t)
	status, me := updateProfile(t, c, `{"phone":"`+phone+`","notification_preferences":{"channels":["sms","email"]}}`)
	require.Equal(t, http.StatusOK, status, "%v", me)
	body, err := json.Marshal(map[string]any{
		"items":   []map[string]any{{"sku": "HOODIE-GRY-L", "quantity": 4}}, // over the suite's approval threshold
		"payment": map[string]string{"token": token},
		"contact": map[string]string{"email": email, "phone": phone},
	})
	require.NoError(t, err)
	status, _, resp := post(t, "/api/orders", string(body), bearer(c.AccessToken))
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	id := resp["id"].(string)
	waitForStep(t, id, workflows.StepAwaitApproval, workflows.StepRunning)
	status, _, resp = post(t, "/api/orders/"+id+"/approve", `{"reason":"known customer"}`, asAdmin)
	require.Equal(t, http.StatusAccepted, status, "%v", resp)
	o := waitForFinal(t, id)
	require.Equal(t, orders.StatusCompleted, o.Status, "failure: %s", o.FailureReason)

	// A client as anyone without the keys has one: the default converter.
	plain, err := client.Dial(client.Options{HostPort: stack.cfg.TemporalAddress, Logger: silentSDKLogger()})
	require.NoError(t, err)
	defer plain.Close()
	var payloads []*commonpb.Payload
	failures := 0
	for _, workflowID := range []string{orders.WorkflowID(id), workflows.ReservationID(id), notifications.WorkflowID(id + "-" + string(o.Status))} {
		hist := rawHistory(t, plain, workflowID)
		raw, err := proto.Marshal(hist) // the payloads' bytes as they are stored
		require.NoError(t, err)
		for _, secret := range []string{email, strings.TrimPrefix(phone, "+"), token} {
			require.NotContains(t, string(raw), secret, "%s's history holds %s in clear", workflowID, secret)
		}
		payloads = append(payloads, encryptedPayloads(t, workflowID, hist.ProtoReflect())...)
		for _, ev := range hist.Events {
			if f := ev.GetActivityTaskFailedEventAttributes().GetFailure(); f != nil {
				failures++
				require.Equal(t, "Encoded failure", f.Message, "the message is encrypted, in the failure's encoded attributes")
			}
			// A send's first try is a local activity, whose marker keeps
			// the cause's message in clear: the activity redacts the
			// address the provider quoted (checked above, with the rest).
			if f := ev.GetMarkerRecordedEventAttributes().GetFailure(); f != nil {
				failures++
			}
		}
	}
	require.Positive(t, failures, "the SMS Twilio refused failed an activity")
	var result orders.State
	require.Error(t, plain.GetWorkflow(context.Background(), orders.WorkflowID(id), "").Get(context.Background(), &result),
		"without the keys the order's result does not decode")
	require.NoError(t, stack.temporal.GetWorkflow(context.Background(), orders.WorkflowID(id), "").Get(context.Background(), &result))

	// The codec server decodes them for an admin.
	req, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	require.NoError(t, err)
	status, _, resp = post(t, api.CodecPath+"/decode", string(req), asAdmin)
	require.Equal(t, http.StatusOK, status, "%v", resp)
	decoded, err := json.Marshal(resp)
	require.NoError(t, err)
	var clear commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(decoded, &clear))
	var all strings.Builder
	for _, p := range clear.Payloads {
		require.NotEqual(t, payloadcrypt.Encoding, string(p.Metadata[converter.MetadataEncoding]))
		all.Write(p.Data)
	}
	for _, secret := range []string{email, phone, token, "known customer"} {
		require.Contains(t, all.String(), secret, "decoded through the codec server")
	}
	status, _, _ = post(t, api.CodecPath+"/decode", string(req), bearer(c.AccessToken))
	require.Equal(t, http.StatusForbidden, status, "a customer decodes nothing")

	// The README's command: the CLI decodes through the codec server.
	out, err := exec.Command(filepath.Join("..", "..", "bin", "temporal"), "workflow", "show", "--workflow-id", orders.WorkflowID(id),
		"--detailed", "--address", stack.cfg.TemporalAddress,
		"--codec-endpoint", stack.apiURL+api.CodecPath, "--codec-auth", "Bearer "+stack.admin.AccessToken).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), email)
	require.Contains(t, string(out), token)
}

// rawHistory is a closed workflow's history as the server keeps it, read by
// c without decoding anything.
func rawHistory(t *testing.T, c client.Client, workflowID string) *historypb.History {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	closed := c.GetWorkflowHistory(ctx, workflowID, "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	for closed.HasNext() {
		_, err := closed.Next()
		require.NoError(t, err, "waiting for %s to close", workflowID)
	}
	hist := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	return hist
}

// encryptedPayloads returns every payload in m, failing on any that is not
// encrypted; the search attributes and headers are skipped: the SDK encodes
// them with the default converter, never the codec, and they hold no
// customer's data (an order's status, total and customer ID; the request ID
// and trace context).
func encryptedPayloads(t *testing.T, where string, m protoreflect.Message) []*commonpb.Payload {
	t.Helper()
	switch m.Descriptor().FullName() {
	case "temporal.api.common.v1.SearchAttributes", "temporal.api.common.v1.Header":
		return nil
	case "temporal.api.common.v1.Payload":
		p := m.Interface().(*commonpb.Payload)
		require.Equal(t, payloadcrypt.Encoding, string(p.Metadata[converter.MetadataEncoding]), "%s: a payload in clear: %s", where, p.Data)
		return []*commonpb.Payload{p}
	}
	var out []*commonpb.Payload
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := range v.List().Len() {
				out = append(out, encryptedPayloads(t, where+"."+string(fd.Name()), v.List().Get(i).Message())...)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				out = append(out, encryptedPayloads(t, where+"."+string(fd.Name())+"["+k.String()+"]", mv.Message())...)
				return true
			})
		case fd.Message() != nil && !fd.IsMap():
			out = append(out, encryptedPayloads(t, where+"."+string(fd.Name()), v.Message())...)
		}
		return true
	})
	return out
}
