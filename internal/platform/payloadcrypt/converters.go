package payloadcrypt

import (
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// DataConverter is the SDK's default data converter with every payload
// encrypted by c: set on a client, it is the one of every worker made from
// that client too. Search attributes never go through it (the SDK encodes
// them with the default converter, so the server can index them), nor do
// headers (the context propagators encode their own).
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter encrypts what failures carry: their details, and their
// messages and stack traces too (EncodeCommonAttributes), where a
// provider's error may quote a customer's phone number or email address.
// The SDK's default failure converter would encode details with the default
// data converter, in clear, whatever the client's data converter.
func (c *Codec) FailureConverter() converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: c.DataConverter(), EncodeCommonAttributes: true,
	})
}
