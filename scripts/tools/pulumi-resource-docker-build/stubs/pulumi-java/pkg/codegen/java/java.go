// Package java is a build stub: pulumi-docker-build only uses this type to describe the Java
// SDK settings in its schema, and the real module version is refused by the Go module proxy.
package java

// PackageInfo carries the Java settings written into the provider schema.
type PackageInfo struct {
	BuildFiles                      string            `json:"buildFiles"`
	Dependencies                    map[string]string `json:"dependencies,omitempty"`
	GradleNexusPublishPluginVersion string            `json:"gradleNexusPublishPluginVersion"`
}
