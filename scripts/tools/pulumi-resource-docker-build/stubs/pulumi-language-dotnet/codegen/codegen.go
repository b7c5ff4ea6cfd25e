// Package codegen is a build stub: pulumi-docker-build only uses this type to describe the C#
// SDK settings in its schema, and the real module version is refused by the Go module proxy.
package codegen

// CSharpPackageInfo carries the C# settings written into the provider schema.
type CSharpPackageInfo struct {
	PackageReferences    map[string]string `json:"packageReferences,omitempty"`
	RespectSchemaVersion bool              `json:"respectSchemaVersion,omitempty"`
}
