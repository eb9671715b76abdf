package loadgen

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/orderflow/orderflow/internal/platform/config"
	"github.com/orderflow/orderflow/internal/platform/payloadcrypt"
)

// dialTemporal connects to the stack's Temporal as its roles do: the SDK's
// environment configuration of the TEMPORAL_* settings and the profile of
// TEMPORAL_CONFIG_FILE (config.Temporal.ClientOptions), and the stack's
// payload encryption, so the bare-engine workflows pay for it as orders do.
func dialTemporal(ctx context.Context, cfg config.Loadgen, logger *slog.Logger) (client.Client, error) {
	opts, err := cfg.Temporal.ClientOptions()
	if err != nil {
		return nil, err
	}
	keys := cfg.PayloadEncryption
	codec, err := payloadcrypt.New(keys.PayloadEncryptionKeys)
	if err != nil {
		return nil, err
	}
	opts.DataConverter, opts.FailureConverter = codec.DataConverter(), codec.FailureConverter()
	opts.Namespace = cmp.Or(opts.Namespace, client.DefaultNamespace)
	opts.Logger = sdklog.NewStructuredLogger(logger.With("component", "temporal-sdk"))
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("temporal at %s: %w", cmp.Or(opts.HostPort, client.DefaultHostPort), err)
	}
	return c, nil
}
