package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	// Time zones of event consoles (Zenoss 4.x local times) must resolve even
	// where the host has no zoneinfo, as on minimal CI images.
	_ "time/tzdata"

	"github.com/pdbridge/terraform-provider-pdbridge/internal/provider"
)

// version is set by goreleaser with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/pdbridge/pdbridge",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}
