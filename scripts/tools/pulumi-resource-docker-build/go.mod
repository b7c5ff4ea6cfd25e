module site.local/tools/pulumi-resource-docker-build

go 1.26.0
