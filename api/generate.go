package api

// The API's request and response types and its server interface
// (StrictServerInterface, which Server implements) are generated from
// openapi.yaml; generate_test.go fails when openapi.gen.go is not current.
//go:generate go tool oapi-codegen --config oapi-codegen.yaml openapi.yaml
